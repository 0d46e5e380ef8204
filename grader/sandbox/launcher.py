"""The small program between the grader and bubblewrap: it runs as root, puts itself in the
job's cgroups, stages the mounts, sets the rlimits, drops to the unprivileged host uid, and
execs bwrap. A separate program (`python -I -S launcher.py SPEC -- bwrap ...`) rather than a
preexec_fn, because a preexec_fn runs Python between fork and exec, which can deadlock a
threaded grader (a worker, a test runner) on a lock some other thread held at fork time.

Stdlib only, and no import of the grader package: it runs with -I -S, before any sandbox.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import sys

CLONE_NEWNS = 0x00020000
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_DUMPABLE = 4

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def join_cgroups(procs_files: list[str]) -> None:
    """Enter the job's cgroups before anything else runs, so every process the job ever
    starts is counted (pids, memory, CPU) and can be killed as a group."""
    for path in procs_files:
        with open(path, "w") as handle:
            handle.write(str(os.getpid()))


def stage_mounts(stage: list[list[str]]) -> None:
    """Bind each host path onto a staging path that the unprivileged host uid can reach.

    bwrap runs as host nobody, which cannot walk into /root (mode 0700) where pyenv keeps the
    interpreter. The binds are made in a private mount namespace of this process only, so the
    host's mount table is never touched and they vanish with the sandbox."""
    if not stage:
        return
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    # Private: our binds must not propagate back to the host's mount namespace.
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    for host, target in stage:
        _check(_libc.mount(host.encode(), target.encode(), None, MS_BIND | MS_REC, None),
               f"bind {host} on {target}")


def set_rlimits(rlimits: dict[str, list[int]]) -> None:
    """Per-process limits the kernel enforces, inherited by every descendant."""
    for name, (soft, hard) in rlimits.items():
        resource.setrlimit(getattr(resource, name), (soft, hard))


def drop_privileges(uid: int, gid: int) -> None:
    """Become the unprivileged host uid for good (real, effective and saved ids)."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    # Changing uid made us non-dumpable, which locks our own /proc/self against bwrap's
    # reads; exec resets it anyway, this only keeps the launcher's last steps working.
    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    if argv[2] != "--":
        print("launcher: usage: launcher.py SPEC -- PROGRAM ARGS...", file=sys.stderr)
        return 125
    command = argv[3:]
    try:
        join_cgroups(spec["cgroup_procs"])
        stage_mounts(spec["stage"])
        set_rlimits(spec["rlimits"])
        drop_privileges(spec["uid"], spec["gid"])
        # Empty environment: bwrap stays the sandbox's pid 1, and the job can read
        # /proc/1/environ; the grader's variables (secrets) must not be there.
        os.execve(command[0], command, {})
    except OSError as error:
        # 125: the launcher failed, not the job (the runner reports an internal error).
        print(f"launcher: {error}", file=sys.stderr)
        return 125
    return 125


if __name__ == "__main__":
    sys.exit(main(sys.argv))
