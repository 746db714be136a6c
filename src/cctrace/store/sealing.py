"""Sealed boxes for ingestion workers: a worker holds only the service's public key.

An ingestion worker sits near the cameras and is the machine most likely to be stolen.
It must produce encrypted sightings without being able to read any: it seals each payload
to the service's X25519 public key (an ephemeral key pair per payload, HKDF-SHA256 to an
AES-256-GCM key), and only the service, holding the private key, opens it and re-seals
the fields under the data folder's own AES key (`cctrace.store.crypto`).

Blob layout (bytes): ``version (1) | ephemeral public key (32) | nonce (12) | ciphertext
+ tag (16)``. The associated data binds the blob to its version, both public keys and a
context string (video and segment), so a payload cannot be replayed as another segment's.

Key file: ``keys/seal.key`` (32 raw bytes of the X25519 private key, mode 0600) in the
data folder; it is made on first use. Workers are given the public key (32 bytes, hex).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from cctrace.core.errors import CorruptDataError, InputError
from cctrace.store.crypto import read_key_file

SEAL_VERSION = 1
PUBLIC_KEY_BYTES = 32
NONCE_BYTES = 12
HEADER_BYTES = 1 + PUBLIC_KEY_BYTES + NONCE_BYTES
_INFO = b"cctrace-worker-seal-v1"


def public_bytes(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _derive(shared: bytes, ephemeral_pub: bytes, recipient_pub: bytes) -> AESGCM:
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral_pub + recipient_pub, info=_INFO
    )
    return AESGCM(hkdf.derive(shared))


def _aad(ephemeral_pub: bytes, recipient_pub: bytes, context: str) -> bytes:
    return bytes([SEAL_VERSION]) + ephemeral_pub + recipient_pub + b"\x00" + context.encode()


def seal(recipient: bytes, plaintext: bytes, context: str) -> bytes:
    """Encrypt ``plaintext`` so that only the holder of ``recipient``'s private key reads it.

    ``recipient``: the 32-byte X25519 public key; ``context``: what the payload is (it
    must be given again to open it)."""
    if len(recipient) != PUBLIC_KEY_BYTES:
        raise ValueError(f"an X25519 public key is {PUBLIC_KEY_BYTES} bytes, got {len(recipient)}")
    ephemeral = X25519PrivateKey.generate()
    eph_pub = public_bytes(ephemeral.public_key())
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = _derive(shared, eph_pub, recipient).encrypt(
        nonce, plaintext, _aad(eph_pub, recipient, context)
    )
    return bytes([SEAL_VERSION]) + eph_pub + nonce + sealed


def open_sealed(private: X25519PrivateKey, blob: bytes, context: str) -> bytes:
    """Inverse of `seal`; CorruptDataError if the blob was altered, is for another key or
    another context."""
    if len(blob) < HEADER_BYTES + 16 or blob[0] != SEAL_VERSION:
        raise CorruptDataError(f"sealed payload of {context} is truncated or of an unknown format")
    eph_pub = blob[1 : 1 + PUBLIC_KEY_BYTES]
    nonce = blob[1 + PUBLIC_KEY_BYTES : HEADER_BYTES]
    recipient = public_bytes(private.public_key())
    shared = private.exchange(X25519PublicKey.from_public_bytes(eph_pub))
    try:
        return _derive(shared, eph_pub, recipient).decrypt(
            nonce, blob[HEADER_BYTES:], _aad(eph_pub, recipient, context)
        )
    except InvalidTag:
        raise CorruptDataError(
            f"sealed payload of {context} fails its integrity check: altered, sealed for "
            "another data folder's key, or given for another segment"
        ) from None


def seal_key_path(keys_dir: Path) -> Path:
    return keys_dir / "seal.key"


def load_or_create_seal_key(keys_dir: Path) -> X25519PrivateKey:
    """The data folder's worker-sealing private key, made (mode 0600) on first use."""
    path = seal_key_path(keys_dir)
    if not path.exists():
        raw = X25519PrivateKey.generate().private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption()
        )
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, raw)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # never replaces a key another process made meanwhile
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    try:
        return X25519PrivateKey.from_private_bytes(read_key_file(path))
    except ValueError:
        raise InputError(
            f"key file {path} is not an X25519 key: restore it from your backup"
        ) from None
