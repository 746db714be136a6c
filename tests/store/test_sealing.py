"""Sealed boxes: only the holder of the private key opens them, for the context they were
sealed for, and an altered box is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from cctrace.core.errors import CorruptDataError, InputError
from cctrace.store.sealing import (
    load_or_create_seal_key,
    open_sealed,
    public_bytes,
    seal,
    seal_key_path,
)

CONTEXT = "cctrace sightings of video abc segment 0"


def test_seal_opens_only_with_the_private_key_and_its_context() -> None:
    key = X25519PrivateKey.generate()
    other = X25519PrivateKey.generate()
    blob = seal(public_bytes(key.public_key()), b"face embedding bytes", CONTEXT)
    assert b"face embedding bytes" not in blob
    assert open_sealed(key, blob, CONTEXT) == b"face embedding bytes"
    with pytest.raises(CorruptDataError, match="integrity"):
        open_sealed(other, blob, CONTEXT)
    with pytest.raises(CorruptDataError, match="segment"):
        open_sealed(key, blob, "cctrace sightings of video abc segment 1")


@pytest.mark.parametrize("position", [0, 1, 40, -1])
def test_an_altered_box_is_refused(position: int) -> None:
    key = X25519PrivateKey.generate()
    blob = bytearray(seal(public_bytes(key.public_key()), b"x" * 64, CONTEXT))
    blob[position] ^= 0x01
    with pytest.raises(CorruptDataError):
        open_sealed(key, bytes(blob), CONTEXT)


def test_two_seals_of_one_payload_differ() -> None:
    """A fresh ephemeral key and nonce per box: equal sightings cannot be spotted."""
    pub = public_bytes(X25519PrivateKey.generate().public_key())
    assert seal(pub, b"same", CONTEXT) != seal(pub, b"same", CONTEXT)


def test_seal_key_is_made_once_private_and_kept(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    first = load_or_create_seal_key(keys)
    assert seal_key_path(keys).stat().st_mode & 0o077 == 0
    again = load_or_create_seal_key(keys)
    assert public_bytes(first.public_key()) == public_bytes(again.public_key())
    seal_key_path(keys).chmod(0o644)
    with pytest.raises(InputError, match="chmod 600"):
        load_or_create_seal_key(keys)
