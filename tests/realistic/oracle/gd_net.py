"""The oracle's own classifier for gd.py: ten texture classes, built by hand, no training.

Class c is a Gabor grating (5 orientations x 2 frequencies) with a phase-free energy detector:
average pooling (downsampling), a 9x9 Gabor convolution of stride 2, BatchNorm, rectification
of both signs, average pooling, a 1x1 convolution summing each class's four maps, BatchNorm,
global average pooling, and logits centred over the classes and scaled by LOGIT_SCALE. It takes
ImageNet-normalised 224x224 input as VGG does. Being a sum of rectified linear responses,
ascending one class's logit draws that class's grating and lowers no other class much, so
plain, normalised, sign and Adam steps of every usual size reach it, while descent and a
no-op stay where they started.

Measured on the handout's start image (gray 128 +- 8/255 noise): the gradient of a class logit
with respect to the [0, 1] image has an L2 norm of about 4 (rms 0.01 per pixel), the size that
unnormalised steps with lr 0.01 to 1 were tuned for on VGG13_bn; start probabilities are
0.09-0.11; 256 steps take about 1.2 s on one core.
"""

import math

import numpy as np
import torch
from torch import nn

CLASSES = 10
LOGIT_SCALE = 20.0
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _gabor_bank(size: int = 9) -> torch.Tensor:
    """(2 * CLASSES, 3, size, size): a cosine and a sine grating per class, unit norm, zero mean."""
    ys, xs = torch.meshgrid(torch.arange(size) - size // 2, torch.arange(size) - size // 2,
                            indexing="ij")
    xs, ys = xs.double(), ys.double()
    envelope = torch.exp(-(xs ** 2 + ys ** 2) / (2 * (size / 3.5) ** 2))
    kernels = []
    for c in range(CLASSES):
        theta = math.pi * (c % 5) / 5
        frequency = (0.15, 0.28)[c // 5]
        u = xs * math.cos(theta) + ys * math.sin(theta)
        for phase in (torch.cos, torch.sin):
            k = envelope * phase(2 * math.pi * frequency * u)
            k = k - k.mean()
            kernels.append(k / k.norm())
    return (torch.stack(kernels)[:, None].repeat(1, 3, 1, 1) / math.sqrt(3)).float()


class BothSigns(nn.Module):
    def forward(self, z):
        return torch.cat([torch.relu(z), torch.relu(-z)], 1)


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


def build_classifier(seed: int = 7) -> nn.Sequential:
    """The classifier in eval mode, BatchNorm statistics set from seeded images."""
    gabor = nn.Conv2d(3, 2 * CLASSES, 9, stride=2, padding=4, bias=False)
    merge = nn.Conv2d(4 * CLASSES, CLASSES, 1, bias=False)
    with torch.no_grad():
        gabor.weight.copy_(_gabor_bank())
        weights = torch.zeros(CLASSES, 4 * CLASSES)
        for c in range(CLASSES):
            for j in (2 * c, 2 * c + 1, 2 * CLASSES + 2 * c, 2 * CLASSES + 2 * c + 1):
                weights[c, j] = 0.25
        merge.weight.copy_(weights[:, :, None, None])
    net = nn.Sequential(nn.AvgPool2d(2), gabor, nn.BatchNorm2d(2 * CLASSES), BothSigns(),
                        nn.AvgPool2d(2), merge, nn.BatchNorm2d(CLASSES), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), CentredLogits())
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        # Statistics from varied pictures (flat colours, smooth gradients, noise of any level).
        net.train()
        for module in net.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = None
        for _ in range(4):
            base = torch.rand(8, 3, 1, 1, generator=generator)
            smooth = nn.functional.interpolate(torch.rand(8, 3, 7, 7, generator=generator),
                                               size=224, mode="bilinear")
            noise = torch.randn(8, 3, 224, 224, generator=generator) \
                * torch.rand(8, 1, 1, 1, generator=generator) * 0.3
            net(_normalise((base * 0.5 + smooth * 0.5 + noise).clamp(0, 1)))
        net.eval()
        # Centre the class responses on the start images so that no class starts ahead.
        responses = net[:6](_normalise(start_images(16, generator)))
        net[6].running_mean.copy_(responses.mean((0, 2, 3)))
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.momentum = 0.1
    return net


def target_probability(net: nn.Module, image: torch.Tensor, label: int) -> float:
    """Softmax probability of `label` for an image in [0, 1] space (any size, 3 channels)."""
    with torch.no_grad():
        return float(net(_normalise(image.float())).softmax(1)[0, label])


def same_state(a: nn.Module, b: nn.Module) -> bool:
    """Every weight and every BatchNorm statistic equal."""
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def seeded_jitter(seed: int):
    np.random.seed(seed)
    torch.manual_seed(seed)
