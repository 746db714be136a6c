"""The batch object every detector, tracker and embedder exchanges.

`Detections` holds N boxes as parallel numpy arrays (the roboflow/supervision shape):
``box_xyxy`` (N, 4) float32 pixel corners, ``score`` (N,) float32 in [0, 1] and, for
faces, ``landmarks_xy`` (N, 5, 2) float32 (right eye, left eye, nose tip, right and
left mouth corners, in YuNet's order). It validates its shapes on construction and
indexes like numpy: ``dets[dets.score > 0.5]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float32]

# Layout of a stored appearance vector (`cctrace.vision.appearance`): the CNN embedding,
# then the colour histograms. The store keeps the colour part a second time, encrypted,
# in its window index (the screening sketch), so it must know where that part lies.
APPEARANCE_CNN_DIM = 1280
APPEARANCE_COLOUR_DIM = 40
ImageBGR = NDArray[np.uint8]
"""An image as OpenCV holds it: (H, W, 3) uint8, channels blue, green, red."""


def _empty_landmarks() -> FloatArray:
    return np.zeros((0, 5, 2), dtype=np.float32)


@dataclass(frozen=True)
class Detections:
    """N detected boxes; see the module docstring for shapes and units."""

    box_xyxy: FloatArray
    score: FloatArray
    landmarks_xy: FloatArray | None = field(default=None)

    def __post_init__(self) -> None:
        box = np.asarray(self.box_xyxy, dtype=np.float32).reshape(-1, 4)
        score = np.asarray(self.score, dtype=np.float32).reshape(-1)
        if len(box) != len(score):
            raise ValueError(f"box_xyxy has {len(box)} rows but score has {len(score)}")
        object.__setattr__(self, "box_xyxy", box)
        object.__setattr__(self, "score", score)
        if self.landmarks_xy is not None:
            lm = np.asarray(self.landmarks_xy, dtype=np.float32)
            if lm.shape != (len(box), 5, 2):
                raise ValueError(f"landmarks_xy must be ({len(box)}, 5, 2), got {lm.shape}")
            object.__setattr__(self, "landmarks_xy", lm)

    @classmethod
    def empty(cls, with_landmarks: bool = False) -> Detections:
        return cls(
            np.zeros((0, 4), np.float32),
            np.zeros((0,), np.float32),
            _empty_landmarks() if with_landmarks else None,
        )

    def __len__(self) -> int:
        return len(self.score)

    def __getitem__(self, index: NDArray[np.bool_] | NDArray[np.intp] | slice) -> Detections:
        lm = None if self.landmarks_xy is None else self.landmarks_xy[index]
        return Detections(self.box_xyxy[index], self.score[index], lm)

    @property
    def area(self) -> FloatArray:
        """Box areas in square pixels, shape (N,)."""
        w = np.clip(self.box_xyxy[:, 2] - self.box_xyxy[:, 0], 0, None)
        h = np.clip(self.box_xyxy[:, 3] - self.box_xyxy[:, 1], 0, None)
        return (w * h).astype(np.float32)


def concat_detections(parts: list[Detections]) -> Detections:
    """One batch from several batches that all carry landmarks."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return Detections.empty(with_landmarks=True)
    return Detections(
        np.concatenate([p.box_xyxy for p in parts]),
        np.concatenate([p.score for p in parts]),
        np.concatenate([p.landmarks_xy for p in parts if p.landmarks_xy is not None]),
    )


@dataclass(frozen=True)
class TrackedDetections:
    """Detections of one frame with the tracker's ID for each: ``track_id`` (N,) int64.

    IDs are unique within one tracker instance (one camera's video), never global.
    """

    detections: Detections
    track_id: NDArray[np.int64]

    def __post_init__(self) -> None:
        ids = np.asarray(self.track_id, dtype=np.int64).reshape(-1)
        if len(ids) != len(self.detections):
            raise ValueError(f"{len(self.detections)} detections but {len(ids)} track ids")
        object.__setattr__(self, "track_id", ids)

    def __len__(self) -> int:
        return len(self.track_id)


@dataclass(frozen=True)
class Sighting:
    """One tracked person in one camera's video: the unit the index stores and trace reads.

    Times are UTC seconds since the epoch (float64). The floor path has K points:
    ``path_t_s`` (K,) float64, ``path_floor_xy_m`` (K, 2) float32 in the camera's floor
    frame (site metres when calibrated, camera-relative and approximate otherwise).
    Biometric fields (``face_embedding`` (128,), ``appearance`` (D,), ``thumbnail_jpeg``)
    are encrypted whenever they are at rest. ``path_box_xyxy`` (K, 4) float32 keeps the
    person's image box at each path time (for MOT export and evidence frames), and
    ``path_face_px`` (K,) float32 the width in pixels of the face seen on it then (NaN
    where none was): a face says how tall its person is when their legs are hidden
    (`cctrace.geometry.row_scale`).
    """

    sighting_id: str
    camera_id: str
    video_id: str
    track_id: int
    t_start_s: float
    t_end_s: float
    path_t_s: NDArray[np.float64]
    path_floor_xy_m: FloatArray
    path_approximate: bool
    face_count: int
    face_quality: float
    face_embedding: FloatArray | None
    appearance: FloatArray | None
    mask_ratio: float | None
    thumbnail_jpeg: bytes | None
    path_box_xyxy: FloatArray | None = None
    face_weight: float | None = None
    """Sum of the quality weights behind ``face_embedding`` while ingestion still holds
    it (two pieces of a track cut between segments are averaged by it); not stored."""
    path_face_px: FloatArray | None = None
