"""Finding autograd in a submitted mlp.py by reading its syntax tree (nothing is run).

What counts is a CALL: `torch.autograd.grad(...)`, a torch.func transform, `x.backward()` on a
tensor (Rule in grader/integrity_policy.py), never a mere name or import. Names are resolved
as Python resolves them: a local, loop, parameter or comprehension binding shadows an
import of the same name in its scope; at module level a rebinding shadows it for the code
after it, and for every function, since functions run after the whole module. Constant
spellings are followed too (`getattr(torch, 'autograd')`, `__import__('torch')`,
`importlib.import_module(...)`); names built at run time are the tripwire's
(grader/harness/tripwire.py).

A use is attributed to the unit it sits in (a function, a method `Class.name`, or the name
a module-level assignment binds); a unit's uses count for every entry point that can
reach it through references (calls, dicts of functions, `self.x`, base classes): MLP
(the backward items), mse_loss and bce_loss (their items), and code run at import (both).
A use no entry point reaches (the student's own test code) is not flagged. Code under
`if __name__ == "__main__":` never runs when graded: skipped.

The walk is iterative, so a deeply nested expression cannot exhaust the stack; whatever the
input, the scan returns a result (no findings when the source cannot be read).
"""

from __future__ import annotations

import ast
import builtins
import logging
from collections import deque
from dataclasses import dataclass, field

from grader.integrity_policy import Finding, IntegrityPolicy, Rule
from grader.mlp.items import BACKWARD_ITEMS, ITEMS, LOSS_ITEMS, gradient_items
from grader.report import IntegrityFlag

log = logging.getLogger(__name__)

MODULE = "<module>"
"""The unit of code that runs at import."""
MODEL_CLASS = "MLP"
REASON = "the homework asks for gradients computed by hand, not by torch"
_REASONS = {Rule.TORCH_LOSS: "the course asks for losses computed by hand, not by torch",
            Rule.REQUIRES_GRAD: "the course does not allow requires_grad in mlp.py"}

_AUTOGRAD_FUNCTIONS = {"torch.autograd.grad", "torch.autograd.backward"}
_AUTOGRAD_PREFIXES = ("torch.autograd.functional.", "torch.autograd.forward_ad.")
_TRANSFORM_MODULES = {"torch.func", "functorch", "torch._functorch.apis",
                      "torch._functorch.eager_transforms"}
_TRANSFORMS = {"grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "linearize"}
_LOSSES = {"torch.nn.functional.mse_loss", "torch.nn.functional.binary_cross_entropy",
           "torch.nn.functional.binary_cross_entropy_with_logits",
           "torch.nn.MSELoss", "torch.nn.BCELoss", "torch.nn.BCEWithLogitsLoss",
           "torch.nn.modules.loss.MSELoss", "torch.nn.modules.loss.BCELoss",
           "torch.nn.modules.loss.BCEWithLogitsLoss"}
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass
class Use:
    """One flaggable construct found in the source."""

    rule: Rule
    what: str
    """What it is, for the student ("grad from torch.autograd", "a tensor's .backward()")."""
    line: int
    unit: str
    """The function, method ("MLP.backward") or module-level name it sits in, or <module>."""


def flag_autograd(source: str, policy: IntegrityPolicy) -> tuple[list[IntegrityFlag], dict[str, str]]:
    """The static half of the integrity verdict: flags and {item: why it scores 0}."""
    return policy.apply(scan(source, policy.flag), ITEMS)


def scan(source: str, rules: frozenset[Rule]) -> list[Finding]:
    """Findings of `rules` in `source`, one per line, each with the items it serves."""
    try:
        uses, edges = _find(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # the source check reports unreadable code; nothing to attribute
    except Exception:  # noqa: BLE001 - a scan bug must not cost a grade; the tripwire remains
        log.exception("integrity scan failed")
        return []
    reach = _Reach(edges)
    findings: list[Finding] = []
    flagged_lines: set[int] = set()
    for use in uses:
        if use.rule not in rules or use.line in flagged_lines:
            continue
        items = reach.items(use.unit)
        if use.rule is not Rule.TORCH_LOSS:  # autograd taints gradients, not a hand-made J
            items = gradient_items(items)
        if not items:
            continue  # a helper that grading never reaches (e.g. the student's own test)
        flagged_lines.add(use.line)
        message = f"line {use.line} ({use.unit}) uses {use.what}: {_REASONS.get(use.rule, REASON)}"
        findings.append(Finding(rule=use.rule, message=message, items=items))
    return findings


def _find(source: str) -> tuple[list[Use], dict[str, set[str]]]:
    tree = ast.parse(source)
    first = _Walker(final=None)
    first.walk(tree)  # the module's final bindings: what functions see when they run
    second = _Walker(final=first.module.current)
    second.walk(tree)
    return second.finish()


# -- values and scopes -------------------------------------------------------------------
@dataclass(frozen=True)
class _Path:
    """A name bound to an imported object, by dotted path ("torch.autograd.grad")."""

    path: str


@dataclass(frozen=True)
class _Def:
    """A name bound to a def or class of the module."""

    unit: str
    is_class: bool


_Value = _Path | _Def | None


@dataclass
class _Scope:
    kind: str
    """module, class, function (def and lambda: run later) or comprehension (runs at once)."""
    parent: "_Scope | None"
    local: frozenset[str] = frozenset()
    """Names bound anywhere in a function or comprehension scope: local throughout it."""
    declared_global: frozenset[str] = frozenset()
    current: dict[str, _Value] = field(default_factory=dict)
    """What each name holds at this point of the walk (textual order)."""


@dataclass(frozen=True)
class _Context:
    scope: _Scope
    unit: str
    class_name: str | None = None
    """The class whose methods `self.x` names (inside its methods)."""


class _Walker:
    """One pass over the tree, in textual order, with an explicit stack."""

    def __init__(self, final: dict[str, _Value] | None):
        self.module = _Scope("module", None)
        self.final = final
        self.uses: list[Use] = []
        self.backward_calls: list[Use] = []
        self.edges: dict[str, set[str]] = {}
        self.members: dict[str, set[str]] = {}
        self.bases: dict[str, list[str]] = {}
        self.own_backward = False
        """A class other than MLP defines backward(): `.backward(` may be the student's layers."""
        self.stack: list = []

    def walk(self, tree: ast.Module) -> None:
        context = _Context(self.module, MODULE)
        self._push_all(tree.body, context)
        while self.stack:
            item = self.stack.pop()
            if item[0] == "bind":
                _, name, value, scope = item
                self._bind(name, value, scope)
            else:
                _, node, context = item
                self._visit(node, context)

    def finish(self) -> tuple[list[Use], dict[str, set[str]]]:
        if not self.own_backward:
            self.uses += self.backward_calls
        self.uses.sort(key=lambda use: use.line)
        for cls, members in self.members.items():
            self._edge(cls, *(f"{cls}.{m}" for m in members))
        for cls, bases in self.bases.items():
            for base in bases:
                self._edge(cls, base)
                for member in self.members.get(base, ()):
                    self._edge(f"{cls}.{member}", f"{base}.{member}")
        # A module-level alias (MLP = Net): the alias's members are the target's.
        for name, value in (self.final or {}).items():
            if isinstance(value, _Def) and value.unit != name:
                self._edge(name, value.unit)
                for member in self.members.get(value.unit, ()):
                    self._edge(f"{name}.{member}", f"{value.unit}.{member}")
        return self.uses, self.edges

    # -- the stack ------------------------------------------------------------------------
    def _push(self, node, context: _Context) -> None:
        if node is not None:
            self.stack.append(("visit", node, context))

    def _push_all(self, nodes, context: _Context) -> None:
        for node in reversed(nodes):
            self._push(node, context)

    def _push_bind(self, target: ast.expr, value: ast.expr | None, context: _Context) -> None:
        """Bind the names `target` assigns (push it before the value: the stack runs the
        last pushed first); attribute and subscript targets are visited as reads."""
        if isinstance(target, ast.Name):
            self.stack.append(("bind", target.id, self._value(value, context) if value else None,
                               context.scope))
            return
        targets = [target]
        while targets:  # tuples, lists, starred: their names hold unknown values
            node = targets.pop()
            if isinstance(node, ast.Name):
                self.stack.append(("bind", node.id, None, context.scope))
            elif isinstance(node, (ast.Tuple, ast.List)):
                targets.extend(node.elts)
            elif isinstance(node, ast.Starred):
                targets.append(node.value)
            elif isinstance(node, ast.Subscript):
                self._push_all([node.value, node.slice], context)
            elif isinstance(node, ast.Attribute):
                self._push(node, context)

    def _bind(self, name: str, value: _Value, scope: _Scope) -> None:
        if name in scope.declared_global:
            scope = self.module
        scope.current[name] = value

    def _edge(self, source: str, *targets: str) -> None:
        self.edges.setdefault(source, set()).update(targets)

    # -- names ----------------------------------------------------------------------------
    def _lookup(self, name: str, scope: _Scope) -> tuple[_Value, bool]:
        """What `name` holds where it is read, and whether that is a module-level binding."""
        deferred = False  # read from inside a def: it runs after the whole module
        innermost = True
        while scope.kind != "module":
            if scope.kind == "class":
                if innermost and name in scope.current:
                    return scope.current[name], False
            elif name in scope.declared_global:
                deferred = True
                break
            elif name in scope.local:
                return scope.current.get(name), False
            if scope.kind == "function":
                deferred = True
            innermost = False
            scope = scope.parent
        bindings = self.final if deferred and self.final is not None else self.module.current
        if name in bindings:
            return bindings[name], True
        if self.final is not None and name in self.final or name in self.module.current:
            return None, True  # bound later in the module: not yet here
        return (_Path(f"builtins.{name}") if hasattr(builtins, name) else None), False

    def _value(self, node: ast.expr, context: _Context) -> _Value:
        """What an expression holds when it is a path of names: attribute chains, constant
        getattr(), __import__() and importlib.import_module(); None otherwise."""
        attrs: list[str] = []
        while True:
            if isinstance(node, ast.NamedExpr):
                node = node.value
                continue
            if isinstance(node, ast.Attribute):
                attrs.append(node.attr)
                node = node.value
                continue
            if isinstance(node, ast.Call) and len(node.args) >= 2 and _constant_str(node.args[1]) \
                    and _value_path(self._value(node.func, context)) == "builtins.getattr":
                attrs.append(node.args[1].value)
                node = node.args[0]
                continue
            break
        if isinstance(node, ast.Name):
            base, _ = self._lookup(node.id, context.scope)
        elif isinstance(node, ast.Call) and node.args and _constant_str(node.args[0]):
            module = node.args[0].value
            function = _value_path(self._value(node.func, context))
            if function == "builtins.__import__":
                base = _Path(module if len(node.args) >= 4 or node.keywords else module.split(".")[0])
            elif function == "importlib.import_module":
                base = _Path(module)
            else:
                return None
        else:
            return None
        if not attrs:
            return base
        if isinstance(base, _Path):
            return _Path(".".join([base.path, *reversed(attrs)]))
        return None

    # -- nodes ----------------------------------------------------------------------------
    def _visit(self, node: ast.AST, context: _Context) -> None:
        if isinstance(node, ast.stmt) and context.scope.kind in ("module", "class"):
            context = self._statement_context(node, context)
        handler = getattr(self, f"_visit_{type(node).__name__}", None)
        if handler is not None:
            handler(node, context)
        elif isinstance(node, _COMPREHENSIONS):
            self._visit_comprehension(node, context)
        else:
            self._push_all(list(ast.iter_child_nodes(node)), context)

    def _statement_context(self, node: ast.stmt, context: _Context) -> _Context:
        """Module- and class-level statements: an assignment to one name is that name's
        unit (reached by whoever reads the name); other code runs at import."""
        if context.scope.kind == "class" and not context.class_name:
            return context  # a class inside a function: its body is part of that function
        prefix = f"{context.class_name}." if context.scope.kind == "class" else ""
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if not names or len(names) != len(targets):
            return _Context(context.scope, MODULE, context.class_name)
        for other in names[1:]:
            self._edge(prefix + other, prefix + names[0])
        return _Context(context.scope, prefix + names[0], context.class_name)

    def _visit_If(self, node: ast.If, context: _Context) -> None:
        if _is_main_guard(node.test):
            self._push_all(node.orelse, context)
            return
        self._push_all([node.test, *node.body, *node.orelse], context)

    def _visit_FunctionDef(self, node, context: _Context) -> None:
        scope = context.scope
        if scope.kind == "module":
            unit, value, class_name = node.name, _Def(node.name, False), None
        elif scope.kind == "class" and context.class_name:
            unit, value, class_name = f"{context.class_name}.{node.name}", None, context.class_name
            self.members.setdefault(context.class_name, set()).add(node.name)
        else:  # nested in a function (or in a class inside one): part of that function
            unit, value, class_name = context.unit, None, context.class_name
        local, declared = _function_locals(node.body, node.args)
        inner = _Context(_Scope("function", scope, local, declared), unit, class_name)
        # Pushed in reverse: decorators and defaults (part of the def's unit: they serve it),
        # the name, the body.
        self._push_all(node.body, inner)
        self.stack.append(("bind", node.name, value, scope))
        self._push_all([*node.decorator_list, *node.args.defaults,
                        *(d for d in node.args.kw_defaults if d is not None)],
                       _Context(scope, unit, context.class_name))

    _visit_AsyncFunctionDef = _visit_FunctionDef

    def _visit_Lambda(self, node: ast.Lambda, context: _Context) -> None:
        local, declared = _function_locals([], node.args)
        self._push(node.body, _Context(_Scope("function", context.scope, local, declared),
                                       context.unit, context.class_name))
        self._push_all([*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)],
                       context)

    def _visit_ClassDef(self, node: ast.ClassDef, context: _Context) -> None:
        scope = context.scope
        if scope.kind == "module":
            name, value = node.name, _Def(node.name, True)
        elif scope.kind == "class" and context.class_name:
            name, value = f"{context.class_name}.{node.name}", None
            self.members.setdefault(context.class_name, set()).add(node.name)
        else:  # a class inside a function is part of that function: no name of its own
            name, value = None, None
        if node.name != MODEL_CLASS and any(isinstance(item, _DEFS) and item.name == "backward"
                                            for item in node.body):
            self.own_backward = True
        if name:
            self.members.setdefault(name, set())
            bases = [self._value(base, context) for base in node.bases]
            self.bases[name] = [base.unit for base in bases if isinstance(base, _Def) and base.is_class]
        self._push_all(node.body, _Context(_Scope("class", scope), context.unit, name))
        self.stack.append(("bind", node.name, value, scope))
        self._push_all([*node.decorator_list, *node.bases, *(k.value for k in node.keywords)],
                       _Context(scope, name or context.unit, context.class_name))

    def _visit_comprehension(self, node, context: _Context) -> None:
        local = frozenset(n.id for g in node.generators for n in ast.walk(g.target)
                          if isinstance(n, ast.Name))
        inner = _Context(_Scope("comprehension", context.scope, local), context.unit, context.class_name)
        results = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        self._push_all(results, inner)
        for index, generator in reversed(list(enumerate(node.generators))):
            self._push_all(generator.ifs, inner)
            self._push_bind(generator.target, None, inner)
            self._push(generator.iter, context if index == 0 else inner)

    def _visit_Assign(self, node: ast.Assign, context: _Context) -> None:
        for target in reversed(node.targets):
            self._check_requires_grad_assignment(target, node.value, context)
            self._push_bind(target, node.value, context)
        self._push(node.value, context)

    def _visit_AnnAssign(self, node: ast.AnnAssign, context: _Context) -> None:
        if node.value is None:
            return
        self._check_requires_grad_assignment(node.target, node.value, context)
        self._push_bind(node.target, node.value, context)
        self._push(node.value, context)

    def _visit_AugAssign(self, node: ast.AugAssign, context: _Context) -> None:
        self._push_bind(node.target, None, context)
        self._push(node.value, context)

    def _visit_NamedExpr(self, node: ast.NamedExpr, context: _Context) -> None:
        scope = context.scope
        while scope.kind == "comprehension":
            scope = scope.parent
        self._push_bind(node.target, node.value, _Context(scope, context.unit, context.class_name))
        self._push(node.value, context)

    def _visit_For(self, node, context: _Context) -> None:
        self._push_all([*node.body, *node.orelse], context)
        self._push_bind(node.target, None, context)
        self._push(node.iter, context)

    _visit_AsyncFor = _visit_For

    def _visit_With(self, node, context: _Context) -> None:
        self._push_all(node.body, context)
        for item in reversed(node.items):
            if item.optional_vars is not None:
                self._push_bind(item.optional_vars, None, context)
            self._push(item.context_expr, context)

    _visit_AsyncWith = _visit_With

    def _visit_ExceptHandler(self, node: ast.ExceptHandler, context: _Context) -> None:
        self._push_all(node.body, context)
        if node.name:
            self.stack.append(("bind", node.name, None, context.scope))
        self._push(node.type, context)

    def _visit_Import(self, node: ast.Import, context: _Context) -> None:
        for alias in node.names:
            if alias.asname:
                self._bind(alias.asname, _Path(alias.name), context.scope)
            else:
                top = alias.name.split(".")[0]
                self._bind(top, _Path(top), context.scope)

    def _visit_ImportFrom(self, node: ast.ImportFrom, context: _Context) -> None:
        for alias in node.names:
            if alias.name == "*":
                continue
            value = _Path(f"{node.module}.{alias.name}") if node.module and not node.level else None
            self._bind(alias.asname or alias.name, value, context.scope)

    def _visit_Delete(self, node: ast.Delete, context: _Context) -> None:
        for target in node.targets:
            self._push_bind(target, None, context)

    def _visit_MatchAs(self, node, context: _Context) -> None:
        if node.name:
            self.stack.append(("bind", node.name, None, context.scope))
        self._push(node.pattern, context)

    def _visit_MatchStar(self, node, context: _Context) -> None:
        if node.name:
            self.stack.append(("bind", node.name, None, context.scope))

    def _visit_MatchMapping(self, node, context: _Context) -> None:
        if node.rest:
            self.stack.append(("bind", node.rest, None, context.scope))
        self._push_all([*node.keys, *node.patterns], context)

    def _visit_Name(self, node: ast.Name, context: _Context) -> None:
        if isinstance(node.ctx, ast.Load):
            _, module_level = self._lookup(node.id, context.scope)
            if module_level:
                self._edge(context.unit, node.id)
            elif context.scope.kind == "class" and node.id in context.scope.current:
                self._edge(context.unit, f"{context.class_name}.{node.id}")

    def _visit_Attribute(self, node: ast.Attribute, context: _Context) -> None:
        if (isinstance(node.value, ast.Name) and node.value.id == "self" and context.class_name
                and isinstance(node.ctx, ast.Load)):
            self._edge(context.unit, f"{context.class_name}.{node.attr}")
        self._push(node.value, context)

    def _visit_Call(self, node: ast.Call, context: _Context) -> None:
        path = _value_path(self._value(node.func, context))
        line, unit = node.lineno, context.unit
        if path:
            rule = _rule_of(path)
            if rule is not None:
                module, _, name = path.rpartition(".")
                self.uses.append(Use(rule, f"{name} from {module}", line, unit))
        receiver, method = self._method_called(node, context)
        if receiver is not None and not _is_own_object(receiver) and path is None:
            if method == "backward":
                self.backward_calls.append(Use(Rule.TENSOR_BACKWARD, "a tensor's .backward()", line, unit))
            elif method == "requires_grad_" and not (node.args and _is_false(node.args[0])):
                self.uses.append(Use(Rule.REQUIRES_GRAD, "requires_grad_()", line, unit))
        for keyword in node.keywords:
            if keyword.arg == "requires_grad" and not _is_false(keyword.value):
                self.uses.append(Use(Rule.REQUIRES_GRAD, "requires_grad=", line, unit))
        self._push_all([node.func, *node.args, *(k.value for k in node.keywords)], context)

    def _method_called(self, call: ast.Call, context: _Context) -> tuple[ast.expr | None, str]:
        """`x.name(...)` or `getattr(x, "name")(...)`: (x, name); else (None, "")."""
        func = call.func
        if isinstance(func, ast.Attribute):
            return func.value, func.attr
        if (isinstance(func, ast.Call) and len(func.args) >= 2 and _constant_str(func.args[1])
                and _value_path(self._value(func.func, context)) == "builtins.getattr"):
            return func.args[0], func.args[1].value
        return None, ""

    def _check_requires_grad_assignment(self, target: ast.expr, value: ast.expr, context: _Context) -> None:
        if isinstance(target, ast.Attribute) and target.attr == "requires_grad" and not _is_false(value):
            self.uses.append(Use(Rule.REQUIRES_GRAD, ".requires_grad = ...", target.lineno, context.unit))


def _rule_of(path: str) -> Rule | None:
    if path == "torch.Tensor.backward":
        return Rule.TENSOR_BACKWARD
    if path == "torch.Tensor.requires_grad_":
        return Rule.REQUIRES_GRAD
    module, _, name = path.rpartition(".")
    if (path in _AUTOGRAD_FUNCTIONS or path.startswith(_AUTOGRAD_PREFIXES)
            or (module in _TRANSFORM_MODULES and name in _TRANSFORMS)):
        return Rule.AUTOGRAD_CALL
    if path in _LOSSES:
        return Rule.TORCH_LOSS
    return None


def _value_path(value: _Value) -> str | None:
    return value.path if isinstance(value, _Path) else None


def _function_locals(body: list[ast.stmt], args: ast.arguments) -> tuple[frozenset[str], frozenset[str]]:
    """Names bound in a function's own scope (not in nested defs, classes, lambdas or
    comprehensions, walrus targets excepted) but not declared global or nonlocal, and the
    names it declares global."""
    bound = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
             if a is not None}
    declared_global: set[str] = set()
    declared_nonlocal: set[str] = set()
    queue = deque(body)
    while queue:
        node = queue.popleft()
        if isinstance(node, (*_DEFS, ast.ClassDef)):
            bound.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, _COMPREHENSIONS):
            bound.update(n.target.id for n in ast.walk(node)
                         if isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name))
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        elif isinstance(node, ast.Global):
            declared_global.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            declared_nonlocal.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
        queue.extend(ast.iter_child_nodes(node))
    return frozenset(bound - declared_global - declared_nonlocal), frozenset(declared_global)


def _is_main_guard(test: ast.expr) -> bool:
    """`__name__ == "__main__"`, either way round."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
            and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides))


def _is_own_object(node: ast.expr) -> bool:
    """`self.backward(...)` or `super().backward(...)`: the student's own method."""
    return ((isinstance(node, ast.Name) and node.id == "self")
            or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"))


def _is_false(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _constant_str(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


class _Reach:
    """Which entry points reach each unit, following references backwards."""

    def __init__(self, edges: dict[str, set[str]]):
        self.callers: dict[str, set[str]] = {}
        for source, targets in edges.items():
            for target in targets:
                self.callers.setdefault(target, set()).add(source)

    def items(self, unit: str) -> tuple[str, ...]:
        """The items whose code `unit` is part of, in report order."""
        seen, queue = {unit}, deque([unit])
        while queue:
            for caller in self.callers.get(queue.popleft(), ()):
                if caller not in seen:
                    seen.add(caller)
                    queue.append(caller)
        items: set[str] = set()
        for entry in seen:
            if entry == MODEL_CLASS or entry.startswith(MODEL_CLASS + ".") or entry == MODULE:
                items.update(BACKWARD_ITEMS)
            for loss, loss_items in LOSS_ITEMS.items():
                if entry in (loss, MODULE):
                    items.update(loss_items)
        return tuple(item for item in ITEMS if item in items)
