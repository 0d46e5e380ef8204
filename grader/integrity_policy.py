"""The integrity policy of an assignment ([integrity] in hidden_tests/<name>.toml): which
uses of autograd are flagged, and which items a flag scores 0.

The homework asks for gradients written by hand. What breaks that rule is a course's
decision, not the grader's: hw1 flags gradients obtained from autograd (a tensor's
.backward(), torch.autograd.grad, torch.func transforms, autograd seen at run time) and
lets torch's losses compute a loss's value. Read once into a typed, validated object; a
missing or mistyped key is an error of the installation (AssignmentError), raised when the
assignment file is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from grader.errors import AssignmentError
from grader.report import IntegrityFlag


class Rule(str, Enum):
    """What can be flagged; the values are the names [integrity] flag lists."""

    TENSOR_BACKWARD = "tensor_backward"
    """`x.backward()` on a tensor (not the student's own layer objects' backward())."""
    AUTOGRAD_CALL = "autograd_call"
    """A call of torch.autograd.grad/backward/functional.*, forward-mode AD, a torch.func
    or functorch transform (grad, vjp, jvp, jacrev, jacfwd, hessian, linearize)."""
    AUTOGRAD_AT_RUN_TIME = "autograd_at_run_time"
    """The sandbox's tripwire (grader/harness/tripwire.py) saw autograd run during a case,
    however the source spelled it."""
    REQUIRES_GRAD = "requires_grad"
    """Turning requires_grad on (keyword, attribute or requires_grad_()), gradients used or not."""
    TORCH_LOSS = "torch_loss"
    """A call of torch's MSE or BCE loss (F.mse_loss, nn.BCELoss()...), even for the value."""


class ZeroScope(str, Enum):
    """Which items a flag scores 0; the values are what [integrity] zero accepts."""

    FUNCTION = "function"
    """The items whose code uses it: MLP's methods -> the backward items of the layers
    whose cases the tripwire saw run it (every backward item if it saw none), mse_loss or
    bce_loss -> that loss's gradient item (autograd) or value item (torch_loss), module-level
    code -> all of these; helpers count for the functions that reach them."""
    FILE = "file"
    """Every item of mlp.py."""
    NONE = "none"
    """None: the flag is shown, the points are kept."""


@dataclass(frozen=True)
class Finding:
    """One use the policy flags, before the policy decides what it costs."""

    rule: Rule
    message: str
    """For the student: where and what, and why it breaks the rule."""
    items: tuple[str, ...]
    """The items whose code it serves (what ZeroScope.FUNCTION zeroes)."""


FLAG_CODES = {Rule.AUTOGRAD_AT_RUN_TIME: "uses_autograd_at_run_time", Rule.TORCH_LOSS: "uses_torch_loss"}
"""Report codes of the flags; every other rule is `uses_autograd`."""


@dataclass(frozen=True)
class IntegrityPolicy:
    """The [integrity] table, typed."""

    flag: frozenset[Rule]
    zero: ZeroScope

    @classmethod
    def from_table(cls, table: object) -> "IntegrityPolicy":
        """Typed policy from the raw [integrity] table; AssignmentError says what is wrong."""
        if not isinstance(table, dict):
            raise AssignmentError("the assignment file has no [integrity] table "
                                  "(keys: flag, a list of rules; zero, what a flag scores 0)")
        if set(table) != {"flag", "zero"}:
            raise AssignmentError(f"[integrity] keys must be exactly ['flag', 'zero'], not {sorted(table)}")
        rules, zero = table["flag"], table["zero"]
        known_rules = [rule.value for rule in Rule]
        if not (isinstance(rules, list) and all(isinstance(rule, str) for rule in rules)):
            raise AssignmentError(f"[integrity] flag must be a list of rule names from {known_rules}, "
                                  f"not {rules!r}")
        unknown = [rule for rule in rules if rule not in known_rules]
        if unknown or len(set(rules)) != len(rules):
            raise AssignmentError(f"[integrity] flag has unknown or repeated rules {unknown or rules}: "
                                  f"each at most once, from {known_rules}")
        scopes = [scope.value for scope in ZeroScope]
        if zero not in scopes:
            raise AssignmentError(f"[integrity] zero must be one of {scopes}, not {zero!r}")
        return cls(flag=frozenset(Rule(rule) for rule in rules), zero=ZeroScope(zero))

    def apply(self, findings: list[Finding], all_items: tuple[str, ...]) -> tuple[list[IntegrityFlag], dict[str, str]]:
        """The report's flags and {item: why it scores 0} for the findings this policy flags."""
        flags: list[IntegrityFlag] = []
        zeroed: dict[str, str] = {}
        for finding in findings:
            if finding.rule not in self.flag:
                continue
            flags.append(IntegrityFlag(code=FLAG_CODES.get(finding.rule, "uses_autograd"),
                                       message=finding.message))
            items = {ZeroScope.FUNCTION: finding.items, ZeroScope.FILE: all_items,
                     ZeroScope.NONE: ()}[self.zero]
            for item in items:
                zeroed.setdefault(item, finding.message)
        return flags, zeroed
