"""Site plans: one image per site, with the scale that puts the cameras' site-plan metres
on it (schema 0010). Not biometric: kept in clear, in the database."""

from __future__ import annotations

from sqlalchemy import select

from cctrace.store.base import StoreBase
from cctrace.store.models import SitePlanRow, utc_now
from cctrace.store.records import SitePlanRecord


class SitesRepo(StoreBase):
    def put_site_plan(self, plan: SitePlanRecord, image: bytes) -> SitePlanRecord:
        """Store ``site``'s plan, replacing the one it had (one transaction)."""
        with self._write() as session:
            row = session.get(SitePlanRow, plan.site)
            if row is None:
                row = SitePlanRow(site=plan.site)
                session.add(row)
            row.file_name = plan.file_name
            row.media_type = plan.media_type
            row.width_px = plan.width_px
            row.height_px = plan.height_px
            row.metres_per_px = plan.metres_per_px
            row.origin_x_px = plan.origin_x_px
            row.origin_y_px = plan.origin_y_px
            row.sha256 = plan.sha256
            row.image = image
            row.uploaded_by = plan.uploaded_by
            row.uploaded_at = utc_now()
            session.flush()
            return _plan_of(row)

    def site_plans(self) -> list[SitePlanRecord]:
        """Every site's plan (without the images), by site."""
        columns = [c for c in SitePlanRow.__table__.columns if c.name != "image"]
        with self._sessions() as session:
            return [
                _plan_of(r)  # type: ignore[arg-type]  # a Row has the same attributes
                for r in session.execute(select(*columns).order_by(SitePlanRow.site))
            ]

    def site_plan(self, site: str) -> SitePlanRecord | None:
        return next((p for p in self.site_plans() if p.site == site), None)

    def site_plan_image(self, site: str) -> tuple[SitePlanRecord, bytes] | None:
        with self._sessions() as session:
            row = session.get(SitePlanRow, site)
            return None if row is None else (_plan_of(row), bytes(row.image))


def _plan_of(r: SitePlanRow) -> SitePlanRecord:
    return SitePlanRecord(
        site=r.site,
        file_name=r.file_name,
        media_type=r.media_type,
        width_px=r.width_px,
        height_px=r.height_px,
        metres_per_px=r.metres_per_px,
        origin_x_px=r.origin_x_px,
        origin_y_px=r.origin_y_px,
        sha256=r.sha256,
        uploaded_by=r.uploaded_by,
        uploaded_at=r.uploaded_at,
    )
