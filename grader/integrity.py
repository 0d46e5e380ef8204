"""Finding autograd in a submitted mlp.py, by reading its syntax tree (nothing is run).

The homework asks for hand-written backward passes; `.backward(`, `torch.autograd`,
`requires_grad` and torch's ready-made losses compute gradients for the student. A use is
attributed to the function it sits in; a helper's uses go to every function that calls
it (transitively). Code under `if __name__ == "__main__":` never runs when graded: skipped.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from grader.mlp.items import BACKWARD_ITEMS, LOSS_ITEMS
from grader.report import IntegrityFlag

_LOSS_NAMES = {"mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
               "MSELoss", "BCELoss", "BCEWithLogitsLoss"}
_GRAD_ATTRS = {"requires_grad", "requires_grad_", "autograd", "enable_grad", "grad", "vjp",
               "jacobian", "functional_call"}


@dataclass
class Use:
    """One forbidden construct found in the source."""

    what: str
    line: int
    function: str
    """Qualified name of the enclosing function ("MLP.backward", "mse_loss", "<module>")."""


def find_autograd(source: str) -> list[Use]:
    """Every use of autograd or a torch loss in `source`, with its enclosing function."""
    tree = ast.parse(source)
    finder = _Finder()
    finder.visit(tree)
    return finder.uses


def flag_autograd(source: str) -> tuple[list[IntegrityFlag], dict[str, str]]:
    """Integrity flags and {item: why it scores 0} for mlp.py."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return [], {}
    finder = _Finder()
    finder.visit(tree)
    reach = _callers_closure(finder.calls)
    zeroed: dict[str, str] = {}
    flags = []
    for use in finder.uses:
        roots = reach.get(use.function, {use.function})
        items = _items_of(roots)
        if not items:
            continue  # a helper that grading never reaches (e.g. the student's own test)
        why = (f"line {use.line} ({use.function}) uses {use.what}: the homework asks for "
               "gradients computed by hand, not by torch")
        flags.append(IntegrityFlag(code="uses_autograd", message=why))
        for item in items:
            zeroed.setdefault(item, why)
    return flags, zeroed


def _items_of(functions: set[str]) -> list[str]:
    items: list[str] = []
    for function in functions:
        if function.startswith("MLP.") or function == "<module>":
            items += BACKWARD_ITEMS
        for loss, loss_items in LOSS_ITEMS.items():
            if function == loss or function == "<module>":
                items += loss_items
    return sorted(set(items))


def _callers_closure(calls: dict[str, set[str]]) -> dict[str, set[str]]:
    """For each function: the top-level entry points (MLP methods, losses) that reach it."""
    callers: dict[str, set[str]] = {}
    for caller, callees in calls.items():
        for callee in callees:
            callers.setdefault(callee, set()).add(caller)
    result = {}
    for function in set(calls) | set(callers):
        seen, stack = set(), [function]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(callers.get(current, ()))
        entry = {f for f in seen if f.startswith("MLP.") or f in LOSS_ITEMS or f == "<module>"}
        result[function] = entry or {function}
    return result


class _Finder(ast.NodeVisitor):
    def __init__(self):
        self.uses: list[Use] = []
        self.calls: dict[str, set[str]] = {}
        self._scope: list[str] = []
        self._imported: dict[str, tuple[str, int]] = {}  # alias -> (what, line of import)
        self._defined: dict[str, int] = {}  # top-level def name -> line
        self._backward_calls: list[Use] = []
        self._helper_backward = False  # a class other than MLP defines backward()

    @property
    def _function(self) -> str:
        return ".".join(self._scope) if self._scope else "<module>"

    def visit_Module(self, node: ast.Module) -> None:
        for child in node.body:
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self._defined[child.name] = child.lineno
        self.generic_visit(node)
        # `.backward(` is a student's own layer method when some helper class defines one.
        if not self._helper_backward:
            for use in self._backward_calls:
                self._use(use.what, use.line, use.function)

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
                and test.left.id == "__name__"):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if node.name != "MLP" and any(isinstance(item, ast.FunctionDef) and item.name == "backward"
                                      for item in node.body):
            self._helper_backward = True
        self._scope.append(node.name)
        self.generic_visit(node)
        self._scope.pop()

    def visit_FunctionDef(self, node) -> None:
        self._scope.append(node.name)
        self.calls.setdefault(self._function, set())
        self.generic_visit(node)
        self._scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            self.calls.setdefault(self._function, set()).add(func.id)
        elif isinstance(func, ast.Attribute):
            receiver = func.value
            if isinstance(receiver, ast.Name) and receiver.id == "self" and self._scope:
                self.calls.setdefault(self._function, set()).add(f"{self._scope[0]}.{func.attr}")
            elif func.attr == "backward":
                self._backward_calls.append(Use("a tensor's .backward()", node.lineno, self._function))
        for keyword in node.keywords:
            if keyword.arg == "requires_grad":
                self._use("requires_grad", node.lineno)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        on_self = isinstance(node.value, ast.Name) and node.value.id == "self"
        if node.attr in _GRAD_ATTRS and _mentions_torch_or_tensor(node):
            self._use("requires_grad" if node.attr.startswith("requires_grad") else f"torch's {node.attr}",
                      node.lineno)
        elif node.attr in _LOSS_NAMES and not on_self:
            self._use(f"torch's {node.attr}", node.lineno)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        imported = self._imported.get(node.id)
        if imported and isinstance(node.ctx, ast.Load):
            what, import_line = imported
            if self._defined.get(node.id, -1) < import_line:  # not shadowed by a later def
                self._use(what, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        forbidden_module = module.startswith(("torch.autograd", "torch.func", "functorch"))
        for alias in node.names:
            if forbidden_module or (module.startswith("torch") and alias.name in _LOSS_NAMES):
                self._imported[alias.asname or alias.name] = (f"{alias.name} from {module}", node.lineno)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.startswith(("torch.autograd", "torch.func", "functorch")) and alias.asname:
                self._imported[alias.asname] = (alias.name, node.lineno)

    def _use(self, what: str, line: int, function: str | None = None) -> None:
        if not any(use.line == line for use in self.uses):  # one flag per line
            self.uses.append(Use(what=what, line=line, function=function or self._function))


def _mentions_torch_or_tensor(node: ast.Attribute) -> bool:
    """`x.requires_grad` on anything; `grad`, `vjp`... only on torch/autograd/func names."""
    if node.attr in {"requires_grad", "requires_grad_", "autograd", "enable_grad"}:
        return True
    value = node.value
    while isinstance(value, ast.Attribute):
        if value.attr in {"autograd", "func"}:
            return True
        value = value.value
    return isinstance(value, ast.Name) and value.id in {"autograd", "functorch"}
