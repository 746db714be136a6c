"""A real face with a drawn mask, as small as a far camera sees it: a face YuNet misses.

Rose Leslie's photo (``face-identities/train/rose_leslie/img2.jpg``) with a mask pulled up
to the lower eyelids (`cctrace.sim.masks`), shrunk until the face is 30 px wide and
JPEG-compressed at quality 75, as ``benchmarks/bench_masked_faces.py`` does.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from cctrace.core.types import FloatArray, ImageBGR
from cctrace.sim.masks import COLOURS_BGR, LOWER_LID_V, MaskStyle, draw_mask
from cctrace.vision.faces import YuNetFaceDetector

FACE_PX = 30.0


def masked_face(
    faces_dir: Path, style: MaskStyle = "surgical", colour: str = "light_blue"
) -> tuple[ImageBGR, FloatArray]:
    """(frame (H, W, 3), ground-truth face box (4,) xyxy in its pixels): the face box is
    YuNet's on the full-size, unmasked photo, scaled with the photo."""
    photo = cv2.imread(str(faces_dir / "train" / "rose_leslie" / "img2.jpg"))
    assert photo is not None
    faces = YuNetFaceDetector().detect(photo)
    assert len(faces) == 1 and faces.landmarks_xy is not None
    drawn = draw_mask(
        photo,
        faces.landmarks_xy[0],
        style,
        COLOURS_BGR[colour],
        top_v=LOWER_LID_V,
        nose_clip=True,
        folds=2,
        seed=0,
    )
    scale = FACE_PX / float(faces.box_xyxy[0, 2] - faces.box_xyxy[0, 0])
    small = cv2.resize(drawn, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 75])
    assert ok
    frame = np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8)
    return frame, np.asarray(faces.box_xyxy[0] * scale, np.float32)
