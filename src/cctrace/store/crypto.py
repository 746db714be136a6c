"""Encryption at rest for everything biometric: AES-256-GCM with a fresh nonce per record.

Blob layout (bytes): ``version (1) | key_id (8) | nonce (12) | ciphertext + GCM tag (16)``.
The associated data binds each blob to its header, its record id and its field name, so
a blob copied into another row, or from the ``appearance`` column into ``face_embedding``,
fails to decrypt instead of silently lending one person's face to another.

The key id (first 8 bytes of a SHA-256 over the key) lets a later key rotation keep old
keys for decryption while encrypting with the newest; it reveals nothing about the key.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cctrace.core.errors import CorruptDataError, InputError
from cctrace.core.types import FloatArray

FORMAT_VERSION = 1
KEY_BYTES = 32
KEY_ID_BYTES = 8
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = 1 + KEY_ID_BYTES
OVERHEAD_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES
# `cryptography` refuses one AES-GCM message of 2 GiB or more, and a day of faces can be
# larger; big payloads are sealed in chunks whose position and count are authenticated.
LARGE_CHUNK_BYTES = 64 << 20
_LEN = struct.Struct("<Q")


def key_id_of(key: bytes) -> bytes:
    return hashlib.sha256(b"cctrace-key-id\x00" + key).digest()[:KEY_ID_BYTES]


def write_new_key_file(path: Path) -> None:
    """Create ``path`` holding a fresh 256-bit key, mode 0600; never overwrites a key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: a second init (or a race of two) must not replace a key that data depend on.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_bytes(KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    path.chmod(0o600)  # the umask may have masked bits; be explicit


def read_key_file(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        key = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"key file {path} is missing: run `cctrace init` for a new data folder, or "
            "restore the key from your backup (without it the biometric data cannot be read)"
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read key file {path}: {exc.strerror}") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(
            f"key file {path} is readable by other users (mode {stat.filemode(mode)}): "
            f"run `chmod 600 {path}`"
        )
    if len(key) != KEY_BYTES:
        raise InputError(
            f"key file {path} holds {len(key)} bytes, not a {KEY_BYTES}-byte key: "
            "restore it from your backup"
        )
    return key


class Cipher:
    """AES-256-GCM over records. ``keys[0]`` encrypts; every key in ``keys`` decrypts."""

    def __init__(self, keys: Sequence[bytes], source: str = "the key") -> None:
        if not keys:
            raise ValueError("Cipher needs at least one key")
        for key in keys:
            if len(key) != KEY_BYTES:
                raise ValueError(f"AES-256 keys are {KEY_BYTES} bytes, got {len(key)}")
        self._active_id = key_id_of(keys[0])
        self._aead = {key_id_of(k): AESGCM(k) for k in keys}
        self._source = source

    @classmethod
    def from_key_file(cls, path: Path) -> Cipher:
        return cls([read_key_file(path)], source=f"key file {path}")

    @property
    def key_id(self) -> str:
        return self._active_id.hex()

    def encrypt_bytes(self, data: bytes | memoryview, record_id: str, field: str) -> bytes:
        header = bytes([FORMAT_VERSION]) + self._active_id
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead[self._active_id].encrypt(nonce, data, _aad(header, record_id, field))
        return header + nonce + sealed

    def decrypt_bytes(self, blob: bytes | memoryview, record_id: str, field: str) -> bytes:
        where = f"{field} of record {record_id}"
        if len(blob) < OVERHEAD_BYTES:
            raise CorruptDataError(f"encrypted {where} is truncated ({len(blob)} bytes)")
        if blob[0] != FORMAT_VERSION:
            raise CorruptDataError(
                f"encrypted {where} has format version {blob[0]}, expected {FORMAT_VERSION}: "
                "altered, or written by a newer cctrace"
            )
        header, key_id = bytes(blob[:HEADER_BYTES]), bytes(blob[1:HEADER_BYTES])
        aead = self._aead.get(key_id)
        if aead is None:
            raise CorruptDataError(
                f"{where} was encrypted with key {key_id.hex()}, but {self._source} is key "
                f"{self.key_id}: point --home at the data folder it came from, or restore "
                "that folder's key file"
            )
        nonce = blob[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
        try:
            return aead.decrypt(
                nonce, blob[HEADER_BYTES + NONCE_BYTES :], _aad(header, record_id, field)
            )
        except InvalidTag:
            raise CorruptDataError(
                f"encrypted {where} fails its integrity check: it was altered, or moved "
                "from another record; restore the data folder from a backup"
            ) from None

    def encrypt_array(self, vector: FloatArray, record_id: str, field: str) -> bytes:
        """Encrypt a 1-D float32 vector (stored little-endian)."""
        v = np.asarray(vector)
        if v.ndim != 1:
            raise ValueError(f"encrypt_array takes a 1-D vector, got shape {v.shape}")
        return self.encrypt_bytes(v.astype("<f4", copy=False).tobytes(), record_id, field)

    def decrypt_array(self, blob: bytes, record_id: str, field: str) -> FloatArray:
        """Inverse of :meth:`encrypt_array`: a writable (D,) float32 vector."""
        raw = self.decrypt_bytes(blob, record_id, field)
        if len(raw) % 4:
            raise CorruptDataError(f"{field} of record {record_id} is not a float32 vector")
        return np.frombuffer(raw, "<f4").astype(np.float32)

    def encrypt_large(self, data: bytes | memoryview, record_id: str, field: str) -> bytes:
        """Seal any size: ``count (8) | [length (8) | blob]*``; chunk i of n is bound to (i, n)."""
        return b"".join(self.encrypt_large_parts(data, record_id, field))

    def encrypt_large_parts(
        self, data: bytes | memoryview, record_id: str, field: str
    ) -> Iterator[bytes]:
        """`encrypt_large` as consecutive pieces, to write out without joining them."""
        view = memoryview(data).cast("B")
        n = max(1, -(-len(view) // LARGE_CHUNK_BYTES))
        yield _LEN.pack(n)
        for i in range(n):
            chunk = view[i * LARGE_CHUNK_BYTES : (i + 1) * LARGE_CHUNK_BYTES]
            blob = self.encrypt_bytes(chunk, record_id, f"{field}#{i}/{n}")
            yield _LEN.pack(len(blob))
            yield blob

    def decrypt_large(self, data: bytes | memoryview, record_id: str, field: str) -> bytes:
        view = memoryview(data)
        try:
            (n,) = _LEN.unpack_from(view, 0)
            pos, out = _LEN.size, []
            for i in range(n):
                (size,) = _LEN.unpack_from(view, pos)
                pos += _LEN.size
                if pos + size > len(view):
                    raise struct.error("chunk runs past the end")
                out.append(
                    self.decrypt_bytes(view[pos : pos + size], record_id, f"{field}#{i}/{n}")
                )
                pos += size
        except struct.error:
            raise CorruptDataError(f"encrypted {field} of {record_id} is truncated") from None
        if pos != len(view):
            raise CorruptDataError(f"encrypted {field} of {record_id} has trailing bytes")
        return b"".join(out)


def _aad(header: bytes, record_id: str, field: str) -> bytes:
    # NUL separators: ids and field names never contain NUL, so ("a", "bc") != ("ab", "c").
    return header + b"cctrace\x00" + record_id.encode() + b"\x00" + field.encode()
