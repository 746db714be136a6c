"""A trace as a job (the web page's, and POST /api/v1/cases/{id}/trace-jobs), on the scripted
morning of `tests.trace`: the job runs the real trace (`services.jobs.run_job`, as the
worker process does), saves a run like a direct trace, and reports its stages."""

from __future__ import annotations

import pytest

from cctrace.core.errors import AuthError, InputError
from cctrace.services import jobs, traces
from cctrace.store.repository import Store
from tests.services.test_traces import _ctx, _open_case_p, store

__all__ = ["store"]


def _same_findings(a: dict[str, object], b: dict[str, object]) -> None:
    for key in ("case_id", "policy", "route", "contacts", "faces_searched"):
        assert a[key] == b[key], key


def test_a_trace_job_saves_what_a_direct_trace_finds(store: Store) -> None:
    ctx = _ctx(store, "dr-job")
    case_id = _open_case_p(store, ctx)
    started = jobs.start_trace(ctx, case_id, "who-2020")
    queued = jobs.get_job(ctx, started.job_id)
    assert (queued.kind, queued.state, queued.progress, queued.result) == (
        "trace",
        "queued",
        0.0,
        None,
    )
    jobs.run_job(store.home, started.job_id)
    done = jobs.get_job(ctx, started.job_id)
    assert done.state == "done" and done.progress == 1.0 and done.error is None, done
    assert done.result is not None and done.stage == "saving the trace"
    saved = traces.get_trace(ctx, case_id, str(done.result["trace_id"]))
    assert done.result == saved.model_dump()
    assert len(saved.route) >= 2 and saved.policy == "who-2020"
    direct = traces.trace(ctx, [case_id], "who-2020")[0]
    _same_findings(done.result, direct.model_dump())
    runs = traces.list_traces(ctx, case_id).traces
    assert [r.trace_id for r in runs] == [saved.trace_id, direct.trace_id]


def test_a_trace_reports_its_stages_in_order(store: Store) -> None:
    ctx = _ctx(store, "dr-stages")
    case_id = _open_case_p(store, ctx)
    heard: list[tuple[str, float]] = []
    traces.trace(ctx, [case_id], None, progress=lambda stage, done: heard.append((stage, done)))
    stages = [s for s, _ in heard]
    # The face search tells each day of the case's window (the morning is one day).
    assert stages == [
        "searching the footage for the patient's face",
        "searching the footage for the patient's face, day 1 of 1",
        "following the patient across cameras by appearance",
        "following the patient's tracks",
        "building the route",
        "reading who else was at each stay",
        "measuring distances to the contacts",
        "saving the trace",
    ], stages
    fractions = [d for _, d in heard]
    assert fractions == sorted(fractions) and fractions[0] > 0 and fractions[-1] < 1


def test_a_trace_job_is_refused_before_it_is_queued(store: Store) -> None:
    owner = _ctx(store, "dr-owner")
    case_id = _open_case_p(store, owner)
    other = _ctx(store, "dr-other")
    unfinished = store.unfinished_jobs()
    with pytest.raises(AuthError, match="another investigator"):
        jobs.start_trace(other, case_id)
    with pytest.raises(InputError, match="unknown policy 'nope'"):
        jobs.start_trace(owner, case_id, "nope")
    assert store.unfinished_jobs() == unfinished
