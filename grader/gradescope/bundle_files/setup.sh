#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu, with
# internet). It installs the grading environment into a venv and checks it imports.
#
#   AUTOGRADER_VENV=/opt/autograder-venv   where the venv goes (run_autograder reads it too)
#   AUTOGRADER_SETUP_OFFLINE=1             skip apt-get and pip: the venv exists already
#                                          (the bundle's tests, on a machine without internet)
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"
VENV="${AUTOGRADER_VENV:-/opt/autograder-venv}"

pick_python() {
    # The grader needs Python 3.11 or later (tomllib); the newest one installed is taken.
    for candidate in python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null; then echo "$candidate"; return; fi
    done
}

if [ "${AUTOGRADER_SETUP_OFFLINE:-0}" != 1 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # bubblewrap: the service's sandbox, used when the container permits it (run_autograder
    # probes it); otherwise the fallback isolation needs nothing installed.
    apt-get install -y --no-install-recommends bubblewrap ca-certificates
    PYTHON="$(pick_python)"
    if [ -z "$PYTHON" ]; then
        # Ubuntu 22.04 ships 3.10 as python3 and 3.11 in universe.
        apt-get install -y --no-install-recommends python3.11
        PYTHON=python3.11
    fi
    apt-get install -y --no-install-recommends "$PYTHON-venv" || true
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --upgrade pip
    # torch and torchvision from PyTorch's CPU index: Gradescope has no GPU, and the CUDA
    # wheels are ~2 GB more.
    grep -E '^(torch|torchvision)==' "$SOURCE/requirements.txt" \
        | xargs "$VENV/bin/python" -m pip install --index-url https://download.pytorch.org/whl/cpu
    "$VENV/bin/python" -m pip install -r "$SOURCE/requirements.txt"
fi

# The student's code may run under the fallback isolation, which shows it the file system:
# the assignment file and the reference must be root's alone (run_autograder checks again).
chmod 700 "$SOURCE"
chmod 755 "$VENV"
# From the source dir: `python -c` puts the current directory first on sys.path.
cd "$SOURCE"
PYTHONPATH="$SOURCE" "$VENV/bin/python" -c '
import cv2, matplotlib, numpy, PIL, scipy, torch, torchvision, tqdm
import grader, grader.gradescope.run
print("setup: grading environment ready:", grader.__file__, "torch", torch.__version__)
'
