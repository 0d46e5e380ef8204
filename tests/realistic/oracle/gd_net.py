"""The oracle's own classifier for gd.py: ten texture classes, built by hand, no training.

Class c is a Gabor grating (5 orientations x luminance or red-green) with a phase-free energy
detector: BatchNorm of the input, average pooling (downsampling), a 7x7 Gabor convolution of
stride 2, rectification of both signs, average pooling, a 1x1 convolution summing each class's
four maps, global average pooling, fixed standardisation, and logits centred over the classes
and scaled by LOGIT_SCALE. It takes ImageNet-normalised 224x224 input as VGG does, and any
other size. Being a sum of rectified linear responses, ascending one class's logit draws that
class's grating and raises no other class much, so plain, normalised, sign and Adam steps of
every usual size reach it, while descent and a no-op stay where they started.

Measured on the handout's start images (gray 128 +- 8/255 noise): the gradient of a class
logit with respect to the [0, 1] image has an L2 norm of 4.2-4.3 (rms 0.011 per pixel), the
size that unnormalised steps with lr 0.01 to 1 were tuned for on VGG13_bn; start
probabilities are 0.07-0.12; 256 steps take 1.4 s on one core.
"""

import math

import numpy as np
import torch
from torch import nn

CLASSES = 10
LOGIT_SCALE = 12.0
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _gabor_bank(size: int = 7) -> torch.Tensor:
    """(2 * CLASSES, 3, size, size): a cosine and a sine grating per class, unit norm, zero mean.
    Class c: orientation (c % 5) * 36 degrees; classes 0-4 in luminance (R + G + B), 5-9 in
    red-green opposition (R - G). A small envelope (sigma 1.6 px) keeps the frequency band
    broad, so a grating drawn at half size and upsampled (multi-scale ascent) still counts."""
    ys, xs = torch.meshgrid(torch.arange(size) - size // 2, torch.arange(size) - size // 2,
                            indexing="ij")
    xs, ys = xs.double(), ys.double()
    envelope = torch.exp(-(xs ** 2 + ys ** 2) / (2 * 1.6 ** 2))
    colours = (torch.tensor([1.0, 1.0, 1.0]) / math.sqrt(3), torch.tensor([1.0, -1.0, 0.0]) / math.sqrt(2))
    kernels = []
    for c in range(CLASSES):
        theta = math.pi * (c % 5) / 5
        u = xs * math.cos(theta) + ys * math.sin(theta)
        for phase in (torch.cos, torch.sin):
            k = envelope * phase(2 * math.pi * 0.18 * u)
            k = k - k.mean()
            k = k / k.norm()
            kernels.append(colours[c // 5].double()[:, None, None] * k)
    return torch.stack(kernels).float()


class BothSigns(nn.Module):
    def forward(self, z):
        return torch.cat([torch.relu(z), torch.relu(-z)], 1)


class Standardise(nn.Module):
    """Class responses minus their mean on the handout's start images, over their spread on
    varied pictures: fixed buffers, not BatchNorm (train-mode BatchNorm right before a global
    average would flatten every class to its bias)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("centre", torch.zeros(CLASSES))
        self.register_buffer("spread", torch.ones(CLASSES))

    def forward(self, r):
        return (r - self.centre) / self.spread


class CentredLogits(nn.Module):
    def forward(self, r):
        return LOGIT_SCALE * (r - r.mean(1, keepdim=True))


def _normalise(images: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (images - mean) / std


def start_images(count: int, generator: torch.Generator) -> torch.Tensor:
    """As the handout's main() makes them: (randn * 8 + 128) / 255, channels first."""
    image = torch.randn(count, 224, 224, 3, generator=generator)
    return ((image * 8 + 128) / 255).permute(0, 3, 1, 2)


def _varied_pictures(count: int, generator: torch.Generator) -> torch.Tensor:
    """Flat colours, smooth colour gradients and noise of any level, in [0, 1]."""
    base = torch.rand(count, 3, 1, 1, generator=generator)
    smooth = nn.functional.interpolate(torch.rand(count, 3, 7, 7, generator=generator),
                                       size=224, mode="bilinear")
    noise = torch.randn(count, 3, 224, 224, generator=generator) \
        * torch.rand(count, 1, 1, 1, generator=generator) * 0.3
    return (base * 0.5 + smooth * 0.5 + noise).clamp(0, 1)


def build_classifier(seed: int = 7) -> nn.Sequential:
    """The classifier in eval mode; its BatchNorm and Standardise statistics from seeded images.

    The only BatchNorm normalises the input's colour channels: in train mode it standardises
    each picture by its own statistics, which changes its running statistics (what
    gd.model_unchanged looks for) but keeps every class's evidence, as VGG's layers do."""
    gabor = nn.Conv2d(3, 2 * CLASSES, 7, stride=2, padding=3, bias=False)
    merge = nn.Conv2d(4 * CLASSES, CLASSES, 1, bias=False)
    with torch.no_grad():
        gabor.weight.copy_(_gabor_bank())
        weights = torch.zeros(CLASSES, 4 * CLASSES)
        for c in range(CLASSES):
            for j in (2 * c, 2 * c + 1, 2 * CLASSES + 2 * c, 2 * CLASSES + 2 * c + 1):
                weights[c, j] = 0.25
        merge.weight.copy_(weights[:, :, None, None])
    net = nn.Sequential(nn.BatchNorm2d(3), nn.AvgPool2d(2), gabor, BothSigns(), nn.AvgPool2d(2),
                        merge, nn.AdaptiveAvgPool2d(1), nn.Flatten(), Standardise(),
                        CentredLogits())
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        net.train()
        net[0].momentum = None  # a plain average over the calibration batches
        for _ in range(4):
            net[0](_normalise(_varied_pictures(8, generator)))
        net[0].momentum = 0.1
        net.eval()
        varied = net[:8](_normalise(_varied_pictures(32, generator)))
        net[8].spread.copy_(varied.std(0))
        net[8].centre.copy_(net[:8](_normalise(start_images(16, generator))).mean(0))
    return net


def target_probability(net: nn.Module, image: torch.Tensor, label: int) -> float:
    """Softmax probability of `label` for an image in [0, 1] space (any size, 3 channels)."""
    with torch.no_grad():
        return float(net(_normalise(image.float())).softmax(1)[0, label])


def same_state(a: nn.Module, b: nn.Module) -> bool:
    """Every weight and every BatchNorm statistic equal (hooks and flags aside)."""
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def seeded_jitter(seed: int):
    np.random.seed(seed)
    torch.manual_seed(seed)
