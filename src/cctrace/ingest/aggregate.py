"""Per-track accumulation of faces, masks and appearance into one Sighting."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import FloatArray, ImageBGR, Sighting
from cctrace.geometry.calibration import Calibration
from cctrace.geometry.height import floor_positions
from cctrace.tracking.bytetrack import Track
from cctrace.vision.appearance import AppearanceDescriptor, appearance_to_vector

THUMBNAIL_JPEG_QUALITY = 85


@dataclass
class TrackEvidence:
    """What one track showed so far: quality-weighted face sum, masks, appearance.

    ``mask_faces`` counts the faces that cast a mask vote (`footage_mask_votes`, and
    `small_face_mask_votes` for faces too small to embed), ``masked_votes`` those of
    them voted masked."""

    face_sum: NDArray[np.float64] | None = None
    face_weight: float = 0.0
    face_count: int = 0
    best_quality: float = 0.0
    masked_votes: int = 0
    mask_faces: int = 0
    thumbnail: ImageBGR | None = field(default=None, repr=False)
    appearance: list[AppearanceDescriptor] = field(default_factory=list, repr=False)
    face_width_px: dict[float, float] = field(default_factory=dict, repr=False)
    """The width of the face on the track by frame time, every face of any size."""

    def add_face(
        self, embedding: FloatArray, quality: float, masked: bool | None, crop: ImageBGR
    ) -> None:
        # A floor on the weight keeps one poor face from being ignored when it is all
        # the track has; good faces still dominate the mean.
        weight = max(quality, 0.05)
        e = embedding.astype(np.float64) * weight
        self.face_sum = e if self.face_sum is None else self.face_sum + e
        self.face_weight += weight
        self.face_count += 1
        if masked is not None:
            self.mask_faces += 1
            self.masked_votes += int(masked)
        if self.thumbnail is None or quality > self.best_quality:
            self.best_quality = quality
            self.thumbnail = crop

    def add_mask_vote(self, masked: bool) -> None:
        """The mask vote of a face too small to embed (it adds nothing else)."""
        self.mask_faces += 1
        self.masked_votes += int(masked)

    def add_face_width(self, t_s: float, width_px: float) -> None:
        self.face_width_px[t_s] = max(width_px, self.face_width_px.get(t_s, 0.0))

    def add_appearance(self, descriptor: AppearanceDescriptor) -> None:
        self.appearance.append(descriptor)

    def face_embedding(self) -> FloatArray | None:
        if self.face_sum is None:
            return None
        return _unit(self.face_sum)

    def appearance_vector(self) -> FloatArray | None:
        """The track's mean appearance as one vector (see `appearance_to_vector`)."""
        if not self.appearance:
            return None
        return appearance_to_vector(AppearanceDescriptor.mean(self.appearance))

    def thumbnail_jpeg(self) -> bytes | None:
        if self.thumbnail is None:
            return None
        ok, buf = cv2.imencode(
            ".jpg", self.thumbnail, [cv2.IMWRITE_JPEG_QUALITY, THUMBNAIL_JPEG_QUALITY]
        )
        return bytes(buf.tobytes()) if ok else None


def _unit(v: NDArray[np.float64]) -> FloatArray:
    n = float(np.linalg.norm(v))
    return np.asarray(v / n if n > 0 else v, np.float32)


def sighting_id(video_id: str, track_id: int) -> str:
    """Stable id: the same video and track always give the same sighting id."""
    return f"{video_id[:16]}-{track_id:06d}"


def build_sighting(
    *,
    track: Track,
    evidence: TrackEvidence,
    camera_id: str,
    video_id: str,
    start_epoch_s: float,
    image_size_px: tuple[int, int],
    calibration: Calibration | None,
) -> Sighting:
    """One Sighting from a finished track; times become UTC epoch seconds."""
    floor = floor_positions(track.box_xyxy, image_size_px, calibration)
    xy = floor.floor_xy_m
    ok = np.all(np.isfinite(xy), axis=1)
    t = track.t_s[ok] + start_epoch_s
    return Sighting(
        sighting_id=sighting_id(video_id, track.track_id),
        camera_id=camera_id,
        video_id=video_id,
        track_id=track.track_id,
        t_start_s=start_epoch_s + track.t_start_s,
        t_end_s=start_epoch_s + track.t_end_s,
        path_t_s=np.asarray(t, np.float64),
        path_floor_xy_m=np.asarray(xy[ok], np.float32),
        path_approximate=floor.approximate,
        face_count=evidence.face_count,
        face_quality=round(evidence.best_quality, 4),
        face_embedding=evidence.face_embedding(),
        appearance=evidence.appearance_vector(),
        # None when no face was wide enough to vote: unknown, which the contacts treat
        # as unmasked (the exemption is for people known to be masked). Merges weigh
        # ratios by face_count; that is exact while every described face can vote
        # (MIN_EMBED_FACE_PX and MIN_VOTE_FACE_PX are both 20 px today).
        mask_ratio=(evidence.masked_votes / evidence.mask_faces) if evidence.mask_faces else None,
        thumbnail_jpeg=evidence.thumbnail_jpeg(),
        path_box_xyxy=np.asarray(track.box_xyxy[ok], np.float32),
        face_weight=evidence.face_weight if evidence.face_count else None,
        path_face_px=np.asarray(
            [evidence.face_width_px.get(float(t), np.nan) for t in track.t_s[ok]], np.float32
        ),
    )
