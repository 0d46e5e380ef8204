"""A seccomp filter for the job: the system calls a Python/torch program never needs and an
escape often does, refused with EPERM. Defence in depth on top of the namespaces, since the
kernel is shared and most container escapes go through one of these calls.

Built here as a classic BPF program (stdlib only: no libseccomp binding) and handed to
`bwrap --seccomp FD`, which installs it just before exec, after no_new_privs.
"""

from __future__ import annotations

import errno
import os
import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000

# BPF instruction parts (linux/filter.h, linux/seccomp.h).
BPF_LD_W_ABS = 0x20
BPF_JMP_JEQ_K = 0x15
BPF_JMP_JGE_K = 0x35
BPF_RET_K = 0x06
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
OFFSET_NR = 0      # struct seccomp_data: int nr
OFFSET_ARCH = 4    # __u32 arch

DENIED_X86_64 = {
    # Reading or changing other processes' memory (within the sandbox, but a classic tool).
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
    # Mounts and namespaces: bwrap is done with them before exec; the job never needs them.
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272,
    "setns": 308, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
    "fsmount": 432, "fspick": 433,
    # File handles by inode number: the "Shocker" way out of a container's mount namespace.
    "name_to_handle_at": 303, "open_by_handle_at": 304,
    # The kernel keyring is not namespaced by mount or PID namespaces.
    "add_key": 248, "request_key": 249, "keyctl": 250,
    # Large kernel attack surfaces with a history of privilege-escalation bugs.
    "bpf": 321, "userfaultfd": 323, "perf_event_open": 298,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    # The machine itself: modules, kexec, swap, reboot, accounting, quotas, kernel log, ports.
    "init_module": 175, "finit_module": 313, "delete_module": 176, "kexec_load": 246,
    "kexec_file_load": 320, "swapon": 167, "swapoff": 168, "reboot": 169, "acct": 163,
    "quotactl": 179, "syslog": 103, "iopl": 172, "ioperm": 173, "lookup_dcookie": 212,
    "vhangup": 153, "sethostname": 170, "setdomainname": 171,
}


def _instruction(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def build_filter(denied: dict[str, int] = DENIED_X86_64) -> bytes:
    """The BPF program: kill any syscall of another ABI (i386 via int 0x80, x32: their
    numbers differ and would slip past the list), EPERM for the listed ones, allow the rest."""
    numbers = sorted(set(denied.values()))
    deny = SECCOMP_RET_ERRNO | errno.EPERM
    program = [
        _instruction(BPF_LD_W_ABS, 0, 0, OFFSET_ARCH),
        _instruction(BPF_JMP_JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        _instruction(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
        _instruction(BPF_LD_W_ABS, 0, 0, OFFSET_NR),
        # x32 syscalls carry bit 30; none is needed.
        _instruction(BPF_JMP_JGE_K, len(numbers) + 1, 0, X32_SYSCALL_BIT),
    ]
    for index, number in enumerate(numbers):
        # On a match, jump to the EPERM return after the list and the ALLOW.
        program.append(_instruction(BPF_JMP_JEQ_K, len(numbers) - index, 0, number))
    program.append(_instruction(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW))
    program.append(_instruction(BPF_RET_K, 0, 0, deny))
    return b"".join(program)


def supported() -> bool:
    """The filter's numbers are x86-64's; elsewhere the sandbox runs without it (and says so
    in docs/threat-model.md)."""
    return platform.machine() == "x86_64"


def filter_fd() -> int:
    """A readable fd holding the program, for bwrap --seccomp (it reads it to EOF)."""
    program = build_filter()
    read_end, write_end = os.pipe()
    # A few hundred bytes: fits the pipe's 64 KiB buffer, so writing cannot block.
    os.write(write_end, program)
    os.close(write_end)
    return read_end
