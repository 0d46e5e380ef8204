"""Code written for a GPU, and gd.py that imports scipy, matplotlib and PIL, graded end to end
through the real sandbox (issue 9, points 11 and 12): full marks, and a note for GPU code.

The variants are the references with the GPU idioms students write (a DEVICE constant, a
tensor made on the GPU at import time, `.cuda()`, `.to('cuda')`, `model.cuda()`,
`torch.cuda.synchronize()`), made by replacing pieces of their text (each piece must be there).
"""

from __future__ import annotations

import pytest

from grader import grade
from grader.harness.cuda_on_cpu import asks_for_cuda
from grader_helpers import SEED
from tests.support.paths import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

MLP_REFERENCE = (REPO_ROOT / "reference" / "mlp.py").read_text()
GD_REFERENCE = (REPO_ROOT / "reference" / "gd.py").read_text()


def edited(source: str, *edits: tuple[str, str]) -> str:
    for old, new in edits:
        assert source.count(old) == 1, f"the reference no longer contains {old!r}"
        source = source.replace(old, new)
    return source


CUDA_MLP = edited(
    MLP_REFERENCE,
    ("import torch\n",
     "import torch\n\nDEVICE = torch.device('cuda')\n"
     "TWO = torch.tensor(2.0, device='cuda')  # made at import time, on the GPU\n"),
    ("        W1, b1 = self.parameters['W1'], self.parameters['b1']\n",
     "        x = x.to(DEVICE)\n"
     "        W1, b1 = self.parameters['W1'].cuda(), self.parameters['b1'].to('cuda:0')\n"),
    ("        x, z1, z2, z3 = (self.cache[k] for k in ('x', 'z1', 'z2', 'z3'))\n",
     "        torch.cuda.synchronize()\n"
     "        dJdy_hat = dJdy_hat.to(device=DEVICE)\n"
     "        x, z1, z2, z3 = (self.cache[k] for k in ('x', 'z1', 'z2', 'z3'))\n"),
    ("    dJdy_hat = 2 * diff / diff.numel()\n", "    dJdy_hat = TWO * diff / diff.numel()\n"),
)

CUDA_GD = edited(
    GD_REFERENCE,
    ('DEVICE = "cpu"  # or "cuda" if you have a GPU\n', 'DEVICE = "cuda"\n'),
    ("    optimizer = torch.optim.Adam([input], lr=0.03)\n",
     "    model = model.to(DEVICE)\n"
     "    model.cuda()\n"
     "    input = input.detach().to(torch.device(DEVICE)).requires_grad_()\n"
     "    optimizer = torch.optim.Adam([input], lr=0.03)\n"),
    ("        optimizer.step()\n", "        optimizer.step()\n        torch.cuda.synchronize()\n"),
    ("    return input.detach()\n", "    return input.detach().cpu()\n"),
)

LIBRARIES_GD = edited(
    GD_REFERENCE,
    ("from tqdm import tqdm\n",
     "from tqdm import tqdm\n"
     "import matplotlib\n"
     "import matplotlib.pyplot as plt\n"
     "from PIL import Image\n"
     "from scipy.ndimage import gaussian_filter\n"),
    ("                input.copy_(blur(input))\n",
     "                blurred = gaussian_filter(input.numpy(), sigma=(0, 0, 0.6, 0.6))\n"
     "                input.copy_(torch.from_numpy(blurred))\n"),
    ("    return input.detach()\n",
     "    picture = (input.detach()[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255).astype(np.uint8)\n"
     "    Image.fromarray(picture).save('ascent.png')\n"
     "    plt.imshow(picture)\n"
     "    plt.savefig('ascent_plot.png')\n"
     "    plt.show()\n"
     "    return input.detach()\n"),
)


def full_marks(report, prefix: str) -> None:
    tests = [t for t in report.tests if t.name.startswith(prefix)]
    assert tests
    for test in tests:
        assert test.status == "passed" and test.score == test.max_score, (test.name, test.output)


def test_which_sources_ask_for_a_gpu():
    assert asks_for_cuda(CUDA_MLP) and asks_for_cuda(CUDA_GD)
    assert asks_for_cuda("x = y.cuda()\n") and asks_for_cuda("d = 'cuda:0'\n")
    # The handout's own line mentions cuda in a comment only: no GPU asked, no note.
    assert not asks_for_cuda(GD_REFERENCE) and not asks_for_cuda(MLP_REFERENCE)


def test_gpu_mlp_gets_full_marks_and_a_note():
    report = grade({"mlp.py": CUDA_MLP.encode()}, seed=SEED)
    full_marks(report, "mlp.")
    assert report.notes == [note for note in report.notes if note.startswith("mlp.py asks for a GPU")]
    assert len(report.notes) == 1 and "ran it on the CPU" in report.notes[0]
    assert report.to_dict()["notes"] == report.notes


def test_gpu_gd_gets_full_marks_and_a_note():
    report = grade({"gd.py": CUDA_GD.encode()}, seed=SEED)
    full_marks(report, "gd.")
    assert len(report.notes) == 1 and report.notes[0].startswith("gd.py asks for a GPU")


def test_cpu_code_gets_no_note():
    report = grade({"gd.py": GD_REFERENCE.encode()}, seed=SEED)
    full_marks(report, "gd.")
    assert report.notes == []


def test_gd_with_scipy_matplotlib_and_pil_gets_full_marks():
    report = grade({"gd.py": LIBRARIES_GD.encode()}, seed=SEED)
    full_marks(report, "gd.")
    assert report.errors == []


def test_a_missing_module_keeps_its_clear_message():
    source = edited(GD_REFERENCE, ("from tqdm import tqdm\n", "from tqdm import tqdm\nimport seaborn\n"))
    report = grade({"gd.py": source.encode()}, seed=SEED)
    message = next(t for t in report.tests if t.name == "gd.target_probability").output
    assert "imports the module 'seaborn', which the grader does not have" in message
