"""The web page's vendored scripts and styles: pinned npm packages, each file's SHA-256.

`tools/web/vendor.py` (``make web``, part of ``make setup``) fetches each package with
``npm pack``, checks the tarball's hash, and copies the files listed here into
``static/vendor/`` (built, not committed), checking each one. Nothing is ever loaded
from the internet: the page works offline, and its Content-Security-Policy allows only
its own origin.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"


@dataclass(frozen=True)
class VendoredFile:
    member: str
    """The path inside the npm tarball."""
    dest: str
    """The path under ``static/vendor/``."""
    sha256: str


@dataclass(frozen=True)
class NpmPackage:
    spec: str
    """``name@version``, as given to ``npm pack``."""
    tarball: str
    """The file ``npm pack`` writes."""
    sha256: str
    files: tuple[VendoredFile, ...]


PACKAGES: tuple[NpmPackage, ...] = (
    NpmPackage(
        "htmx.org@2.0.11",
        "htmx.org-2.0.11.tgz",
        "165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e",
        (
            VendoredFile(
                "package/dist/htmx.min.js",
                "htmx/htmx.min.js",
                "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717",
            ),
            VendoredFile(
                "package/LICENSE",
                "htmx/LICENSE",
                "d3d2456f76414f2456104660ebd65aff1c04cd7966b942bdabd63f3cdb316a38",
            ),
        ),
    ),
    NpmPackage(
        "leaflet@1.9.4",
        "leaflet-1.9.4.tgz",
        "84c65a256e50657896f54c33bd857b6849ebe94c817803be818bf32a3dde0b77",
        (
            VendoredFile(
                "package/dist/leaflet.js",
                "leaflet/leaflet.js",
                "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a",
            ),
            VendoredFile(
                "package/dist/leaflet.css",
                "leaflet/leaflet.css",
                "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6",
            ),
            VendoredFile(
                "package/dist/images/layers.png",
                "leaflet/images/layers.png",
                "1dbbe9d028e292f36fcba8f8b3a28d5e8932754fc2215b9ac69e4cdecf5107c6",
            ),
            VendoredFile(
                "package/dist/images/layers-2x.png",
                "leaflet/images/layers-2x.png",
                "066daca850d8ffbef007af00b06eac0015728dee279c51f3cb6c716df7c42edf",
            ),
            VendoredFile(
                "package/dist/images/marker-icon.png",
                "leaflet/images/marker-icon.png",
                "574c3a5cca85f4114085b6841596d62f00d7c892c7b03f28cbfa301deb1dc437",
            ),
            VendoredFile(
                "package/dist/images/marker-icon-2x.png",
                "leaflet/images/marker-icon-2x.png",
                "00179c4c1ee830d3a108412ae0d294f55776cfeb085c60129a39aa6fc4ae2528",
            ),
            VendoredFile(
                "package/dist/images/marker-shadow.png",
                "leaflet/images/marker-shadow.png",
                "264f5c640339f042dd729062cfc04c17f8ea0f29882b538e3848ed8f10edb4da",
            ),
            VendoredFile(
                "package/LICENSE",
                "leaflet/LICENSE",
                "53e8dc25862014e4324741ca18fbe3611e11d42ef69f59f86ea8c5389647d4cb",
            ),
        ),
    ),
)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def vendored_files() -> tuple[VendoredFile, ...]:
    return tuple(f for p in PACKAGES for f in p.files)


def missing_or_altered(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    """The vendored files that are absent or differ from their pinned hash (empty: all
    good); each named with what to do."""
    bad = []
    for f in vendored_files():
        path = vendor_dir / f.dest
        if not path.is_file():
            bad.append(f"{f.dest} is missing")
        elif sha256_file(path) != f.sha256:
            bad.append(f"{f.dest} differs from its pinned SHA-256")
    return bad
