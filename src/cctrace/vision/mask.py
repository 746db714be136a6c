"""Mask classifier: the probability that each detected face wears a mask.

The model is the MobileNetV2 classifier of PyPI ``mask-recognition==0.0.1`` (MIT),
rebuilt in torch and exported to ONNX once by ``tools/models/convert_mask.py``
(registered as ``"mask"`` in :mod:`cctrace.vision.models`). It runs with ONNX Runtime.

Preprocessing reproduces the package's own: the face box as the detector gives it (the
package crops MTCNN boxes with no margin; YuNet boxes cover the same forehead-to-chin
region), colour order RGB, resized to 128 x 128, scaled to [-1, 1] (mean 0.5, std 0.5
on [0, 1] values), NCHW. The network returns log-probabilities (N, 2) with class 0
``with_mask`` and class 1 ``without_mask``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from cctrace.core.types import Detections, FloatArray, ImageBGR
from cctrace.vision.models import onnx_session

INPUT_SIZE_PX = 128
WITH_MASK_CLASS = 0
DEFAULT_THRESHOLD = 0.5
"""Mask probability above which a face counts as masked (see docs/benchmarks.md)."""
MIN_VOTE_FACE_PX = 20.0
"""Narrower faces cast no mask vote in footage. From 20 px on, the footage vote
(`footage_mask_votes`) calls masked faces masked more often than not in every source of
``benchmarks/bench_mask_width.py`` (real photos with synthetic masks, clean and
CCTV-degraded; rendered scenes) while keeping bare faces bare; below it masked faces
were called masked 0.3-0.6 of the time, i.e. the vote says nothing."""
LOWER_FACE_MIN_CHROMA = 10.0
"""Colour difference (CIELAB a*b* distance) between the lower and the upper face below
which a face is taken to show skin where a mask would be: about the 95th percentile
(10.6) over the real unmasked faces of ``benchmarks/bench_mask_width.py`` at every width
and capture (chosen on the photos only; the rendered scenes were measured with it)."""
_CHROMA_GRID_PX = 32


class MaskClassifier(Protocol):
    """Anything that scores faces for mask wearing."""

    def predict(self, image_bgr: ImageBGR, faces: Detections) -> FloatArray:
        """Probability in [0, 1] that each face wears a mask, shape (N,) for N faces."""
        ...


def crop_faces(image_bgr: ImageBGR, box_xyxy: FloatArray, margin: float = 0.0) -> FloatArray:
    """Network input for each face box: (N, 3, 128, 128) float32 RGB in [-1, 1].

    box_xyxy (N, 4) in pixels; ``margin`` widens each box by that fraction of its size
    on every side. Boxes are clipped to the image; a box wholly outside it still yields
    a (1 x 1 pixel) crop from the nearest edge so that N in gives N out.
    """
    h_img, w_img = image_bgr.shape[:2]
    out = np.empty((len(box_xyxy), 3, INPUT_SIZE_PX, INPUT_SIZE_PX), dtype=np.float32)
    for i, (x1, y1, x2, y2) in enumerate(box_xyxy.astype(np.float64)):
        dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
        # The package crops with int(round(.)) corners; keep at least one pixel.
        c1 = min(max(round(x1 - dx), 0), w_img - 1)
        r1 = min(max(round(y1 - dy), 0), h_img - 1)
        c2 = max(min(round(x2 + dx), w_img), c1 + 1)
        r2 = max(min(round(y2 + dy), h_img), r1 + 1)
        crop = image_bgr[r1:r2, c1:c2]
        # PIL's bilinear resize (the package's) averages over the source when shrinking;
        # INTER_AREA does the same, INTER_LINEAR when enlarging.
        shrinking = crop.shape[0] > INPUT_SIZE_PX or crop.shape[1] > INPUT_SIZE_PX
        interp = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        resized = cv2.resize(crop, (INPUT_SIZE_PX, INPUT_SIZE_PX), interpolation=interp)
        rgb = resized[:, :, ::-1].astype(np.float32)
        out[i] = (rgb / 127.5 - 1.0).transpose(2, 0, 1)
    return out


@dataclass
class OnnxMaskClassifier:
    """The mask-recognition MobileNetV2 under ONNX Runtime; all faces in one run.

    ``threads`` bounds ONNX Runtime's intra-op threads (0: its default, all cores).
    """

    threads: int = 0
    margin: float = 0.0
    mirror: bool = True
    """Average each face's probability with its mirror image's: on the harder synthetic
    masks of ``benchmarks/bench_masked_faces.py`` this put accuracy on the faces found
    from 0.954 to 0.966 (half the photos, docs/benchmarks.md), for a second run."""
    _session: ort.InferenceSession = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._session = onnx_session("mask", self.threads)

    def predict(self, image_bgr: ImageBGR, faces: Detections) -> FloatArray:
        """Mask probability per face, (N,) float32 in [0, 1]; (0,) for no faces."""
        if len(faces) == 0:
            return np.zeros((0,), dtype=np.float32)
        batch = crop_faces(image_bgr, faces.box_xyxy, self.margin)
        n = len(batch)
        if self.mirror:
            batch = np.concatenate([batch, np.ascontiguousarray(batch[:, :, :, ::-1])])
        log_prob = self._session.run(["log_prob"], {"image": batch})[0]
        prob = np.exp(np.asarray(log_prob, dtype=np.float32)[:, WITH_MASK_CLASS])
        if self.mirror:
            prob = (prob[:n] + prob[n:]) / 2
        return np.asarray(prob, np.float32)


def lower_face_chroma(image_bgr: ImageBGR, box_xyxy: FloatArray) -> FloatArray:
    """How far the lower face's colour is from the upper face's, per face box (N,).

    The box (forehead to chin, as the face detectors give it) is resampled to a 32 x 32
    grid; the median CIELAB colour of the mouth-and-chin band (rows 0.68-0.95, the
    middle 44 %) is compared with that of the eyes-and-cheeks band (rows 0.20-0.42, the
    middle 60 %) on chroma alone (a*, b*; lightness left out because shadows, beards
    and lighting from above change it on bare faces). A bare face shows skin in both
    bands; a mask of any colour but skin's moves the lower band away. A grey picture
    (infrared at night) has no chroma, scores about 0 and so never looks masked: the
    safe side, since a wrong "masked" can remove exposure.
    """
    h_img, w_img = image_bgr.shape[:2]
    n = _CHROMA_GRID_PX
    out = np.zeros((len(box_xyxy),), dtype=np.float32)
    for i, (x1, y1, x2, y2) in enumerate(box_xyxy.astype(np.float64)):
        c1 = min(max(round(x1), 0), w_img - 1)
        r1 = min(max(round(y1), 0), h_img - 1)
        c2 = max(min(round(x2), w_img), c1 + 1)
        r2 = max(min(round(y2), h_img), r1 + 1)
        crop = image_bgr[r1:r2, c1:c2]
        interp = cv2.INTER_AREA if crop.shape[0] > n else cv2.INTER_LINEAR
        lab = cv2.cvtColor(cv2.resize(crop, (n, n), interpolation=interp), cv2.COLOR_BGR2LAB)
        lab_f = lab.astype(np.float32)
        upper = lab_f[int(0.2 * n) : int(0.42 * n), int(0.2 * n) : int(0.8 * n)].reshape(-1, 3)
        lower = lab_f[int(0.68 * n) : int(0.95 * n), int(0.28 * n) : int(0.72 * n)].reshape(-1, 3)
        d = np.median(upper, axis=0)[1:] - np.median(lower, axis=0)[1:]
        out[i] = float(np.hypot(d[0], d[1]))
    return out


def footage_mask_votes(
    image_bgr: ImageBGR,
    box_xyxy: FloatArray,
    probability: FloatArray,
    colour_check: bool = True,
) -> list[bool | None]:
    """Each face's mask vote in footage: True masked, False not, None no vote.

    A face narrower than `MIN_VOTE_FACE_PX` casts no vote. Otherwise it is masked when
    the classifier's ``probability`` reaches `DEFAULT_THRESHOLD` and, with
    ``colour_check``, its lower face's colour also differs from its upper face's by
    `LOWER_FACE_MIN_CHROMA` (`lower_face_chroma`). Both must agree because in footage a
    wrong "masked" is the harmful error (a policy exempting masked pairs then drops
    real exposure) and the classifier alone calls many small, dark or blurred bare faces
    masked (docs/benchmarks.md, mask state in footage); the photo path
    (`OnnxMaskClassifier.predict`) keeps the classifier's probability as it is.
    """
    width = box_xyxy[:, 2] - box_xyxy[:, 0]
    masked: NDArray[np.bool_] = probability >= DEFAULT_THRESHOLD
    if colour_check and len(box_xyxy):
        masked &= lower_face_chroma(image_bgr, box_xyxy) >= LOWER_FACE_MIN_CHROMA
    return [None if w < MIN_VOTE_FACE_PX else bool(m) for w, m in zip(width, masked, strict=True)]
