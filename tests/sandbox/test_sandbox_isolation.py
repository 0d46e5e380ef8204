"""What a job can see and reach: only the runtime, /harness and its own /work; no network,
no secrets of the grader, no other job, no way to write anywhere else. Each attack runs in
the real sandbox through run_job and the host is checked afterwards."""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import pytest
import redis

from grader.sandbox import Outcome, SandboxJob, run_job
from tests.support.leftovers import assert_nothing_left
from tests.support.paths import REPO_ROOT
from tests.support.polling import wait_until
from tests.support.probes import run_probe
from tests.support.sandbox_limits import FAST_LIMITS

HIDDEN_TESTS = REPO_ROOT / "hidden_tests" / "hw1.toml"
REFERENCE = REPO_ROOT / "reference" / "mlp.py"


def probe_json(code: str, **options) -> dict:
    """Run code that prints one JSON object last; return it."""
    result, _ = run_probe(code, **options)
    assert result.outcome is Outcome.OK, result.stderr.decode()
    return json.loads(result.stdout.decode().strip().splitlines()[-1])


def test_the_environment_holds_only_what_the_policy_lists(planted_secret: dict) -> None:
    # Exploit: read the grader's environment variables (database URL, API secrets).
    seen = probe_json("import os, json\nprint(json.dumps(dict(os.environ)))")
    seen.pop("PWD", None)  # set by the shell-less exec of bwrap --chdir
    assert seen == {"PATH": "/opt/venv/bin", "HOME": "/work", "LANG": "C.UTF-8",
                    "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}


def test_not_root_no_capabilities_no_new_privileges() -> None:
    seen = probe_json(
        "import os, json\nstatus = dict(l.split(':\\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\\t' in l)\n"
        "print(json.dumps({'uid': os.getuid(), 'gid': os.getgid(), 'caps': status['CapEff'].strip(),\n"
        "                  'bound': status['CapBnd'].strip(), 'nnp': status['NoNewPrivs'].strip()}))")
    assert seen == {"uid": 65534, "gid": 65534, "caps": "0000000000000000",
                    "bound": "0000000000000000", "nnp": "1"}


def test_kernel_settings_are_not_writable() -> None:
    # Exploit: write /proc/sys/kernel/core_pattern ("|/work/x") so the host kernel runs a
    # program as root on the next crash. Possible when bwrap runs as root (the job's uid
    # then maps to host uid 0); the policy runs it as an unprivileged host uid instead.
    seen = probe_json(
        "import json\nout = {}\nfor p in ['/proc/sys/kernel/core_pattern', '/proc/sys/vm/drop_caches', '/proc/sysrq-trigger']:\n"
        "    try:\n        open(p, 'w').close()\n        out[p] = 'writable'\n    except OSError as e:\n        out[p] = e.strerror\n"
        "print(json.dumps(out))")
    assert "writable" not in seen.values(), seen


def test_secrets_of_the_host_cannot_be_read(planted_secret: dict) -> None:
    # Exploit: read the grader's secrets by path — its environment through /proc, root's
    # ssh keys, the hidden tests and reference solution in the checkout — and print them
    # into the feedback. None of these paths exists inside; /proc is the job's own.
    paths = ["/proc/1/environ", "/proc/2/environ", "/root/.ssh/id_rsa", "/root/.ssh/authorized_keys",
             "/work/.ssh/id_rsa", str(HIDDEN_TESTS), str(REFERENCE), "../hidden_tests/hw1.toml",
             "../../hidden_tests/hw1.toml", str(REPO_ROOT / ".env"), planted_secret["file"],
             "/etc/shadow", "/etc/passwd"]
    code = ("import os, json\nout = {}\n"
            f"for p in {paths!r}:\n"
            "    try:\n        out[p] = open(p, 'rb').read().decode('latin-1')\n"
            "    except OSError as e:\n        out[p] = e.strerror\n"
            "out['pids'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
            "print(json.dumps(out))")
    result, _ = run_probe(code)
    text = result.stdout.decode("latin-1") + result.stderr.decode("latin-1")
    assert planted_secret["env"] not in text
    assert planted_secret["file_text"] not in text
    assert HIDDEN_TESTS.read_text().splitlines()[0] not in text
    assert "def backward(self, dJdy_hat)" not in text
    seen = json.loads(result.stdout.decode().strip().splitlines()[-1])
    # Only its own processes: bwrap's init (1) and itself.
    assert seen["pids"] == [1, 2]
    assert "AUTOGRADER" not in seen["/proc/1/environ"]


def test_no_file_descriptor_of_the_grader_leaks_in() -> None:
    # Exploit: use an inherited descriptor (a host directory, bwrap's status pipe) to
    # reach outside, e.g. openat(fd, "..") or writing a fake exit status.
    seen = probe_json("import os, json\nprint(json.dumps(sorted(int(f) for f in os.listdir('/proc/self/fd'))))")
    assert seen[:3] == [0, 1, 2] and len(seen) == 4  # the 4th is listdir's own


def test_writes_outside_the_work_dir_land_nowhere(host_dir: Path, token: str,
                                                  private_jobs_dir: Path) -> None:
    # Exploit: leave files on the host — in /tmp, /dev/shm, root's home, the checkout, a
    # world-writable host directory — to plant code or fill disks. The root is read-only,
    # /dev/shm is the sandbox's own, and none of the host paths exist inside.
    targets = ["/tmp/" + token, "/dev/shm/" + token, "/root/" + token, f"{REPO_ROOT}/{token}",
               f"{REPO_ROOT}/reference/{token}", str(host_dir / token), "/" + token,
               "/opt/venv/" + token]
    code = ("import os, json\nout = {}\n"
            f"for p in {targets!r}:\n"
            "    try:\n        os.makedirs(os.path.dirname(p), exist_ok=True)\n"
            "        open(p, 'w').write('x')\n        out[p] = 'written'\n"
            "    except OSError as e:\n        out[p] = e.strerror\n"
            "print(json.dumps(out))")
    probe_json(code)
    for target in targets:
        assert not Path(target).exists(), target
    assert not any(token in name for name in os.listdir("/dev/shm"))
    assert_nothing_left(token, host_dir, private_jobs_dir)


def test_network_is_unreachable(token: str) -> None:
    # Exploit: talk to the grader's Redis (rewrite queued grades) or PostgreSQL (rewrite
    # scores), resolve names, or send UDP out. The job's network namespace has only a
    # loopback of its own: 127.0.0.1 there is not the host's.
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(0.5)
    udp_port = listener.getsockname()[1]
    code = f"""
import json, socket
out = {{}}
def attempt(name, action):
    try:
        action()
        out[name] = "reached"
    except OSError as e:
        out[name] = str(e)
def redis_set():
    s = socket.create_connection(("127.0.0.1", 6379), timeout=2)
    s.sendall(b"SET {token} pwned\\r\\n")
    s.recv(100)
attempt("redis", redis_set)
attempt("postgres", lambda: socket.create_connection(("127.0.0.1", 5432), timeout=2))
attempt("dns", lambda: socket.getaddrinfo("pypi.org", 443))
attempt("internet", lambda: socket.create_connection(("1.1.1.1", 80), timeout=2))
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"{token}", ("127.0.0.1", {udp_port}))
    s.sendto(b"{token}", ("10.0.0.1", 53))
attempt("udp", udp)
print(json.dumps(out))
"""
    seen = probe_json(code)
    assert seen["redis"] != "reached" and seen["postgres"] != "reached"
    assert seen["dns"] != "reached" and seen["internet"] != "reached"
    assert redis.Redis(host="127.0.0.1", port=6379).get(token) is None
    with pytest.raises(socket.timeout):
        listener.recvfrom(100)
    listener.close()


def test_links_and_fifos_left_in_out_are_removed_before_the_grader_reads() -> None:
    # Exploit: leave out/results.jsonl as a symlink to a host secret (the trusted side
    # reads out/ as root) or as a FIFO (the reader blocks forever).
    code = ("import os\nos.symlink('/work/main/hidden_tests/hw1.toml', '/work/out/results.jsonl')\n"
            "os.mkfifo('/work/out/fifo.npy')\nos.symlink('/', '/work/out/dir')\n"
            "open('/work/out/plain.txt', 'w').write('ok')\n")
    with run_job(SandboxJob("probe_harness.py", {"submission/probe.py": code.encode()}),
                 FAST_LIMITS) as result:
        assert result.outcome is Outcome.OK, result.stderr
        assert sorted(p.name for p in (result.workdir / "out").iterdir()) == ["plain.txt"]


def test_two_jobs_at_once_cannot_see_each_other(private_jobs_dir: Path, token: str) -> None:
    # Exploit: find another student's submission while both are graded (same machine,
    # same moment), through the file system or /proc. Each job has its own mount and PID
    # namespaces, and its own host uid.
    first_code = (f"import time\nopen('/work/mine.txt', 'w').write('FIRST-{token}')\n"
                  "time.sleep(4)\n")
    holder: dict = {}

    def first() -> None:
        holder["result"], holder["left"] = run_probe(first_code)

    thread = threading.Thread(target=first)
    thread.start()
    wait_until(lambda: list(private_jobs_dir.glob("job-*/work/mine.txt")), 10,
               "the first job to run in its sandbox", interval_s=0.05)
    first_dirs = list(private_jobs_dir.glob("job-*"))
    assert len(first_dirs) == 1
    first_work = str(first_dirs[0] / "work")
    second_code = f"""
import json, os
out = {{"found": []}}
for path in [{first_work!r} + "/mine.txt", {str(private_jobs_dir)!r}]:
    out[path] = os.path.exists(path)
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            out["found"].append(open(f"/proc/{{pid}}/cmdline", "rb").read().decode("latin-1"))
        except OSError:
            pass
for root, _, names in os.walk("/"):
    if root.startswith("/proc") or root.startswith("/sys"):
        continue
    for name in names:
        if name == "mine.txt":
            out["found"].append(os.path.join(root, name))
print(json.dumps(out))
"""
    second, _ = run_probe(second_code)
    thread.join()
    seen = json.loads(second.stdout.decode().strip().splitlines()[-1])
    assert not seen[first_work + "/mine.txt"] and not seen[str(private_jobs_dir)]
    assert not any("mine.txt" in item for item in seen["found"])
    assert f"FIRST-{token}".encode() not in second.stdout
    assert holder["left"]["mine.txt"] == f"FIRST-{token}".encode()


def test_missing_bubblewrap_is_an_internal_error_naming_the_package(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A machine without bwrap must not score the student: internal error, and the message
    # tells the operator what to install.
    monkeypatch.setenv("PATH", str(tmp_path))
    result, _ = run_probe("print('never runs')")
    assert result.outcome is Outcome.INTERNAL
    assert "bubblewrap" in result.message and "not your fault" in result.message


def test_dangerous_system_calls_are_refused() -> None:
    # Exploit: reach the shared kernel through its riskiest interfaces — the keyring (not
    # namespaced), bpf, io_uring, userfaultfd, perf events, mount, open_by_handle_at (the
    # "Shocker" escape). The seccomp filter answers EPERM; ordinary calls still work.
    code = """
import ctypes, errno, json
libc = ctypes.CDLL(None, use_errno=True)
out = {}
for name, number in [("keyctl", 250), ("bpf", 321), ("io_uring_setup", 425), ("userfaultfd", 323),
                     ("perf_event_open", 298), ("mount", 165), ("open_by_handle_at", 304),
                     ("ptrace", 101), ("unshare", 272)]:
    ctypes.set_errno(0)
    result = libc.syscall(number, 0, 0, 0, 0, 0)
    out[name] = errno.errorcode.get(ctypes.get_errno(), "ok") if result == -1 else "allowed"
ctypes.set_errno(0)
out["getppid"] = libc.syscall(110)
print(json.dumps(out))
"""
    seen = probe_json(code)
    assert seen.pop("getppid") == 1
    assert set(seen.values()) == {"EPERM"}, seen


def test_dev_is_read_only_and_shm_is_small_and_private() -> None:
    # Exploit: keep data in memory-backed directories outside /work (/dev, /dev/shm), which
    # a /proc-based memory count would not see.
    code = """
import json
out = {}
try:
    open('/dev/stash', 'w').write('x')
    out['dev'] = 'written'
except OSError as e:
    out['dev'] = e.strerror
written = 0
try:
    for i in range(200):
        with open(f'/dev/shm/fill{i}', 'wb') as f:
            for _ in range(4):
                f.write(b'x' * 2**20)
                f.flush()
                written += 1
except OSError as e:
    out['shm_error'] = e.strerror
out['shm_mb'] = written
print(json.dumps(out))
"""
    seen = probe_json(code)
    assert seen["dev"] == "Read-only file system"
    assert seen["shm_mb"] <= 64 and seen["shm_error"] == "No space left on device"


def test_system_calls_of_the_32_bit_abi_kill_the_job() -> None:
    # Exploit: make the refused calls through the i386 entry point (int 0x80), where the
    # numbers differ (keyctl is 288 there, not 250), so a list of x86-64 numbers would not
    # match. The filter checks the ABI first and kills the process (SIGSYS).
    code = """
import ctypes, mmap
# mov eax, 20 (getpid on i386); int 0x80; ret
machine_code = b"\\xb8\\x14\\x00\\x00\\x00\\xcd\\x80\\xc3"
page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
page.write(machine_code)
address = ctypes.addressof(ctypes.c_char.from_buffer(page))
print("pid via int 0x80:", ctypes.CFUNCTYPE(ctypes.c_int)(address)(), flush=True)
"""
    result, _ = run_probe(code)
    assert result.outcome is Outcome.SIGNALED and result.signal == 31, (result.outcome, result.stdout)
    assert b"pid via int 0x80" not in result.stdout
