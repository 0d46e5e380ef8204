"""The PNG students look at: each start image beside what their gradient ascent made of it.

Encoded here, on the trusted side, from arrays that were already checked (right shape,
finite); nothing the student's process wrote is passed to an image codec.
"""

from __future__ import annotations

import cv2
import numpy as np

from grader.gd.checks import CallJudgement
from grader.harness.classifier_net import CLASS_NAMES
from grader.report import Artifact

# Height in pixels of the caption strip under each image.
_CAPTION_PX = 40
_GAP_PX = 8


def render_picture(judgements: list[CallJudgement]) -> Artifact | None:
    """One row per class: the start image and the image returned, captioned with the class
    and the probability before and after; None when no image could be judged."""
    rows = [_row(j) for j in judgements if j.image is not None]
    if not rows:
        return None
    gap = np.full((_GAP_PX, rows[0].shape[1], 3), 255, dtype=np.uint8)
    picture = rows[0]
    for row in rows[1:]:
        picture = np.concatenate([picture, gap, row], axis=0)
    ok, encoded = cv2.imencode(".png", picture)
    if not ok:
        return None
    return Artifact(name="gd.png", media_type="image/png", data=encoded.tobytes())


def _bgr(image: np.ndarray) -> np.ndarray:
    """(1, 3, S, S) in [0, 1] as BGR uint8 (OpenCV writes BGR, as the handout's save_img
    knows); out-of-range values are shown clipped."""
    rgb = np.rint(np.clip(image[0], 0.0, 1.0).transpose(1, 2, 0) * 255).astype(np.uint8)
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _row(judgement: CallJudgement) -> np.ndarray:
    """Start and result at their own size (224 px, the handout's), side by side, with a
    caption (class, probability before -> after) below."""
    start, result = _bgr(judgement.target.start), _bgr(judgement.image)
    images = np.concatenate(
        [start, np.full((start.shape[0], _GAP_PX, 3), 255, dtype=np.uint8), result], axis=1)
    caption = np.full((_CAPTION_PX, images.shape[1], 3), 255, dtype=np.uint8)
    target = judgement.target
    lines = [f"class {target.label}: {CLASS_NAMES[target.label]} (start, left; yours, right)"]
    if judgement.probability is not None and judgement.start_probability is not None:
        lines.append(f"p = {judgement.start_probability:.3f} -> {judgement.probability:.3f}")
    for index, text in enumerate(lines):
        cv2.putText(caption, text, (4, 16 + 18 * index), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([images, caption], axis=0)
