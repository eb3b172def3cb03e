"""Executes one tutorial notebook on the saliency-lab kernel with nbclient and writes it with its outputs,
normalized so that a re-execution of unchanged code writes the same file (see the README's Tutorials
section). Run by `npm run notebooks` (scripts/notebooks.js, which installs the kernelspec first) and by
test/notebooks.

    python3 scripts/notebooks.py IN.ipynb OUT.ipynb [--fast]

--fast sets SALIENCY_FAST=1 for the kernel: the notebooks lower their steps and samples. The kernel always
runs on the wasm backend (SALIENCY_BACKEND=wasm unless set), so the outputs are the same on every machine.

Normalization, applied to what nbclient returns:
- consecutive stream outputs of the same stream are joined (how the kernel splits console output into
  messages depends on timing);
- widget model ids (random comm ids) become ids derived from the notebook's name and the order in which
  the widgets appear, in the outputs and in the saved widget state (`metadata.widgets`);
- no per-cell timings are recorded (nbclient's record_timing is off);
- `metadata.saliency_lab` keeps its `summary` (the README's table shows it) and records the mode ("full"
  or "fast"), the backend, the run time in seconds and the machine's load average when it started.
"""
import hashlib
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def join_streams(cell):
    outs = []
    for o in cell.get("outputs", []):
        if outs and o.get("output_type") == "stream" and outs[-1].get("output_type") == "stream" and outs[-1].get("name") == o.get("name"):
            outs[-1]["text"] = outs[-1]["text"] + o["text"]
        else:
            outs.append(o)
    cell["outputs"] = outs


def widget_ids_in_order(nb):
    """Model ids as they appear: displayed ones in output order, then the rest of the saved state."""
    ids = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            view = o.get("data", {}).get(WIDGET_VIEW)
            if view and view.get("model_id") not in ids:
                ids.append(view["model_id"])
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    ids.extend(k for k in state if k not in ids)
    return ids


def stable_widget_ids(nb, name):
    text = json.dumps(nb)
    for i, old in enumerate(widget_ids_in_order(nb)):
        new = hashlib.sha256(f"{name}:{i}".encode()).hexdigest()[:32]
        text = text.replace(old, new)
    return nbformat.from_dict(json.loads(text))


def execute(src, dst, fast):
    nb = nbformat.read(src, as_version=4)
    os.environ["SALIENCY_FAST"] = "1" if fast else "0"
    os.environ.setdefault("SALIENCY_BACKEND", "wasm")
    load = os.getloadavg()[0]
    start = time.monotonic()
    client = NotebookClient(nb, kernel_name="saliency-lab", timeout=900, record_timing=False, store_widget_state=True,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}})
    client.execute()
    seconds = round(time.monotonic() - start)
    for cell in nb.cells:
        if cell.cell_type == "code":
            join_streams(cell)
            cell.metadata.pop("execution", None)
    nb = stable_widget_ids(nb, os.path.basename(src))
    meta = dict(nb.metadata.get("saliency_lab", {}))
    meta.update(mode="fast" if fast else "full", backend=os.environ["SALIENCY_BACKEND"], seconds=seconds, load=round(load, 1))
    nb.metadata["saliency_lab"] = meta
    nbformat.write(nb, dst)
    print(f"{os.path.basename(src)}: {seconds} s ({'fast' if fast else 'full'} mode)", flush=True)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    execute(args[0], args[1], "--fast" in sys.argv[1:])
