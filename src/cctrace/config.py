"""Settings: the contact-risk policies (every threshold is a setting, not a constant).

A policy says how close, for how long and under which mask rule a person counts as a
close contact. ``risk`` follows from the cumulative exposure: ``high`` at or above
``min_exposure_s``, ``medium`` at or above ``medium_fraction`` of it, else ``low``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cctrace.core.errors import InputError


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    distance_m: float = Field(gt=0)
    """Two people closer than this on the floor are exposed to each other."""
    min_exposure_s: float = Field(gt=0)
    """Cumulative exposure that makes a close contact."""
    window_s: float | None = Field(default=None, gt=0)
    """Exposure is summed within this sliding window (None: over the whole case)."""
    both_masked_exempt: bool = False
    """Time when both people are properly masked does not count."""
    medium_fraction: float = Field(default=1 / 3, gt=0, le=1)
    description: str = ""


POLICIES: dict[str, Policy] = {
    p.name: p
    for p in (
        Policy(
            name="kdca-2022",
            distance_m=2.0,
            min_exposure_s=15 * 60,
            both_masked_exempt=True,
            description="within 2 m for 15 min cumulative, unless both properly masked",
        ),
        Policy(
            name="cdc-2020",
            distance_m=1.83,
            min_exposure_s=15 * 60,
            window_s=24 * 3600,
            description="within 6 ft (1.83 m) for 15 min cumulative over 24 h, masks or not",
        ),
        Policy(
            name="who-2020",
            distance_m=1.0,
            min_exposure_s=15 * 60,
            description="within 1 m for 15 min",
        ),
    )
}
DEFAULT_POLICY = "kdca-2022"


def get_policy(name: str | None) -> Policy:
    key = name or DEFAULT_POLICY
    try:
        return POLICIES[key]
    except KeyError:
        raise InputError(
            f"unknown policy {key!r}; choose one of {', '.join(sorted(POLICIES))}"
        ) from None
