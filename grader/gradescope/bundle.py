"""The Gradescope autograder zip: everything Gradescope's image build and run need, at the
root of the archive as its specification asks (setup.sh and run_autograder there).

    setup.sh, run_autograder      bundle_files/: install the environment; grade one submission
    requirements.txt              the grading packages of pyproject.toml's `server` extra
    grader/                       the grader's source (never app/: the service stays home)
    hidden_tests/<name>.toml      the assignment file
    <[mlp] reference>             the instructor's mlp.py, for expected values
    <[gd] classifier>             the classifier's weights (checked against their sha256)

The grader finds its assignment file and reference next to grader/ (REPO_ROOT), so the
bundle keeps the checkout's layout. Built from a checkout: hidden_tests/ and reference/
are not part of the installed package.
"""

from __future__ import annotations

import re
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import Assignment, load_assignment
from grader.errors import AssignmentError
from grader.gradescope.settings import GradescopeSettings
from grader.mlp.items import ITEMS

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLE_FILES = Path(__file__).resolve().parent / "bundle_files"
GRADING_PACKAGES = ("torch", "torchvision", "numpy", "opencv-python-headless", "tqdm", "scipy",
                    "matplotlib", "pillow")
"""What grading imports (the grader, the harnesses and students' gd.py); the service's
packages (FastAPI, Celery, SQLAlchemy...) are left out."""
ZIP_DATE = (2026, 1, 1, 0, 0, 0)
"""Every entry's timestamp: the same checkout gives the same bytes."""
_REQUIREMENT_NAME = re.compile(r"^([A-Za-z0-9_.-]+)")


@dataclass(frozen=True)
class BundleEntry:
    """One file of the zip."""

    name: str
    """Path inside the archive, relative to its root (/autograder/source on Gradescope)."""
    data: bytes
    executable: bool = False


def bundle_entries(assignment: str = "hw1", repo_root: Path = REPO_ROOT) -> list[BundleEntry]:
    """The bundle's files for `assignment`, checked: AssignmentError if it is unusable."""
    spec = load_assignment(assignment, repo_root / "hidden_tests")
    check_test_names(GradescopeSettings.from_table(spec.gradescope), spec)
    entries = [
        BundleEntry("setup.sh", (BUNDLE_FILES / "setup.sh").read_bytes(), executable=True),
        BundleEntry("run_autograder", (BUNDLE_FILES / "run_autograder").read_bytes(),
                    executable=True),
        BundleEntry("requirements.txt", requirements(repo_root / "pyproject.toml").encode()),
    ]
    for path in sorted((repo_root / "grader").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            entries.append(BundleEntry(path.relative_to(repo_root).as_posix(), path.read_bytes(),
                                       executable=path.parent == BUNDLE_FILES))
    for relative in (f"hidden_tests/{assignment}.toml", spec.mlp.reference,
                     spec.gd.classifier.relative_to(REPO_ROOT).as_posix()):
        entries.append(BundleEntry(relative, (repo_root / relative).read_bytes()))
    return entries


def check_test_names(settings: GradescopeSettings, spec: Assignment) -> None:
    """Every item [gradescope.tests] names exists: a typo would silently show a test that
    was meant to stay hidden."""
    known = {f"mlp.{item}" for item in ITEMS} | {f"gd.{name}" for name in spec.gd.checks}
    unknown = sorted(set(settings.tests) - known)
    if unknown:
        raise AssignmentError(f"[gradescope.tests] names no such item: {', '.join(unknown)} "
                              f"(items: {', '.join(sorted(known))})")


def requirements(pyproject: Path) -> str:
    """requirements.txt: the `server` extra's lines for the packages grading imports."""
    with open(pyproject, "rb") as handle:
        server = tomllib.load(handle)["project"]["optional-dependencies"]["server"]
    wanted = {}
    for line in server:
        match = _REQUIREMENT_NAME.match(line)
        if match and match.group(1).lower() in GRADING_PACKAGES:
            wanted[match.group(1).lower()] = line
    missing = [name for name in GRADING_PACKAGES if name not in wanted]
    if missing:
        raise AssignmentError(f"pyproject.toml's server extra lacks {', '.join(missing)}")
    return "".join(f"{wanted[name]}\n" for name in GRADING_PACKAGES)


def write_bundle(path: Path, entries: list[BundleEntry]) -> None:
    """The zip, files at its root, scripts executable."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100755 if entry.executable else 0o100644) << 16
            archive.writestr(info, entry.data)
