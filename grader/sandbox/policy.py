"""The sandbox policy: one declarative object that says what a job may see and do, and turns
that into bubblewrap's argv. Every setting carries the reason it is there.

Deny by default: the job starts from an empty root and is shown only the runtime, /harness
and its own /work. The policy is built without a job (`SandboxPolicy.default()`), so a
long-lived process (a future warm fork server) can be started under the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping, Sequence

from grader.sandbox.runtime import Runtime, current_runtime

HARNESS_DIR = Path(__file__).resolve().parent.parent / "harness"
"""grader/harness/: the programs that run inside, next to the student's code."""

WORK_INSIDE = "/work"
HARNESS_INSIDE = "/harness"


@dataclass(frozen=True)
class Bind:
    """A host path shown inside the sandbox."""

    host: str
    inside: str
    why: str
    writable: bool = False


@dataclass(frozen=True)
class SandboxPolicy:
    """What a sandboxed process may see and do. Limits (time, memory...) live in Limits;
    this is the shape of the box, the same for every job."""

    binds: tuple[Bind, ...]
    """Read-only host paths; everything else of the host is invisible."""
    python: str
    """The interpreter inside (the venv's), started as `python -I -B /harness/<name>`."""
    env: Mapping[str, str] = field(default_factory=dict)
    """The whole environment (bwrap --clearenv first): nothing of the grader's leaks in, such
    as the database URL or API secrets in AUTOGRADER_* variables."""
    sandbox_uid: int = 65534
    """uid inside: nobody. Not 0, so no capabilities inside the user namespace either."""
    sandbox_gid: int = 65534
    host_uid: int | None = None
    """uid (and gid) bwrap runs as on the host; None: a fresh one per job (uids.py).
    Never root: when bwrap runs as root, the job's uid maps to host uid 0, and the kernel
    lets a uid-0 process write /proc/sys/kernel/core_pattern even with no capabilities
    (measured here: writable), which is a way out to root on the host. As an unprivileged
    host uid it owns nothing of the host."""
    hostname: str = "sandbox"
    """UTS namespace name: hides the grader machine's name."""
    shm_mb: int = 64
    """Size of the job's own /dev/shm (a tmpfs), MB. Bounded here because tmpfs pages are
    invisible to the /proc poller (the no-cgroup fallback counts only processes' RSS)."""
    seccomp: bool = True
    """Refuse the system calls of seccomp.py (mount, keyctl, bpf, io_uring, ptrace...): the
    kernel is shared, and most escapes from namespaces go through one of them."""

    def __post_init__(self) -> None:
        if self.host_uid == 0:
            raise ValueError("the sandbox must not run as host root (see host_uid)")

    @classmethod
    def default(cls, runtime: Runtime | None = None, harness_dir: Path = HARNESS_DIR) -> "SandboxPolicy":
        """The policy every job runs under; needs no job."""
        runtime = runtime or current_runtime()
        binds = [
            # Shared libraries of the interpreter, torch, numpy and cv2 (libc, libm, libz...).
            # /usr/bin is left out: a submission has no business running programs.
            Bind("/usr/lib", "/usr/lib", "shared libraries (libc, libstdc++, libz)"),
            Bind("/usr/lib64", "/usr/lib64", "the dynamic loader ld-linux-x86-64.so.2"),
            # The loader's cache lists where libraries live; it holds no secrets.
            Bind("/etc/ld.so.cache", "/etc/ld.so.cache", "library search cache of the loader"),
        ]
        binds += [Bind(host, inside, "the Python runtime: interpreter, torch, numpy")
                  for host, inside in runtime.mounts]
        binds.append(Bind(str(harness_dir), HARNESS_INSIDE, "the harness programs, read-only"))
        return cls(
            binds=tuple(b for b in binds if Path(b.host).exists()),
            python=runtime.python,
            env={
                "PATH": str(Path(runtime.python).parent),
                "HOME": WORK_INSIDE,
                "LANG": "C.UTF-8",
                # One thread per math library: the job is bounded in processes/threads and
                # the machine has 2 cores shared by concurrent grades.
                "OMP_NUM_THREADS": "1",
                "MKL_NUM_THREADS": "1",
                # Students' gd.py plot with matplotlib: no display here, so the file backend
                # (plt.show() then only warns). Its cache goes to $HOME/.cache, in /work.
                "MPLBACKEND": "Agg",
            },
        )

    def with_binds(self, *extra: Bind) -> "SandboxPolicy":
        """This policy with more paths shown (for tests and tools, never for students)."""
        return replace(self, binds=self.binds + extra)

    def harness_command(self, harness: str) -> list[str]:
        """argv of a harness program inside: isolated mode (-I: no PYTHON* env, no user
        site-packages, no cwd on sys.path) and no .pyc writes (-B)."""
        if "/" in harness or harness.startswith("."):
            raise ValueError(f"a harness is a file name in grader/harness/, not {harness!r}")
        return [self.python, "-I", "-B", f"{HARNESS_INSIDE}/{harness}"]

    def bwrap_argv(self, bwrap: str, sources: Mapping[str, str], workdir: str,
                   command: Sequence[str], status_fd: int | None = None,
                   seccomp_fd: int | None = None) -> list[str]:
        """bubblewrap's argv. `sources` maps each bind's host path to the path bwrap should
        bind from (a staged copy of the mount, see launcher.py); `workdir` is the host path
        of the job's work dir; bwrap reports start and exit as JSON lines on `status_fd`
        and installs the BPF program read from `seccomp_fd` just before the exec."""
        argv = [bwrap]
        if status_fd is not None:
            argv += ["--json-status-fd", str(status_fd)]
        if seccomp_fd is not None:
            argv += ["--seccomp", str(seccomp_fd)]
        argv += [
            # Namespaces: own users (uid mapping), processes (cannot see or signal the host's,
            # and all die with its init), network (only a down loopback: no Redis, no
            # PostgreSQL, no DNS, no internet), IPC (no shared memory with the host), UTS.
            "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            # cgroup namespace where the kernel has it: the job sees its cgroup as the root.
            "--unshare-cgroup-try",
            # No nested user namespaces: they would hand the job a fresh set of capabilities
            # over its own namespaces, the usual entry to kernel bugs.
            "--disable-userns",
            "--uid", str(self.sandbox_uid), "--gid", str(self.sandbox_gid),
            "--hostname", self.hostname,
            # No capabilities at all, even inside its own namespaces.
            "--cap-drop", "ALL",
            # Own session: the job cannot push input into the grader's terminal (TIOCSTI).
            "--new-session",
            # If the grader dies, the sandbox dies (SIGKILL to its init, so the whole tree).
            "--die-with-parent",
            # Nothing of the grader's environment, only what the policy lists.
            "--clearenv",
        ]
        for name, value in self.env.items():
            argv += ["--setenv", name, value]
        # Merged-/usr layout: /lib and /lib64 point into /usr, as on the host.
        argv += ["--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64"]
        for bind in self.binds:
            argv += ["--bind" if bind.writable else "--ro-bind", sources[bind.host], bind.inside]
        argv += [
            # The namespace's own /proc: shows only the job's processes, not the host's
            # (so no /proc/1/environ of the grader).
            "--proc", "/proc",
            # A minimal /dev: null, zero, full, random, urandom, tty; no disks. Its /dev/shm
            # is the job's own, bounded; /dev itself is then read-only (no files there).
            "--dev", "/dev",
            "--size", str(self.shm_mb * 2**20), "--tmpfs", "/dev/shm",
            "--remount-ro", "/dev",
            # The job's own directory, the only writable place that outlives the job.
            "--bind", workdir, WORK_INSIDE,
            # The root (a tmpfs bwrap made) read-only: no /tmp, no stray files outside /work.
            "--remount-ro", "/",
            "--chdir", WORK_INSIDE,
            "--",
        ]
        return argv + list(command)
