"""What crosses from an ingestion worker to the writer: sealed sightings, in a format
that is parsed, never unpickled (a stolen worker must not be able to run code on the
service by what it returns).

One sighting's bytes: ``header length (4, little-endian) | JSON header | arrays``; the
header holds the scalars and, for each array, its dtype and shape; the arrays follow in
header order, little-endian. The whole is sealed to the service's public key
(`cctrace.store.sealing`) with the context ``video/segment``.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from cctrace.core.errors import CorruptDataError
from cctrace.core.types import Sighting
from cctrace.store.sealing import open_sealed, seal

_LEN = struct.Struct("<I")
_ARRAYS = (
    "path_t_s",
    "path_floor_xy_m",
    "path_box_xyxy",
    "path_face_px",
    "face_embedding",
    "appearance",
)
_DTYPES = {"path_t_s": "<f8"}
_SCALARS = (
    "sighting_id",
    "camera_id",
    "video_id",
    "track_id",
    "t_start_s",
    "t_end_s",
    "path_approximate",
    "face_count",
    "face_quality",
    "mask_ratio",
    "face_weight",
)


def encode_sighting(s: Sighting) -> bytes:
    header: dict[str, Any] = {k: getattr(s, k) for k in _SCALARS}
    parts: list[bytes] = []
    shapes: dict[str, list[int] | None] = {}
    for name in _ARRAYS:
        value = getattr(s, name)
        if value is None:
            shapes[name] = None
            continue
        arr = np.ascontiguousarray(value, _DTYPES.get(name, "<f4"))
        shapes[name] = list(arr.shape)
        parts.append(arr.tobytes())
    header["shapes"] = shapes
    header["thumbnail_bytes"] = None if s.thumbnail_jpeg is None else len(s.thumbnail_jpeg)
    head = json.dumps(header, separators=(",", ":")).encode()
    return b"".join([_LEN.pack(len(head)), head, *parts, s.thumbnail_jpeg or b""])


def decode_sighting(raw: bytes) -> Sighting:
    """Inverse of `encode_sighting`; CorruptDataError on anything malformed."""
    try:
        (n,) = _LEN.unpack_from(raw, 0)
        header = json.loads(raw[_LEN.size : _LEN.size + n])
        pos = _LEN.size + n
        arrays: dict[str, Any] = {}
        for name in _ARRAYS:
            shape = header["shapes"][name]
            if shape is None:
                arrays[name] = None
                continue
            dtype = np.dtype(_DTYPES.get(name, "<f4"))
            size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if size < 0 or pos + size > len(raw):
                raise ValueError(f"{name} runs past the end")
            arrays[name] = np.frombuffer(raw, dtype, count=size // dtype.itemsize, offset=pos)
            arrays[name] = arrays[name].reshape(shape).astype(dtype.newbyteorder("="))
            pos += size
        thumb_n = header["thumbnail_bytes"]
        thumbnail = None if thumb_n is None else bytes(raw[pos : pos + int(thumb_n)])
        if pos + (thumb_n or 0) != len(raw):
            raise ValueError("trailing bytes")
        return Sighting(
            sighting_id=str(header["sighting_id"]),
            camera_id=str(header["camera_id"]),
            video_id=str(header["video_id"]),
            track_id=int(header["track_id"]),
            t_start_s=float(header["t_start_s"]),
            t_end_s=float(header["t_end_s"]),
            path_t_s=arrays["path_t_s"],
            path_floor_xy_m=arrays["path_floor_xy_m"],
            path_approximate=bool(header["path_approximate"]),
            face_count=int(header["face_count"]),
            face_quality=float(header["face_quality"]),
            face_embedding=arrays["face_embedding"],
            appearance=arrays["appearance"],
            mask_ratio=None if header["mask_ratio"] is None else float(header["mask_ratio"]),
            face_weight=None if header["face_weight"] is None else float(header["face_weight"]),
            thumbnail_jpeg=thumbnail,
            path_box_xyxy=arrays["path_box_xyxy"],
            path_face_px=arrays["path_face_px"],
        )
    except (ValueError, KeyError, TypeError, struct.error) as exc:
        raise CorruptDataError(f"a worker's sighting payload is malformed ({exc})") from None


def seal_context(video_id: str, segment: int) -> str:
    return f"cctrace sightings of video {video_id} segment {segment}"


@dataclass(frozen=True)
class SealedCheckpoint:
    """One checkpoint of a segment as the worker returns it: counters in clear, every
    sighting sealed (ids are not biometric, so the writer can name what it skips)."""

    t_s: float
    next_track_id: int
    frames_analysed: int
    sighting_ids: list[str]
    sealed: list[bytes]


def seal_sightings(public_key: bytes, sightings: list[Sighting], context: str) -> list[bytes]:
    return [seal(public_key, encode_sighting(s), context) for s in sightings]


def open_sightings(private: Any, sealed: list[bytes], context: str) -> list[Sighting]:
    """``private``: the service's X25519PrivateKey."""
    return [decode_sighting(open_sealed(private, blob, context)) for blob in sealed]
