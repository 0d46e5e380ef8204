"""Probe harness for the sandbox's own tests: runs /work/submission/probe.py as __main__.

Lets tests/sandbox exercise run_job with arbitrary code, without the mlp harness in between.
Stdlib only; runs inside the sandbox.
"""

import runpy

runpy.run_path("/work/submission/probe.py", run_name="__main__")
