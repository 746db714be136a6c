"""Hostile and odd input files in every file argument: a clear error naming the file,
exit 2, and nothing written (database, data folder, working folder).

Covered: image arguments (`faces analyze/compare`, `detect`, `case open --patient-photo`),
consent forms, camera lists and calibration files (`cameras import/add`), videos
(`ingest`) and output folders (`evidence --out`, `index export-mot --out`). Names: path
traversal, newlines, unicode, a leading dash, spaces, symlinks out of the folder, folders
and devices where a file is expected, missing files. Contents: empty, garbage, images whose
header claims huge sizes (decompression bombs, built here with zlib/struct), calibration
and camera lists with NaN, huge numbers, wrong types and deep nesting.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from cctrace.store.home import Home
from cctrace.store.records import VideoRecord
from cctrace.store.repository import Store
from tests.cases import DIAGNOSIS_REF, write_consent
from tests.security.conftest import SecEnv

pytestmark = pytest.mark.security

UP = "../" * 24  # from anywhere, up to /


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def png(width: int, height: int, pixels: bool) -> bytes:
    """A greyscale PNG; with ``pixels`` its IDAT really inflates to width*height bytes."""
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    idat = b""
    if pixels:
        z = zlib.compressobj(9)
        row = b"\x00" * (width + 1)
        idat = _chunk(b"IDAT", b"".join(z.compress(row) for _ in range(height)) + z.flush())
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + _chunk(b"IEND", b"")


def jpeg_header(width: int, height: int) -> bytes:
    """SOI, a baseline SOF0 declaring the size, EOI: no pixels at all."""
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + sof + b"\xff\xd9"


def gif_header(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00;"


# name -> how to make it under a folder (returns the argument to pass)
Maker = Callable[[Path], str]


def _file(name: str, data: bytes) -> Maker:
    def make(d: Path) -> str:
        (d / name).write_bytes(data)
        return str(d / name)

    return make


def _link(name: str, target: str) -> Maker:
    def make(d: Path) -> str:
        (d / name).symlink_to(target)
        return str(d / name)

    return make


def _dir(name: str) -> Maker:
    def make(d: Path) -> str:
        (d / name).mkdir()
        return str(d / name)

    return make


GARBAGE = bytes(range(256)) * 4
BAD_IMAGES: dict[str, Maker] = {
    "missing": lambda d: str(d / "nope.jpg"),
    "folder": _dir("photo.jpg"),
    "traversal": lambda d: UP + "etc/passwd",
    "link out": _link("photo.png", "/etc/passwd"),
    "link to a device": _link("zero.jpg", "/dev/zero"),
    "newline name": _file("a\nb.jpg", GARBAGE),
    "unicode name": _file("фото ü 照片.jpg", GARBAGE),
    "leading dash": _file("-rf.jpg", GARBAGE),
    "spaces": _file("my photo .jpg", b"not an image"),
    "empty": _file("empty.png", b""),
    "png claims 30000x30000": _file("huge.png", png(30000, 30000, pixels=False)),
    "png bomb": _file("bomb.png", png(12000, 12000, pixels=True)),
    "jpeg claims 60000x60000": _file("huge.jpg", jpeg_header(60000, 60000)),
    "gif claims 60000x60000": _file("huge.gif", gif_header(60000, 60000)),
}


@pytest.fixture
def inputs(sec: SecEnv, request: pytest.FixtureRequest) -> Path:
    """A fresh folder for this test's input files (inside the scratch folder)."""
    d = sec.scratch / f"in-{abs(hash(request.node.nodeid))}"
    d.mkdir()
    return d


def _bad(sec: SecEnv, argv: list[str], named: str, token: str = "", code: int = 2) -> None:
    """Run, then check: the exit code, the file named on stderr, nothing on stdout, nothing
    written (database apart from the audit log, files anywhere under home or scratch)."""
    with sec.unchanged():
        r = sec.run(*argv, token=token)
    assert r.exit_code == code, (r.exit_code, r.stderr)
    assert named in r.stderr, r.stderr
    assert r.stdout == ""
    assert "Traceback" not in r.stderr


@pytest.mark.sqlite_only("a file refused before the database is written")
@pytest.mark.parametrize("kind", BAD_IMAGES)
@pytest.mark.parametrize("command", ["faces analyze", "faces compare", "detect"])
def test_bad_images(sec: SecEnv, inputs: Path, command: str, kind: str) -> None:
    arg = BAD_IMAGES[kind](inputs)
    files = [arg, arg] if command == "faces compare" else [arg]
    _bad(sec, [*command.split(), "--", *files], arg)


@pytest.mark.parametrize(
    "kind", ["missing", "traversal", "link to a device", "leading dash", "png bomb", "folder"]
)
def test_bad_patient_photos(sec: SecEnv, inputs: Path, kind: str) -> None:
    arg = BAD_IMAGES[kind](inputs)
    _bad(sec, _case_open(sec, inputs, arg), arg, token=sec.token_of("investigator"))


def _consent_form(d: Path) -> str:
    return str(write_consent(d / "consent.pdf"))


def _case_open(sec: SecEnv, d: Path, photo: str, consent: str | None = None) -> list[str]:
    return [
        "case",
        "open",
        "--patient-photo",
        photo,
        "--consent-file",
        _consent_form(d) if consent is None else consent,
        "--consent-given-by",
        "the patient",
        "--consent-date",
        "2026-11-20",
        "--diagnosis-ref",
        DIAGNOSIS_REF,
        "--from",
        "2026-11-19",
        "--to",
        "2026-11-21",
    ]


BAD_CONSENT: dict[str, Maker] = {
    "missing": lambda d: str(d / "none.pdf"),
    "empty": _file("empty.pdf", b""),
    "folder": _dir("consent.pdf"),
    "link to a device": _link("zero.pdf", "/dev/zero"),
    "newline name": lambda d: str(d / "con\nsent.pdf"),
    # Issue 16: a form is a document by its content, whatever its name says.
    "garbage named .pdf": _file("scan.pdf", GARBAGE),
    "text named .pdf": _file("form.pdf", b"%PDF-1.4 signed consent form"),
    "a system file": lambda d: UP + "etc/passwd",
    "a PDF without a page": _file("nopage.pdf", b"%PDF-1.7\n%%EOF\n"),
    "a thumbnail PNG": lambda d: _png(d / "tiny.png", 120, 160),
    "a truncated JPEG": lambda d: _truncated_jpeg(d / "cut.jpg"),
}


def _png(path: Path, w: int, h: int) -> str:
    assert cv2.imwrite(str(path), np.full((h, w), 255, np.uint8))
    return str(path)


def _truncated_jpeg(path: Path) -> str:
    ok, data = cv2.imencode(".jpg", np.full((800, 600), 200, np.uint8))
    assert ok
    path.write_bytes(data.tobytes()[:300])
    return str(path)


@pytest.mark.sqlite_only("a file refused before the database is written")
@pytest.mark.parametrize("kind", BAD_CONSENT)
def test_bad_consent_forms(sec: SecEnv, inputs: Path, kind: str) -> None:
    consent = BAD_CONSENT[kind](inputs)
    argv = _case_open(sec, inputs, str(inputs / "photo.jpg"), consent)
    _bad(sec, argv, consent, token=sec.token_of("investigator"))


@pytest.mark.sqlite_only("the gate judges the file; case writes run on PostgreSQL elsewhere")
@pytest.mark.parametrize("kind", ["pdf", "png", "jpeg named .pdf"])
def test_a_real_consent_document_passes_the_gate(sec: SecEnv, inputs: Path, kind: str) -> None:
    """A PDF with a page, or a scan of readable size (judged by content, not by name): the
    gate passes and the photo is looked at next (here a missing one, exit 2 naming it)."""
    if kind == "pdf":
        consent = str(write_consent(inputs / "form.pdf"))
    elif kind == "png":
        consent = _png(inputs / "scan.png", 620, 877)
    else:
        ok, data = cv2.imencode(".jpg", np.full((877, 620), 230, np.uint8))
        assert ok
        consent = str(inputs / "scan.pdf")
        Path(consent).write_bytes(data.tobytes())
    photo = str(inputs / "no-photo.jpg")
    _bad(sec, _case_open(sec, inputs, photo, consent), photo, sec.token_of("investigator"))


CAMERA_ROW = "id,name,x_m,y_m,calibration\n"
POINT = '{"type":"Feature","geometry":{"type":"Point","coordinates":%s},"properties":%s}'
CAL4 = '[{"image":[0,0],"floor":[0,0]},{"image":[100,0],"floor":[1,0]},{"image":[100,100],"floor":[1,1]},{"image":[0,100],"floor":[0,1]}]'  # noqa: E501


def _geojson(coords: str, props: str = '{"id":"c1","name":"C"}') -> bytes:
    return ('{"type":"FeatureCollection","features":[%s]}' % (POINT % (coords, props))).encode()


BAD_CAMERA_LISTS: dict[str, Maker] = {
    "missing": lambda d: str(d / "none.csv"),
    "folder": _dir("cams.csv"),
    "traversal": lambda d: UP + "etc/passwd",
    "link to a device": _link("zero.csv", "/dev/zero"),
    "garbage": _file("cams.csv", GARBAGE),
    "empty": _file("cams.csv", b""),
    "unknown type": _file("cams.txt", b"id,name\nc1,C\n"),
    "csv NaN": _file("cams.csv", b"id,name,x_m,y_m\nc1,C,nan,1\n"),
    "csv huge": _file("cams.csv", b"id,name,x_m,y_m\nc1,C,1e999,1\n"),
    "csv 5000 digits": _file("cams.csv", b"id,name,x_m,y_m\nc1,C," + b"9" * 5000 + b",1\n"),
    "csv words": _file("cams.csv", b"id,name,x_m,y_m\nc1,C,north,1\n"),
    "csv bad id": _file("cams.csv", b"id,name\n../../etc,C\n"),
    "geojson NaN": _file("cams.geojson", _geojson("[NaN, 1]")),
    "geojson huge int": _file("cams.geojson", _geojson("[1" + "0" * 400 + ", 1]")),
    "geojson 5000 digits": _file("cams.geojson", _geojson("[1" + "0" * 5000 + ", 1]")),
    "geojson strings": _file("cams.geojson", _geojson('["1", "2"]')),
    "geojson wrong types": _file("cams.geojson", _geojson("[1, 2]", '{"id":["x"],"name":{}}')),
    "geojson deep": _file("cams.geojson", b"[" * 100_000 + b"]" * 100_000),
}


@pytest.mark.parametrize("kind", BAD_CAMERA_LISTS)
def test_bad_camera_lists(sec: SecEnv, inputs: Path, kind: str) -> None:
    arg = BAD_CAMERA_LISTS[kind](inputs)
    _bad(sec, ["cameras", "import", "--", arg], arg)


def _cal(points: str, extra: str = "") -> bytes:
    return ('{"points":' + points + extra + "}").encode()


BAD_CALIBRATIONS: dict[str, Maker] = {
    "missing": lambda d: str(d / "none.json"),
    "folder": _dir("cal.json"),
    "traversal": lambda d: UP + "etc/passwd",
    "link to a device": _link("zero.json", "/dev/zero"),
    "garbage": _file("cal.json", GARBAGE),
    "json NaN": _file("cal.json", _cal(CAL4.replace("100,0]", "NaN,0]"))),
    "json huge int": _file("cal.json", _cal(CAL4.replace("[0,0]", "[1" + "0" * 400 + ",0]", 1))),
    "json huge size": _file("cal.json", _cal(CAL4, ',"image_size":[1' + "0" * 5000 + ",1]")),
    "json wrong types": _file("cal.json", b'{"points":[{"image":"a","floor":null}]}'),
    "json deep": _file("cal.json", b'{"points":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    "csv NaN": _file("cal.csv", b"u,v,x_m,y_m\nnan,0,0,0\n100,0,1,0\n100,100,1,1\n0,100,0,1\n"),
}


@pytest.mark.parametrize("kind", BAD_CALIBRATIONS)
def test_bad_calibrations(sec: SecEnv, inputs: Path, kind: str) -> None:
    cal = BAD_CALIBRATIONS[kind](inputs)
    _bad(sec, ["cameras", "add", "cam-x", "--name", "X", "--calibration", cal], cal)
    # the same file named from a camera list: the message names both
    listing = inputs / "list.csv"
    listing.write_text(CAMERA_ROW + f"cam-x,X,1,1,{cal}\n")
    if "\n" not in cal:
        _bad(sec, ["cameras", "import", str(listing)], cal)


BAD_VIDEOS: dict[str, Maker] = {
    "missing": lambda d: str(d / "none.mp4"),
    "folder": _dir("clip.mp4"),
    "traversal": lambda d: UP + "etc/passwd",
    "link to a device": _link("zero.mp4", "/dev/zero"),
    "garbage": _file("clip.mp4", GARBAGE),
    "empty": _file("empty.mp4", b""),
    "newline name": _file("cl\nip.mp4", GARBAGE),
    "leading dash": _file("-clip.mp4", GARBAGE),
}


@pytest.mark.sqlite_only("a file refused before the database is written")
@pytest.mark.parametrize("kind", BAD_VIDEOS)
def test_bad_videos(sec: SecEnv, inputs: Path, kind: str) -> None:
    arg = BAD_VIDEOS[kind](inputs)
    _bad(sec, ["ingest", "--camera", "lobby", "--", arg], arg, token=sec.token_of("ingest"))


@pytest.mark.sqlite_only("a file refused before the database is written")
@pytest.mark.parametrize("kind", ["a file", "not empty", "no parent", "under a file"])
def test_bad_evidence_folders(sec: SecEnv, inputs: Path, kind: str) -> None:
    out = {
        "a file": inputs / "report.txt",
        "not empty": inputs / "full",
        "no parent": inputs / "no" / "such" / "folder",
        "under a file": inputs / "report.txt" / "sub",
    }[kind]
    (inputs / "report.txt").write_text("mine")
    (inputs / "full").mkdir()
    (inputs / "full" / "keep.txt").write_text("mine")
    named = str(out.parent) if kind in ("no parent", "under a file") else str(out)
    _bad(sec, ["evidence", "case-0", "--out", str(out)], named, sec.token_of("investigator"))
    assert (inputs / "report.txt").read_text() == "mine"
    assert (inputs / "full" / "keep.txt").read_text() == "mine"


@pytest.mark.sqlite_only("a file refused before the database is written")
@pytest.mark.parametrize("kind", ["a file", "under a file"])
def test_bad_mot_export_folders(sec: SecEnv, inputs: Path, kind: str) -> None:
    """export-mot needs a camera with footage: one finished (empty) video is added."""
    with Store.open(Home.at(sec.home, env={})) as store:
        if not store.videos_of_camera("lobby"):
            store.begin_video(
                VideoRecord(
                    "ef" * 32,
                    "lobby",
                    "/footage/lobby.mp4",
                    datetime(2026, 11, 20, tzinfo=UTC),
                    60.0,
                    25.0,
                    640,
                    480,
                )
            )
            store.finish_video("ef" * 32)
    (inputs / "tracks").write_text("mine")
    out = inputs / "tracks" if kind == "a file" else inputs / "tracks" / "sub"
    _bad(sec, ["index", "export-mot", "--camera", "lobby", "--out", str(out)], str(out))
    assert (inputs / "tracks").read_text() == "mine"


def test_home_that_is_not_a_data_folder(sec: SecEnv, inputs: Path) -> None:
    """--home at a file, a missing folder or an empty one: exit 2, nothing created."""
    (inputs / "file").write_text("x")
    (inputs / "empty").mkdir()
    for home in (inputs / "file", inputs / "missing", inputs / "empty"):
        _bad(sec, ["cameras", "list", "--home", str(home)], str(home))
    assert not (inputs / "missing").exists()
    assert list((inputs / "empty").iterdir()) == []


def test_no_input_left_a_file_behind(sec: SecEnv) -> None:
    """Nothing in the working folder but what the tests themselves made."""
    assert not [p for p in sec.scratch.iterdir() if not p.name.startswith(("in-", "consent"))]
    assert not any(p.name.startswith(".") for p in sec.scratch.iterdir())
