"""Commands for people and cases: users, case open, trace."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cctrace.cli.common import HomeOpt, JsonOpt, TokenOpt, context, err, print_json, run
from cctrace.cli.tables import Col, show, utc_minute, utc_second
from cctrace.report.words import clock, mask_state, parse_time
from cctrace.schemas import (
    CaseCloseOut,
    CaseDecisionOut,
    CaseDetailOut,
    CaseOut,
    CasesOut,
    DemoOut,
    TraceBatchOut,
    TraceOut,
    TraceRunsOut,
    UserOut,
    UserRevokedOut,
)

users_app = typer.Typer(help="Manage user accounts (admin).", no_args_is_help=True)
case_app = typer.Typer(
    help="Consented cases: opened by an investigator, approved or rejected by a supervisor.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(case_app, name="case")
    app.command("trace")(trace)
    app.command("demo")(demo)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="investigator, supervisor, auditor, admin or ingest.")],
    expires_in_days: Annotated[
        float | None,
        typer.Option(
            "--expires-in-days",
            help="The token stops working this many days from now (default: never).",
        ),
    ] = None,
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Create a user; the token is printed once and stored only as a hash."""
    from cctrace.services import users

    def work() -> UserOut:
        with context(home, token, "manage_users") as ctx:
            return users.add_user(ctx, name, role, expires_in_days)

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(f"user {out.user} ({out.role}) created; token (shown only once):")
    typer.echo(out.token)


@users_app.command("revoke")
def users_revoke(
    name: Annotated[str, typer.Argument(help="Login name whose token stops working now.")],
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Revoke a user's token at once (admin)."""
    from cctrace.services import users

    def work() -> UserRevokedOut:
        with context(home, token, "manage_users") as ctx:
            return users.revoke_user(ctx, name)

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(f"user {out.user}: token revoked")


@case_app.command("open")
def case_open(
    patient_photo: Annotated[
        list[Path], typer.Option("--patient-photo", help="Reference photo(s) of the patient.")
    ],
    consent_file: Annotated[
        Path | None, typer.Option("--consent-file", help="Scanned, signed consent form.")
    ] = None,
    consent_given_by: Annotated[
        str, typer.Option("--consent-given-by", help="Who consented.")
    ] = "",
    consent_date: Annotated[
        str, typer.Option("--consent-date", help="When consent was given (ISO 8601).")
    ] = "",
    diagnosis_ref: Annotated[
        str,
        typer.Option(
            "--diagnosis-ref", help="The health authority's case or lab report number (required)."
        ),
    ] = "",
    t_from: Annotated[str, typer.Option("--from", help="Window start (ISO 8601).")] = "",
    t_to: Annotated[str, typer.Option("--to", help="Window end (ISO 8601).")] = "",
    label: Annotated[str, typer.Option(help="A label for the case (no personal data).")] = "",
    site: Annotated[str | None, typer.Option(help="Search only this site's cameras.")] = None,
    cameras: Annotated[
        str | None, typer.Option(help="Search only these cameras (comma-separated ids).")
    ] = None,
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Open a case for a consenting patient. Without a consent record nothing is opened; the
    case is pending until a supervisor approves it."""
    from cctrace.services import cases

    def work() -> CaseOut:
        ids = [c.strip() for c in cameras.split(",") if c.strip()] if cameras else None
        with context(home, token, "open_case") as ctx:
            return cases.open_case(
                ctx,
                patient_photo,
                consent_file,
                consent_given_by,
                consent_date,
                t_from,
                t_to,
                label,
                site,
                ids,
                diagnosis_ref=diagnosis_ref,
            )

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(
        f"case {out.case_id} opened; it is pending until a supervisor approves it "
        f"(`cctrace case approve {out.case_id} --reason TEXT`)"
    )


ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")]


@case_app.command("approve")
def case_approve(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID", help="A pending case.")],
    reason: ReasonOpt = "",
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Approve a pending case so that it may be traced (supervisor; never one's own case)."""
    from cctrace.services import cases

    def work() -> CaseDecisionOut:
        with context(home, token, "review_case") as ctx:
            return cases.approve_case(ctx, case_id, reason)

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(f"case {out.case_id} approved: it may be traced")


@case_app.command("reject")
def case_reject(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID", help="A pending case.")],
    reason: ReasonOpt = "",
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Reject a pending case: it is never traced and its reference faces are destroyed
    (supervisor; never one's own case)."""
    from cctrace.services import cases

    def work() -> CaseDecisionOut:
        with context(home, token, "review_case") as ctx:
            return cases.reject_case(ctx, case_id, reason)

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(f"case {out.case_id} rejected: it will not be traced")


@case_app.command("withdraw")
def case_withdraw(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID", help="The case.")],
    reason: ReasonOpt = "",
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The patient withdrew consent: close the case at once, exactly as `case close` does,
    and record the withdrawal (the case's owner or a supervisor)."""
    from cctrace.services import cases

    def work() -> CaseCloseOut:
        with context(home, token, "withdraw_case") as ctx:
            return cases.withdraw_case(ctx, case_id, reason)

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(
        f"case {out.case_id}: consent withdrawn; closed, {out.references_destroyed} reference "
        f"faces and {out.export_files_destroyed} export files destroyed"
    )


@case_app.command("close")
def case_close(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID", help="The case to close.")],
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Close your case: its reference faces and exports are destroyed; it cannot be traced
    again. The audit trail and a summary without biometrics remain."""
    from cctrace.services import cases

    def work() -> CaseCloseOut:
        with context(home, token, "close_case") as ctx:
            return cases.close_case(ctx, case_id)

    out = run(work)
    if json_out:
        print_json(out)
        return
    exports = (
        f"evidence exports: {out.exports_destroyed} destroyed, {out.exports_already_gone} "
        "already gone (copies moved off this system are out of cctrace's reach)"
    )
    for path in out.exports_left_alone:
        err.print(f"left alone (its manifest.json does not name this export): {path}")
    if out.already_closed:
        Console().print(f"case {out.case_id} was already closed; leftovers removed; {exports}")
        return
    Console().print(
        f"case {out.case_id} closed: {out.references_destroyed} reference faces and "
        f"{out.export_files_destroyed} export files destroyed; {exports}"
    )


@case_app.command("list")
def case_list(
    status: Annotated[
        str | None,
        typer.Option(help="Only cases in this state: pending, approved, rejected or closed."),
    ] = None,
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Cases, newest first: an investigator's own; for a supervisor, every case's metadata
    (who asked, window, region, consent record, diagnosis reference)."""
    from cctrace.services import cases

    def work() -> CasesOut:
        with context(home, token, "list_cases") as ctx:
            return cases.list_cases(ctx, status)

    out = run(work)
    if json_out:
        print_json(out)
        return
    cols = [
        Col("case", whole=True),
        Col("status"),
        Col("by"),
        Col("window (UTC)", whole=True),
        Col("region"),
        Col("label"),
    ]
    # The diagnosis reference is in `case show` and the JSON: with it the table no
    # longer fits 80 columns.
    rows = [
        [
            c.case_id,
            c.status,
            c.owner,
            f"{utc_minute(c.window_from)}\n{utc_minute(c.window_to)}",
            c.site or (f"{len(c.cameras)} cameras" if c.cameras else "every camera"),
            c.label,
        ]
        for c in out.cases
    ]
    show(Console(), cols, rows)


@case_app.command("show")
def case_show(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID", help="Your case.")],
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """One case: consent record, window, region, its saved traces and, once closed, its
    summary."""
    from cctrace.services import cases, traces

    def work() -> tuple[CaseDetailOut, TraceRunsOut]:
        with context(home, token, "view_case") as ctx:
            return cases.get_case(ctx, case_id), traces.list_traces(ctx, case_id)

    out, runs = run(work)
    if json_out:
        print_json(out)
        return
    console = Console()
    region = out.site or (", ".join(out.cameras) if out.cameras else "every camera")
    console.print(
        f"case {out.case_id} ({out.status}){f', {out.label}' if out.label else ''}\n"
        f"window {utc_minute(out.window_from)} to {utc_minute(out.window_to)} (UTC); "
        f"region: {region}\n"
        f"consent given by {out.consent_given_by} on {out.consent_date[:10]}, form SHA-256 "
        f"{out.consent_sha256[:16]}; diagnosis reference {out.diagnosis_ref}"
    )
    if out.decided_by:
        console.print(
            f"{out.status if out.status == 'rejected' else 'approved'} by {out.decided_by} on "
            f"{utc_minute(out.decided_at) if out.decided_at else 'an unrecorded time'} (UTC): "
            f"{out.decision_reason}"
        )
    elif out.status == "pending":
        console.print("pending: a supervisor's approval is needed before it is traced")
    cols = [
        Col("trace", whole=True),
        Col("policy", whole=True),
        Col("at (UTC)", whole=True),
        Col("stays", whole=True),
        Col("contacts", whole=True),
        Col("result"),
    ]
    rows = [
        [
            t.trace_id,
            t.policy,
            utc_second(t.at),
            str(t.stays),
            str(t.contacts),
            "destroyed" if t.result_destroyed else "kept",
        ]
        for t in runs.traces
    ]
    show(console, cols, rows, title="traces")


def _iso(t_s: float) -> str:
    return datetime.fromtimestamp(t_s, UTC).isoformat()


MASK_CAPTION = "mask unknown: no face wide enough to tell was seen"
CONTACT_COLS = [
    Col("contact", whole=True),  # an id an investigator copies into evidence export
    Col("risk"),
    Col("exposure", whole=True),
    Col("closest"),
    Col("patient mask"),
    Col("contact mask"),
    Col("where"),
]


def _mask(masked: bool | None) -> str:
    """`mask_state` in a table cell: its long "unknown (...)" is the table's caption."""
    return "unknown" if masked is None else mask_state(masked)


def _mask_caption(masks: list[bool | None]) -> str | None:
    return MASK_CAPTION if None in masks else None


def _print_trace(console: Console, r: TraceOut) -> None:
    """Route and contacts (`cli.tables`, so no time or id is cut): times are clocks
    under a title naming the day, with a date column only when the route spans days."""
    starts = [parse_time(s.start) for s in r.route]
    ends = [parse_time(s.end) for s in r.route]
    days = sorted({t.date() for t in starts + ends})
    one_day = len(days) <= 1
    title = "route" + (f", {days[0].isoformat()} (UTC)" if days and one_day else " (UTC)")
    cols = [
        Col("camera"),
        Col("site"),
        *([] if one_day else [Col("day", whole=True)]),
        Col("from", whole=True),
        Col("to", whole=True),
        Col("conf.", whole=True),
        Col("masked", whole=True),
        Col("evidence"),
    ]
    rows = [
        [
            s.camera_id,
            s.site or "",
            *([] if one_day else [start.date().isoformat()]),
            clock(start),
            clock(end) if end.date() == start.date() else f"{clock(end)} +1 day",
            f"{s.confidence:.2f}",
            "unknown" if s.masked_ratio is None else f"{s.masked_ratio:.0%}",
            s.evidence,
        ]
        for s, start, end in zip(r.route, starts, ends, strict=True)
    ]
    show(console, cols, rows, title=title)
    rows = [
        [
            c.contact_id,
            c.risk,
            f"{c.exposure_s / 60:.1f} min",
            f"{c.min_distance_m:.1f} m" + (" (approx.)" if c.distance_approximate else ""),
            _mask(c.patient_masked),
            _mask(c.contact_masked),
            ", ".join(sorted({e.camera_id for e in c.encounters})),
        ]
        for c in r.contacts
    ]
    masks = [m for c in r.contacts for m in (c.patient_masked, c.contact_masked)]
    show(console, CONTACT_COLS, rows, title="contacts", caption=_mask_caption(masks))


def trace(
    case_ids: Annotated[list[str], typer.Argument(metavar="CASE_ID...", help="Cases to trace.")],
    policy: Annotated[
        str, typer.Option(help="Contact policy: kdca-2022, cdc-2020 or who-2020.")
    ] = "kdca-2022",
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Trace one or many patients: their route and their close contacts (saved as a run)."""
    from cctrace.services import traces

    def work() -> list[TraceOut]:
        with context(home, token, "trace") as ctx:
            return traces.trace(ctx, case_ids, policy)

    results = run(work)
    if json_out:
        print_json(results[0] if len(results) == 1 else TraceBatchOut(cases=results))
        return
    console = Console()
    for r in results:
        console.print(
            f"[bold]case {r.case_id}[/], trace {r.trace_id} ({r.policy}, {r.elapsed_s:.2f} s; "
            "face threshold "
            f"{r.face_threshold:.3f} over {r.faces_searched:,} faces)"
        )
        _print_trace(console, r)


def demo(
    home: HomeOpt = None,
    policy: Annotated[str, typer.Option(help="Contact policy for the trace.")] = "kdca-2022",
    seed: Annotated[int, typer.Option(help="Scenario seed (bystanders, noise).")] = 7,
    json_out: JsonOpt = False,
) -> None:
    """Show the whole flow on a rendered town: ingest, consented case, trace, report."""
    from cctrace.config import get_policy
    from cctrace.demo import run_demo

    console = Console(stderr=json_out)
    result = run(lambda: run_demo(home, get_policy(policy), console.print, seed=seed))
    c = result.comparison
    if json_out:
        print_json(
            DemoOut(
                home=str(result.home),
                report_html=str(result.report_html),
                report_pdf=str(result.report_pdf),
                route_recall=round(c.route_recall, 4),
                route_precision=round(c.route_precision, 4),
                cameras_true=list(c.cameras_true),
                cameras_found=list(c.cameras_found),
                contacts_true=c.contacts_true,
                contacts_found=c.contacts_found,
                timings_s={k: round(v, 2) for k, v in result.timings_s.items()},
            )
        )
        return
    r = result.trace
    cols = [
        Col("camera"),
        Col("from (UTC)", whole=True),
        Col("to", whole=True),
        Col("confidence", whole=True),
        Col("masked", whole=True),
        Col("evidence"),
    ]
    rows = [
        [
            s.camera_id,
            _iso(s.t_start_s)[11:19],
            _iso(s.t_end_s)[11:19],
            f"{s.confidence:.2f}",
            "unknown" if math.isnan(s.masked_ratio) else f"{s.masked_ratio:.0%}",
            s.evidence,
        ]
        for s in r.route
    ]
    show(console, cols, rows, title="route of the patient")
    rows = [
        [
            ct.contact_id,
            ct.risk,
            f"{ct.exposure_s:.0f} s",
            f"{ct.min_distance_m:.2f} m" + (" (approx.)" if ct.distance_approximate else ""),
            _mask(ct.patient_masked),
            _mask(ct.contact_masked),
            ", ".join(sorted({e.camera_id for e in ct.encounters})),
        ]
        for ct in r.contacts
    ]
    masks = [m for ct in r.contacts for m in (ct.patient_masked, ct.contact_masked)]
    show(console, CONTACT_COLS, rows, title=f"contacts ({r.policy})", caption=_mask_caption(masks))
    friend = (
        "not found"
        if c.friend_exposure_found_s is None
        else f"{c.friend_exposure_found_s:.0f} s found"
    )
    console.print(
        f"compared with the scenario's truth: route recall {c.route_recall:.2f}, precision "
        f"{c.route_precision:.2f}; cameras {', '.join(c.cameras_found)} found of "
        f"{', '.join(c.cameras_true)}; {c.contacts_found} contacts listed, {c.contacts_true} "
        f"people truly within {get_policy(policy).distance_m} m; the friend's exposure "
        f"{c.friend_exposure_true_s:.0f} s true, {friend}"
    )
    t = result.timings_s
    console.print(
        f"report: {result.report_pdf} (and {result.report_html.name})\n"
        f"times: render {t['render']:.0f} s, ingest "
        f"{t['ingest']:.0f} s, trace {t['trace']:.2f} s, total {t['total']:.0f} s"
    )
