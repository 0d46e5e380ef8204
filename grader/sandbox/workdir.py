"""The job's work directory on the host: created fresh, bounded in size, readable by the
trusted side after the run, cleaned of anything but plain files and directories, removed.

Preferred: a tmpfs of `workdir_mb` mounted on the host dir (the kernel refuses writes past
it with ENOSPC, and its pages count against the job's memory cgroup). Where mounting is not
allowed (a container without CAP_SYS_ADMIN), a plain directory whose size the runner polls,
with RLIMIT_FSIZE bounding each file in between polls; there each file and directory is
charged INODE_CHARGE_BYTES, so a flood of empty files hits the limit where the tmpfs would
run out of inodes.
"""

from __future__ import annotations

import ctypes
import math
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Mapping

from grader.sandbox.errors import SandboxStartError

MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MNT_DETACH = 2

_libc = ctypes.CDLL(None, use_errno=True)

INODES_PER_MB = 64
"""Files the job may create per MB of work dir (256 MB: 16384 files). Bounds the tree the
trusted side walks afterwards, and empty files, which take no blocks, cannot fill memory."""
INODE_CHARGE_BYTES = 2**20 // INODES_PER_MB
"""What each file or directory costs in a plain directory (16 KB): an empty file takes no
blocks, yet a million of them fill the host's inode table and slow every walk of the tree."""


def _tmpfs_mount(path: Path, size_mb: int, uid: int, gid: int) -> bool:
    options = (f"size={size_mb}m,nr_inodes={size_mb * INODES_PER_MB},"
               f"mode=0700,uid={uid},gid={gid}")
    # nosuid, nodev: nothing in /work can raise privileges or open a device.
    # noexec: the job cannot run programs or load shared objects it wrote there.
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    return _libc.mount(b"tmpfs", str(path).encode(), b"tmpfs", flags, options.encode()) == 0


def reachable_by(path: Path, uid: int) -> bool:
    """True when `uid` (not root, in no group) can walk down to `path`: every directory on
    the way has search (x) permission for others, or belongs to uid."""
    resolved = Path(path).resolve()
    for folder in [resolved, *resolved.parents] if resolved.is_dir() else resolved.parents:
        info = folder.stat()
        if info.st_uid != uid and not info.st_mode & 0o001:
            return False
    return True


def _check_traversable(path: Path, uid: int) -> None:
    """bwrap runs as `uid` and must walk down to the work dir to bind it. Said plainly
    here, because bwrap would only say "Permission denied" about some path."""
    if not reachable_by(path, uid):
        for folder in [path.resolve(), *path.resolve().parents]:
            info = folder.stat()
            if info.st_uid == uid or info.st_mode & 0o001:
                continue
            raise SandboxStartError(
                f"the sandbox's jobs directory {path} is not reachable by uid {uid}: {folder} "
                "lacks o+x (set AUTOGRADER_SANDBOX_DIR to a directory under /tmp or /var/lib)")


@dataclass
class WorkDir:
    """One job's directory: `path` is what bwrap binds at /work."""

    root: Path
    """The job's private host directory (root-owned, mode 0711: traversable by the
    sandbox uid, not listable), holding work/ and the staging mount points."""
    path: Path
    """root/work: /work inside."""
    size_mb: int
    is_tmpfs: bool

    @classmethod
    def create(cls, base: Path, size_mb: int, uid: int, gid: int) -> "WorkDir":
        base.mkdir(mode=0o711, parents=True, exist_ok=True)
        _check_traversable(base, uid)
        root = Path(tempfile.mkdtemp(prefix="job-", dir=base))
        os.chmod(root, 0o711)
        path = root / "work"
        path.mkdir(mode=0o700)
        is_tmpfs = _tmpfs_mount(path, size_mb, uid, gid)
        os.chown(path, uid, gid)
        return cls(root=root, path=path, size_mb=size_mb, is_tmpfs=is_tmpfs)

    def write_files(self, files: Mapping[str, bytes], uid: int, gid: int) -> None:
        """Write the job's inputs; they stay root-owned (the job reads, cannot rewrite).
        out/ is made for the job and owned by it."""
        for name, data in files.items():
            relative = PurePosixPath(name)
            if relative.is_absolute() or ".." in relative.parts or not relative.parts:
                raise SandboxStartError(f"job file name {name!r} is not a plain relative path")
            target = self.path.joinpath(*relative.parts)
            target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(0o644)
        out = self.path / "out"
        out.mkdir(mode=0o755, exist_ok=True)
        os.chown(out, uid, gid)

    def used_mb(self, stop_above_mb: float = math.inf) -> float:
        """MB written so far. For the plain-directory fallback, a walk of the tree charging
        each entry its blocks plus INODE_CHARGE_BYTES; it stops once past `stop_above_mb`
        (the limit: the job is over it, however much more there is)."""
        if self.is_tmpfs:
            info = os.statvfs(self.path)
            return (info.f_blocks - info.f_bfree) * info.f_frsize / 2**20
        total, stop_above = 0, stop_above_mb * 2**20
        for folder, dirnames, names in os.walk(self.path):
            for name in names + dirnames:
                try:
                    total += os.lstat(os.path.join(folder, name)).st_blocks * 512
                except OSError:
                    pass
                total += INODE_CHARGE_BYTES
            if total > stop_above:
                break
        return total / 2**20

    def is_full(self) -> bool:
        """True when the job used (nearly) all its space: within 1 MB of workdir_mb, or
        every inode of the tmpfs (a flood of empty files)."""
        if self.is_tmpfs and os.statvfs(self.path).f_ffree == 0:
            return True
        return self.used_mb() >= self.size_mb - 1

    def has_file_of(self, size_bytes: int) -> bool:
        """True when some file reached `size_bytes` (RLIMIT_FSIZE stopped a write there).
        Python ignores SIGXFSZ and raises "File too large" instead, so the signal alone
        cannot tell; a file cut at exactly the limit can."""
        for folder, _, names in os.walk(self.path):
            for name in names:
                try:
                    if os.lstat(os.path.join(folder, name)).st_size >= size_bytes:
                        return True
                except OSError:
                    pass
        return False

    def scrub(self) -> None:
        """Remove everything but regular files and directories, once the job is dead.

        The trusted side reads out/ as root: a symlink planted there (results.jsonl ->
        /work/main/hidden_tests/hw1.toml) would make it read a secret into the report, and
        a FIFO would block it forever. After this, a path in the work dir is plain data."""
        for folder, dirnames, names in os.walk(self.path):
            for name in names + dirnames:
                entry = os.path.join(folder, name)
                mode = os.lstat(entry).st_mode
                if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                    os.unlink(entry)
            # os.walk does not descend into symlinked dirs (followlinks=False); they were
            # listed in dirnames and unlinked above.

    def remove(self) -> None:
        if self.is_tmpfs:
            # Lazy unmount: never fails because the trusted side still has a file open.
            _libc.umount2(str(self.path).encode(), MNT_DETACH)
        shutil.rmtree(self.root, ignore_errors=True)
