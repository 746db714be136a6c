"""The auditor report's outlier flags (`cctrace.privacy.oversight.flags`), on cases built
here: many cases by one person in a day, a case open past its limit, an unblur without an
evidence export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cctrace.privacy.oversight import MANY_CASES_PER_DAY, Activity, CaseFacts, flags
from cctrace.store.records import CaseRecord, CaseStatus

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def _case(
    n: int, opened: datetime, status: CaseStatus = "approved", closed: datetime | None = None
) -> CaseRecord:
    return CaseRecord(
        case_id=f"case-{n:012x}",
        owner_id="u1",
        label="",
        consent_given_by="the patient",
        consent_date=opened,
        consent_sha256="c" * 64,
        t_from_s=(opened - timedelta(days=3)).timestamp(),
        t_to_s=opened.timestamp(),
        site=None,
        camera_ids=None,
        status=status,
        created_at=opened,
        closed_at=closed,
    )


def _facts(case: CaseRecord, unblurs: int = 0, exports: int = 0) -> CaseFacts:
    return CaseFacts(case, "dr-kim", traces=1, evidence_exports=exports, reports=0, unblurs=unblurs)


@pytest.mark.parametrize(
    ("per_day", "flagged"), [(MANY_CASES_PER_DAY, False), (MANY_CASES_PER_DAY + 1, True)]
)
def test_many_cases_by_one_person_in_a_day(per_day: int, flagged: bool) -> None:
    day = NOW - timedelta(days=1)
    activity = Activity(
        "dr-kim", [_facts(_case(i, day + timedelta(minutes=i))) for i in range(per_day)]
    )
    found = flags([activity], NOW, max_open_days=30)
    kinds = [f.kind for f in found]
    assert kinds == (["many_cases_in_a_day"] if flagged else [])
    if flagged:
        assert found[0].investigator == "dr-kim" and str(per_day) in found[0].detail


@pytest.mark.parametrize(
    ("opened_days_ago", "closed_days_ago", "flagged"),
    [(29, None, False), (31, None, True), (40, 20, False), (40, 5, True)],
    ids=["open 29 days", "open 31 days", "closed after 20 days", "closed after 35 days"],
)
def test_a_case_open_past_its_limit(
    opened_days_ago: int, closed_days_ago: int | None, flagged: bool
) -> None:
    opened = NOW - timedelta(days=opened_days_ago)
    closed = None if closed_days_ago is None else NOW - timedelta(days=closed_days_ago)
    case = _case(1, opened, "closed" if closed else "approved", closed)
    found = flags([Activity("dr-kim", [_facts(case)])], NOW, max_open_days=30)
    assert [(f.kind, f.case_id) for f in found] == (
        [("open_past_limit", case.case_id)] if flagged else []
    )


@pytest.mark.parametrize(
    ("unblurs", "exports", "flagged"), [(1, 0, True), (1, 1, False), (0, 0, False)]
)
def test_an_unblur_without_an_export(unblurs: int, exports: int, flagged: bool) -> None:
    case = _case(1, NOW - timedelta(days=1))
    found = flags([Activity("dr-kim", [_facts(case, unblurs, exports)])], NOW, max_open_days=30)
    assert [f.kind for f in found] == (["unblur_without_export"] if flagged else [])
