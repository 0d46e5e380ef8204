"""The policy's argv says what the job may see; these check its shape without running it,
so a careless edit (a bind of the checkout, a lost namespace) fails here first."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from grader.sandbox import Bind, SandboxPolicy, default_policy
from tests.support.paths import REPO_ROOT


def argv_of(policy: SandboxPolicy) -> list[str]:
    sources = {bind.host: bind.host for bind in policy.binds}
    return policy.bwrap_argv("bwrap", sources, "/host/job/work", ["python", "x.py"])


def test_every_namespace_is_new_and_privileges_are_dropped() -> None:
    argv = argv_of(default_policy())
    for flag in ("--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc",
                 "--unshare-uts", "--unshare-cgroup-try", "--disable-userns", "--new-session",
                 "--die-with-parent", "--clearenv"):
        assert flag in argv, flag
    assert argv[argv.index("--uid") + 1] == "65534"
    assert argv[argv.index("--cap-drop") + 1] == "ALL"


def test_only_the_runtime_harness_and_work_dir_are_shown() -> None:
    argv = argv_of(default_policy())
    shown = {argv[i + 2]: (argv[i], argv[i + 1]) for i, arg in enumerate(argv)
             if arg in ("--bind", "--ro-bind")}
    writable = [inside for inside, (kind, _) in shown.items() if kind == "--bind"]
    assert writable == ["/work"]
    assert shown["/harness"][1] == str(REPO_ROOT / "grader" / "harness")
    for inside, (_, host) in shown.items():
        # Nothing of the checkout but the harness programs (the venv shows at /opt/venv).
        if Path(host).is_relative_to(REPO_ROOT):
            assert inside in ("/harness", "/opt/venv"), (inside, host)
        assert not host.startswith(("/etc/", "/home", "/var")) or host == "/etc/ld.so.cache"
    # The root is made read-only after every mount point was created in it.
    root_read_only = [i for i, a in enumerate(argv) if a == "--remount-ro" and argv[i + 1] == "/"]
    assert root_read_only and root_read_only[0] > max(
        i for i, a in enumerate(argv) if a in ("--bind", "--ro-bind", "--tmpfs"))


def test_the_environment_is_exactly_the_documented_one() -> None:
    argv = argv_of(default_policy())
    env = {argv[i + 1]: argv[i + 2] for i, arg in enumerate(argv) if arg == "--setenv"}
    assert set(env) == {"PATH", "HOME", "LANG", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "MPLBACKEND"}
    assert env["HOME"] == "/work"


def test_the_command_comes_last_after_a_separator() -> None:
    argv = argv_of(default_policy())
    assert argv[-3:] == ["--", "python", "x.py"]


def test_a_harness_is_a_plain_file_name() -> None:
    policy = default_policy()
    assert policy.harness_command("mlp_harness.py")[1:] == ["-I", "-B", "/harness/mlp_harness.py"]
    for bad in ("../reference/mlp.py", "/etc/passwd", ".hidden"):
        with pytest.raises(ValueError):
            policy.harness_command(bad)


def test_host_root_is_refused() -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(default_policy(), host_uid=0)


def test_extra_binds_are_explicit_and_read_only_by_default() -> None:
    policy = default_policy().with_binds(Bind("/usr/share/zoneinfo", "/usr/share/zoneinfo", "time zones"))
    argv = argv_of(policy)
    i = argv.index("/usr/share/zoneinfo")
    assert argv[i - 1] == "--ro-bind"


def test_the_assignment_limits_fit_the_machine() -> None:
    # hw1.toml's [limits]: two grades at once must fit 2 cores and 24 GB with room for the
    # grader itself, and every limit must be a real bound.
    from grader.assignment import load_assignment

    assignment = load_assignment("hw1")
    for part in ("mlp", "gd"):
        limits = assignment.limits_for(part)
        assert 2 * limits.memory_mb <= 24 * 1024 // 2
        assert 0 < limits.cpu_time_s <= limits.wall_time_s <= 300
        assert 0 < limits.processes <= 256 and 0 < limits.open_files <= 4096
        assert 0 < limits.file_size_mb <= limits.workdir_mb <= 1024
        assert 0 < limits.output_bytes <= 2**20
