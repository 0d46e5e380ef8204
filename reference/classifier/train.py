"""Trains the gd classifier on the synthetic shapes and writes classifier.npz next to this file.

Run from the repository root:  .venv/bin/python reference/classifier/train.py
Everything is seeded and runs on one CPU thread, so the same torch version on the same kind of
CPU reproduces the weights; TRAINING.md records the command, seed, accuracy and time of the
run that made the committed file.

Inputs are normalised exactly as the handout's normalize_and_jitter does (ImageNet mean/std)
and rolled by the same random offsets (-32..30 pixels on each axis), so gradient ascent through
that function sees the distribution the network was trained on.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the repository root, for grader.harness

from grader.harness.classifier_net import CLASS_NAMES, build_classifier, state_vector  # noqa: E402

sys.path.insert(0, str(HERE))
import shapes  # noqa: E402

IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
JITTER_STEP = 32
"""normalize_and_jitter's default step: offsets drawn from randint(-32, 31), i.e. -32..30."""
BACKGROUND = -1
"""Label of an image with no shape; its target is the uniform distribution."""
NUM_CLASSES = len(CLASS_NAMES)


def normalize(images: torch.Tensor) -> torch.Tensor:
    return (images - IMAGENET_MEAN) / IMAGENET_STD


def jitter(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each image rolled by its own offsets, as normalize_and_jitter rolls a 1-image batch."""
    out = np.empty_like(images)
    for i, image in enumerate(images):
        dx, dy = rng.integers(-JITTER_STEP, JITTER_STEP - 1, 2)
        out[i] = np.roll(np.roll(image, dx, axis=-1), dy, axis=-2)
    return out


def targets_for(labels: np.ndarray) -> torch.Tensor:
    """One-hot rows for shapes, uniform rows (1/10 each) for background images."""
    targets = torch.full((len(labels), NUM_CLASSES), 1.0 / NUM_CLASSES)
    shaped = labels >= 0
    targets[torch.from_numpy(shaped)] = F.one_hot(
        torch.from_numpy(labels[shaped]), NUM_CLASSES).float()
    return targets


def draw_labels(count: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform over the 10 classes and background (1 in 11 images has no shape)."""
    return rng.integers(-1, NUM_CLASSES, count)


def start_images(count: int, rng: np.random.Generator) -> torch.Tensor:
    """Grey noise exactly like the handout's main() makes its start image: (x*8 + 128) / 255."""
    noise = torch.from_numpy(rng.standard_normal((count, 3, shapes.SIZE, shapes.SIZE)).astype(np.float32))
    return (noise * 8 + 128) / 255


def evaluate(model: torch.nn.Module, seed: int, count: int) -> dict[str, float]:
    """Accuracy on fresh images (plain and jittered) and confidence on grey start images."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, count)
    images = shapes.draw_batch(labels, rng)
    model.eval()
    with torch.no_grad():
        plain = model(normalize(torch.from_numpy(images))).argmax(1).numpy()
        rolled = model(normalize(torch.from_numpy(jitter(images, rng)))).argmax(1).numpy()
        start = model(normalize(start_images(count, rng))).softmax(1)
    return {
        "accuracy": float((plain == labels).mean()),
        "accuracy_jittered": float((rolled == labels).mean()),
        "start_image_max_probability": float(start.max()),
    }


def train(seed: int, steps: int, batch_size: int, learning_rate: float) -> torch.nn.Module:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = build_classifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=learning_rate, total_steps=steps)
    model.train()
    for step in range(steps):
        labels = draw_labels(batch_size, rng)
        images = torch.from_numpy(jitter(shapes.draw_batch(labels, rng), rng))
        loss = F.cross_entropy(model(normalize(images)), targets_for(labels))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"step {step:5d}  loss {loss.item():.4f}", flush=True)
    return model.eval()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20221021)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--out", type=Path, default=HERE / "classifier.npz")
    args = parser.parse_args()

    torch.set_num_threads(1)  # one thread: reproducible sums, and the machine is shared
    started = time.monotonic()
    model = train(args.seed, args.steps, args.batch_size, args.learning_rate)
    train_s = time.monotonic() - started

    state = {name: tensor.detach().numpy() for name, tensor in model.state_dict().items()}
    np.savez(args.out, **state)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()

    metrics = evaluate(model, seed=args.seed + 1, count=2000)
    print(f"trained in {train_s:.0f} s; {sum(t.numel() for t in model.parameters())} parameters, "
          f"{state_vector(model).numel()} values in the state")
    for name, value in metrics.items():
        print(f"{name}: {value:.4f}")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
