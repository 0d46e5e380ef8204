"""Each limit, hit on purpose through run_job, ends the run with its own outcome and plain
words, within a bounded time, with nothing of the job left running."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from grader.sandbox import Limits, Outcome
from tests.support.host_processes import gone, processes_named
from tests.support.leftovers import assert_nothing_left
from tests.support.polling import wait_until
from tests.support.probes import NAME_ITSELF, run_probe
from tests.support.sandbox_limits import FAST_LIMITS


def test_a_quiet_program_runs_and_its_output_comes_back() -> None:
    result, left = run_probe("import os\nopen('/work/out/x.txt', 'w').write('done')\nprint('hi')")
    assert result.outcome is Outcome.OK, result.stderr
    assert result.exit_code == 0 and result.message == "finished normally"
    assert result.stdout == b"hi\n"
    assert left["out/x.txt"] == b"done"


def test_fork_bomb_stops_at_the_process_limit(token: str, host_dir: Path,
                                              private_jobs_dir: Path) -> None:
    # Exploit: fork without end, so the machine runs out of pids (32768 here) and nothing
    # else can start. The pids cgroup refuses fork 32 processes in; the runner kills all.
    code = f"import os\nTAG = {token!r}\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    result, _ = run_probe(code)
    assert result.outcome is Outcome.PROCESSES
    assert "more than 32 processes" in result.message
    assert result.wall_time_s < FAST_LIMITS.wall_time_s
    assert_nothing_left(token, host_dir, private_jobs_dir)


def test_memory_bomb_stops_at_the_memory_limit() -> None:
    # Exploit: allocate and touch memory until the machine swaps or the OOM killer takes
    # down the grader. The memory cgroup OOM-kills inside the job only.
    code = "chunks = []\nwhile True:\n    chunks.append(bytearray(64 * 2**20))\n"
    result, _ = run_probe(code, dataclasses.replace(FAST_LIMITS, memory_mb=256))
    assert result.outcome is Outcome.MEMORY
    assert result.message == "stopped: used more than 256 MB of memory"


def test_virtual_reservations_do_not_count_as_memory() -> None:
    # torch reserves large address ranges it never touches; only touched pages count.
    code = ("import mmap\nm = mmap.mmap(-1, 8 * 2**30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)\n"
            "m[0:1] = b'x'\nprint('reserved 8 GB')")
    result, _ = run_probe(code, dataclasses.replace(FAST_LIMITS, memory_mb=256))
    assert result.outcome is Outcome.OK, result.stderr


def test_infinite_loop_stops_at_the_cpu_limit() -> None:
    # Exploit: spin forever, holding a core that other grades need.
    # (A generous wall-time limit: on a busy machine 2 CPU seconds take longer than 2 s.)
    result, _ = run_probe("while True:\n    pass\n",
                          dataclasses.replace(FAST_LIMITS, cpu_time_s=2, wall_time_s=30))
    assert result.outcome is Outcome.CPU_TIME
    assert result.message == "stopped: used more than 2 seconds of CPU time"
    assert 1.5 <= result.cpu_time_s < 2 + 1


def test_cpu_spread_over_processes_is_summed() -> None:
    # Exploit: RLIMIT_CPU is per process; four busy children each stay under it while
    # together using four times the CPU. The cgroup's total catches it.
    code = ("import os\nfor _ in range(3):\n    if os.fork() == 0:\n        break\n"
            "while True:\n    pass\n")
    result, _ = run_probe(code, dataclasses.replace(FAST_LIMITS, cpu_time_s=2, wall_time_s=20))
    assert result.outcome is Outcome.CPU_TIME
    # Stopped by the runner on the total (no process reached its own 2 s and got SIGXCPU).
    assert result.signal is None
    assert result.cpu_time_s < 3


def test_sleep_forever_stops_at_the_wall_time_limit() -> None:
    # Exploit: use no CPU at all and wait, tying up a grading slot forever.
    result, _ = run_probe("import time\ntime.sleep(10**6)\n",
                          dataclasses.replace(FAST_LIMITS, wall_time_s=1.5))
    assert result.outcome is Outcome.WALL_TIME
    assert "longer than 1.5 seconds of wall-clock time" in result.message
    assert 1.5 <= result.wall_time_s < 3


def test_ignoring_sigterm_does_not_help(token: str, host_dir: Path, private_jobs_dir: Path) -> None:
    # Exploit: ignore every catchable signal and keep running. The runner sends SIGKILL,
    # which cannot be caught, to the sandbox's init.
    code = (f"import signal, time\nTAG = {token!r}\n"
            "for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU, signal.SIGALRM):\n"
            "    signal.signal(s, signal.SIG_IGN)\n"
            "time.sleep(10**6)\n")
    result, _ = run_probe(code, dataclasses.replace(FAST_LIMITS, wall_time_s=1.5))
    assert result.outcome is Outcome.WALL_TIME
    assert_nothing_left(token, host_dir, private_jobs_dir)


def test_double_forked_daemon_dies_with_the_job(token: str, host_dir: Path,
                                               private_jobs_dir: Path) -> None:
    # Exploit: fork twice and setsid, so the grandchild leaves the process group and is
    # re-parented, then sleep past the end of the grade and write a file later. It was
    # in the sandbox's PID namespace, which dies with its init when the job ends.
    code = f"""
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c",
                 "import time; time.sleep(2); open('/work/late', 'w').write('x'); "
                 "open({str(host_dir / 'late')!r}, 'w').write('x')", {token!r}])
    os._exit(0)
time.sleep(0.5)
print("parent leaves")
"""
    result, _ = run_probe(code)
    assert result.outcome is Outcome.OK
    assert_nothing_left(token, host_dir, private_jobs_dir, outwait_s=3)


@pytest.mark.parametrize("how, outcome", [
    ("os.kill(os.getppid(), signal.SIGKILL)", Outcome.OK),   # bwrap's init: ignored from inside
    ("os.kill(1, signal.SIGKILL)", Outcome.OK),              # the same init, by number
    ("os.kill(-1, signal.SIGKILL)", Outcome.RUNTIME_ERROR),  # nothing else to kill: ESRCH
    ("os.killpg(0, signal.SIGKILL)", Outcome.SIGNALED),      # its own group: only itself
])
def test_killing_its_parent_or_group_ends_only_the_job(how: str, outcome: Outcome) -> None:
    # Exploit: kill the process that watches it (its parent, its process group, every
    # process it can signal), hoping the grader dies or loses track. The job sees only its
    # own PID namespace, whose init ignores signals from inside; the runner still gets a
    # proper end (not an internal error) and the job's own output.
    result, _ = run_probe(f"import os, signal\n{how}\nprint('still here')\n")
    assert result.outcome is outcome, (result.outcome, result.stderr)
    if outcome is Outcome.OK:
        assert result.stdout == b"still here\n"


def test_exit_codes_are_runtime_errors() -> None:
    result, _ = run_probe("import os\nos._exit(7)\n")
    assert result.outcome is Outcome.RUNTIME_ERROR and result.exit_code == 7
    assert result.message == "exited with status 7 before finishing"


def test_segfault_is_a_signal_with_a_plain_message() -> None:
    # Exploit: crash the interpreter from inside (ctypes read of address 0).
    result, _ = run_probe("import ctypes\nctypes.string_at(0)\n")
    assert result.outcome is Outcome.SIGNALED and result.signal == 11
    assert "segmentation fault" in result.message


def test_a_file_over_the_size_limit_is_a_disk_outcome() -> None:
    # Exploit: write one enormous file. RLIMIT_FSIZE sends SIGXFSZ at 16 MB.
    code = "with open('/work/big', 'wb') as f:\n    while True:\n        f.write(b'x' * 2**20)\n"
    result, _ = run_probe(code)
    assert result.outcome is Outcome.DISK
    assert "at most 16 MB per file" in result.message


def test_filling_the_work_dir_is_a_disk_outcome() -> None:
    # Exploit: fill the disk with many files each under the size limit. /work is a tmpfs
    # of workdir_mb: writes past it fail, and the runner reports the cause.
    code = ("i = 0\ntry:\n    while True:\n        open(f'/work/f{i}', 'wb').write(b'x' * 2**20 * 8)\n"
            "        i += 1\nexcept OSError as e:\n    print(e)\n")
    result, _ = run_probe(code)
    assert result.outcome is Outcome.DISK
    assert b"No space left" in result.stdout


def test_a_flood_of_empty_files_is_bounded() -> None:
    # Exploit: create files without end (no bytes, so no size limit applies), to make the
    # trusted side's walk of /work take forever. The tmpfs has a bounded inode count.
    code = ("i = 0\ntry:\n    while True:\n        open(f'/work/e{i}', 'wb').close()\n        i += 1\n"
            "except OSError as e:\n    print(i, e)\n")
    result, _ = run_probe(code)
    assert result.outcome is Outcome.DISK
    created = int(result.stdout.split()[0])
    assert created < 64 * 64 + 10


def test_stdout_flood_is_cut_and_does_not_block() -> None:
    # Exploit: print gigabytes, hoping the grader buffers it all (its memory) or stops
    # reading (then the job blocks on a full pipe until the wall-time limit).
    code = "import sys\nfor _ in range(2000):\n    sys.stdout.write('y' * 65536)\nsys.stderr.write('e' * 10**6)\n"
    result, _ = run_probe(code)
    assert result.outcome is Outcome.OK
    assert len(result.stdout) == FAST_LIMITS.output_bytes
    assert len(result.stderr) == FAST_LIMITS.output_bytes
    assert result.truncated_output
    assert result.wall_time_s < 5


def test_open_files_are_bounded() -> None:
    code = ("fs = []\ntry:\n    while True:\n        fs.append(open('/dev/null'))\n"
            "except OSError as e:\n    print(len(fs))\n")
    result, _ = run_probe(code)
    assert int(result.stdout) < FAST_LIMITS.open_files


def test_limits_from_the_environment_only_lower() -> None:
    limits = Limits(wall_time_s=90, memory_mb=3072)
    capped = limits.capped_by_environment({"AUTOGRADER_SANDBOX_MAX_LIMITS": "wall_time_s=5,memory_mb=9999"})
    assert capped.wall_time_s == 5 and capped.memory_mb == 3072
    with pytest.raises(ValueError):
        limits.capped_by_environment({"AUTOGRADER_SANDBOX_MAX_LIMITS": "gpus=4"})


def test_without_cgroups_the_proc_poller_enforces_memory_and_processes(token: str) -> None:
    # A container without a writable cgroup: the runner polls /proc instead.
    name = token[-15:]
    memory, _ = run_probe("chunks = []\nwhile True:\n    chunks.append(bytearray(32 * 2**20))\n",
                          dataclasses.replace(FAST_LIMITS, memory_mb=200), use_cgroups=False)
    assert memory.outcome is Outcome.MEMORY
    bomb, _ = run_probe(NAME_ITSELF.format(name=name)
                        + "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
                        use_cgroups=False)
    assert bomb.outcome is Outcome.PROCESSES
    assert processes_named(name) == []


def test_a_grader_killed_mid_job_leaves_nothing_running_and_its_leftovers_are_swept(
        token: str, private_jobs_dir: Path) -> None:
    # A worker SIGKILLed (OOM, deploy) in the middle of a job: its sandbox dies with it
    # (--die-with-parent), and the next grader removes the mounted work dir it left.
    import os
    import signal
    import subprocess
    import sys

    from grader.sandbox.stale import remove_stale_jobs

    name = token[-15:]
    probe = (NAME_ITSELF.format(name=name) + "import time\ntime.sleep(60)\n").encode()
    script = ("from grader.sandbox import run_job, SandboxJob, Limits\n"
              f"code = {probe!r}\n"
              # The harness name is split so that only the sandboxed process's argv holds it.
              "with run_job(SandboxJob('probe' + '_harness.py', {'submission/probe.py': code}), Limits()) as r:\n"
              "    pass\n")
    grader = subprocess.Popen([sys.executable, "-c", script], env=dict(os.environ))
    try:
        [lock] = wait_until(lambda: list(private_jobs_dir.glob("job-*/lock")), 30,
                            "the job's directory", interval_s=0.05)
        job_root = lock.parent
        sandboxed = wait_until(lambda: processes_named(name), 30, "the job's sandboxed process",
                               interval_s=0.05)
        assert os.path.ismount(job_root / "work")
    finally:
        grader.send_signal(signal.SIGKILL)
        grader.wait()
    wait_until(lambda: gone(sandboxed), 5, "the sandbox to die with its grader", interval_s=0.05)
    assert remove_stale_jobs(private_jobs_dir) == [job_root]
    assert not job_root.exists()
