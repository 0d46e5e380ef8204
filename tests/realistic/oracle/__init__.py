"""An oracle for the realistic submissions, written apart from the grader: it imports nothing
from grader/ or app/ (torch, numpy and the standard library only) and takes its truth from
torch autograd (mlp.py) and from its own classifier (gd.py).

`python -m tests.realistic.oracle --write` labels every file and writes labels.json.
"""

from .runner import FileLabels, every_file, label_files

__all__ = ["FileLabels", "every_file", "label_files"]
