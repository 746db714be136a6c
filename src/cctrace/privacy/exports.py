"""Evidence exports a case owns: recorded when written, destroyed when the case is closed.

`cctrace evidence` records every export (a random export id and the folder's absolute
path, nothing personal) in the database, and writes the same id and the case id into the
folder's ``manifest.json``. `cctrace case close` then destroys each recorded folder that
still exists *and* whose manifest names this case and this export id: a folder that is
not provably ours (moved off and replaced, its manifest altered, a link) is never
touched. Inside a proven folder only what an export writes is destroyed (the files the
manifest lists or that are named like export files, then the manifest itself, last, so
an interrupted close can still prove the folder is ours when it runs again); anything
else the investigator put there stays, and so does the folder then.

Exports and closure of one case are serialised by a lock file beside the case's exports
folder: an export holds it shared while it writes, a closure exclusively, so no export
can appear after its case was closed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cctrace.core.errors import InputError
from cctrace.store.crypto import overwrite_and_unlink
from cctrace.store.home import Home
from cctrace.store.records import CaseExport

if TYPE_CHECKING:
    from cctrace.store.records import User
    from cctrace.store.repository import Store

EXPORT_FILE_RE = re.compile(r"^(?:stay|encounter)-\d{3}-cam_[A-Za-z0-9_-]+(?:-f\d{2}\.jpg|\.mp4)$")
"""Names of the files an export writes besides ``manifest.json`` (no personal data)."""
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 16 << 20

State = Literal["ours", "gone", "not ours"]


class ExportRunningError(InputError):
    """A closure found an export of its case being written (exit 2; run it again later)."""


def new_export_id() -> str:
    return f"ex-{secrets.token_hex(8)}"


def refuse_if_closed(store: Store, user: User, case_id: str) -> None:
    """An owner's closed case exports nothing: audited, InputError (exit 2). Unknown cases
    and other investigators' cases are refused before, by `services.auth.authorize`."""
    case = store.get_case(case_id)
    if case is None or case.owner_id != user.user_id or case.status != "closed":
        return
    store.audit(user.name, user.role, "export_evidence", "refused: case closed", case_id)
    raise InputError(
        f"case {case_id} is closed: its reference faces and exports were destroyed, so no "
        "evidence can be exported from it; open a new case, with the patient's consent, to "
        "trace again"
    )


def default_export_dir(home: Home, case_id: str, export_id: str) -> Path:
    """``<home>/exports/<case id>/<export id>/``: where an export goes without ``--out``."""
    return home.case_exports_dir(case_id) / export_id


def _lock_path(home: Home, case_id: str) -> Path:
    folder = home.case_exports_dir(case_id)  # checks the case id can name a file
    return folder.with_name(f".{case_id}.lock")


@contextmanager
def case_export_lock(home: Home, case_id: str, exclusive: bool) -> Iterator[None]:
    """Shared (an export writing) or exclusive (a closure); a closure that finds an export
    writing is refused (InputError) rather than made to wait for minutes."""
    path = _lock_path(home, case_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if exclusive:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ExportRunningError(
                    f"an evidence export of case {case_id} is being written: run "
                    f"`cctrace case close {case_id}` again when it has finished"
                ) from None
        else:
            fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def remove_lock(home: Home, case_id: str) -> None:
    """Drop a closed case's lock file (exports re-check the case's status under the lock)."""
    _lock_path(home, case_id).unlink(missing_ok=True)


@dataclass(frozen=True)
class Found:
    """What a recorded export's folder holds now."""

    export: CaseExport
    state: State
    listed: frozenset[str] = frozenset()
    """File names the manifest lists (plain names only)."""


def inspect_export(export: CaseExport) -> Found:
    """Is the recorded folder still there, and does its manifest prove it is this export?"""
    folder = Path(export.path)
    if not folder.is_absolute():
        return Found(export, "not ours")
    if not os.path.lexists(folder):
        return Found(export, "gone")
    manifest = folder / MANIFEST
    # Never follow a link: the folder or manifest must be the real thing, where recorded.
    if folder.is_symlink() or not folder.is_dir() or manifest.is_symlink():
        return Found(export, "not ours")
    try:
        if not manifest.is_file() or manifest.stat().st_size > MAX_MANIFEST_BYTES:
            return Found(export, "not ours")
        doc = json.loads(manifest.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return Found(export, "not ours")
    if (
        not isinstance(doc, dict)
        or doc.get("case_id") != export.case_id
        or doc.get("export_id") != export.export_id
    ):
        return Found(export, "not ours")
    files = doc.get("files")
    listed = {
        f["file"]
        for f in (files if isinstance(files, list) else [])
        if isinstance(f, dict) and isinstance(f.get("file"), str)
    }
    plain = {n for n in listed if n and "/" not in n and "\\" not in n and n not in {".", ".."}}
    return Found(export, "ours", frozenset(plain - {MANIFEST}))


def destroy_export(found: Found) -> int:
    """Overwrite and remove what the export wrote (manifest last), then the folder if that
    left it empty. Returns the files destroyed."""
    assert found.state == "ours"
    folder = Path(found.export.path)
    destroyed = 0
    for child in sorted(folder.iterdir()):
        if child.name == MANIFEST or not (
            child.name in found.listed or EXPORT_FILE_RE.match(child.name)
        ):
            continue
        if child.is_symlink():
            child.unlink()  # a link's target is not ours
        elif child.is_file():
            overwrite_and_unlink(child)
        else:
            continue
        destroyed += 1
    overwrite_and_unlink(folder / MANIFEST)
    destroyed += 1
    with contextlib.suppress(OSError):  # something else is in it: not ours to remove
        folder.rmdir()
    return destroyed
