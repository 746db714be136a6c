"""Vendor the web page's scripts and styles from pinned npm packages (``make web``).

Run with the project's virtual environment. For each package of
`cctrace.web.assets.PACKAGES`: ``npm pack name@version`` into a temporary folder (it
reaches only the npm registry), check the tarball's SHA-256, extract only the listed
files, check each one's SHA-256, and write it under ``src/cctrace/web/static/vendor/``.
Files already there with the right hash are left alone, so a second run is quick and
needs no network. Exit status 1, naming the file, when anything does not match.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from cctrace.web.assets import PACKAGES, VENDOR_DIR, NpmPackage, sha256_file


class VendorError(Exception):
    pass


def _pack(package: NpmPackage, folder: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError("npm is not installed: install Node.js and npm (apt-get install npm)")
    done = subprocess.run(
        [npm, "pack", package.spec, "--silent", "--pack-destination", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    tarball = folder / package.tarball
    if done.returncode != 0 or not tarball.is_file():
        raise VendorError(f"npm pack {package.spec} failed: {done.stderr.strip()[-500:]}")
    got = sha256_file(tarball)
    if got != package.sha256:
        raise VendorError(
            f"{package.tarball}: SHA-256 {got} is not the pinned {package.sha256}; "
            "the registry served other bytes than those checked when the pin was written"
        )
    return tarball


def _extract(package: NpmPackage, tarball: Path, dest_dir: Path) -> None:
    with tarfile.open(tarball, "r:gz") as tar:
        for f in package.files:
            member = tar.getmember(f.member)
            if not member.isfile():
                raise VendorError(f"{package.tarball}: {f.member} is not a plain file")
            handle = tar.extractfile(member)
            assert handle is not None
            data = handle.read()
            got = hashlib.sha256(data).hexdigest()
            if got != f.sha256:
                raise VendorError(f"{package.spec}: {f.member} has SHA-256 {got}, not {f.sha256}")
            out = dest_dir / f.dest
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(out.name + ".part")
            tmp.write_bytes(data)
            tmp.replace(out)


def vendor(dest_dir: Path = VENDOR_DIR) -> list[str]:
    """Bring every vendored file to its pinned bytes; the packages fetched."""
    fetched = []
    for package in PACKAGES:
        stale = [
            f
            for f in package.files
            if not (dest_dir / f.dest).is_file() or sha256_file(dest_dir / f.dest) != f.sha256
        ]
        if not stale:
            continue
        with tempfile.TemporaryDirectory(prefix="cctrace-vendor-") as tmp:
            tarball = _pack(package, Path(tmp))
            _extract(package, tarball, dest_dir)
        fetched.append(package.spec)
    return fetched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=VENDOR_DIR, help="vendor folder")
    args = parser.parse_args(argv)
    try:
        fetched = vendor(args.dest)
    except VendorError as exc:
        print(f"vendor: {exc}", file=sys.stderr)
        return 1
    for spec in fetched:
        print(f"vendored {spec}")
    if not fetched:
        print(f"web assets up to date in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
