"""Trains the gd classifier on the synthetic shapes and writes classifier.npz next to this file.

Run from the repository root:  .venv/bin/python reference/classifier/train.py
Everything is seeded and runs on one CPU thread, so the same torch version on the same kind of
CPU reproduces the weights; TRAINING.md records the command, seed, accuracy and time of the
run that made the committed file.

Inputs are 224x224, normalised exactly as the handout's normalize_and_jitter does (ImageNet
mean/std) and rolled by the same random offsets (-32..30 pixels on each axis), so gradient
ascent through that function sees the distribution the network was trained on. Each batch
also holds images the network itself pushed towards a class (AscentChains), and after training
the logits are centred on main()'s start images and scaled to a chosen input-gradient size
(calibrate): TRAINING.md says why.
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
NUM_CLASSES = len(CLASS_NAMES)


def normalize(images: torch.Tensor) -> torch.Tensor:
    return (images - IMAGENET_MEAN) / IMAGENET_STD


def jitter(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each image rolled by its own offsets, as normalize_and_jitter rolls a 1-image batch."""
    out = np.empty_like(images)
    for i, image in enumerate(images):
        dx, dy = jitter_offsets(rng)
        out[i] = np.roll(np.roll(image, dx, axis=-1), dy, axis=-2)
    return out


def jitter_offsets(rng: np.random.Generator) -> tuple[int, int]:
    """(dx, dy) as normalize_and_jitter draws them."""
    dx, dy = rng.integers(-JITTER_STEP, JITTER_STEP - 1, 2)
    return int(dx), int(dy)


def draw_labels(count: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform over the 10 classes."""
    return rng.integers(0, NUM_CLASSES, count)


def start_images(count: int, rng: np.random.Generator) -> torch.Tensor:
    """Grey noise exactly like the handout's main() makes its start image: (x*8 + 128) / 255."""
    noise = torch.from_numpy(rng.standard_normal((count, 3, shapes.SIZE, shapes.SIZE)).astype(np.float32))
    return (noise * 8 + 128) / 255


def evaluate(model: torch.nn.Module, seed: int, count: int, chunk: int = 100) -> dict[str, float]:
    """Accuracy on fresh images (plain and jittered), confidence on grey start images, and the
    size of the input gradient there (in chunks: 2,000 images of 224x224 are 1.2 GB)."""
    rng = np.random.default_rng(seed)
    model.eval()
    plain_right = rolled_right = 0
    start_max = 0.0
    for _ in range(count // chunk):
        labels = rng.integers(0, NUM_CLASSES, chunk)
        images = shapes.draw_batch(labels, rng)
        with torch.no_grad():
            plain_right += int((model(normalize(torch.from_numpy(images))).argmax(1).numpy() == labels).sum())
            rolled = model(normalize(torch.from_numpy(jitter(images, rng)))).argmax(1).numpy()
            rolled_right += int((rolled == labels).sum())
            start_max = max(start_max, float(model(normalize(start_images(chunk, rng))).softmax(1).max()))
    return {
        "accuracy": plain_right / count,
        "accuracy_jittered": rolled_right / count,
        "start_image_max_probability": start_max,
        **gradient_sizes(model, rng),
    }


def gradient_sizes(model: torch.nn.Module, rng: np.random.Generator, per_class: int = 10) -> dict[str, float]:
    """Median over grey start images and every class of the target logit's gradient with
    respect to the [0, 1] image: L2 norm, mean and largest absolute value. VGG13-BN's on
    ImageNet-normalised 224x224 images is what these are compared with (TRAINING.md)."""
    norms, means, largest = [], [], []
    for label in range(NUM_CLASSES):
        for _ in range(per_class):
            image = start_images(1, rng).requires_grad_()
            model(normalize(image))[0, label].backward()
            gradient = image.grad
            norms.append(float(gradient.norm()))
            means.append(float(gradient.abs().mean()))
            largest.append(float(gradient.abs().max()))
    return {"gradient_l2_median": float(np.median(norms)),
            "gradient_mean_abs_median": float(np.median(means)),
            "gradient_max_abs_median": float(np.median(largest))}


def calibrate(model: torch.nn.Module, rng: np.random.Generator, gradient_l2: float,
              count: int = 100) -> float:
    """Centre the logits on main()'s start images (every class then starts at about 0.1), and
    scale them so that the median L2 norm of a class logit's gradient there is `gradient_l2`.
    Returns the scale."""
    linear, logit_scale = model[-2], model[-1]
    with torch.no_grad():
        linear.bias -= model(normalize(start_images(count, rng))).mean(0)
    measured = gradient_sizes(model, rng)["gradient_l2_median"]
    scale = gradient_l2 / measured
    logit_scale.scale.fill_(scale)
    return scale


class AscentChains:
    """Grey start images that the model itself pushes towards a class, a few steps per training
    step, as students' gradient_descent does (signed steps of the class logit through jitter).
    Trained on with that class's label, they teach the network what makes gradient ascent work
    for every class: images that raise a class's logit are that class. Without them, ascent on
    "green square" also grew "cyan dots" and "checkerboard", and stalled near 0.85.
    A chain restarts from a fresh start image with probability 1/RESTART per training step: its
    mean length is RESTART steps (STEPS each), so the network sees early and deep ascents."""

    COUNT = 8
    STEPS = 2
    STEP_SIZE = 0.01
    RESTART = 48

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.images = start_images(self.COUNT, rng)
        self.labels = draw_labels(self.COUNT, rng)

    def advance(self, model: torch.nn.Module) -> tuple[np.ndarray, np.ndarray]:
        """Restart some chains, take STEPS ascent steps on all (model in eval mode), and return
        the images and labels (numpy, for the batch)."""
        restart = self.rng.random(self.COUNT) < 1.0 / self.RESTART
        if restart.any():
            self.images[torch.from_numpy(restart)] = start_images(int(restart.sum()), self.rng)
            self.labels[restart] = draw_labels(int(restart.sum()), self.rng)
        model.eval()
        targets = torch.from_numpy(self.labels)[:, None]
        for _ in range(self.STEPS):
            images = self.images.clone().requires_grad_()
            moved = torch.stack([image.roll(jitter_offsets(self.rng)[::-1], (-2, -1)) for image in images])
            model(normalize(moved)).gather(1, targets).sum().backward()
            self.images = (self.images + self.STEP_SIZE * images.grad.sign()).clamp(0, 1)
        model.train()
        return self.images.numpy().copy(), self.labels.copy()


def train(seed: int, steps: int, batch_size: int, learning_rate: float) -> torch.nn.Module:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = build_classifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=learning_rate, total_steps=steps)
    chains = AscentChains(rng)
    model.train()
    for step in range(steps):
        labels = draw_labels(batch_size - AscentChains.COUNT, rng)
        drawn = shapes.draw_batch(labels, rng)
        ascended, ascended_labels = chains.advance(model)
        images = torch.from_numpy(jitter(np.concatenate([drawn, ascended]), rng))
        loss = F.cross_entropy(model(normalize(images)),
                               torch.from_numpy(np.concatenate([labels, ascended_labels])))
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
    parser.add_argument("--gradient-l2", type=float, default=20.0,
                        help="median L2 norm of a class logit's gradient with respect to a start "
                             "image, which the logit scale is set to (VGG13-BN's: TRAINING.md)")
    parser.add_argument("--out", type=Path, default=HERE / "classifier.npz")
    args = parser.parse_args()

    torch.set_num_threads(1)  # one thread: reproducible sums, and the machine is shared
    started = time.monotonic()
    model = train(args.seed, args.steps, args.batch_size, args.learning_rate)
    train_s = time.monotonic() - started
    scale = calibrate(model, np.random.default_rng(args.seed + 2), args.gradient_l2)

    state = {name: tensor.detach().numpy() for name, tensor in model.state_dict().items()}
    np.savez(args.out, **state)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()

    metrics = evaluate(model, seed=args.seed + 1, count=2000)
    print(f"trained in {train_s:.0f} s; {sum(t.numel() for t in model.parameters())} parameters, "
          f"{state_vector(model).numel()} values in the state; logit scale {scale:.4f}")
    for name, value in metrics.items():
        print(f"{name}: {value:.4f}")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
