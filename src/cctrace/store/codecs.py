"""How a sighting's path and appearance are stored as bytes, and the field names that bind
each encrypted blob to its column.

Pure functions of their arguments (the cipher is passed in): the sighting and
maintenance repositories both read and write these blobs.
"""

from __future__ import annotations

import json
import struct
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from cctrace.core.errors import CorruptDataError
from cctrace.core.types import APPEARANCE_CNN_DIM, APPEARANCE_COLOUR_DIM, FloatArray, Sighting
from cctrace.store.crypto import Cipher

# Field names are part of each blob's associated data: renaming one orphans stored data.
FACE = "face_embedding"
APPEARANCE = "appearance"
THUMBNAIL = "thumbnail"
COLOUR_SKETCH = "appearance_colour"

_PATH_MAGIC = b"cP1"
_PATH_HEADER = struct.Struct("<3sBI")  # magic, flags (bit 0: boxes, 1: face widths), K points
_F16_MAGIC = b"f2\xc0\x7f"
"""Leads a float16 appearance payload. As a little-endian float32 it is a NaN, which no
stored vector holds (checked on write), so the older float32 payloads stay readable."""


def encode_path(s: Sighting) -> bytes:
    """A sighting's floor path as bytes: header, K float64 times, K x 2 float32 metres,
    then (if any) K x 4 float32 pixel boxes and (if any) K float32 face widths, all
    little-endian. Decoding is one ``frombuffer`` per array, some 50x faster than the
    JSON of schema 0001-0004. Paths written before face widths were kept lack the flag
    and read back without them."""
    t = np.asarray(s.path_t_s, "<f8").reshape(-1)
    xy = np.asarray(s.path_floor_xy_m, "<f4").reshape(-1, 2)
    if len(t) != len(xy):
        raise ValueError(f"sighting {s.sighting_id}: {len(t)} path times but {len(xy)} points")
    flags = (s.path_box_xyxy is not None) | (s.path_face_px is not None) << 1
    parts = [_PATH_HEADER.pack(_PATH_MAGIC, flags, len(t)), t.tobytes(), xy.tobytes()]
    if s.path_box_xyxy is not None:
        box = np.asarray(s.path_box_xyxy, "<f4").reshape(-1, 4)
        if len(box) != len(t):
            raise ValueError(f"sighting {s.sighting_id}: {len(t)} path times but {len(box)} boxes")
        parts.append(box.round(1).tobytes())
    if s.path_face_px is not None:
        face = np.asarray(s.path_face_px, "<f4").reshape(-1)
        if len(face) != len(t):
            raise ValueError(
                f"sighting {s.sighting_id}: {len(t)} path times but {len(face)} face widths"
            )
        parts.append(face.round(1).tobytes())
    return b"".join(parts)


class StoredPath(NamedTuple):
    t_s: NDArray[np.float64]
    floor_xy_m: NDArray[np.float32]
    box_xyxy: NDArray[np.float32] | None
    face_px: NDArray[np.float32] | None


def decode_path(sighting_id: str, path_bin: bytes | None, path_json: str | None) -> StoredPath:
    """A stored path, binary or (older rows) JSON; boxes and face widths None where the
    row has none."""
    if path_bin is not None:
        try:
            magic, flags, k = _PATH_HEADER.unpack_from(path_bin, 0)
            if magic != _PATH_MAGIC:
                raise ValueError("bad magic")
            pos = _PATH_HEADER.size
            t = np.frombuffer(path_bin, "<f8", k, pos).astype(np.float64)
            pos += 8 * k
            xy = np.frombuffer(path_bin, "<f4", 2 * k, pos).reshape(k, 2).astype(np.float32)
            pos += 8 * k
            box = face = None
            if flags & 1:
                box = np.frombuffer(path_bin, "<f4", 4 * k, pos).reshape(k, 4).astype(np.float32)
                pos += 16 * k
            if flags & 2:
                face = np.frombuffer(path_bin, "<f4", k, pos).astype(np.float32)
                pos += 4 * k
            if pos != len(path_bin):
                raise ValueError("length")
        except (ValueError, struct.error):
            raise CorruptDataError(
                f"the stored path of sighting {sighting_id} is damaged: restore the database "
                "from a backup, or ingest its video again"
            ) from None
        return StoredPath(t, xy, box, face)
    if path_json is None:
        raise CorruptDataError(f"sighting {sighting_id} has no stored path")
    doc = json.loads(path_json)
    return StoredPath(
        np.asarray(doc["t_s"], np.float64).reshape(-1),
        np.asarray(doc["xy_m"], np.float32).reshape(-1, 2),
        np.asarray(doc["box_xyxy"], np.float32).reshape(-1, 4) if "box_xyxy" in doc else None,
        None,
    )


def encode_appearance(vector: FloatArray) -> bytes:
    """An appearance vector as stored: float16 behind `_F16_MAGIC` (half the bytes of
    float32; cosine similarities move by well under 1e-3, see docs/benchmarks.md)."""
    v = np.asarray(vector, np.float32).reshape(-1)
    if not np.all(np.isfinite(v)):
        raise ValueError("appearance vectors must be finite")
    return _F16_MAGIC + v.astype("<f2").tobytes()


def colour_sketch(appearance: FloatArray | None) -> FloatArray | None:
    """The screening sketch of an appearance vector: its colour part (the last
    `APPEARANCE_COLOUR_DIM` numbers), or None where the vector has another layout."""
    if appearance is None:
        return None
    v = np.asarray(appearance).reshape(-1)
    if len(v) != APPEARANCE_CNN_DIM + APPEARANCE_COLOUR_DIM:
        return None
    return v[APPEARANCE_CNN_DIM:].astype(np.float32)


def sealed_sketch(cipher: Cipher, sighting_id: str, appearance: FloatArray | None) -> bytes | None:
    """`colour_sketch`, stored as appearance vectors are (float16), encrypted."""
    sketch = colour_sketch(appearance)
    if sketch is None:
        return None
    return cipher.encrypt_bytes(encode_appearance(sketch), sighting_id, COLOUR_SKETCH)


def appearance_f16(sighting_id: str, raw: bytes) -> NDArray[np.float16]:
    """A stored appearance vector as float16 (screening precision): float16 rows as they
    are (no copy), older float32 rows rounded (cosines move by about 1e-4)."""
    return _stored_appearance(sighting_id, raw).astype(np.float16, copy=False)


def decode_appearance(sighting_id: str, raw: bytes) -> FloatArray:
    """A decrypted appearance blob as a float32 vector ``(D,)``, whichever way it was stored."""
    return _stored_appearance(sighting_id, raw).astype(np.float32)


def _stored_appearance(sighting_id: str, raw: bytes) -> NDArray[np.floating[Any]]:
    """The vector in a decrypted appearance blob, as stored: float16 behind the marker,
    else float32 (rows written before float16 storage)."""
    if raw[:4] == _F16_MAGIC:
        body = raw[4:]
        if len(body) % 2:
            raise CorruptDataError(f"appearance of sighting {sighting_id} is damaged")
        return np.frombuffer(body, "<f2")
    if len(raw) % 4:
        raise CorruptDataError(f"appearance of sighting {sighting_id} is not a float32 vector")
    return np.frombuffer(raw, "<f4")
