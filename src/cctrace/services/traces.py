"""Tracing a case: run the search, save it as a trace run, read saved runs back."""

from __future__ import annotations

import json
import math
import secrets
from dataclasses import asdict
from datetime import UTC, datetime

from cctrace.config import Policy, get_policy
from cctrace.core.errors import NotFoundError
from cctrace.schemas import ContactOut, EncounterOut, StayOut, TraceOut, TraceRunOut, TraceRunsOut
from cctrace.services.auth import Context, authorize, require_case
from cctrace.services.events import AuditEvent, record
from cctrace.store.records import TraceRunRecord
from cctrace.store.vector_index import FlatFaceIndex
from cctrace.trace.cases import case_query
from cctrace.trace.engine import Progress, TraceSettings, trace_cases
from cctrace.trace.saved import result_from_json, result_sha256, result_to_json
from cctrace.trace.types import TraceResult


def iso(t_s: float) -> str:
    return datetime.fromtimestamp(t_s, UTC).isoformat()


def trace_out(trace_id: str, r: TraceResult) -> TraceOut:
    """The JSON contract of one trace result (CLI and API alike)."""
    return TraceOut(
        trace_id=trace_id,
        case_id=r.case_id,
        policy=r.policy,
        elapsed_s=round(r.elapsed_s, 4),
        route=[
            StayOut(
                camera_id=s.camera_id,
                site=s.site,
                start=iso(s.t_start_s),
                end=iso(s.t_end_s),
                confidence=round(s.confidence, 4),
                masked_ratio=None if math.isnan(s.masked_ratio) else round(s.masked_ratio, 4),
                evidence=s.evidence,
            )
            for s in r.route
        ],
        contacts=[
            ContactOut(
                contact_id=c.contact_id,
                risk=c.risk,
                exposure_s=round(c.exposure_s, 2),
                min_distance_m=round(c.min_distance_m, 3),
                distance_approximate=c.distance_approximate,
                patient_masked=c.patient_masked,
                contact_masked=c.contact_masked,
                encounters=[
                    EncounterOut(
                        camera_id=e.camera_id,
                        start=iso(e.t_start_s),
                        end=iso(e.t_end_s),
                        exposure_s=round(e.exposure_s, 2),
                    )
                    for e in c.encounters
                ],
            )
            for c in r.contacts
        ],
        face_threshold=round(r.face_threshold, 4),
        faces_searched=r.faces_searched,
    )


def run_out(run: TraceRunRecord) -> TraceRunOut:
    return TraceRunOut(
        trace_id=run.trace_id,
        policy=run.policy,
        at=run.created_at.isoformat(),
        stays=run.stays,
        contacts=run.contacts,
        result_destroyed=run.destroyed_at is not None,
    )


def _settings_json(policy: Policy, settings: TraceSettings) -> str:
    return json.dumps(
        {"policy": policy.model_dump(), "trace": asdict(settings)}, sort_keys=True, default=str
    )


def trace(
    ctx: Context,
    case_ids: list[str],
    policy_name: str | None = None,
    settings: TraceSettings | None = None,
    progress: Progress | None = None,
) -> list[TraceOut]:
    """Trace the caller's cases (one search for all of them) and save each as a run.

    ``progress`` hears the stages (a trace started as a job shows them)."""
    policy = get_policy(policy_name)
    settings = settings or TraceSettings()
    store = ctx.store
    if not case_ids:
        authorize(ctx, "trace")
    queries = [
        case_query(store, require_case(ctx, "trace", cid)) for cid in dict.fromkeys(case_ids)
    ]
    index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
    results = trace_cases(store, index, queries, policy, settings, progress)
    if progress is not None:
        progress("saving the trace", 0.97)
    outs = []
    for r in results:
        run = save_run(ctx, r, policy, settings)
        outs.append(trace_out(run.trace_id, r))
    return outs


def save_run(
    ctx: Context, r: TraceResult, policy: Policy, settings: TraceSettings
) -> TraceRunRecord:
    """Store one result as a trace run and audit it by the run's id."""
    raw = result_to_json(r)
    run = ctx.store.add_trace_run(
        TraceRunRecord(
            trace_id=f"trace-{secrets.token_hex(6)}",
            case_id=r.case_id,
            policy=policy.name,
            settings_json=_settings_json(policy, settings),
            created_at=datetime.now(UTC),
            created_by=ctx.principal.name,
            stays=len(r.route),
            contacts=len(r.contacts),
            high_risk_contacts=sum(c.risk == "high" for c in r.contacts),
            face_threshold=None if math.isnan(r.face_threshold) else r.face_threshold,
            faces_searched=r.faces_searched,
            elapsed_s=r.elapsed_s,
            result_sha256=result_sha256(raw),
            result_json=raw,
        )
    )
    record(ctx, AuditEvent("trace", "done", r.case_id, f"trace {run.trace_id}"))
    return run


def list_traces(ctx: Context, case_id: str) -> TraceRunsOut:
    # The runs' counts are the case's metadata (`case show`), readable before approval.
    require_case(ctx, "view_case", case_id)
    return TraceRunsOut(traces=[run_out(r) for r in ctx.store.trace_runs(case_id)])


def saved_run(
    ctx: Context, case_id: str, trace_id: str | None
) -> tuple[TraceRunRecord, TraceResult]:
    """A run of the caller's case with its result: ``trace_id`` or the case's latest.

    Call after `authorize`: it checks only that the run belongs to the case."""
    store = ctx.store
    if trace_id is None:
        runs = store.trace_runs(case_id)
        if not runs:
            raise NotFoundError(
                f"case {case_id} has no saved trace: run `cctrace trace {case_id}` first"
            )
        trace_id = runs[-1].trace_id
    run = store.trace_run(trace_id)
    if run is None or run.case_id != case_id:
        raise NotFoundError(
            f"unknown trace {trace_id!r} of case {case_id}: see `cctrace trace` or "
            f"GET /api/v1/cases/{case_id}/traces"
        )
    if run.result_json is None:
        raise NotFoundError(
            f"the result of trace {trace_id} was destroyed (case closed or past retention); "
            "only its counts remain"
        )
    return run, result_from_json(run.result_json, trace_id)


def get_trace(ctx: Context, case_id: str, trace_id: str | None = None) -> TraceOut:
    """A saved trace object, exactly as the trace returned it."""
    require_case(ctx, "trace", case_id)
    run, result = saved_run(ctx, case_id, trace_id)
    record(ctx, AuditEvent("view_trace", "viewed", case_id, f"trace {run.trace_id}"))
    return trace_out(run.trace_id, result)
