"""The launcher of the fallback isolation (fallback.py), for hosts where bubblewrap cannot run.

It plays bwrap's part for the runner: it stays root and is the job's parent (the job, another
uid, can neither signal nor trace it), and it writes the same status lines bwrap writes,
{"child-pid": N} once the job's program is exec'd and {"exit-code": N} when it ends (128 + the
signal when a signal ended it), so the runner tells "the sandbox failed" from "the job failed"
exactly as it does under bwrap. It is a child subreaper: with no PID namespace, a daemonised
(double-forked) process of the job is adopted by the launcher, not by the host's init, so it
stays in the tree the runner measures. The child enters the job's cgroups, a network namespace of its
own where the kernel permits it, sets the rlimits, drops to the job's unprivileged uid for
good, installs the seccomp filter and execs the harness in the job's work dir.

    python -I -S fallback_launcher.py SPEC -- PROGRAM ARGS...   run one job
    python -I -S fallback_launcher.py --probe                  {"network": true|false}
    python -I -S fallback_launcher.py --kill-uid UID           SIGKILL every process of UID
                                                               (as root: the job cannot
                                                               signal it); exit 1 if any is
                                                               left after KILL_UID_DEADLINE_S

Stdlib only, no import of the grader package (it runs with -I -S), like launcher.py.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
import time

CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
BPF_INSTRUCTION_BYTES = 8
KILL_UID_DEADLINE_S = 5.0
"""How long kill_uid keeps looking for processes of the uid; a fork in flight can miss one
scan, RLIMIT_NPROC bounds how many there can be."""
KILL_PAUSE_S = 0.005
SETUP_FAILED = 125
"""Exit status when the launcher itself failed: the runner reports an internal error."""

_libc = ctypes.CDLL(None, use_errno=True)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def unshare_network() -> None:
    """A network namespace of the job's own: only a loopback that is down, so no connection
    to anything (needs CAP_SYS_ADMIN, which a plain Docker container does not grant)."""
    _check(_libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")


def install_seccomp(program: bytes) -> None:
    """The sandbox's own BPF filter (seccomp.py), after no_new_privs, as bwrap --seccomp does."""
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // BPF_INSTRUCTION_BYTES, ctypes.addressof(buffer))
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0),
           "prctl(SECCOMP)")


def drop_privileges(uid: int, gid: int) -> None:
    """Become the job's unprivileged uid for good (real, effective and saved ids, no groups)."""
    if uid == 0 or gid == 0:
        raise OSError(1, "the job must not run as root")
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def _child(spec: dict, command: list[str], program: bytes, report_fd: int) -> None:
    """Set up and exec the job; on failure write why to `report_fd` (close-on-exec, so an
    exec that succeeds closes it empty) and exit SETUP_FAILED. Never returns."""
    try:
        os.setsid()
        if spec["network"]:
            unshare_network()
        for name, (soft, hard) in spec["rlimits"].items():
            resource.setrlimit(getattr(resource, name), (soft, hard))
        drop_privileges(spec["uid"], spec["gid"])
        # Set after the uid change, which clears it: the job dies with this launcher.
        _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")
        os.chdir(spec["cwd"])
        if program:
            install_seccomp(program)
        os.execve(command[0], command, spec["env"])
    except BaseException as error:  # noqa: BLE001 - any failure here is the launcher's
        try:
            os.write(report_fd, f"{type(error).__name__}: {error}".encode()[:1000])
        finally:
            os._exit(SETUP_FAILED)


def run(spec: dict, command: list[str]) -> int:
    status_fd = spec["status_fd"]
    # Orphans of the job are adopted here, not by the host's init: they stay in the tree.
    _check(_libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(CHILD_SUBREAPER)")
    for path in spec["cgroup_procs"]:
        # Before the fork: the job and everything it starts are counted and killed as a group.
        with open(path, "w") as handle:
            handle.write(str(os.getpid()))
    program = b""
    if spec["seccomp_fd"] is not None:
        with os.fdopen(spec["seccomp_fd"], "rb") as handle:
            program = handle.read()
    report_read, report_write = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        os.close(report_read)
        os.close(status_fd)
        _child(spec, command, program, report_write)
    os.close(report_write)
    with os.fdopen(report_read, "rb") as report:
        failure = report.read()
    if failure:
        os.waitpid(pid, 0)
        print(f"fallback launcher: {failure.decode('utf-8', 'replace')}", file=sys.stderr)
        return SETUP_FAILED
    with os.fdopen(status_fd, "w") as status:
        status.write(json.dumps({"child-pid": pid}) + "\n")
        status.flush()
        wait_status = _reap_until(pid)
        if os.WIFSIGNALED(wait_status):
            code = 128 + os.WTERMSIG(wait_status)
        else:
            code = os.WEXITSTATUS(wait_status)
        status.write(json.dumps({"exit-code": code}) + "\n")
    return 0


def _reap_until(pid: int) -> int:
    """Wait for `pid`, reaping the adopted orphans that end meanwhile (each zombie would
    count against the uid's RLIMIT_NPROC); returns pid's wait status."""
    while True:
        reaped, wait_status = os.waitpid(-1, 0)
        if reaped == pid:
            return wait_status


def probe() -> dict:
    """What this host permits the fallback, tried in a throwaway child."""
    pid = os.fork()
    if pid == 0:
        try:
            unshare_network()
        except OSError:
            os._exit(1)
        os._exit(0)
    _, wait_status = os.waitpid(pid, 0)
    return {"network": os.WIFEXITED(wait_status) and os.WEXITSTATUS(wait_status) == 0}


def processes_of(uid: int, among: list[int] | None = None) -> list[int]:
    """Live processes (other than this one) whose real, effective or saved uid is `uid`,
    of all in /proc or of `among`. Zombies are dead already: a container's init may never
    reap an orphan's."""
    found = []
    for entry in map(str, among) if among is not None else os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                for line in handle:
                    if line.startswith("State:") and line.split()[1] in ("Z", "X"):
                        break
                    if line.startswith("Uid:"):
                        if str(uid) in line.split()[1:4]:
                            found.append(int(entry))
                        break
        except OSError:
            continue  # ended meanwhile
    return found


def _signal_if_of(uid: int, pid: int, signal_number: int) -> None:
    """Send `signal_number` to `pid` if it is still a process of `uid`: the pidfd pins the
    process, so a pid reused by another's process after the scan is never signalled."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return  # ended meanwhile
    try:
        if pid in processes_of(uid, among=[pid]):
            signal.pidfd_send_signal(pidfd, signal_number)
    except OSError:
        pass  # ended meanwhile
    finally:
        os.close(pidfd)


def kill_uid(uid: int) -> bool:
    """SIGKILL every process of `uid`, wherever it went (a daemonised child leaves the tree),
    sent by root: the job's processes cannot signal the killer, as they could when it ran as
    their uid. Each is stopped first (a stopped process forks no more), then killed, until
    /proc shows none or KILL_UID_DEADLINE_S passes. True when none is left."""
    deadline = time.monotonic() + KILL_UID_DEADLINE_S
    while time.monotonic() < deadline:
        pids = processes_of(uid)
        if not pids:
            return True
        for signal_number in (signal.SIGSTOP, signal.SIGKILL):
            for pid in pids:
                _signal_if_of(uid, pid, signal_number)
        time.sleep(KILL_PAUSE_S)
    return not processes_of(uid)


def main(argv: list[str]) -> int:
    try:
        if argv[1:2] == ["--probe"]:
            print(json.dumps(probe()))
            return 0
        if argv[1:2] == ["--kill-uid"]:
            return 0 if kill_uid(int(argv[2])) else 1
        if len(argv) < 4 or argv[2] != "--":
            print("fallback launcher: usage: fallback_launcher.py SPEC -- PROGRAM ARGS...",
                  file=sys.stderr)
            return SETUP_FAILED
        return run(json.loads(argv[1]), argv[3:])
    except OSError as error:
        print(f"fallback launcher: {error}", file=sys.stderr)
        return SETUP_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv))
