"""What one gd grade asks of the sandbox: the target labels, the start images, the job files.

Everything is drawn from the grade's seed, so the same seed gives the same labels, the same
start images and the same random jitter inside the student's code, hence the same grade.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from grader.gd.config import GdConfig
from grader.harness.classifier_net import CLASS_NAMES
from grader.inputs import INPUTS_FILE, inputs_npz
from grader.sandbox.job import SandboxJob

HARNESS = "gd_harness.py"
# Mixed into the seed so gd's draws differ from mlp's draws made from the same report seed.
_GD_STREAM = 0x6764  # "gd" in ASCII


@dataclass(frozen=True)
class Target:
    """One call of gradient_descent: which class to maximise, starting from which image."""

    case_id: str
    """Name of the call in the harness's results ("label0", "label1", ...)."""
    label: int
    """Index of the class whose probability must rise."""
    start: np.ndarray
    """The start image, (1, 3, S, S) float32: grey noise as the handout's main() makes it."""

    @property
    def description(self) -> str:
        return f"class {self.label} ({CLASS_NAMES[self.label]})"


@dataclass(frozen=True)
class Plan:
    """The draws of one grade."""

    targets: tuple[Target, ...]
    harness_seed: int
    """Seeds np.random and torch in the harness (np.random.seed needs it below 2**32)."""


def plan_grade(config: GdConfig, seed: int) -> Plan:
    """Labels (distinct), start images and the harness's seed, all from `seed`."""
    if seed < 0:
        raise ValueError(f"the seed must be non-negative, not {seed}")
    if config.labels > len(CLASS_NAMES):
        raise ValueError(f"[gd] labels = {config.labels}, but the classifier has {len(CLASS_NAMES)} classes")
    rng = np.random.default_rng([_GD_STREAM, seed])
    labels = rng.choice(len(CLASS_NAMES), size=config.labels, replace=False)
    targets = [Target(case_id=f"label{index}", label=int(label), start=start_image(rng, config.image_size))
               for index, label in enumerate(labels)]
    return Plan(targets=tuple(targets), harness_seed=int(rng.integers(0, 2**31 - 1)))


def start_image(rng: np.random.Generator, size: int) -> np.ndarray:
    """A start image as the handout's main() makes it: randn(1, H, W, 3) * 8 + 128, over 255,
    permuted to (1, 3, H, W): grey 128 with noise of 8 levels (standard deviation), about
    0.502 +- 0.031 per pixel; float32, C-contiguous."""
    noise = rng.standard_normal((1, size, size, 3)).astype(np.float32)
    start = ((noise * 8 + 128) / 255).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(start, dtype=np.float32)


def build_jobs(source: str, config: GdConfig, plan: Plan, classifier: bytes) -> list[SandboxJob]:
    """One sandbox job per target, in the order of plan.targets: the calls run at once, each
    in its own process, so a grade takes about as long as one call (~1.25 s for the reference
    at 224x224 on an idle core), and nothing one call did can reach the next. Target i's
    harness seed is harness_seed + i."""
    return [_job(source, config, target, plan.harness_seed + index, classifier)
            for index, target in enumerate(plan.targets)]


def _job(source: str, config: GdConfig, target: Target, seed: int, classifier: bytes) -> SandboxJob:
    """The submission, the classifier's weights, the start image and job.json of one call."""
    job = {
        "module": "gd",
        "seed": seed,
        "iterations": config.iterations,
        "call_time_s": config.call_time_s,
        "target": {"id": target.case_id, "label": target.label, "start": "start"},
    }
    return SandboxJob(harness=HARNESS, files={
        "submission/gd.py": source.encode("utf-8"),
        "in/classifier.npz": classifier,
        INPUTS_FILE: inputs_npz({"start": target.start}),
        "in/job.json": json.dumps(job).encode("utf-8"),
    })
