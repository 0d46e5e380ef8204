"""What each realistic file was written to test, from its header: `# style: ...` says how it is
written, `# wrong: <items>` (or `# wrong: none`) which items its author meant to be wrong."""

import re
from pathlib import Path

_WRONG = re.compile(r"^# wrong:(.*)$", re.MULTILINE)


def intended_labels(path: Path, items: tuple[str, ...]) -> dict[str, str]:
    match = _WRONG.search(path.read_text())
    if match is None:
        raise ValueError(f"{path}: no '# wrong:' line")
    wrong = {w.strip() for w in match.group(1).split(",") if w.strip() not in ("", "none")}
    unknown = wrong - set(items)
    if unknown:
        raise ValueError(f"{path}: unknown items {sorted(unknown)}")
    return {item: "wrong" if item in wrong else "correct" for item in items}


def style(path: Path) -> str:
    for line in path.read_text().splitlines():
        if line.startswith("# style:"):
            return line[len("# style:"):].strip()
    return ""
