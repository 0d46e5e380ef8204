"""Labels for many files at once: the cases and the classifier are made once in this process,
then each file is imported and judged in a forked child of its own (two at a time), so one
file's patches, globals and threads never reach another's labels."""

import multiprocessing
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from . import gd_labels, gd_net, mlp_labels
from .student import install_engine_spy, load_module

REALISTIC = Path(__file__).resolve().parents[1]
FILE_TIMEOUT_S = 300

# Set in the parent before forking; the children read them.
_SUITE: mlp_labels.Suite | None = None
_CLASSIFIER: torch.nn.Module | None = None


@dataclass
class FileLabels:
    name: str
    """Path relative to tests/realistic, e.g. `mlp/c01_plain.py`."""
    labels: dict[str, str]
    seconds: float
    note: str = ""
    """What was measured (gd: the target's probability and the model's distinct inputs)."""


def kind_of(name: str) -> str:
    return name.split("/", 1)[0]


def every_file() -> list[str]:
    return sorted(str(p.relative_to(REALISTIC)) for kind in ("mlp", "gd")
                  for p in (REALISTIC / kind).glob("*.py"))


def _label_in_child(name: str) -> FileLabels:
    started = time.perf_counter()
    torch.set_num_threads(1)
    os.chdir(tempfile.mkdtemp(prefix="oracle-"))  # whatever the file saves lands here
    spy = install_engine_spy()
    items = mlp_labels.ITEMS if kind_of(name) == "mlp" else gd_labels.CHECKS
    try:
        module = load_module(REALISTIC / name, "student_" + Path(name).stem)
    except Exception as error:
        return FileLabels(name, dict.fromkeys(items, "wrong"), time.perf_counter() - started,
                          f"import raised {type(error).__name__}")
    note = ""
    if kind_of(name) == "mlp":
        labels = mlp_labels.MlpLabeler(mlp_labels.Driver(module, spy), _SUITE).labels()
    else:
        labels, note = gd_labels.label_gd(module, _CLASSIFIER)
    return FileLabels(name, labels, time.perf_counter() - started, note)


def label_files(names: list[str], jobs: int = 2) -> list[FileLabels]:
    global _SUITE, _CLASSIFIER
    # One thread per process: two children share the machine's two cores, and a forked child
    # must not inherit a started OpenMP pool.
    torch.set_num_threads(1)
    kinds = {kind_of(n) for n in names}
    if "mlp" in kinds and _SUITE is None:
        _SUITE = mlp_labels.make_suite()
    if "gd" in kinds and _CLASSIFIER is None:
        _CLASSIFIER = gd_net.build_classifier()
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, maxtasksperchild=1) as pool:
        pending = [pool.apply_async(_label_in_child, (n,)) for n in names]
        return [p.get(timeout=FILE_TIMEOUT_S) for p in pending]
