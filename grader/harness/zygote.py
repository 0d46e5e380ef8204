"""The warm fork server: runs inside the sandbox, imports torch & co once, then forks one
clean child per job and runs the job's harness in it as `__main__`.

Why: `import torch, torchvision` costs ~2.7 s and ~800 MB per process on the grading machine
(10 s under load), while grading one mlp.py is ~0.1-0.3 s of compute. A forked child starts
with every module already imported, in ~10 ms.

Why it stays safe (the trusted side, grader/warm/, enforces the rest):
- This process never runs student code; only its forked children do. A child's module
  state, monkeypatches, threads and environment live in the child's own copy of memory and
  die with it; the next child is forked from this untouched process again.
- PR_SET_DUMPABLE 0: children run as the same uid, and without it one could ptrace this
  process or read/write /proc/<pid>/mem and plant code in every later job. Non-dumpable, it
  takes CAP_SYS_PTRACE, which nobody in the sandbox has. (Yama is not enabled here.)
- Every catchable signal is blocked here, so a child can stop this process only with
  SIGKILL or SIGSTOP; the trusted side notices both (EOF on the control socket, a reply
  that never comes), throws this zygote away and grades the job again in a cold sandbox.
- After each job it puts back what a job could leave in the shared namespaces that outlive
  one process: files in /dev/shm (a tmpfs of the sandbox, writable by the sandbox uid) and
  in /dev (read-only in today's policy; checked all the same), System V IPC objects, and
  keys in the shared keyrings (the policy's seccomp filter refuses keyctl today; cleared
  anyway, so a policy change cannot open that channel silently); it reports anything it
  could not put back, and the trusted side then discards it. /work is wiped by the trusted
  side.

Protocol: one SOCK_SEQPACKET connection to the trusted side, one JSON object per packet.
  zygote -> {"hello": {...}}
  trusted -> {"op": "run", "harness": name, "rlimits": {...}}  + fds [stdout, stderr]
  zygote -> {"started": pid}  then  {"exited": {"code": int} | {"signal": int}}
            or {"setup_failed": why}
  trusted -> {"op": "clean"}  ->  {"clean": {"ok": bool, "problems": [...]}}

Stdlib, numpy, torch (and what the students may import) only: no grader package here.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import stat
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
_libc = ctypes.CDLL(None, use_errno=True)
# Made non-dumpable before anything else: from here on no same-uid process can attach.
_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)

PACKET_BYTES = 65536
"""Largest control message; real ones are under 1 KiB."""
HARNESS_DIR = "/harness"
WORK_DIR = "/work"
SETUP_FAILED = 125
"""Exit status of a child whose set-up (before any job code) failed: the sandbox's fault."""

# Snapshots taken before any import: what a fresh `python -I -B` has, given to each child.
CLEAN_ENV = dict(os.environ)
CLEAN_PATH = list(sys.path)


def preload() -> dict:
    """Import what harnesses and submissions use, with one intra-op thread, and warm up
    torch's lazy paths (matmul, autograd) without touching any random generator."""
    started = time.monotonic()
    import numpy  # noqa: F401
    import torch

    # Before any op: no intra-op thread pool exists at fork time (fork copies only the
    # calling thread; a pool's threads would be missing in the child with their locks held).
    torch.set_num_threads(1)
    x = torch.ones(8, 8, requires_grad=True)
    (x @ x).sigmoid().relu().sum().backward()
    for name in ("torchvision", "torchvision.models", "torchvision.transforms", "cv2", "tqdm"):
        try:
            __import__(name)
        except ImportError:
            pass  # a runtime without it grades the same way cold would: import fails there too
    import importlib, io, re, traceback, runpy, atexit, threading, random  # noqa: E401,F401
    return {"import_s": round(time.monotonic() - started, 3)}


def thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


# -- one job ------------------------------------------------------------------------------
def detach(parent: int) -> None:
    """First thing in a forked child: its own session and process group (a kill(0) of the
    job misses the zygote), and death with the zygote."""
    try:
        os.setsid()
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(SETUP_FAILED)  # the zygote died before the line above took effect
    except BaseException:  # noqa: BLE001 - the sandbox's failure, never the job's
        os._exit(SETUP_FAILED)


def wait_as_spare(channel: socket.socket, parent: int) -> None:
    """The spare child forked ahead of time, between jobs (the fork, ~10-60 ms, is then off
    the next job's path): detached, it waits for its job and its pipes from the zygote, then
    becomes the job process. It never ran anything of a job before; it is a copy of the
    zygote taken after the last job's clean-up. Never returns."""
    detach(parent)
    try:
        data, fds, _, _ = socket.recv_fds(channel, PACKET_BYTES, 2)
        if not data or len(fds) != 2:
            os._exit(0)  # the zygote is done with this spare
        request = json.loads(data)
    except BaseException:  # noqa: BLE001
        os._exit(SETUP_FAILED)
    run_child(request, fds[0], fds[1], channel.fileno())


def run_child(request: dict, out_fd: int, err_fd: int, ready_fd: int) -> None:
    """In the detached child: become a fresh job process, then run the harness. Never
    returns. `ready_fd` gets one byte once the harness is about to start."""
    try:
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        import resource
        for name, (soft, hard) in request["rlimits"].items():
            resource.setrlimit(getattr(resource, name), (soft, hard))
        try:
            # The OOM killer picks the job's processes before the zygote (children inherit).
            with open("/proc/self/oom_score_adj", "w") as handle:
                handle.write("1000")
        except OSError:
            pass
        # The child's own /proc entries readable by itself, as in a cold run.
        _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
        os.chdir(WORK_DIR)
        os.environ.clear()
        os.environ.update(CLEAN_ENV)
        sys.path[:] = CLEAN_PATH
        path = f"{HARNESS_DIR}/{request['harness']}"
        sys.argv[:] = [path]
        # Fresh entropy, as a new interpreter draws at import (torch 2.14 seeds its default
        # generator randomly at import too): no job can predict the next one's draws.
        import random
        random.seed()
        sys.modules["numpy"].random.seed()
        sys.modules["torch"].seed()
        # The zygote's own atexit handlers (torch and torchvision register 9) are cleanup of
        # process-wide state that the kernel frees at exit anyway; run in every child they
        # cost ~150 ms (measured on the 2-core machine under load). The job's own handlers,
        # registered from here on, still run at its exit.
        import atexit
        atexit._clear()
        os.write(ready_fd, b"1")
        # Nothing of the zygote's stays open: not the control socket, not its own pipes.
        # Up to 2**20, not the (already lowered) RLIMIT_NOFILE: close_range makes it free.
        os.closerange(3, 2**20)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
    except BaseException:  # noqa: BLE001 - any failure here is the sandbox's, never the job's
        os._exit(SETUP_FAILED)
    os._exit(run_main(path))


def run_main(path: str) -> int:
    """Run `path` as __main__ and finish like the interpreter: exit status from SystemExit,
    traceback and 1 on an exception, then wait for non-daemon threads and run atexit."""
    import runpy
    import threading
    import atexit

    code = 0
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exit_:
        code = _exit_status(exit_.code)
    except BaseException:  # noqa: BLE001 - what an uncaught exception does in `python x.py`
        sys.excepthook(*sys.exc_info())
        code = 1
    try:
        threading._shutdown()  # what Py_FinalizeEx does first: join non-daemon threads
        atexit._run_exitfuncs()
    except BaseException:  # noqa: BLE001
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - a closed or replaced stream
            pass
    return code


def _exit_status(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except BaseException:  # noqa: BLE001
        pass
    return 1


class Spare:
    """The one child forked ahead of time, waiting for the next job."""

    def __init__(self) -> None:
        self.pid = 0
        self.channel: socket.socket | None = None

    def fork(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # nothing buffered here may be written twice by the child
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            ours.close()
            wait_as_spare(theirs, parent)
        theirs.close()
        self.pid, self.channel = pid, ours

    def ensure(self) -> None:
        if self.channel is None:
            self.fork()

    def take(self) -> tuple[int, socket.socket]:
        """The spare (forked now if there is none); the zygote has none afterwards."""
        if self.channel is None:
            self.fork()
        taken = (self.pid, self.channel)
        self.pid, self.channel = 0, None
        return taken


def run_job(sock: socket.socket, request: dict, fds: list[int], spare: Spare) -> None:
    if len(fds) != 2 or "/" in request.get("harness", "/"):
        for fd in fds:
            os.close(fd)
        send(sock, {"setup_failed": "bad run request"})
        return
    pid, channel = spare.take()
    try:
        socket.send_fds(channel, [json.dumps(request).encode()], fds)
        ready = channel.recv(1)
    except OSError:
        ready = b""
    finally:
        for fd in fds:
            os.close(fd)
        channel.close()
    if ready != b"1":
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        send(sock, {"setup_failed": "the job process failed before the harness started"})
        return
    send(sock, {"started": pid})
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        send(sock, {"exited": {"signal": os.WTERMSIG(status)}})
    else:
        send(sock, {"exited": {"code": os.WEXITSTATUS(status)}})


# -- between jobs -------------------------------------------------------------------------
def snapshot_dev() -> dict[str, tuple]:
    """/dev itself, its entries and those of /dev/shm, as (type, mode, uid, link target)."""
    entries: dict[str, tuple] = {}
    info = os.lstat("/dev")
    entries["/dev"] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode), info.st_uid, None)
    for folder in ("/dev", "/dev/shm"):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            path = f"{folder}/{name}"
            try:
                info = os.lstat(path)
            except OSError:
                continue
            target = os.readlink(path) if stat.S_ISLNK(info.st_mode) else None
            entries[path] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode), info.st_uid, target)
    return entries


def _remove(path: str) -> None:
    """Remove a file or a whole tree a job made, whatever modes it set (same uid: allowed)."""
    info = os.lstat(path)
    if stat.S_ISDIR(info.st_mode):
        os.chmod(path, 0o700)
        for name in os.listdir(path):
            _remove(f"{path}/{name}")
        os.rmdir(path)
    else:
        os.unlink(path)


def restore_dev(baseline: dict[str, tuple], problems: list[str]) -> None:
    """Put /dev back as it was when the zygote started: extras removed, modes and symlinks
    restored. Device nodes and /dev/pts are mounts a job cannot remove."""
    if stat.S_IMODE(os.lstat("/dev").st_mode) != baseline["/dev"][1]:
        try:  # a job may have locked the zygote out of a writable /dev
            os.chmod("/dev", baseline["/dev"][1])
        except OSError as error:
            problems.append(f"cannot restore /dev: {error.strerror}")
    for path, entry in snapshot_dev().items():
        if baseline.get(path) == entry:
            continue
        try:
            if path in baseline and entry[0] == baseline[path][0] and entry[0] != stat.S_IFLNK:
                os.chmod(path, baseline[path][1])
            else:
                _remove(path)
        except OSError as error:
            problems.append(f"cannot restore {path}: {error.strerror}")
    for path, (kind, _, _, target) in baseline.items():
        if kind == stat.S_IFLNK and not os.path.lexists(path):
            os.symlink(target, path)
    if snapshot_dev() != baseline:
        problems.append("/dev differs from its state at start")


def remove_sysv_ipc(problems: list[str]) -> None:
    """Delete System V shared memory, semaphores and message queues: they outlive every
    process in the IPC namespace, which the zygote's jobs share."""
    calls = {"shm": (_libc.shmctl, 3), "sem": (_libc.semctl, 4), "msg": (_libc.msgctl, 3)}
    IPC_RMID = 0
    for kind, (function, arity) in calls.items():
        for ident in _ipc_ids(kind):
            args = (ident, 0, IPC_RMID, None) if arity == 4 else (ident, IPC_RMID, None)
            if function(*args) != 0:
                problems.append(f"cannot remove System V {kind} {ident}")
        if _ipc_ids(kind):
            problems.append(f"System V {kind} objects left")


def _ipc_ids(kind: str) -> list[int]:
    try:
        with open(f"/proc/sysvipc/{kind}") as handle:
            lines = handle.read().splitlines()[1:]
    except OSError:
        return []
    return [int(line.split()[1]) for line in lines if line.strip()]


KEYCTL_JOIN_SESSION_KEYRING = 1
KEYCTL_CLEAR = 7
KEYCTL_READ = 11
SYS_KEYCTL = 250  # x86_64
KEYRINGS = {"session": -3, "user": -4, "user-session": -5}
_libc.syscall.restype = ctypes.c_long


def clear_keyrings(problems: list[str]) -> None:
    """Empty the keyrings every job of this zygote shares (its session keyring, and the
    uid's user and user-session keyrings of the sandbox's user namespace): a job could
    leave a key there for the next one to read."""
    for name, ring in KEYRINGS.items():
        _libc.syscall(SYS_KEYCTL, KEYCTL_CLEAR, ring, 0, 0, 0)
        length = _libc.syscall(SYS_KEYCTL, KEYCTL_READ, ring, None, 0, 0)
        if length > 0:
            problems.append(f"the {name} keyring is not empty")


def other_processes() -> list[int]:
    """Live processes of the sandbox's PID namespace besides its init (1) and this zygote.
    Zombies are not counted: a killed orphan stays one until bwrap's init reaps it, a few
    ms after the trusted side saw it leave the cgroup, and it can no longer run."""
    me, live = os.getpid(), []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in (1, me):
            continue
        try:
            with open(f"/proc/{name}/stat") as handle:
                text = handle.read()
        except OSError:
            continue  # reaped meanwhile
        if text[text.rfind(")") + 2:].split()[0] not in ("Z", "X"):
            live.append(int(name))
    return live


def clean(baseline: dict[str, tuple], spare: int) -> dict:
    """Put back what a job could leave; `spare` (0: none) is a spare child forked after an
    earlier clean-up that no job has used yet (a job that did not start), kept."""
    problems: list[str] = []
    while True:  # reap the job's process (already waited) and anything else of ours
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if not spare:
                problems.append("a child of the zygote is still running")
            break
        if pid == spare:
            problems.append("the spare child died")
    left = [pid for pid in other_processes() if pid != spare]
    if left:
        problems.append(f"processes left in the sandbox: {left[:10]}")
    restore_dev(baseline, problems)
    remove_sysv_ipc(problems)
    clear_keyrings(problems)
    if thread_count() != 1:
        problems.append(f"the zygote has {thread_count()} threads")
    return {"ok": not problems, "problems": problems}


# -- the loop -----------------------------------------------------------------------------
def send(sock: socket.socket, message: dict) -> None:
    sock.send(json.dumps(message).encode())


def serve(sock: socket.socket, baseline: dict[str, tuple]) -> int:
    spare = Spare()
    while True:
        data, fds, _, _ = socket.recv_fds(sock, PACKET_BYTES, 2)
        if not data:
            return 0  # the trusted side closed: the pool is done with this zygote
        try:
            request = json.loads(data)
        except ValueError:
            for fd in fds:
                os.close(fd)
            return 2
        op = request.get("op")
        if op == "run":
            run_job(sock, request, fds, spare)
        elif op == "clean":
            report = clean(baseline, spare.pid)
            if report["ok"]:
                # Forked only once the last job's traces are gone and checked: the spare is
                # a copy of a clean zygote. The trusted side expects exactly this pid.
                spare.ensure()
                report["spare"] = spare.pid
            send(sock, {"clean": report})
        else:
            return 0 if op == "exit" else 2


def main(argv: list[str]) -> int:
    # All catchable signals blocked: a job's kill(zygote, SIGTERM) stays pending forever.
    signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    # The cwd of a cold run: tempfile falls back to it (there is no /tmp), and torch's
    # import asks tempfile for a directory. The trusted side empties /work after the hello.
    os.chdir(WORK_DIR)
    # A session keyring of its own, inherited by every child and cleared between jobs.
    _libc.syscall(SYS_KEYCTL, KEYCTL_JOIN_SESSION_KEYRING, None, 0, 0, 0)
    info = preload()
    import gc
    gc.collect()
    gc.freeze()  # objects of the imports are never scanned again: fewer copy-on-write pages
    info.update(pid=os.getpid(), threads=thread_count())
    baseline = snapshot_dev()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.connect(argv[1])
    send(sock, {"hello": info})
    return serve(sock, baseline)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
