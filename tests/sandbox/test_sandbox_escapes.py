"""The escape suite: every attack of sandbox_attacks.py is graded as an mlp.py submission
through `autograder grade`, like a student's, and the host is checked afterwards.

For each: the grade ends within its limit, the report has a clear status and message, no
marker file, network write or process of the attack is left, no secret appears in the
report, and the next, correct submission still scores full marks on mlp.py.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from grader import grade
from grader.mlp.items import ITEMS
from sandbox_attacks import ATTACKS, Attack
from tests.support.leftovers import assert_nothing_left
from tests.support.paths import AUTOGRADER_COMMAND, REPO_ROOT
from tests.support.polling import wait_until

HIDDEN_TESTS = REPO_ROOT / "hidden_tests" / "hw1.toml"

CAPS = ("wall_time_s=15,cpu_time_s=8,memory_mb=1536,processes=48,file_size_mb=16,"
        "workdir_mb=64,output_bytes=16384")
"""Lowered limits for the suite (AUTOGRADER_SANDBOX_MAX_LIMITS): a correct mlp.py needs
about 3 CPU seconds and 400 MB; the attacks hit the caps in seconds instead of minutes."""
WALL_CAP_S = 15
GRADE_BUDGET_S = WALL_CAP_S + 30
"""Whole `autograder grade` run: the sandbox's wall cap plus the trusted side (its torch
import, reference values) on a busy 2-core machine."""


def grade_cli(path: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    completed = subprocess.run(
        [*AUTOGRADER_COMMAND, "grade", "--mlp", str(path), "--seed", "1", "--json", "--staff",
         "--artifacts", str(path.parent / "artifacts")],
        capture_output=True, env=env, timeout=GRADE_BUDGET_S + 30, cwd=path.parent)
    return completed, time.monotonic() - started


@functools.lru_cache(maxsize=None)
def baseline_scores(source: str) -> dict[str, float]:
    """Per-test scores of a plain (wrong) solution, graded once per session."""
    report = grade({"mlp.py": source.encode()}, seed=1)
    return {test.name: test.score for test in report.tests}


def mlp_tests(report: dict) -> list[dict]:
    return [test for test in report["tests"] if test["name"].startswith("mlp.")]


@pytest.fixture
def grading_env(planted_secret: dict, private_jobs_dir: Path,
                monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The grading processes' environment (the CLI's and this one's): the planted secret,
    the lowered caps."""
    monkeypatch.setenv("AUTOGRADER_SANDBOX_MAX_LIMITS", CAPS)
    env = dict(os.environ)
    env["AUTOGRADER_SANDBOX_MAX_LIMITS"] = CAPS
    env["AUTOGRADER_SANDBOX_DIR"] = str(private_jobs_dir)
    return env


@pytest.fixture
def udp_listener():
    """A UDP port on the host's loopback that an attack may try to reach."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.setblocking(False)
    yield listener
    listener.close()


@pytest.mark.slow
@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.name for attack in ATTACKS])
def test_attack_is_contained(attack: Attack, tmp_path: Path, token: str, host_dir: Path,
                             planted_secret: dict, grading_env: dict, udp_listener,
                             private_jobs_dir: Path) -> None:
    source = (attack.source.replace("__TOKEN__", token).replace("__HOST_DIR__", str(host_dir))
              .replace("__SECRET_FILE__", planted_secret["file"])
              .replace("__UDP_PORT__", str(udp_listener.getsockname()[1]))
              .replace("__CHECKOUT__", str(REPO_ROOT)))
    submission = tmp_path / "mlp.py"
    submission.write_text(source)

    completed, elapsed_s = grade_cli(submission, grading_env)

    # Ends within its limit, as a graded submission (exit 0), not a fault of the grader.
    assert elapsed_s < GRADE_BUDGET_S
    assert completed.returncode == 0, completed.stderr.decode()[-2000:]
    text = completed.stdout.decode()
    report = json.loads(text)
    tests = mlp_tests(report)
    assert report["status"] in ("graded", "error") and len(tests) == len(ITEMS)
    assert not any("internal error" in error for error in report["errors"])

    # A clear status and message for each item.
    if attack.full_score:
        assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in tests), tests
    elif attack.baseline is not None:
        baseline = baseline_scores(attack.baseline)
        assert all(t["score"] <= baseline[t["name"]] for t in tests), (tests, baseline)
    else:
        assert all(t["score"] == 0 for t in tests), [(t["name"], t["score"]) for t in tests]
        assert all(t["status"] in ("error", "failed") and t["output"] for t in tests)
    feedback = " ".join([t["output"] for t in tests] + report["errors"]).lower()
    if attack.says:
        assert any(word in feedback for word in attack.says), feedback[:2000]

    # No secret of the grading machine in the report (staff view: everything it holds).
    assert planted_secret["env"] not in text
    assert planted_secret["file_text"] not in text
    assert HIDDEN_TESTS.read_text().splitlines()[0] not in text
    assert "def backward(self, dJdy_hat)" not in text or attack.full_score

    # Nothing left: no process of the attack, no marker on the host, no work dir, no
    # network write.
    assert_nothing_left(token, host_dir, private_jobs_dir, outwait_s=2.5 if attack.lingers else 0)
    assert redis.Redis(host="127.0.0.1", port=6379).get(token) is None
    with pytest.raises(BlockingIOError):
        udp_listener.recvfrom(100)

    # The next, correct submission still gets full marks (graded in this process, which
    # saves a second start of the CLI; the same engine and sandbox).
    after = mlp_tests(grade({"mlp.py": (REPO_ROOT / "reference" / "mlp.py").read_bytes()}, seed=1)
                      .to_dict("staff"))
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in after), after


@pytest.mark.slow
def test_two_submissions_graded_at_once_cannot_see_each_other(
        tmp_path: Path, token: str, grading_env: dict, private_jobs_dir: Path) -> None:
    # Exploit: while another student's submission is being graded on the same machine,
    # look for its files (by walking the file system, by guessing the host path of its work
    # dir, through /proc) and copy them into one's own feedback. Each job has its own mount
    # and PID namespaces and its own host uid; the other's /work exists nowhere in its view.
    first = tmp_path / "first" / "mlp.py"
    first.parent.mkdir()
    first.write_text(f"import time\nopen('/work/mine-{token}.py', 'w').write('FIRST-{token}')\n"
                     "time.sleep(8)\n")
    first_run = subprocess.Popen(
        [*AUTOGRADER_COMMAND, "grade", "--mlp", str(first), "--seed", "1", "--json", "--artifacts",
         str(first.parent / "artifacts")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=grading_env, cwd=first.parent)
    [first_marker] = wait_until(lambda: list(private_jobs_dir.glob(f"job-*/work/mine-{token}.py")),
                                60, "the first submission to run in its sandbox")
    first_work = first_marker.parent

    second = tmp_path / "second" / "mlp.py"
    second.parent.mkdir()
    second.write_text(f"""
import os
found = []
for guess in [{str(first_work)!r}, {str(private_jobs_dir)!r}, "/work/../work"]:
    try:
        found += [guess + "/" + name for name in os.listdir(guess) if "mine" in name]
    except OSError:
        pass
for root, dirs, names in os.walk("/"):
    if root.startswith(("/proc", "/sys")):
        dirs[:] = []
        continue
    found += [os.path.join(root, n) + ": " + open(os.path.join(root, n)).read()
              for n in names if n.startswith("mine-")]
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        found.append(open(f"/proc/{{pid}}/cmdline", "rb").read().decode("latin-1"))
    except OSError:
        pass
raise ImportError("found: " + repr(found))
""")
    completed, _ = grade_cli(second, grading_env)
    first_out, _ = first_run.communicate(timeout=GRADE_BUDGET_S + 30)

    text = completed.stdout.decode()
    assert "found: " in text
    assert f"FIRST-{token}" not in text and f"mine-{token}" not in text
    assert "time.sleep(8)" not in text
    assert "found: " not in first_out.decode()  # and nothing of B's run reached A's report
    assert first_run.returncode == 0 and completed.returncode == 0


def test_without_bubblewrap_the_grade_is_an_internal_error_that_says_what_to_install(
        tmp_path: Path, grading_env: dict) -> None:
    # A machine without bwrap grades nothing and blames no student: exit 1 (a fault of
    # the system, per the contract), and the operator reads which package to install.
    submission = tmp_path / "mlp.py"
    submission.write_text((REPO_ROOT / "reference" / "mlp.py").read_text())
    env = dict(grading_env, PATH=str(Path(sys.executable).parent))  # the venv only: no bwrap
    completed, _ = grade_cli(submission, env)
    assert completed.returncode == 1
    report = json.loads(completed.stdout)
    assert report["status"] == "error" and report["score"] == 0
    assert "bubblewrap" in " ".join(report["errors"]) and "not your fault" in " ".join(report["errors"])
