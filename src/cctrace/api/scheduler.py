"""The daily retention purge that `cctrace serve` runs (it replaces the cron line).

It runs as a system principal, ``(scheduler)`` with the admin role, through the same purge
service an admin calls, so it is authorized and audited like any purge.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta

from cctrace.core.errors import CctraceError
from cctrace.schemas import PurgeOut
from cctrace.services import retention
from cctrace.services.auth import Context, Principal
from cctrace.store.records import User
from cctrace.store.repository import Store

log = logging.getLogger("cctrace.api")

SCHEDULER = User(
    user_id="system-scheduler",
    name="(scheduler)",
    role="admin",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
)
"""Who the daily purge acts as; no token belongs to it."""


def seconds_until(now: datetime, at: time) -> float:
    """Seconds from ``now`` (UTC) to the next ``at`` (UTC time of day), in (0, 86400]."""
    now = now.astimezone(UTC)
    target = datetime.combine(now.date(), at, tzinfo=UTC)
    if target <= now:
        target += timedelta(days=1)
    return (target - now).total_seconds()


def scheduled_purge(store: Store) -> PurgeOut | None:
    """One purge of everything older than the retention period; None if it failed (the
    purge audits its own failure)."""
    ctx = Context(store, Principal(SCHEDULER, via="scheduler"))
    try:
        out = retention.purge(ctx)
    except CctraceError as exc:
        log.warning("the daily purge failed: %s", exc.message)
        return None
    log.info("daily purge: %d sightings purged", out.sightings)
    return out


async def purge_daily(store: Store, at: time) -> None:
    """Purge at ``at`` every day until cancelled (a task of the app's lifespan)."""
    while True:
        await asyncio.sleep(seconds_until(datetime.now(UTC), at))
        await asyncio.to_thread(scheduled_purge, store)
