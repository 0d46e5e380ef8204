"""Fixtures of the Gradescope bundle tests: the bundle built by the real CLI, unpacked into a
directory tree with Gradescope's paths under a temporary root (AUTOGRADER_GRADESCOPE_ROOT
stands for /autograder), setup.sh run, and run_autograder run as Gradescope runs it.

What is exercised and what is not: setup.sh runs with AUTOGRADER_SETUP_OFFLINE=1 on a venv
made here from the system's Python, whose site-packages are hard links to this checkout's
.venv (no internet on the test machines): its apt-get and pip steps are not run; its chmod of
the source and its import check are. run_autograder and everything after it run for real:
the grader imported from the unpacked bundle (never from the checkout), the sandbox, the
fallback isolation, results.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from grader.sandbox.stale import remove_stale_jobs
from grader.sandbox.workdir import reachable_by
from tests.support.paths import REPO_ROOT

STRANGER_UID = 2**31 - 2
"""A uid that owns nothing: what a sandbox job's uid can reach, this one can."""
RUN_TIMEOUT_S = 300


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "gradescope_tree" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.sandbox)
            item.add_marker(pytest.mark.slow)


@dataclass
class Run:
    """One run_autograder run."""

    returncode: int
    stdout: str
    results: dict | None
    """results.json, or None when run_autograder wrote none."""


@dataclass
class GradescopeTree:
    """The bundle unpacked as Gradescope unpacks it, under `root` (/autograder)."""

    root: Path
    venv: Path
    jobs_dir: Path
    """AUTOGRADER_SANDBOX_DIR of the runs: the jobs' work dirs, ours alone to inspect."""
    bundle: Path

    @property
    def source(self) -> Path:
        return self.root / "source"

    def env(self, **extra: str) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
               "AUTOGRADER_GRADESCOPE_ROOT": str(self.root), "AUTOGRADER_VENV": str(self.venv),
               "AUTOGRADER_SANDBOX_DIR": str(self.jobs_dir)}
        env.update(extra)
        return env

    def run_autograder(self, files: dict[str, bytes], isolation: str = "auto",
                       **extra_env: str) -> Run:
        """Put `files` in submission/ (nothing else), run /autograder/run_autograder."""
        for directory in ("submission", "results"):
            shutil.rmtree(self.root / directory, ignore_errors=True)
            (self.root / directory).mkdir()
        for name, data in files.items():
            (self.root / "submission" / name).write_bytes(data)
        completed = subprocess.run(
            [str(self.root / "run_autograder")], cwd="/", capture_output=True, text=True,
            timeout=RUN_TIMEOUT_S,
            env=self.env(AUTOGRADER_GRADESCOPE_ISOLATION=isolation, **extra_env))
        path = self.root / "results" / "results.json"
        results = json.loads(path.read_text()) if path.exists() else None
        return Run(completed.returncode, completed.stdout + completed.stderr, results)


def _system_python() -> Path:
    """A Python of this venv's version that any uid can run (the job's uid runs it under the
    fallback isolation; pyenv's lives under /root, mode 0700)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (Path(sys.base_prefix) / "bin" / version, Path("/usr/bin") / version):
        if candidate.exists() and reachable_by(candidate, STRANGER_UID):
            return candidate
    pytest.fail(f"no {version} reachable by other uids (tried {sys.base_prefix}/bin and "
                "/usr/bin): the fallback isolation runs students' code as another uid",
                pytrace=False)


def _make_venv(venv: Path) -> None:
    """A venv of the system's Python holding this checkout's packages as hard links (the
    same bytes, no download), minus the editable install of the checkout itself: the grader
    must come from the bundle."""
    subprocess.run([str(_system_python()), "-m", "venv", "--without-pip", str(venv)], check=True)
    ours = Path(sysconfig.get_paths()["purelib"])
    theirs = venv / ours.relative_to(sys.prefix)
    subprocess.run(["cp", "-al", f"{ours}/.", f"{theirs}/"], check=True)
    for leftover in list(theirs.glob("__editable__*")) + list(theirs.glob("autograder-*.dist-info")):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()


@pytest.fixture(scope="session")
def gradescope_tree() -> Iterator[GradescopeTree]:
    """The bundle from `autograder export gradescope`, unpacked, setup.sh run (offline)."""
    # In /tmp itself, not pytest's 0700 tmp dir: the job's uid must reach the venv.
    base = Path(tempfile.mkdtemp(prefix="autograder-gradescope-", dir="/tmp"))
    base.chmod(0o755)
    try:
        bundle = base / "autograder.zip"
        subprocess.run([sys.executable, "-m", "app.cli", "export", "gradescope", "-o", str(bundle)],
                       cwd=REPO_ROOT, check=True, capture_output=True, timeout=60)
        root = base / "autograder"
        (root / "source").mkdir(parents=True)
        with zipfile.ZipFile(bundle) as archive:
            for info in archive.infolist():
                archive.extract(info, root / "source")
                # zipfile drops the mode bits; Gradescope's unzip keeps them.
                (root / "source" / info.filename).chmod((info.external_attr >> 16) & 0o777)
        shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
        tree = GradescopeTree(root=root, venv=base / "venv", jobs_dir=base / "jobs",
                              bundle=bundle)
        tree.jobs_dir.mkdir(mode=0o711)
        _make_venv(tree.venv)
        setup = subprocess.run(["bash", str(tree.source / "setup.sh")], capture_output=True,
                               text=True, timeout=120, env=tree.env(AUTOGRADER_SETUP_OFFLINE="1"))
        assert setup.returncode == 0, setup.stdout + setup.stderr
        assert f"{tree.source}/grader/__init__.py" in setup.stdout
        yield tree
    finally:
        remove_stale_jobs(base / "jobs")  # unmounts what a run stopped midway may have left
        shutil.rmtree(base, ignore_errors=True)
