"""Reading still images safely.

Images come from users (reference photos, evidence). A hostile or broken file must give
a clear error naming it, never a crash or a memory blow-up: the header's dimensions are
checked before the pixels are decoded, so a small file that claims billions of pixels
(a decompression bomb) is refused cheaply.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from cctrace.core.errors import InputError
from cctrace.core.types import ImageBGR

MAX_IMAGE_PIXELS = 64_000_000
"""Largest image accepted (64 MP, e.g. 9238×6928); larger ones are refused."""
MAX_IMAGE_BYTES = 200 * 1024 * 1024
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


def _header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG or JPEG header without decoding pixels, else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            # SOF0..SOF15 carry the frame size; DHT (C4), JPG (C8) and DAC (CC) do not.
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h = int.from_bytes(data[i + 5 : i + 7], "big")
                w = int.from_bytes(data[i + 7 : i + 9], "big")
                return w, h
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def load_image(path: Path) -> ImageBGR:
    """Decode an image file to (H, W, 3) uint8 BGR.

    Raises InputError naming the file when it is missing, not a file, too large, or not
    a decodable image.
    """
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file; give an image file (jpg, png, ...)")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path}: the file is empty; give an image file (jpg, png, ...)")
    if size > MAX_IMAGE_BYTES:
        raise InputError(f"{path}: {size} bytes is larger than the {MAX_IMAGE_BYTES} byte limit")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror})") from None
    dims = _header_size(data)
    if dims is not None and dims[0] * dims[1] > MAX_IMAGE_PIXELS:
        raise InputError(
            f"{path}: the image claims {dims[0]}x{dims[1]} pixels, more than the "
            f"{MAX_IMAGE_PIXELS} pixel limit; resize it first"
        )
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:  # e.g. a GIF or TIFF header past OpenCV's own pixel limit
        image = None
    if image is None:
        raise InputError(f"{path}: not a readable image (jpg, png, bmp, webp or tiff expected)")
    if image.shape[0] * image.shape[1] > MAX_IMAGE_PIXELS:
        raise InputError(
            f"{path}: {image.shape[1]}x{image.shape[0]} pixels is more than the "
            f"{MAX_IMAGE_PIXELS} pixel limit; resize it first"
        )
    return np.ascontiguousarray(image, dtype=np.uint8)
