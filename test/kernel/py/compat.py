"""Runs a notebook with nbclient on a given kernel, as nbconvert --execute would (errors allowed), and
writes it out as JSON for the jest side, with each cell's reply status in its metadata and the session
and message ids seen, so that the jest side can check that no output shows them.

usage: compat.py NOTEBOOK KERNEL_NAME OUT [PAUSE_AFTER_ERROR_S]

Stock tslab aborts every request that arrives within 200 ms after a failed cell; a pause after a failure
lets the next cell run there as it would for a person.
"""
import asyncio
import json
import os
import sys

import nbformat
from nbclient import NotebookClient


class RecordingClient(NotebookClient):
    pause_after_error = 0.0
    ids = set()

    async def _check_raise_for_error(self, cell, cell_index, exec_reply):
        if exec_reply is not None:
            cell.metadata["saliency_lab_status"] = exec_reply["content"]["status"]
            self.ids.update([exec_reply["header"]["session"], exec_reply["parent_header"]["msg_id"], self.kc.session.session])
        return await super()._check_raise_for_error(cell, cell_index, exec_reply)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if cell.cell_type == "code" and cell.metadata.get("saliency_lab_status") != "ok" and self.pause_after_error:
            await asyncio.sleep(self.pause_after_error)
        return cell


path, kernel_name, out = sys.argv[1:4]
nb = nbformat.read(path, as_version=4)
client = RecordingClient(nb, kernel_name=kernel_name, allow_errors=True, timeout=120,
                         resources={"metadata": {"path": os.environ.get("KERNEL_CWD") or os.getcwd()}})
client.pause_after_error = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
client.execute()
nb.metadata["saliency_lab_ids"] = sorted(i for i in client.ids if i)
with open(out, "w") as f:
    json.dump(nb, f)
print("executed", len(nb.cells), "cells on", kernel_name)
