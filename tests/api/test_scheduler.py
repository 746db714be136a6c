"""The daily retention purge of `cctrace serve`: when it runs, and that it is audited as a
system action (``(scheduler)``, role admin) through the purge service."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, time

import pytest

from cctrace.api import scheduler
from cctrace.api.settings import ApiSettings
from cctrace.store.home import Home
from cctrace.store.repository import Store
from tests.api.conftest import Api


@pytest.mark.parametrize(
    ("now", "at", "seconds"),
    [
        (datetime(2026, 12, 7, 3, 0, tzinfo=UTC), time(3, 30), 1800.0),
        (datetime(2026, 12, 7, 3, 30, tzinfo=UTC), time(3, 30), 86400.0),
        (datetime(2026, 12, 7, 23, 0, tzinfo=UTC), time(3, 30), 4.5 * 3600),
        (datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC), time(0, 0), 30.0),
    ],
)
def test_seconds_until_the_next_purge(now: datetime, at: time, seconds: float) -> None:
    assert scheduler.seconds_until(now, at) == seconds


@pytest.mark.parametrize("bad", ["3:30", "24:00", "03:60", "noon", "03:30:00"])
def test_the_purge_time_is_checked(bad: str) -> None:
    with pytest.raises(ValueError, match="purge_at"):
        ApiSettings(purge_at=bad)


def test_settings_refuse_unknown_keys() -> None:
    with pytest.raises(ValueError, match="extra"):
        ApiSettings.model_validate({"purge_time": "03:30"})


def _purges(api: Api) -> list[tuple[str, str, str, str | None, str]]:
    return [r for r in api.env.audit_rows() if r[2] in ("purge", "manage_retention")]


def test_the_scheduled_purge_is_audited_as_a_system_action(api: Api) -> None:
    before = len(_purges(api))
    with Store.open(Home.at(api.env.home)) as store:
        out = scheduler.scheduled_purge(store)
    assert out is not None and out.dry_run is False and out.older_than_days >= 1
    new = _purges(api)[before:]
    assert [r[:3] for r in new] == [
        ("(scheduler)", "admin", "manage_retention"),
        ("(scheduler)", "admin", "purge"),
    ]
    assert new[1][4].startswith("purged 0 sightings")


def test_the_daily_loop_purges_at_its_time(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    ran = []
    monkeypatch.setattr(scheduler, "seconds_until", lambda now, at: 0.01)
    monkeypatch.setattr(scheduler, "scheduled_purge", lambda store: ran.append(store))

    async def two_days() -> None:
        task = asyncio.create_task(scheduler.purge_daily(api.client.app.state.store, time(3, 30)))  # type: ignore[attr-defined]
        while len(ran) < 2:
            await asyncio.sleep(0.01)
        task.cancel()

    # Its own thread: the browser suite's Playwright may hold an event loop in this one.
    loop = threading.Thread(target=lambda: asyncio.run(asyncio.wait_for(two_days(), 5)))
    loop.start()
    loop.join()
    assert len(ran) >= 2
