"""Settings of the REST API and web page (`cctrace serve`): upload limits, workers, the
daily purge, web sessions.

Plain pydantic models that refuse unknown keys, so a misspelt setting is an error and not
a silent default. Nothing reads the environment here: `cctrace serve` passes its options.
"""

from __future__ import annotations

import re
from datetime import time

from pydantic import BaseModel, ConfigDict, Field, field_validator

MB = 1000 * 1000
GIB = 1 << 30


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UploadLimits(_Settings):
    """Largest accepted upload per part, in bytes; a larger one is refused with 413."""

    footage_bytes: int = Field(default=4 * GIB, gt=0)
    photo_bytes: int = Field(default=20 * MB, gt=0)
    """Each patient photo."""
    max_photos: int = Field(default=10, gt=0)
    consent_bytes: int = Field(default=50 * MB, gt=0)
    camera_file_bytes: int = Field(default=5 * MB, gt=0)
    """A camera's JSON body, calibration included."""
    site_plan_bytes: int = Field(default=20 * MB, gt=0)
    """A site's plan image (PNG or JPEG)."""
    json_bytes: int = Field(default=1 * MB, gt=0)
    """Any other request body."""


class BadTokenSlowdown(_Settings):
    """Bad tokens from one client address: after ``free_attempts`` within ``window_s``
    seconds, each further attempt waits ``first_delay_s``, doubling, at most ``max_delay_s``."""

    free_attempts: int = Field(default=5, ge=0)
    window_s: float = Field(default=60.0, gt=0)
    first_delay_s: float = Field(default=0.5, ge=0)
    max_delay_s: float = Field(default=10.0, ge=0)


class WebSettings(_Settings):
    """The web page's sign-in sessions (kept in the server's memory)."""

    session_idle_minutes: float = Field(default=30.0, gt=0, le=24 * 60)
    """A session ends after this long without a request."""
    session_max_hours: float = Field(default=12.0, gt=0, le=7 * 24)
    """And at the latest this long after signing in, however busy."""


class ApiSettings(_Settings):
    uploads: UploadLimits = UploadLimits()
    slowdown: BadTokenSlowdown = BadTokenSlowdown()
    web: WebSettings = WebSettings()
    workers: int = Field(default=1, ge=1, le=64)
    """Worker processes for jobs (ingest, evidence); each loads the vision models."""
    purge_at: str = "03:30"
    """Time of day (UTC, HH:MM) of the daily retention purge."""
    daily_purge: bool = True
    """Run the retention purge daily (replaces the cron line); off only in tests."""
    run_jobs: bool = True
    """Start the worker processes; off, jobs stay queued (tests of restarts)."""

    @field_validator("purge_at")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not re.fullmatch(r"\d{2}:\d{2}", value):
            raise ValueError(f"purge_at {value!r}: write the time of day as HH:MM (UTC)")
        h, m = int(value[:2]), int(value[3:])
        if h > 23 or m > 59:
            raise ValueError(f"purge_at {value!r}: not a time of day")
        return value

    @property
    def purge_time(self) -> time:
        return time(int(self.purge_at[:2]), int(self.purge_at[3:]))
