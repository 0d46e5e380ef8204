"""Probe harness for the sandbox's own tests: runs /work/submission/probe.py as __main__.

Lets tests/sandbox exercise run_job with arbitrary code, without the mlp harness in between.
Stdlib only; runs inside the sandbox.
"""

import os
import runpy

# /work inside bwrap; the fallback isolation (grader/sandbox/fallback.py) names the work dir.
WORK_DIR = os.environ.get("AUTOGRADER_WORK_DIR", "/work")
runpy.run_path(f"{WORK_DIR}/submission/probe.py", run_name="__main__")
