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
"""Narrower faces get no classifier vote in footage (only a colour vote, from
`MIN_SMALL_VOTE_FACE_PX`). From 20 px on, the footage vote
(`footage_mask_votes`) calls masked faces masked more often than not in every source of
``benchmarks/bench_mask_width.py`` (real photos with synthetic masks, clean and
CCTV-degraded; rendered scenes) while keeping bare faces bare; below it masked faces
were called masked 0.3-0.6 of the time, i.e. the vote says nothing."""
LOWER_FACE_MIN_CHROMA = 10.0
"""Colour difference (CIELAB a*b* distance) between the lower and the upper face below
which a face is taken to show skin where a mask would be: about the 95th percentile
(10.6) over the real unmasked faces of ``benchmarks/bench_mask_width.py`` at every width
and capture (chosen on the photos only; the rendered scenes were measured with it)."""
MIN_SMALL_VOTE_FACE_PX = 12.0
"""Faces from this width up to `MIN_VOTE_FACE_PX` vote by colour alone
(`small_face_mask_votes`); the narrowest width ``benchmarks/bench_mask_width.py``
measures. Narrower faces cast no vote."""
SMALL_FACE_MIN_SKIN_LOSS = 10.0
"""Skin colour a face under `MIN_VOTE_FACE_PX` must have lost below the nose to vote
masked: above what nearly every real unmasked photo face of
``benchmarks/bench_mask_width.py`` shows at 12-20 px, chosen on those photos alone; the
rendered scenes were measured with it (docs/benchmarks.md, "Faces of 12-20 px")."""
_CHROMA_GRID_PX = 32
_SKIN_HUE_AB = np.array([0.55, 0.83], dtype=np.float32)
"""Unit (a*, b*) direction of skin's hue (about 56 degrees), for a grey upper face."""


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
    upper, lower = _face_bands_ab(image_bgr, box_xyxy)
    out: FloatArray = np.hypot(*(upper - lower).T).astype(np.float32)
    return out


def lower_face_skin_loss(image_bgr: ImageBGR, box_xyxy: FloatArray) -> FloatArray:
    """How much skin colour the lower face has lost against the upper face, per face box
    (N,): the a*b* difference of the two bands of `lower_face_chroma` projected on the
    upper band's own hue (on `_SKIN_HUE_AB` where the upper band is near grey).

    A mask that is white, grey, black or blue takes the skin's colour away below the
    nose and scores high; a bare face whose eyes are in shadow (hair, a cap, light from
    below) differs between the bands too, but its lower face is more skin-coloured, not
    less, and scores at or below 0. Red and beige masks keep the hue and score low (the
    safe side). In ``benchmarks/bench_mask_width.py`` this separates faces of 12-20 px,
    where the classifier is at chance, about as well as classifier and chroma together
    separate faces from 20 px on.
    """
    upper, lower = _face_bands_ab(image_bgr, box_xyxy)
    norm = np.linalg.norm(upper, axis=1, keepdims=True)
    hue = np.where(norm >= 2.0, upper / np.maximum(norm, 1e-6), _SKIN_HUE_AB)
    out: FloatArray = ((upper - lower) * hue).sum(axis=1).astype(np.float32)
    return out


def _face_bands_ab(image_bgr: ImageBGR, box_xyxy: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per face box, the median CIELAB (a*, b*) of the eyes-and-cheeks band and of the
    mouth-and-chin band (both (N, 2), 0 = grey), on the box resampled to 32 x 32."""
    h_img, w_img = image_bgr.shape[:2]
    n = _CHROMA_GRID_PX
    upper = np.zeros((len(box_xyxy), 2), dtype=np.float32)
    lower = np.zeros((len(box_xyxy), 2), dtype=np.float32)
    for i, (x1, y1, x2, y2) in enumerate(box_xyxy.astype(np.float64)):
        c1 = min(max(round(x1), 0), w_img - 1)
        r1 = min(max(round(y1), 0), h_img - 1)
        c2 = max(min(round(x2), w_img), c1 + 1)
        r2 = max(min(round(y2), h_img), r1 + 1)
        crop = image_bgr[r1:r2, c1:c2]
        interp = cv2.INTER_AREA if crop.shape[0] > n else cv2.INTER_LINEAR
        lab = cv2.cvtColor(cv2.resize(crop, (n, n), interpolation=interp), cv2.COLOR_BGR2LAB)
        lab_f = lab.astype(np.float32)
        up = lab_f[int(0.2 * n) : int(0.42 * n), int(0.2 * n) : int(0.8 * n)].reshape(-1, 3)
        lo = lab_f[int(0.68 * n) : int(0.95 * n), int(0.28 * n) : int(0.72 * n)].reshape(-1, 3)
        upper[i] = np.median(up, axis=0)[1:] - 128.0
        lower[i] = np.median(lo, axis=0)[1:] - 128.0
    return upper, lower


def footage_mask_votes(
    image_bgr: ImageBGR,
    box_xyxy: FloatArray,
    probability: FloatArray,
    colour_check: bool = True,
) -> list[bool | None]:
    """Each face's mask vote in footage: True masked, False not, None no vote.

    A face narrower than `MIN_VOTE_FACE_PX` casts no vote here (`small_face_mask_votes`
    is its own vote). Otherwise it is masked when the classifier's ``probability``
    reaches `DEFAULT_THRESHOLD` and, with ``colour_check``, its lower face's colour also
    differs from its upper face's by `LOWER_FACE_MIN_CHROMA` (`lower_face_chroma`). Both
    must agree because in footage a wrong "masked" is the harmful error (a policy
    exempting masked pairs then drops real exposure) and the classifier alone calls many
    small, dark or blurred bare faces masked (docs/benchmarks.md, mask state in footage);
    the photo path (`OnnxMaskClassifier.predict`) keeps the classifier's probability as
    it is.
    """
    width = box_xyxy[:, 2] - box_xyxy[:, 0]
    masked: NDArray[np.bool_] = probability >= DEFAULT_THRESHOLD
    if colour_check and len(box_xyxy):
        masked &= lower_face_chroma(image_bgr, box_xyxy) >= LOWER_FACE_MIN_CHROMA
    return [None if w < MIN_VOTE_FACE_PX else bool(m) for w, m in zip(width, masked, strict=True)]


def small_face_mask_votes(image_bgr: ImageBGR, box_xyxy: FloatArray) -> list[bool | None]:
    """The mask vote of faces too small for the classifier, by colour alone: True masked
    when the lower face has lost `SMALL_FACE_MIN_SKIN_LOSS` of skin colour
    (`lower_face_skin_loss`), False not, None for a face narrower than
    `MIN_SMALL_VOTE_FACE_PX` or as wide as `MIN_VOTE_FACE_PX` (`footage_mask_votes`
    decides those)."""
    width = box_xyxy[:, 2] - box_xyxy[:, 0]
    loss = lower_face_skin_loss(image_bgr, box_xyxy) if len(box_xyxy) else np.zeros(0)
    votes: list[bool | None] = []
    for w, v in zip(width, loss, strict=True):
        small = MIN_SMALL_VOTE_FACE_PX <= w < MIN_VOTE_FACE_PX
        votes.append(bool(v >= SMALL_FACE_MIN_SKIN_LOSS) if small else None)
    return votes
