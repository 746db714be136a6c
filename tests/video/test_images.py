from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from cctrace.core.errors import InputError
from cctrace.video.images import MAX_IMAGE_PIXELS, load_image


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width×height pixels (a decompression bomb's shape)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    body = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat = zlib.compress(b"\x00" * 1024)
    body += struct.pack(">I", len(idat)) + b"IDAT" + idat + struct.pack(">I", 0)
    return b"\x89PNG\r\n\x1a\n" + body


def test_load_image_reads_bgr(astronaut_path: Path) -> None:
    image = load_image(astronaut_path)
    assert image.shape == (512, 512, 3)
    assert image.dtype == np.uint8


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.jpg", None, "no such file"),
        ("empty.jpg", b"", "empty"),
        ("notes.jpg", b"this is text, not a picture\n" * 10, "not a readable image"),
        ("bomb.png", _png_claiming(100_000, 100_000), "pixel limit"),
        ("odd name ü $(rm).png", b"\x00\x01garbage", "not a readable image"),
    ],
)
def test_bad_images_name_the_file(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_image(path)
    assert str(path) in info.value.message
    assert message in info.value.message
    assert info.value.exit_code == 2


def test_truncated_jpeg_is_refused_or_decoded_partially(
    tmp_path: Path, astronaut_path: Path
) -> None:
    ok, jpg = cv2.imencode(".jpg", cv2.imread(str(astronaut_path)))
    assert ok
    path = tmp_path / "truncated.jpg"
    path.write_bytes(jpg.tobytes()[:200])
    with pytest.raises(InputError, match=r"truncated\.jpg"):
        load_image(path)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a regular file"):
        load_image(tmp_path)


def test_jpeg_header_size_is_checked_before_decoding(tmp_path: Path) -> None:
    # A real JPEG whose SOF header is patched to claim 60000x60000 pixels.
    ok, jpg = cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))
    assert ok
    data = bytearray(jpg.tobytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)
    path = tmp_path / "huge.jpg"
    path.write_bytes(bytes(data))
    assert MAX_IMAGE_PIXELS < 60000 * 60000
    with pytest.raises(InputError, match="pixel limit"):
        load_image(path)
