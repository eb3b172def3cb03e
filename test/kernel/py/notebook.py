"""nbclient runs a notebook with failing cells (allow_errors): every later cell runs and has its outputs,
execution counts are recorded, errors are error outputs with a traceback."""
import json
import os
import sys

import nbformat
from nbclient import NotebookClient

path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, kernel_name="saliency-lab", allow_errors=True, timeout=120,
               resources={"metadata": {"path": os.environ.get("KERNEL_CWD") or os.getcwd()}}).execute()
# Written out for the jest side to check: the in-memory notebook as JSON (nbformat.write would split
# multi-line strings into lists).
with open(sys.argv[2], "w") as f:
    json.dump(nb, f)
print("executed", len(nb.cells), "cells")
