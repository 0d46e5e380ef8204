"""Running a student's file as the oracle needs it: a fresh module, CUDA calls kept on the CPU,
every use of the autograd engine counted, the file's prints kept out of the oracle's output.

The oracle runs each file in a forked child (see `runner.py`), so whatever the file patches or
leaves behind dies with the child.
"""

import contextlib
import importlib.util
import os
import re
import sys
from pathlib import Path

import torch
from torch.autograd.variable import Variable
from torch.overrides import TorchFunctionMode

_CUDA_DEVICE = re.compile(r"^cuda(:\d+)?$")


def _on_cpu(value):
    if isinstance(value, str) and _CUDA_DEVICE.match(value):
        return "cpu"
    if isinstance(value, torch.device) and value.type == "cuda":
        return torch.device("cpu")
    return value


class CudaOnCpu(TorchFunctionMode):
    """Maps `.cuda()`, `device="cuda"` and `.to("cuda")` to the CPU: students wrote GPU code,
    the grade is about the maths, and this machine has no GPU."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func is torch.Tensor.cuda:
            return args[0]
        args = tuple(_on_cpu(a) for a in args)
        kwargs = {k: _on_cpu(v) for k, v in (kwargs or {}).items()}
        return func(*args, **kwargs)


class EngineSpy:
    """Stands in for the autograd engine and counts its runs: `.backward()`,
    `torch.autograd.grad`, `torch.func.grad` and `getattr(torch, 'auto' + 'grad')` all end
    here, however the name was spelled in the source."""

    def __init__(self, engine):
        self._engine = engine
        self.runs = 0

    def run_backward(self, *args, **kwargs):
        self.runs += 1
        return self._engine.run_backward(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._engine, name)


def install_engine_spy() -> EngineSpy:
    """Put the spy in place before the student's module is imported (a child process only)."""
    spy = EngineSpy(Variable._execution_engine)
    Variable._execution_engine = spy
    return spy


@contextlib.contextmanager
def silenced():
    """Send the student's prints and progress bars (fd 1 and 2) to /dev/null."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
        try:
            with contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
                yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def load_module(path: Path, name: str):
    """Import `path` as a new module named `name` (never run as __main__), CUDA on the CPU."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    with silenced(), CudaOnCpu():
        spec.loader.exec_module(module)
    return module
