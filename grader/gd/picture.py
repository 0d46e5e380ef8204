"""The PNG students look at: the images their gradient ascent produced ("cool visuals").

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
    """The returned images side by side with their class and probability, or None if none."""
    tiles = [_tile(j) for j in judgements if j.image is not None]
    if not tiles:
        return None
    gap = np.full((tiles[0].shape[0], _GAP_PX, 3), 255, dtype=np.uint8)
    row = tiles[0]
    for tile in tiles[1:]:
        row = np.concatenate([row, gap, tile], axis=1)
    ok, encoded = cv2.imencode(".png", row)
    if not ok:
        return None
    return Artifact(name="gd.png", media_type="image/png", data=encoded.tobytes())


def _tile(judgement: CallJudgement) -> np.ndarray:
    """One image as BGR uint8 at its own size (224 px, the handout's), with a caption (class,
    probability) below it."""
    image = np.clip(judgement.image[0], 0.0, 1.0)  # (3, S, S); out-of-range values are shown clipped
    rgb = np.rint(image.transpose(1, 2, 0) * 255).astype(np.uint8)
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])  # OpenCV writes BGR, as the handout's save_img knows
    caption = np.full((_CAPTION_PX, bgr.shape[1], 3), 255, dtype=np.uint8)
    target = judgement.target
    lines = [f"class {target.label}: {CLASS_NAMES[target.label]}"]
    if judgement.probability is not None:
        lines.append(f"p = {judgement.probability:.3f}")
    for index, text in enumerate(lines):
        cv2.putText(caption, text, (4, 16 + 18 * index), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([bgr, caption], axis=0)
