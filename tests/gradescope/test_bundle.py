"""The Gradescope bundle, run as Gradescope runs it: `autograder export gradescope`, the zip
unpacked under a temporary /autograder, setup.sh, then run_autograder on the reference, a
buggy mlp.py and hostile ones, under the fallback isolation (what Gradescope's container
leaves) and under bubblewrap where it runs; results.json checked against the specification.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from results_schema import schema_problems
from tests.support.paths import REPO_ROOT

REFERENCE = {"mlp.py": (REPO_ROOT / "reference/mlp.py").read_bytes(),
             "gd.py": (REPO_ROOT / "reference/gd.py").read_bytes()}
BUGGY_MLP = REFERENCE["mlp.py"].replace(b"dJdz1.sum(dim=0)", b"dJdz1.mean(dim=0)")
HOSTILE_LIMITS = "wall_time_s=20,cpu_time_s=15"
"""Lowered for the hostile runs (AUTOGRADER_SANDBOX_MAX_LIMITS): seconds, not minutes."""
MLP_ITEMS = 12
GD_ITEMS = 4
RUN_TIMEOUT_S = 300


def _export(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", "export", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60)


def test_bundle_holds_the_grader_and_nothing_of_the_service(gradescope_tree):
    with zipfile.ZipFile(gradescope_tree.bundle) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        names = set(infos)
        # Gradescope looks for both at the root of the archive, and runs them.
        for script in ("setup.sh", "run_autograder"):
            assert (infos[script].external_attr >> 16) & 0o111, script
        requirements = archive.read("requirements.txt").decode().split()
        for relative in ("hidden_tests/hw1.toml", "reference/mlp.py",
                         "reference/classifier/classifier.npz", "grader/engine.py",
                         "grader/harness/mlp_harness.py", "grader/sandbox/fallback_launcher.py"):
            assert archive.read(relative) == (REPO_ROOT / relative).read_bytes(), relative
    assert not [name for name in names if name.startswith(("app/", "tests/", "docker/"))]
    assert not [name for name in names if "__pycache__" in name]
    assert "reference/gd.py" not in names  # the grader never reads the gd solution
    assert [line.split("=")[0].split(">")[0] for line in requirements] == [
        "torch", "torchvision", "numpy", "opencv-python-headless", "tqdm", "scipy",
        "matplotlib", "pillow"]


def test_export_refuses_what_it_cannot_write(tmp_path):
    not_zip = _export("gradescope", "-o", str(tmp_path / "autograder.tar"))
    assert not_zip.returncode == 2 and "does not end in .zip" in not_zip.stderr
    no_dir = _export("gradescope", "-o", str(tmp_path / "missing" / "autograder.zip"))
    assert no_dir.returncode == 2 and "no such directory" in no_dir.stderr
    no_assignment = _export("gradescope", "-o", str(tmp_path / "a.zip"), "--assignment", "hw9")
    assert no_assignment.returncode == 2 and "no such assignment: 'hw9'" in no_assignment.stderr
    no_target = _export()
    assert no_target.returncode == 2
    assert not list(tmp_path.iterdir())


def test_reference_under_the_fallback_isolation(gradescope_tree):
    run = gradescope_tree.run_autograder(REFERENCE, isolation="fallback")
    assert run.returncode == 0, run.stdout
    results = run.results
    assert schema_problems(results) == []
    assert results["score"] == 100.0
    assert len(results["tests"]) == MLP_ITEMS + GD_ITEMS
    assert {t["status"] for t in results["tests"]} == {"passed"}
    assert sum(t["max_score"] for t in results["tests"]) == 100.0
    assert all(t["visibility"] == "visible" for t in results["tests"])
    assert results["stdout_visibility"] == "hidden"
    assert results["output_format"] == "md"
    assert 0 < results["execution_time"] < 300
    output = results["output"]
    assert "**Total: 100 / 100**" in output
    # The gd picture, described (Gradescope shows no images): its size, and its captions.
    assert "gd.png, 456 x 536 pixels" in output  # two rows: one per target class
    assert output.count("the target class's probability rose from") == 2
    assert "fallback isolation" in output and "network namespace of its own" in output
    assert results["extra_data"]["isolation"].startswith("fallback isolation")
    assert f"grader {gradescope_tree.source}/grader/__init__.py" in run.stdout


def test_auto_takes_bubblewrap_where_it_runs(gradescope_tree):
    run = gradescope_tree.run_autograder({"mlp.py": REFERENCE["mlp.py"]})
    assert run.returncode == 0, run.stdout
    results = run.results
    assert schema_problems(results) == []
    assert "Isolation: bubblewrap sandbox" in results["output"]
    # gd.py was not submitted: its items are there, failed, out of the same 100 points.
    assert results["score"] == 80.0
    gd = [t for t in results["tests"] if t["name"].startswith("gd.")]
    assert len(gd) == GD_ITEMS and {t["status"] for t in gd} == {"failed"}
    assert {t["extra_data"]["status"] for t in gd} == {"skipped"}
    assert "gd.py not found at the top level of your submission (it holds: mlp.py)" in results["output"]


def test_auto_falls_back_where_bubblewrap_cannot_run(gradescope_tree, tmp_path):
    """bwrap missing from PATH (its apt-get failed, say): the probe fails, the fallback runs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "bash").symlink_to("/bin/bash")
    run = gradescope_tree.run_autograder({"mlp.py": REFERENCE["mlp.py"]}, PATH=str(bin_dir))
    assert run.returncode == 0, run.stdout
    assert schema_problems(run.results) == []
    assert run.results["score"] == 80.0
    assert "Isolation: fallback isolation" in run.results["output"]


def test_buggy_mlp_costs_its_item_with_feedback(gradescope_tree):
    run = gradescope_tree.run_autograder({"mlp.py": BUGGY_MLP}, isolation="fallback")
    assert run.returncode == 0, run.stdout
    results = run.results
    assert schema_problems(results) == []
    tests = {t["name"]: t for t in results["tests"]}
    backward = tests["mlp.linear.backward"]
    assert backward["status"] == "failed" and backward["score"] < backward["max_score"]
    assert "averaged over the batch" in backward["output"]
    assert backward["output_format"] == "text" and backward["tags"] == ["mlp", "linear"]
    assert [name for name, t in tests.items()
            if t["status"] == "failed" and name.startswith("mlp.")] == ["mlp.linear.backward"]
    assert results["score"] == pytest.approx(80 - backward["max_score"] + backward["score"])
    # Student-facing words only: the staff view's case ids and configurations stay out.
    assert "staff" not in json.dumps(results)


def test_hostile_code_reads_nothing_of_the_grader(gradescope_tree):
    """It tries the assignment file, the reference, Redis on 127.0.0.1 and its root parent,
    and puts what it got into the error message a student would see."""
    source = gradescope_tree.source
    hostile = f'''
import os, socket
found = []
for path in ["{source}/hidden_tests/hw1.toml", "{source}/reference/mlp.py", "/root/.bashrc"]:
    try:
        found.append(open(path).read()[:300])
    except OSError as error:
        found.append("read " + type(error).__name__)
try:
    socket.create_connection(("127.0.0.1", 6379), timeout=2)
    found.append("connected")
except OSError as error:
    found.append("net " + type(error).__name__)
try:
    os.kill(os.getppid(), 9)
    found.append("killed parent")
except OSError as error:
    found.append("kill " + type(error).__name__)
raise RuntimeError("HOSTILE " + " | ".join(found) + " uid " + str(os.getuid()))
'''.encode()
    run = gradescope_tree.run_autograder({"mlp.py": hostile}, isolation="fallback",
                                         AUTOGRADER_SANDBOX_MAX_LIMITS=HOSTILE_LIMITS)
    assert run.returncode == 0, run.stdout
    results = run.results
    assert schema_problems(results) == []
    output = results["tests"][0]["output"]
    assert ("HOSTILE read PermissionError | read PermissionError | read PermissionError"
            " | net OSError | kill PermissionError uid 2") in output
    text = json.dumps(results)
    assert "classifier_sha256" not in text and "dJdz1" not in text and "connected" not in text
    assert results["score"] == 0.0


def test_fork_bomb_is_stopped_and_leaves_nothing(gradescope_tree):
    bomb = b"import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    run = gradescope_tree.run_autograder({"mlp.py": bomb}, isolation="fallback",
                                         AUTOGRADER_SANDBOX_MAX_LIMITS=HOSTILE_LIMITS)
    assert run.returncode == 0, run.stdout
    results = run.results
    assert schema_problems(results) == []
    assert results["score"] == 0.0
    assert "processes" in results["tests"][0]["output"]
    assert results["execution_time"] < 60
    # Nothing of the job outlives the run: no process runs from its work dirs, none is left.
    jobs = str(gradescope_tree.jobs_dir)
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and _runs_from(pid, jobs)]
    assert list(gradescope_tree.jobs_dir.iterdir()) == []


def test_grader_fault_writes_no_results(gradescope_tree):
    """A venv the job's uid cannot reach (installed under /root, say) is the grader's fault:
    no results.json, so Gradescope reports a failed run to rerun, never a zero."""
    gradescope_tree.venv.chmod(0o700)
    try:
        run = gradescope_tree.run_autograder({"mlp.py": REFERENCE["mlp.py"]}, isolation="fallback")
    finally:
        gradescope_tree.venv.chmod(0o755)
    assert run.returncode == 1
    assert run.results is None
    assert "not reachable by the job's uid" in run.stdout


FALLBACK_JOBS = r'''
import json, sys
from pathlib import Path
from grader.sandbox import Limits, SandboxJob
from grader.sandbox.fallback import probe_fallback, run_job

limits = Limits(cpu_time_s=10, wall_time_s=15, memory_mb=1024, processes=32)
isolation = probe_fallback()
outcomes = {}
for name, code in json.loads(sys.argv[2]).items():
    job = SandboxJob("probe_harness.py", {"submission/probe.py": code.encode()})
    with run_job(job, limits, isolation=isolation, protected=[Path(sys.argv[1])],
                 use_cgroups=False) as result:
        outcomes[name] = [result.outcome.value, result.stdout.decode(errors="replace")[-300:]]
print(json.dumps(outcomes))
'''
PROGRAMS = {
    "fork_bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    # Written bytes: a bytearray's calloc'ed zero pages would never count as resident.
    "memory": "chunks = []\nwhile True:\n    chunks.append(b'x' * (64 * 2**20))\n",
    # A daemon: double fork, own session, sleeps on after the job's program has ended.
    "daemon": "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
              "        time.sleep(120)\n    os._exit(0)\nprint('parent done')\n",
    "network": "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 6379), timeout=2)\n"
               "    print('connected')\nexcept OSError as error:\n    print('net', type(error).__name__)\n",
}


def test_fallback_without_cgroups_holds_its_limits(gradescope_tree):
    """As in Gradescope's container, where cgroups are not writable: /proc polling and the
    job's uid are all there is. Run in the bundle's venv, as run_autograder runs."""
    completed = subprocess.run(
        [str(gradescope_tree.venv / "bin" / "python"), "-c", FALLBACK_JOBS,
         str(gradescope_tree.source), json.dumps(PROGRAMS)],
        cwd="/", capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
        env=gradescope_tree.env(PYTHONPATH=str(gradescope_tree.source)))
    assert completed.returncode == 0, completed.stderr
    outcomes = json.loads(completed.stdout.splitlines()[-1])
    assert outcomes["fork_bomb"][0] == "processes"
    assert outcomes["memory"][0] == "memory"
    assert outcomes["daemon"] == ["ok", "parent done\n"]
    assert outcomes["network"] == ["ok", "net OSError\n"]
    jobs = str(gradescope_tree.jobs_dir)
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and _runs_from(pid, jobs)]


def _runs_from(pid: str, directory: str) -> bool:
    try:
        return directory in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
