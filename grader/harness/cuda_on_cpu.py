"""Students' GPU code run on the CPU: `.cuda()`, `device='cuda'`, `.to('cuda')`, a DEVICE
constant, `model.cuda()`, `torch.cuda.synchronize()` (issue 9, point 11).

Most students wrote their homework for a GPU, some of it at import time (a module-level
`torch.tensor(..., device='cuda')`). The grader has no GPU, and such code is not wrong: a
torch function mode sends every tensor and module asked for on a CUDA device to the CPU
instead, and the few torch.cuda calls that need a driver become what they are on a machine
with one idle GPU. The trusted side adds a note to the report (grader/engine.py).

Only when the submission names cuda outside comments (`asks_for_cuda`): every torch call then
goes through one Python function (~5 us), which a file that never asks for a GPU need not pay.
The handout's `DEVICE = "cpu"  # or "cuda" if you have a GPU` does not ask: it is a comment.

Imported in two places: inside the sandbox by the harnesses (common.run_cuda_on_cpu_if_asked)
and on the trusted side as grader.harness.cuda_on_cpu (asks_for_cuda only). Stdlib at import;
torch only in install().
"""

from __future__ import annotations

import io
import tokenize


def asks_for_cuda(source: str) -> bool:
    """Whether the code names cuda: a name (`.cuda()`, `torch.cuda`) or a string ('cuda',
    "cuda:0"), comments left out. Unreadable source (a syntax error) counts by its text."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in (tokenize.NAME, tokenize.STRING) and "cuda" in token.string.lower():
                return True
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return "cuda" in source.lower()
    return False


def install() -> None:
    """For the rest of this process: CUDA devices mean the CPU, torch.cuda's driver calls
    succeed. Installed before the submission is imported."""
    import torch
    from torch.overrides import TorchFunctionMode

    def on_cpu(value):
        if isinstance(value, str) and value.strip().lower().startswith("cuda"):
            return "cpu"
        if isinstance(value, torch.device) and value.type == "cuda":
            return torch.device("cpu")
        return value

    class CudaOnCpu(TorchFunctionMode):
        """Rewrites device arguments of every torch call; `tensor.cuda()` is the tensor."""

        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if func is torch.Tensor.cuda:
                return args[0]  # already on the CPU: what .to("cpu") returns too
            if (func is torch.Tensor.to and len(args) > 1 and isinstance(args[1], int)
                    and not isinstance(args[1], bool)):
                args = (args[0], "cpu", *args[2:])  # tensor.to(0): device 0 is cuda:0
            args = tuple(on_cpu(value) for value in args)
            kwargs = {name: on_cpu(value) for name, value in kwargs.items()}
            return func(*args, **kwargs)

    # Without a driver these raise "Found no NVIDIA driver"; with one idle GPU they do this.
    torch.cuda.synchronize = lambda device=None: None
    torch.cuda.set_device = lambda device: None
    torch.cuda.current_device = lambda: 0
    torch.cuda.get_device_name = lambda device=None: "CPU (the grader has no GPU)"
    CudaOnCpu().__enter__()  # never left: the mode lasts as long as the process
