"""Docker on a machine with no image registry, for the checks that run containers
(scripts/compose-check, scripts/gradescope-check): installs and starts Docker where missing,
makes the local base images from Debian's packages, and fetches Compose v2 where the system
packages only 1.29. Stdlib only (it runs before any venv)."""

from __future__ import annotations

import hashlib
import lzma
import os
import re
import shutil
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("AUTOGRADER_COMPOSE_CACHE", "/var/cache/autograder-compose"))
DEBIAN_IMAGE = "autograder-local/debian:bookworm"
LOCAL_VERSION = hashlib.sha256(b"".join(
    path.read_bytes() for path in sorted((REPO / "docker" / "local").iterdir()))).hexdigest()[:10]
"""Tags the stand-ins by the files they are built from, so a change rebuilds them."""
LOCAL_IMAGES = {
    # variable of docker-compose.yml -> (stand-in tag, its Dockerfile in docker/local)
    "PYTHON_IMAGE": (f"autograder-local/python:3.11-{LOCAL_VERSION}", "python.Dockerfile"),
    "REDIS_IMAGE": (f"autograder-local/redis:7-{LOCAL_VERSION}", "redis.Dockerfile"),
    "POSTGRES_IMAGE": (f"autograder-local/postgres:15-{LOCAL_VERSION}", "postgres.Dockerfile"),
}
DOCKERD_LOG = Path("/var/log/autograder-dockerd.log")


class CheckFailed(Exception):
    """A check of the stack did not hold."""


@dataclass
class Timings:
    script: str
    phases: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str):
        print(f"{self.script}: {name} ...", flush=True)
        start = time.monotonic()
        try:
            yield
        finally:
            took = time.monotonic() - start
            self.phases.append((name, took))
            print(f"{self.script}: {name}: {took:.0f} s", flush=True)


def run(argv: list[str], *, check: bool = True, capture: bool = False, env: dict | None = None,
        timeout: float = 1800, cwd: Path = REPO, input: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, cwd=cwd, env=env, timeout=timeout, text=True, input=input,
                            stdout=subprocess.PIPE if capture else None,
                            stderr=subprocess.PIPE if capture else None)
    if check and result.returncode != 0:
        detail = (result.stderr or "").strip()[-2000:] if capture else ""
        raise CheckFailed(f"{' '.join(argv[:6])} exited {result.returncode} {detail}")
    return result


PASSED: list[str] = []
"""The checks that held, for the closing count."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)
    PASSED.append(message)
    print(f"  ok: {message}", flush=True)


# -- Docker itself --------------------------------------------------------------------------

def ensure_docker() -> None:
    """Docker, Compose and debootstrap from Debian's packages; dockerd started if not running."""
    missing = [tool for tool in ("docker", "debootstrap") if shutil.which(tool) is None]
    if missing or compose_command() is None:
        if os.geteuid() != 0:
            raise CheckFailed("Docker is missing and only root can install it (apt-get install docker.io docker-compose debootstrap)")
        print("  installing docker.io docker-compose debootstrap with apt-get", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-qq"], env=env, capture=True)
        run(["apt-get", "install", "-y", "-qq", "docker.io", "docker-compose", "debootstrap"],
            env=env, capture=True)
    if run(["docker", "info"], check=False, capture=True).returncode != 0:
        print(f"  starting dockerd (log: {DOCKERD_LOG})", flush=True)
        with open(DOCKERD_LOG, "ab") as log:
            subprocess.Popen(["dockerd"], stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 60
        while run(["docker", "info"], check=False, capture=True).returncode != 0:
            if time.monotonic() > deadline:
                raise CheckFailed(f"dockerd did not answer within 60 s (see {DOCKERD_LOG})")
            time.sleep(1)


def compose_command() -> list[str] | None:
    """Compose v2 (`docker compose`) where installed, else Compose 1.29 (`docker-compose`)."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"],
                                                 capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def image_exists(name: str) -> bool:
    return run(["docker", "image", "inspect", name], check=False, capture=True).returncode == 0


def make_local_bases() -> None:
    """Debian bookworm from its packages (debootstrap, ~30 s), then the stand-ins for the
    public python, redis and postgres images; each skipped when it exists already."""
    if not image_exists(DEBIAN_IMAGE):
        rootfs = CACHE / "bookworm-rootfs"
        if not (rootfs / "etc" / "debian_version").exists():
            shutil.rmtree(rootfs, ignore_errors=True)
            rootfs.parent.mkdir(parents=True, exist_ok=True)
            run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs)], capture=True)
            for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):
                deb.unlink()
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(["docker", "import", "-", DEBIAN_IMAGE], stdin=tar.stdout,
                                  capture_output=True, text=True)
        tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise CheckFailed(f"docker import of {rootfs} failed: {imported.stderr}")
    for tag, dockerfile in LOCAL_IMAGES.values():
        if not image_exists(tag):
            run(["docker", "build", "-q", "--network", "host", "-t", tag, "-f",
                 f"docker/local/{dockerfile}", "docker/local"], capture=True)


DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


def compose_v2() -> list[str]:
    """Compose v2: `docker compose` where installed; else the static binary of Debian trixie's
    docker-compose package (bookworm packages only 1.29), checked as apt checks it (the
    release file's signature, then the SHA-256 sums) and cached."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    binary = CACHE / "compose-v2" / "docker-compose"
    if not binary.exists():
        binary.parent.mkdir(parents=True, exist_ok=True)
        architecture = run(["dpkg", "--print-architecture"], capture=True).stdout.strip()
        index_name = f"main/binary-{architecture}/Packages.xz"
        release = _verified_release("trixie")
        index = lzma.decompress(_download(f"{DEBIAN_MIRROR}/dists/trixie/{index_name}",
                                          _sha256_of(release, index_name))).decode()
        stanza = next(block for block in index.split("\n\n")
                      if block.startswith("Package: docker-compose\n"))
        filename = re.search(r"^Filename: (\S+)$", stanza, re.M).group(1)
        digest = re.search(r"^SHA256: (\w+)$", stanza, re.M).group(1)
        deb = binary.parent / "docker-compose.deb"
        deb.write_bytes(_download(f"{DEBIAN_MIRROR}/{filename}", digest))
        unpacked = binary.parent / "unpacked"
        shutil.rmtree(unpacked, ignore_errors=True)
        run(["dpkg-deb", "-x", str(deb), str(unpacked)])
        (unpacked / "usr/libexec/docker/cli-plugins/docker-compose").rename(binary)
        shutil.rmtree(unpacked)
        deb.unlink()
    return [str(binary)]


def _verified_release(suite: str) -> str:
    """The suite's InRelease file, its signature checked against Debian's keyring."""
    signed = _download(f"{DEBIAN_MIRROR}/dists/{suite}/InRelease", None)
    checked = subprocess.run(["gpgv", "--keyring", DEBIAN_KEYRING, "--output", "-", "-"],
                             input=signed, capture_output=True)
    if checked.returncode != 0:
        raise CheckFailed(f"{suite}'s InRelease signature does not verify: {checked.stderr[-500:]!r}")
    return checked.stdout.decode()


def _sha256_of(release: str, name: str) -> str:
    sums = release.split("SHA256:", 1)[1]
    return re.search(rf"^ (\w{{64}}) +\d+ {re.escape(name)}$", sums, re.M).group(1)


def _download(url: str, sha256: str | None) -> bytes:
    with urllib.request.urlopen(url, timeout=300) as response:
        data = response.read()
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise CheckFailed(f"{url}: SHA-256 differs from the signed index")
    return data
