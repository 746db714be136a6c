"""A manifest of footage to ingest: a CSV with columns ``path,camera_id,start``.

``start`` may be left empty (the file's own recording time is used, as for one file);
relative paths are relative to the manifest's folder. Every row is read and checked
before any work, and every bad row is named with its line number.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cctrace.core.errors import InputError
from cctrace.ingest.pipeline import parse_start

COLUMNS = ("path", "camera_id", "start")


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str


@dataclass(frozen=True)
class Manifest:
    """The readable rows, and what is wrong with the others (checked before any work)."""

    path: Path
    rows: list[ManifestRow]
    problems: list[RowProblem]


@dataclass(frozen=True)
class ManifestRow:
    line: int
    """Line number in the file (the header is line 1)."""
    path: Path
    camera_id: str
    start_utc: datetime | None


def read_manifest(manifest: Path) -> Manifest:
    """The rows of a manifest and the problems of its bad rows (by line). InputError if
    the file itself cannot be read or its header is wrong."""
    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(
            f"manifest {manifest} does not exist; check the path", "manifest"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read manifest {manifest}: {exc}", "manifest") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("path", "camera_id") if c not in header]
    if missing:
        raise InputError(
            f"manifest {manifest}: the header must name the columns path,camera_id,start "
            f"(start optional); missing {', '.join(missing)}",
            "manifest",
        )
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InputError(
            f"manifest {manifest}: unknown column(s) {', '.join(unknown)}; the columns are "
            "path,camera_id,start",
            "manifest",
        )
    rows: list[ManifestRow] = []
    problems: list[RowProblem] = []
    for n, raw in enumerate(reader, start=2):
        values = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            problems.append(RowProblem(n, "more values than columns"))
            continue
        if not any(values.values()):
            continue  # a blank line
        path_text, camera = values.get("path", ""), values.get("camera_id", "")
        if not path_text:
            problems.append(RowProblem(n, "no path"))
            continue
        if not camera:
            problems.append(RowProblem(n, f"no camera_id for {path_text}"))
            continue
        start = None
        if values.get("start"):
            try:
                start = parse_start(values["start"])
            except InputError as exc:
                problems.append(RowProblem(n, exc.message))
                continue
        path = Path(path_text).expanduser()
        rows.append(
            ManifestRow(n, path if path.is_absolute() else manifest.parent / path, camera, start)
        )
    if not rows and not problems:
        raise InputError(
            f"manifest {manifest} lists no video; add rows path,camera_id,start", "manifest"
        )
    return Manifest(manifest, rows, problems)


def raise_rows(manifest: Path, problems: list[RowProblem]) -> None:
    """One InputError listing every bad row by line; nothing is ingested."""
    lines = [f"line {p.line}: {p.message}" for p in sorted(problems, key=lambda p: p.line)]
    raise InputError(
        f"manifest {manifest}: {len(problems)} bad row(s), nothing was ingested; fix them and "
        "run again:\n  " + "\n  ".join(lines),
        "manifest",
    )
