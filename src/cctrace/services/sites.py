"""Site plans: an admin uploads a site's plan image (PNG or JPEG) with its scale, and the
case page's route map draws the site's cameras over it.

The scale is what puts the cameras' site-plan metres on the image: ``metres_per_px``, and
the pixel (from the image's top left) where the plan's (0, 0) metres lie. The plan's y
axis points up (as on the map), the image's rows down. A plan is not biometric; it is
kept in the database (one transaction, nothing half-written) and audited like any other
change to the cameras.
"""

from __future__ import annotations

import hashlib
import math
import struct
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from cctrace.core.errors import InputError, NotFoundError, TooLargeError
from cctrace.schemas import SitePlanOut, SitePlansOut
from cctrace.services.auth import Context, authorize
from cctrace.services.events import AuditEvent, record
from cctrace.store.records import SitePlanRecord

MAX_PLAN_BYTES = 20 * 1024 * 1024
"""A site plan of a large station as a PNG is a few MB; more is not a plan."""
MAX_PLAN_PIXELS = 50_000_000
"""Checked from the file's header before decoding (a small file can claim a huge image)."""
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
# JPEG start-of-frame markers (baseline, progressive, ...), which carry the image size.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def plan_out(p: SitePlanRecord) -> SitePlanOut:
    return SitePlanOut(
        site=p.site,
        file_name=p.file_name,
        media_type=p.media_type,
        width_px=p.width_px,
        height_px=p.height_px,
        metres_per_px=p.metres_per_px,
        origin_x_px=p.origin_x_px,
        origin_y_px=p.origin_y_px,
        sha256=p.sha256,
        uploaded_by=p.uploaded_by,
        uploaded_at=p.uploaded_at.isoformat(),
    )


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's start-of-frame segment; None when there is none."""
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF and i + 9 <= len(data):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    return None


def read_plan_image(path: Path, name: str) -> tuple[bytes, str, int, int]:
    """The image's bytes, media type and size (px), or InputError naming ``name``.

    Only PNG and JPEG (what every browser draws, and what a scanner or CAD export writes);
    the header's size is checked before the image is decoded, and the decode must succeed
    at that size."""
    size = path.stat().st_size
    if size == 0:
        raise InputError(
            f"site plan {name} is empty: choose the PNG or JPEG file again", "site_plan"
        )
    if size > MAX_PLAN_BYTES:
        raise TooLargeError(
            f"site plan {name} is {size / 1e6:.1f} MB, over the {MAX_PLAN_BYTES // 2**20} MiB "
            "limit: export it smaller (a PNG of a few thousand pixels across is plenty)",
            "site_plan",
        )
    data = path.read_bytes()
    dims: tuple[int, int] | None
    if data.startswith(PNG_MAGIC) and len(data) >= 24 and data[12:16] == b"IHDR":
        media_type = "image/png"
        width, height = struct.unpack(">II", data[16:24])
        dims = (int(width), int(height))
    elif data.startswith(JPEG_MAGIC):
        media_type = "image/jpeg"
        dims = _jpeg_size(data)
    else:
        raise InputError(
            f"site plan {name} is not a PNG or JPEG image: export the plan as PNG or JPEG",
            "site_plan",
        )
    if dims is None or dims[0] <= 0 or dims[1] <= 0:
        raise InputError(
            f"site plan {name}: the image header gives no size; is it cut?", "site_plan"
        )
    if dims[0] * dims[1] > MAX_PLAN_PIXELS:
        raise InputError(
            f"site plan {name} is {dims[0]} x {dims[1]} pixels, over "
            f"{MAX_PLAN_PIXELS // 1_000_000} million: export it at a lower resolution",
            "site_plan",
        )
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded is None or (decoded.shape[1], decoded.shape[0]) != dims:
        raise InputError(
            f"site plan {name} could not be decoded as {media_type.split('/')[1].upper()}: "
            "the file is damaged or cut; export it again",
            "site_plan",
        )
    return data, media_type, dims[0], dims[1]


def _scale(value: float, label: str, field: str, *, positive: bool = False) -> float:
    if not math.isfinite(value) or (positive and value <= 0):
        need = "a positive number" if positive else "a finite number"
        raise InputError(f"{label} must be {need}, not {value}", field)
    return float(value)


def set_site_plan(
    ctx: Context,
    site: str,
    image: Path,
    name: str,
    metres_per_px: float,
    origin_x_px: float = 0.0,
    origin_y_px: float | None = None,
) -> SitePlanOut:
    """Store ``site``'s plan image (replacing its previous one), after checking it all.

    ``origin_y_px`` defaults to the image's bottom row, so that a plan whose (0, 0) is its
    bottom-left corner needs the scale only."""
    authorize(ctx, "manage_cameras")
    site = site.strip()
    if not site:
        raise InputError("name the site the plan is of", "site")
    sites = {c.site for c in ctx.store.list_cameras()}
    if site not in sites:
        known = ", ".join(sorted(s for s in sites if s)) or "none yet"
        raise NotFoundError(
            f"no camera is at site {site!r} (sites with cameras: {known}): "
            "add the site's cameras first, or check the spelling",
            "site",
        )
    mpp = _scale(metres_per_px, "metres per pixel", "metres_per_px", positive=True)
    ox = _scale(origin_x_px, "the origin's x (px)", "origin_x_px")
    data, media_type, width, height = read_plan_image(image, name)
    oy = float(height) if origin_y_px is None else _scale(origin_y_px, "origin y", "origin_y_px")
    digest = hashlib.sha256(data).hexdigest()
    stored = ctx.store.put_site_plan(
        SitePlanRecord(
            site=site,
            file_name=Path(name).name[:300],
            media_type=media_type,
            width_px=width,
            height_px=height,
            metres_per_px=mpp,
            origin_x_px=ox,
            origin_y_px=oy,
            sha256=digest,
            uploaded_by=ctx.principal.name,
            uploaded_at=datetime.now(UTC),
        ),
        data,
    )
    record(
        ctx,
        AuditEvent(
            "set_site_plan",
            "stored",
            target=f"site {site}: {stored.file_name} ({width} x {height} px, "
            f"{mpp:g} m/px, sha256 {digest[:16]})",
        ),
    )
    return plan_out(stored)


def list_site_plans(ctx: Context) -> SitePlansOut:
    authorize(ctx, "list_cameras")
    return SitePlansOut(site_plans=[plan_out(p) for p in ctx.store.site_plans()])


def site_plan_image(ctx: Context, site: str) -> tuple[SitePlanOut, bytes]:
    """A site's plan and its image bytes (admins and investigators: it shows no one)."""
    authorize(ctx, "list_cameras")
    found = ctx.store.site_plan_image(site)
    if found is None:
        raise NotFoundError(
            f"site {site!r} has no plan image: an admin uploads one on the cameras page", "site"
        )
    plan, data = found
    return plan_out(plan), data
