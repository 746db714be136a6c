"""Saved trace runs through the service layer, on the scripted morning of `tests.trace`.

Every check drives the real producer: `services.traces.trace` runs the search and saves
the run; closing the case reads its counts back from that run (never from audit text).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cctrace.core.errors import AuthError, NotFoundError
from cctrace.services import cases, reports, traces
from cctrace.services.auth import Context, authenticate
from cctrace.store.home import Home
from cctrace.store.records import CaseRecord, CaseReference
from cctrace.store.repository import Store
from tests.backends import Backend, clone_home
from tests.cases import approve
from tests.security.conftest import cheap_argon2
from tests.store.bytescan import blobs, found, tail
from tests.trace.conftest import World
from tests.trace.scenario import case_p


@pytest.fixture
def store(world: World, tmp_path: Path, backend: Backend) -> Iterator[Store]:
    root = tmp_path / "home"
    url = clone_home(backend, world.home.root, root)  # on PostgreSQL, its database too
    s = Store.open(Home.at(root, env={}))
    yield s
    s.close()
    backend.drop(url)


def _ctx(store: Store, name: str) -> Context:
    with cheap_argon2():
        token = store.create_user(name, "investigator").token
    return authenticate(store, token, "trace")


def _open_case_p(store: Store, ctx: Context) -> str:
    q = case_p()
    store.create_case(
        CaseRecord(
            case_id=q.case_id,
            owner_id=ctx.principal.user_id,
            label="TB-1",
            consent_given_by="the patient",
            consent_date=datetime(2026, 1, 1, tzinfo=UTC),
            consent_sha256="c" * 64,
            t_from_s=q.t_from_s,
            t_to_s=q.t_to_s,
            site=None,
            camera_ids=q.camera_ids,
        ),
        [CaseReference(f"{i:064x}", 0.9, e) for i, e in enumerate(q.reference_embeddings)],
    )
    approve(store, q.case_id)
    return q.case_id


def test_a_trace_is_saved_and_read_back_identically(store: Store) -> None:
    ctx = _ctx(store, "dr-kim")
    case_id = _open_case_p(store, ctx)
    [out] = traces.trace(ctx, [case_id], "who-2020")
    assert out.route, "the scripted patient is seen: the run must hold stays"
    assert traces.get_trace(ctx, case_id, out.trace_id) == out
    assert traces.get_trace(ctx, case_id) == out  # the latest by default
    [listed] = traces.list_traces(ctx, case_id).traces
    assert (listed.trace_id, listed.policy, listed.stays, listed.contacts) == (
        out.trace_id,
        "who-2020",
        len(out.route),
        len(out.contacts),
    )
    # The audit entry names the run by its id, nothing parsed from it later.
    assert any(
        e.action == "trace" and e.outcome == "done" and e.target == f"trace {out.trace_id}"
        for e in store.audit_entries(case_id)
    )


def test_the_saved_result_is_sealed(store: Store) -> None:
    ctx = _ctx(store, "dr-kim")
    case_id = _open_case_p(store, ctx)
    [out] = traces.trace(ctx, [case_id])
    db = store.home.db_path
    sealed = dict(blobs(db, "SELECT id, result_enc FROM trace_runs"))
    assert sealed[out.trace_id] is not None
    # No clear camera/contact id of the result is in the database files.
    assert found(store.home.root, {"contact id": out.contacts[0].contact_id.encode()}) == []


def test_closing_reads_the_counts_from_the_runs_and_destroys_the_results(store: Store) -> None:
    ctx = _ctx(store, "dr-kim")
    case_id = _open_case_p(store, ctx)
    traces.trace(ctx, [case_id], "kdca-2022")
    [last] = traces.trace(ctx, [case_id], "cdc-2020")
    needle = {
        "sealed result": tail(
            dict(blobs(store.home.db_path, "SELECT id, result_enc FROM trace_runs"))[last.trace_id]
        )
    }
    closed = cases.close_case(ctx, case_id)
    summary = closed.summary
    assert summary.traces == 2
    assert summary.last_trace is not None
    assert summary.last_trace.trace_id == last.trace_id
    assert summary.last_trace.policy == "cdc-2020"
    assert summary.last_trace.stays == len(last.route) > 0
    assert summary.last_trace.contacts == len(last.contacts)
    # The runs keep their counts; their results are gone, byte for byte.
    runs = traces.list_traces(ctx, case_id).traces
    assert [r.result_destroyed for r in runs] == [True, True]
    assert found(store.home.root, needle) == []
    with pytest.raises(NotFoundError, match="destroyed"):
        traces.get_trace(ctx, case_id, last.trace_id)
    # The case's page shows the same summary.
    assert cases.get_case(ctx, case_id).summary == summary


def test_another_investigators_trace_is_refused(store: Store) -> None:
    owner = _ctx(store, "dr-kim")
    case_id = _open_case_p(store, owner)
    [out] = traces.trace(owner, [case_id])
    other = _ctx(store, "dr-ng")
    with pytest.raises(AuthError, match="another investigator"):
        traces.get_trace(other, case_id, out.trace_id)
    with pytest.raises(AuthError):
        reports.report(other, case_id, out.trace_id, "json")
    with pytest.raises(NotFoundError):
        traces.get_trace(owner, case_id, "trace-000000000000")


def test_a_json_report_is_the_saved_trace_object(store: Store) -> None:
    ctx = _ctx(store, "dr-kim")
    case_id = _open_case_p(store, ctx)
    [out] = traces.trace(ctx, [case_id])
    made = reports.report(ctx, case_id, None, "json")
    assert made.media_type == "application/json"
    assert made.content.decode() == out.model_dump_json(indent=2)
    assert case_id in made.filename and "dr-kim" not in made.filename
    entry = store.audit_entries(case_id)[-1]
    assert entry.seq == made.audit_seq and entry.action == "export_report"


def test_the_pdf_report_of_a_real_run_names_its_cameras_and_contacts(store: Store) -> None:
    """The report service on a run the trace service saved: the PDF's text has every
    camera of the route, every contact, the run id and the audit entry of its creation."""
    import io

    from pypdf import PdfReader

    ctx = _ctx(store, "dr-kim")
    case_id = _open_case_p(store, ctx)
    [out] = traces.trace(ctx, [case_id], "who-2020")
    made = reports.report(ctx, case_id, out.trace_id, "pdf")
    assert made.media_type == "application/pdf" and made.content.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(made.content)).pages)
    text = " ".join(text.split())
    for stay in out.route:
        assert stay.camera_id in text
    for contact in out.contacts:
        assert contact.contact_id in text
    assert out.trace_id in text and f"audit entry {made.audit_seq}" in text
    for literal in ("None", "nan", "True", "False", "null"):
        assert f" {literal} " not in f" {text} "
    csv_rows = reports.report(ctx, case_id, out.trace_id, "csv").content.decode().splitlines()
    assert len(csv_rows) == 1 + len(out.contacts)


def test_purge_destroys_trace_results_older_than_the_cutoff(store: Store) -> None:
    from cctrace.services import retention

    ctx = _ctx(store, "dr-kim")
    case_id = _open_case_p(store, ctx)
    [out] = traces.trace(ctx, [case_id])
    with cheap_argon2():
        admin_token = store.create_user("root", "admin").token
    admin = authenticate(store, admin_token, "purge")
    kept = retention.purge(admin, older_than_days=30)  # the run is minutes old: it stays
    assert kept.trace_results_destroyed == 0
    assert traces.get_trace(ctx, case_id, out.trace_id) == out
    dry = retention.purge(admin, older_than_days=0, dry_run=True)
    assert dry.trace_results_destroyed == 1
    assert traces.get_trace(ctx, case_id, out.trace_id) == out
    gone = retention.purge(admin, older_than_days=0)
    assert gone.trace_results_destroyed == 1
    with pytest.raises(NotFoundError, match="destroyed"):
        traces.get_trace(ctx, case_id, out.trace_id)
    [run] = traces.list_traces(ctx, case_id).traces
    assert run.result_destroyed and run.stays == len(out.route)


def test_key_rotation_reseals_saved_trace_results(store: Store) -> None:
    from cctrace.services import keys
    from cctrace.store.crypto import blob_key_id

    ctx = _ctx(store, "dr-kim")
    case_id = _open_case_p(store, ctx)
    [out] = traces.trace(ctx, [case_id])
    old_key = store.cipher.key_id
    with cheap_argon2():
        admin_token = store.create_user("root", "admin").token
    keys.rotate(authenticate(store, admin_token, "rotate_keys"))
    assert store.cipher.key_id != old_key
    [(_, blob)] = blobs(store.home.db_path, "SELECT id, result_enc FROM trace_runs")
    assert blob_key_id(blob) == store.cipher.key_id
    assert traces.get_trace(ctx, case_id, out.trace_id) == out
