"""A run-time tripwire for autograd, inside the sandbox: it notes each entry into torch's
autograd made while the student's code runs a case (MLP(), forward(), backward(), the losses).

Why: the trusted side's scan (grader/integrity.py) reads the source, so a name built at run
time escapes it: `getattr(torch, 'auto' + 'grad').grad(...)`, `getattr(y, 'back' + 'ward')()`,
`__import__('torch').autograd`, exec of a string. Whatever the spelling, the call ends in one
of the objects wrapped here.

How: install(), before the submission is imported, replaces torch's Python entry points
(ENTRY_POINTS) and the engine object every one of them ends in
(`Variable._execution_engine.run_backward`) with wrappers. Armed, a wrapper notes its own
dotted name and the call under way; disarmed, and always, it passes every argument through
and returns what the original returns: values are the same with or without it, so a policy
that only flags keeps the points. Only the outermost entry of a chain is noted
(`torch.Tensor.backward`, not also `torch.autograd.backward` and the engine under it).

Limits (docs/threat-model.md): the wrappers live in the student's own process, so code that
calls into torch._C directly, or undoes or resets them, is not seen.

Stdlib and torch only: the grader package is not visible in the sandbox.
"""

from __future__ import annotations

import contextlib
import functools
import importlib

# module path -> names wrapped there. torch.func's transforms and torch.autograd.functional
# end in torch.autograd.grad or forward_ad.make_dual anyway; wrapped too so that the note
# names what the student called.
ENTRY_POINTS = {
    "torch.autograd": ("backward", "grad"),
    "torch.autograd.forward_ad": ("make_dual",),
    "torch.autograd.functional": ("jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"),
    "torch.func": ("grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian",
                   "linearize"),
}
ENGINE = "Variable._execution_engine.run_backward"
# Distinct (entry, call) pairs kept per case: a loop calling backward() is one note, and a
# hostile loop over many names cannot grow the record without bound.
MAX_NOTES = 16


class _State:
    """What the wrappers share: the case's call under way while armed, and the notes."""

    def __init__(self):
        self.stage: dict | None = None
        self.depth = 0
        self.notes: list[list[str]] = []


_state = _State()


def install() -> None:
    """Wrap every entry point once (a second call changes nothing)."""
    import torch
    from torch.autograd.variable import Variable

    if getattr(torch.Tensor.backward, "_tripwire", False):
        return
    torch.Tensor.backward = _wrap(torch.Tensor.backward, "torch.Tensor.backward")
    for module_name, names in ENTRY_POINTS.items():
        module = importlib.import_module(module_name)
        for name in names:
            setattr(module, name, _wrap(getattr(module, name), f"{module_name}.{name}"))
    Variable._execution_engine = _Engine(Variable._execution_engine)


@contextlib.contextmanager
def armed(stage: dict):
    """Note autograd entries while the block runs; `stage["call"]` names the call under way
    ("backward()") at the moment of each entry."""
    _state.stage, _state.depth = stage, 0
    try:
        yield
    finally:
        _state.stage = None


def take() -> list[list[str]]:
    """The [entry, call] notes since the last take(), oldest first; clears them."""
    notes, _state.notes = _state.notes, []
    return notes


def _note(entry: str) -> None:
    if _state.stage is None or _state.depth:
        return
    note = [entry, str(_state.stage.get("call", ""))]
    if note not in _state.notes and len(_state.notes) < MAX_NOTES:
        _state.notes.append(note)


def _wrap(function, entry: str):
    @functools.wraps(function)
    def noted(*args, **kwargs):
        _note(entry)
        _state.depth += 1
        try:
            return function(*args, **kwargs)
        finally:
            _state.depth -= 1

    noted._tripwire = True
    return noted


class _Engine:
    """Stands in for torch's autograd engine object: run_backward is noted, the rest
    (queue_callback, is_checkpoint_valid...) goes to the engine unchanged."""

    def __init__(self, engine):
        self.run_backward = _wrap(engine.run_backward, ENGINE)
        self._engine = engine

    def __getattr__(self, name):
        return getattr(self._engine, name)
