"""Multipart uploads streamed to disk, into a private folder under the data folder.

Starlette spools uploads to the system's temporary folder; here every file part is
written straight into ``<home>/uploads/requests/<random>/`` (mode 0700, files 0600),
counted while it arrives and refused with 413 the moment it passes its limit, and the
folder is removed (small files overwritten first) when the request ends. The token is
checked before the body is read, so nobody without one can fill the disk.

`UploadRoute` does this for a route whose body is a form; the route receives each file
as a `DiskUpload` (a Starlette `UploadFile` that knows its `path`), and any error a
service raises naming that path is rewritten to name the client's own file name. The web
page's upload forms use the same `form_on_disk` (after checking the session).
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from cctrace.api.deps import authenticate_request, bearer
from cctrace.api.settings import MB, ApiSettings
from cctrace.core.errors import CctraceError, InputError, TooLargeError
from cctrace.services.jobs import private_dir, uploads_dir
from cctrace.store.crypto import overwrite_and_unlink
from cctrace.store.home import Home

OVERWRITE_BELOW_BYTES = 64 * MB
"""Uploads up to this size (photos, consent forms) are overwritten before removal."""
TEXT_FIELD_BYTES = 64 * 1024


class DiskUpload(UploadFile):
    """An uploaded file part, on disk at ``path`` under the data folder."""

    def __init__(
        self, file: IO[bytes], path: Path, field: str, filename: str, headers: Headers
    ) -> None:
        super().__init__(file, size=0, filename=filename, headers=headers)  # type: ignore[arg-type]
        self.path = path
        self.field = field

    @property
    def name(self) -> str:
        """The client's file name (never a path), for messages."""
        return self.filename or self.field


def upload_path(upload: UploadFile) -> Path:
    """Where an upload of an `UploadRoute` lies on disk."""
    if not isinstance(upload, DiskUpload):  # pragma: no cover - a route without UploadRoute
        raise TypeError("uploads must come through UploadRoute")
    return upload.path


def upload_name(upload: UploadFile) -> str:
    return upload.name if isinstance(upload, DiskUpload) else (upload.filename or "upload")


def safe_filename(raw: str | None, fallback: str) -> str:
    """The last part of a client's file name, printable, at most 120 characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()[:120]
    return name if name not in ("", ".", "..") else fallback


def _suffix(name: str) -> str:
    """The client file name's extension when it is a plain one (``.csv``, ``.json``):
    readers that go by the extension (camera lists, calibrations) then read the upload."""
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""


def _mb(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{n:,} bytes"


class _DiskParser(MultiPartParser):
    """Starlette's parser with file parts written into ``folder`` and counted."""

    def __init__(
        self,
        request: Request,
        folder: Path,
        limits: Mapping[str, int],
        counts: Mapping[str, int],
        default_limit: int,
    ) -> None:
        super().__init__(
            request.headers,
            request.stream(),
            max_files=sum(counts.values()) + 4,
            max_fields=64,
            max_part_size=TEXT_FIELD_BYTES,
        )
        self.folder = folder
        self.limits = limits
        self.max_count = counts
        self.default_limit = default_limit
        self.parts: list[DiskUpload] = []
        self._seen: dict[str, int] = {}
        self._written = 0
        self._limit = 0

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        part = self._current_part
        if part.file is None:
            return
        spooled = part.file.file
        self._files_to_close_on_error.remove(spooled)  # type: ignore[arg-type]
        spooled.close()
        field = part.field_name
        seen = self._seen[field] = self._seen.get(field, 0) + 1
        most = self.max_count.get(field, 1)
        if seen > most:
            raise InputError(f"{field}: at most {most} file(s) per request", field)
        name = safe_filename(part.file.filename, field)
        fh = tempfile.NamedTemporaryFile(  # noqa: SIM115
            dir=self.folder, prefix="upload-", suffix=_suffix(name), delete=False
        )
        self._files_to_close_on_error.append(fh)  # type: ignore[arg-type]
        upload = DiskUpload(fh, Path(fh.name), field, name, Headers(raw=part.item_headers))
        part.file = upload
        self.parts.append(upload)
        self._written = 0
        self._limit = self.limits.get(field, self.default_limit)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._current_part
        if isinstance(part.file, DiskUpload):
            self._written += end - start
            if self._written > self._limit:
                raise TooLargeError(
                    f"{part.field_name}: {part.file.name} is larger than the "
                    f"{_mb(self._limit)} allowed for it",
                    part.field_name,
                )
        super().on_part_data(data, start, end)


def file_limits(settings: ApiSettings) -> tuple[dict[str, int], dict[str, int]]:
    """Per form field: the largest file (bytes) and how many files it may hold."""
    u = settings.uploads
    sizes = {
        "file": u.footage_bytes,
        "patient_photo": u.photo_bytes,
        "consent_file": u.consent_bytes,
        # The web page's camera forms: a calibration file, a camera list.
        "calibration": u.camera_file_bytes,
        "cameras_file": u.camera_file_bytes,
        "site_plan": u.site_plan_bytes,
    }
    counts = {
        "file": 1,
        "patient_photo": u.max_photos,
        "consent_file": 1,
        "calibration": 1,
        "cameras_file": 1,
        "site_plan": 1,
    }
    return sizes, counts


def _rename(exc: CctraceError, parts: list[DiskUpload]) -> CctraceError:
    for p in parts:
        if str(p.path) in exc.message:
            exc.message = exc.message.replace(str(p.path), p.name)
            exc.args = (exc.message,)
            exc.field = exc.field or p.field
    return exc


def _remove(folder: Path, parts: list[DiskUpload]) -> None:
    for p in parts:
        p.file.close()
    for child in folder.iterdir() if folder.is_dir() else ():
        is_small = child.is_file() and child.stat().st_size <= OVERWRITE_BELOW_BYTES
        if is_small and not child.is_symlink():
            overwrite_and_unlink(child)
    shutil.rmtree(folder, ignore_errors=True)


@asynccontextmanager
async def form_on_disk(
    request: Request, settings: ApiSettings, home: Home
) -> AsyncIterator[tuple[FormData, list[DiskUpload]]]:
    """The request's multipart form, its file parts streamed to disk (see above): yields
    the form and its file parts; the folder goes when the block ends, and a cctrace error
    raised in the block names the client's own file names. Check the caller first."""
    folder = private_dir(uploads_dir(home) / "requests" / secrets.token_hex(8))
    sizes, counts = file_limits(settings)
    parser = _DiskParser(request, folder, sizes, counts, settings.uploads.json_bytes)
    try:
        try:
            form: FormData = await parser.parse()
        except MultiPartException as exc:
            raise InputError(f"the form could not be read: {exc.message}") from None
        for p in parser.parts:
            p.file.flush()
        try:
            yield form, parser.parts
        except CctraceError as exc:
            raise _rename(exc, parser.parts) from None
    finally:
        _remove(folder, parser.parts)


class UploadRoute(APIRoute):
    """A route whose multipart body is streamed to disk under the data folder (see above)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def upload_handler(request: Request) -> Response:
            content_type = request.headers.get("content-type", "").lower()
            if not content_type.startswith("multipart/form-data"):
                return await handler(request)
            # 401 before a byte of the body is read.
            await authenticate_request(request, await bearer(request))
            settings: ApiSettings = request.app.state.settings
            home: Home = request.app.state.store.home
            async with form_on_disk(request, settings, home) as (form, _parts):
                request._form = form
                return await handler(request)

        return upload_handler
