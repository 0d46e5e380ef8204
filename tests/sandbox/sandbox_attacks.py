"""Hostile mlp.py submissions, one per exploit, each with a comment saying how it works and
what stops it. Placeholders (__TOKEN__, __HOST_DIR__, __SECRET_FILE__, __UDP_PORT__,
__CHECKOUT__) are filled in per test; __TOKEN__ also tags the processes an attack starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REFERENCE_SOURCE = (Path(__file__).resolve().parents[2] / "reference" / "mlp.py").read_text()


WRONG_SOLUTION = """
import torch

class MLP:
    def __init__(self, in1, out1, f_function, in2, out2, g_function):
        self.parameters = dict(W1=torch.randn(out1, in1), b1=torch.randn(out1),
                               W2=torch.randn(out2, in2), b2=torch.randn(out2))
        self.grads = {{name: torch.zeros(1) for name in ("dJdW1", "dJdb1", "dJdW2", "dJdb2")}}
        self.cache = {{}}

    def forward(self, x):
        return torch.full((x.shape[0], self.parameters["W2"].shape[0]), 7.0){wrap}

    def backward(self, dJdy_hat):
        for name, shape in (("dJdW1", "W1"), ("dJdb1", "b1"), ("dJdW2", "W2"), ("dJdb2", "b2")):
            self.grads[name] = torch.full(self.parameters[shape].shape, 7.0){wrap}

    def clear_grad_and_cache(self):
        self.cache = {{}}

def mse_loss(y, y_hat):
    return torch.tensor(7.0){wrap}, torch.full(y.shape, 7.0){wrap}

bce_loss = mse_loss
"""
"""A complete mlp.py whose every answer is 7: wrong, so it must score 0 whatever
comparison tricks come with it. `wrap` turns each returned tensor into a subclass."""


@dataclass(frozen=True)
class Attack:
    name: str
    source: str
    says: tuple[str, ...]
    """Words of which at least one must appear in the report's feedback (lower case)."""
    full_score: bool = False
    """The attack is harmless noise around a correct solution: it must still score fully."""
    baseline: str | None = None
    """A plain wrong solution the attack dresses up: it may score no more than this one
    (the engine gives partial credit by its own rules; the trick must add nothing)."""
    lingers: bool = False
    """It leaves something running that would act later: look again after a pause."""


ATTACKS = [
    # Fork bomb: every process forks again, to exhaust the machine's pids (32768 here) so
    # nothing else can start. Stopped by the job's pids cgroup; the runner kills the tree.
    Attack("fork_bomb", """
import os
TAG = "__TOKEN__"
while True:
    try:
        os.fork()
    except OSError:
        pass
""", says=("processes",)),

    # Memory bomb: allocate and touch tensors until the machine swaps or the kernel's OOM
    # killer picks the grader. The job's memory cgroup OOM-kills inside the job only.
    Attack("memory_bomb", """
import torch
hoard = []
while True:
    hoard.append(torch.ones(2**26))
""", says=("memory",)),

    # Infinite loop at import: holds a core forever. RLIMIT_CPU and the cgroup's total
    # CPU time stop it (or the wall clock first, when other work shares the cores).
    Attack("infinite_loop", """
while True:
    pass
""", says=("cpu time", "wall-clock")),

    # Sleep forever: uses no CPU, so only a wall-clock limit ends it.
    Attack("sleep_forever", """
import time
time.sleep(10**6)
""", says=("wall-clock",)),

    # Double-forked daemon: forks twice and calls setsid so it leaves the process group
    # and is re-parented, then outlives the grade and writes files later. It lives in the
    # sandbox's PID namespace, which the kernel kills whole when its init dies.
    Attack("daemon", """
import os, sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c",
                 "import time\\nwhile True:\\n    time.sleep(1)\\n    open('/work/late', 'w').write('x')\\n"
                 "    open('__HOST_DIR__/late', 'w').write('x')\\n", "__TOKEN__"])
    os._exit(0)
raise ImportError("the daemon is loose")
""", says=("daemon is loose",), lingers=True),

    # Kill the watcher: signal its parent, its process group and every process it can see,
    # hoping to kill the grader or orphan the sandbox. It sees only its PID namespace, whose
    # init (bwrap) ignores signals from inside.
    Attack("kill_parent_and_group", """
import os, signal
for target in (os.getppid(), 1):
    try:
        os.kill(target, signal.SIGKILL)
    except OSError:
        pass
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass
os.killpg(os.getpgid(0), signal.SIGKILL)
""", says=("sigkill", "signal")),

    # Ignore SIGTERM (and every other catchable signal) and wait: a polite kill would never
    # land. The runner only ever sends SIGKILL.
    Attack("ignore_sigterm", """
import signal, time
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM, signal.SIGXCPU, signal.SIGUSR1):
    signal.signal(s, signal.SIG_IGN)
while True:
    time.sleep(1)
""", says=("wall-clock",)),

    # Network: rewrite data in the grader's Redis (queue) or PostgreSQL (scores), resolve
    # names, send UDP out. The network namespace has only its own loopback.
    Attack("network", """
import socket
report = []
def attempt(name, action):
    try:
        action()
        report.append(name + " REACHED")
    except OSError as e:
        report.append(f"{name} failed: {e}")
def redis_set():
    s = socket.create_connection(("127.0.0.1", 6379), timeout=2)
    s.sendall(b"SET __TOKEN__ pwned\\r\\n")
    s.recv(64)
attempt("redis", redis_set)
attempt("postgres", lambda: socket.create_connection(("127.0.0.1", 5432), timeout=2))
attempt("dns", lambda: socket.getaddrinfo("pypi.org", 443))
attempt("udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"__TOKEN__", ("127.0.0.1", __UDP_PORT__)))
raise ImportError("network: " + "; ".join(report))
""", says=("network:",)),

    # Secrets: read the grader's environment (directly and through /proc/1/environ), root's
    # ssh keys, the hidden tests and the instructor's solution, a secret file by its host
    # path, and raise them so they land in the feedback. None of it is inside the sandbox.
    Attack("read_secrets", """
import os
found = [repr(dict(os.environ))]
for path in ["/proc/1/environ", "/proc/self/environ", os.path.expanduser("~/.ssh/id_rsa"),
             "/root/.ssh/id_rsa", "/root/.ssh/authorized_keys",
             "__CHECKOUT__/hidden_tests/hw1.toml", "__CHECKOUT__/reference/mlp.py",
             "../hidden_tests/hw1.toml", "../reference/mlp.py", "__CHECKOUT__/.env",
             "__SECRET_FILE__", "/etc/shadow"]:
    try:
        found.append(path + ": " + open(path, "rb").read().decode("latin-1"))
    except OSError as e:
        found.append(path + ": " + str(e))
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            found.append(open(f"/proc/{pid}/environ", "rb").read().decode("latin-1"))
        except OSError:
            pass
print("\\n".join(found))
raise ImportError("stolen: " + "\\n".join(found))
""", says=("stolen:",)),

    # Write outside the work dir: plant files in /tmp, /dev/shm, root's home, the checkout
    # and a world-writable host directory. The sandbox's root is read-only and holds none
    # of these host paths; /dev/shm is its own.
    Attack("write_outside", """
import os
results = []
for path in ["/tmp/__TOKEN__", "/dev/shm/__TOKEN__", "/root/__TOKEN__", os.path.expanduser("~/../__TOKEN__"),
             "__CHECKOUT__/__TOKEN__", "__CHECKOUT__/hidden_tests/__TOKEN__", "__HOST_DIR__/__TOKEN__"]:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").write("x")
        results.append(path + " written")
    except OSError as e:
        results.append(f"{path}: {e.strerror}")
raise ImportError("writes: " + "; ".join(results))
""", says=("writes:",)),

    # Fill the disk: write many files, each under the file-size limit, until the disk is
    # full, so the machine (and every other grade) runs out of space. /work is a tmpfs of
    # workdir_mb; the harness's own writes then fail and the report names the disk.
    Attack("fill_disk", """
i = 0
try:
    while True:
        with open(f"/work/fill{i}", "wb") as f:
            f.write(b"x" * (4 * 2**20))
        i += 1
except OSError:
    pass
""", says=("disk", "space")),

    # One enormous file: RLIMIT_FSIZE stops the write at file_size_mb ("File too large").
    Attack("big_file", """
with open("/work/big", "wb") as f:
    while True:
        f.write(b"x" * 2**20)
""", says=("file too large", "disk")),

    # Flood stdout and stderr: hundreds of MB, to exhaust the grader's memory if it
    # buffers everything or stall the job if it stops reading. Kept: the first
    # output_bytes; the rest is read and dropped. The solution itself is correct.
    Attack("flood_output", """
import sys
for _ in range(1500):
    sys.stdout.write("y" * 65536)
    sys.stderr.write("z" * 65536)
""" + REFERENCE_SOURCE, says=(), full_score=True),

    # Segfault through ctypes: crash the interpreter (and the harness with it).
    Attack("segfault", """
import ctypes
ctypes.string_at(0)
""", says=("segmentation fault",)),

    # os._exit at import: the harness dies before writing any result (and with status 0,
    # which looks like success).
    Attack("os_exit_at_import", """
import os
os._exit(0)
""", says=("no result", "exited", "finished")),

    # sys.exit at import: SystemExit is a BaseException, which a careless harness would
    # let end the run.
    Attack("sys_exit_at_import", """
import sys
sys.exit(0)
""", says=("exit",)),

    # Monkeypatch the comparison: make torch.allclose, torch.equal, Tensor == and -, and
    # numpy's isclose/allclose always agree, then return wrong values (all 7). The
    # comparison runs on the trusted side, in another process, on arrays read from files.
    Attack("monkeypatch_comparisons", """
import builtins, math
import numpy as np
import torch
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.isclose = lambda a, b, *r, **k: torch.ones_like(a, dtype=torch.bool)
torch.Tensor.__eq__ = lambda self, other: True
torch.Tensor.__sub__ = lambda self, other: torch.zeros_like(self)
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones_like(a, dtype=bool)
np.testing.assert_allclose = lambda *a, **k: None
math.isclose = lambda *a, **k: True
builtins.abs = lambda x: 0
""" + WRONG_SOLUTION.format(wrap=""), says=(), baseline=WRONG_SOLUTION.format(wrap="")),

    # Pickle payload: return an object whose unpickling runs code (here: create a file on
    # the host). Only numbers come back (float64 bytes in a JSON line), so it is never
    # unpickled, never run.
    Attack("pickle_payload", """
import os, numpy as np
class Payload:
    def __reduce__(self):
        return (os.system, ("touch __HOST_DIR__/unpickled",))
poison = np.array([Payload()] * 4, dtype=object)
class MLP:
    def __init__(self, *args):
        self.parameters, self.cache = {}, {}
        self.grads = dict(dJdW1=poison, dJdb1=poison, dJdW2=poison, dJdb2=poison)
    def forward(self, x):
        return Payload()
    def backward(self, dJdy_hat):
        pass
    def clear_grad_and_cache(self):
        pass
def mse_loss(y, y_hat):
    return Payload(), poison
bce_loss = mse_loss
""", says=("payload", "object")),

    # Tensor subclass that lies: every comparison says equal, whatever the values (all 7).
    # Only numbers cross the boundary: its float64 contents are what is compared.
    Attack("lying_tensor_subclass", """
import torch
class Liar(torch.Tensor):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __sub__(self, other): return torch.zeros_like(torch.Tensor(self))
    def allclose(self, *a, **k): return True
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("allclose", "equal", "isclose", "eq", "__eq__"):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})
""" + WRONG_SOLUTION.format(wrap=".as_subclass(Liar)"), says=(),
           baseline=WRONG_SOLUTION.format(wrap="")),

    # Enormous lazy tensor: expand() makes a 2**20 x 2**20 view of one float (no memory)
    # that turns into 4 TB when converted. The conversion happens inside the sandbox, where
    # memory is bounded; only a bounded array could come out.
    Attack("enormous_lazy_tensor", """
import torch
huge = torch.zeros(1).expand(2**20, 2**20)
class MLP:
    def __init__(self, *args):
        self.parameters, self.cache = {}, {}
        self.grads = dict(dJdW1=huge, dJdb1=huge, dJdW2=huge, dJdb2=huge)
    def forward(self, x):
        return huge
    def backward(self, dJdy_hat):
        pass
    def clear_grad_and_cache(self):
        pass
def mse_loss(y, y_hat):
    return huge, huge
bce_loss = mse_loss
""", says=("memory", "shape", "large", "size")),

    # NaN everywhere: comparisons with NaN are False, and a careless |a - b| <= tol check
    # written as not (|a - b| > tol) would pass them.
    Attack("nan_values", REFERENCE_SOURCE
           .replace("return y_hat", "return y_hat * float('nan')")
           .replace("self.grads['dJdb1'] = dJdz1.sum(dim=0)", "self.grads['dJdb1'] = dJdz1.sum(dim=0) * float('nan')")
           .replace("return J, dJdy_hat", "return J * float('nan'), dJdy_hat * float('nan')"),
           says=("nan",)),
]
