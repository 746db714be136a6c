"""AES-GCM at rest: round trips, wrong key, tampering, and blobs moved between records."""

from __future__ import annotations

import secrets
import struct
from pathlib import Path

import numpy as np
import pytest

from cctrace.core.errors import CorruptDataError
from cctrace.store import crypto
from cctrace.store.crypto import Cipher, write_new_key_file
from tests.store.conftest import embedding


@pytest.fixture
def cipher() -> Cipher:
    return Cipher([secrets.token_bytes(32)])


def test_round_trips(cipher: Cipher) -> None:
    v = embedding(1)
    blob = cipher.encrypt_array(v, "s-1", "face_embedding")
    assert v.tobytes() not in blob
    np.testing.assert_array_equal(cipher.decrypt_array(blob, "s-1", "face_embedding"), v)
    assert cipher.decrypt_bytes(cipher.encrypt_bytes(b"jpeg", "s-1", "t"), "s-1", "t") == b"jpeg"
    assert cipher.decrypt_bytes(cipher.encrypt_bytes(b"", "s-1", "t"), "s-1", "t") == b""


def test_nonce_is_fresh_per_record(cipher: Cipher) -> None:
    a = cipher.encrypt_bytes(b"same", "s-1", "f")
    b = cipher.encrypt_bytes(b"same", "s-1", "f")
    assert a != b
    assert len(a) == len(b"same") + crypto.OVERHEAD_BYTES


def test_wrong_key_names_both_keys(cipher: Cipher) -> None:
    blob = cipher.encrypt_bytes(b"face", "s-1", "face_embedding")
    other = Cipher([secrets.token_bytes(32)])
    with pytest.raises(CorruptDataError, match=cipher.key_id) as err:
        other.decrypt_bytes(blob, "s-1", "face_embedding")
    assert other.key_id in err.value.message


def test_old_key_still_decrypts_after_adding_a_new_one() -> None:
    key_a, key_b = secrets.token_bytes(32), secrets.token_bytes(32)
    blob = Cipher([key_a]).encrypt_bytes(b"x", "r", "f")
    assert Cipher([key_b, key_a]).decrypt_bytes(blob, "r", "f") == b"x"


@pytest.mark.parametrize("position", [0, 5, 12, 25, -1])
def test_tampered_blob_is_refused(cipher: Cipher, position: int) -> None:
    blob = bytearray(cipher.encrypt_bytes(b"face bytes", "s-1", "face_embedding"))
    blob[position] ^= 0x01
    with pytest.raises(CorruptDataError, match="s-1"):
        cipher.decrypt_bytes(bytes(blob), "s-1", "face_embedding")


def test_truncated_blob_is_refused(cipher: Cipher) -> None:
    blob = cipher.encrypt_bytes(b"face bytes", "s-1", "f")
    with pytest.raises(CorruptDataError, match="truncated"):
        cipher.decrypt_bytes(blob[:10], "s-1", "f")


def test_blob_cannot_move_between_rows_or_fields(cipher: Cipher) -> None:
    blob = cipher.encrypt_array(embedding(2), "s-1", "face_embedding")
    with pytest.raises(CorruptDataError, match="moved"):
        cipher.decrypt_array(blob, "s-2", "face_embedding")
    with pytest.raises(CorruptDataError):
        cipher.decrypt_array(blob, "s-1", "appearance")


def test_large_payload_is_chunked_and_chunks_are_bound(
    cipher: Cipher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(crypto, "LARGE_CHUNK_BYTES", 100)
    data = bytes(range(256)) * 3
    sealed = cipher.encrypt_large(data, "faces/2024-03-05/a.seg", "idx")
    assert cipher.decrypt_large(sealed, "faces/2024-03-05/a.seg", "idx") == data
    with pytest.raises(CorruptDataError):
        cipher.decrypt_large(sealed[:-1], "faces/2024-03-05/a.seg", "idx")
    with pytest.raises(CorruptDataError):
        cipher.decrypt_large(sealed, "faces/2024-03-06/a.seg", "idx")
    # Two chunks swapped (each authentic on its own): their positions are authenticated.
    n = struct.unpack_from("<Q", sealed, 0)[0]
    assert n == 8
    pieces, pos = [], 8
    for _ in range(n):
        (size,) = struct.unpack_from("<Q", sealed, pos)
        pieces.append(sealed[pos : pos + 8 + size])
        pos += 8 + size
    swapped = sealed[:8] + pieces[1] + pieces[0] + b"".join(pieces[2:])
    with pytest.raises(CorruptDataError, match="integrity"):
        cipher.decrypt_large(swapped, "faces/2024-03-05/a.seg", "idx")
    # A chunk too short to hold its own header and tag is refused before any decryption.
    short = sealed[:8] + struct.pack("<Q", 4) + b"abcd" + b"".join(pieces[1:])
    with pytest.raises(CorruptDataError, match="truncated"):
        cipher.decrypt_large(short, "faces/2024-03-05/a.seg", "idx")


def test_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master.key"
    write_new_key_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    key = path.read_bytes()
    with pytest.raises(FileExistsError):
        write_new_key_file(path)
    assert path.read_bytes() == key
    assert Cipher.from_key_file(path).key_id == crypto.key_id_of(key).hex()
