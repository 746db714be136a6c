"""Commands for people and cases: users, case open, trace."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cctrace.cli.common import HomeOpt, JsonOpt, TokenOpt, err, open_store, print_json, run
from cctrace.schemas import (
    CaseCloseOut,
    CaseOut,
    CaseSummaryOut,
    ContactOut,
    DemoOut,
    EncounterOut,
    StayOut,
    TraceBatchOut,
    TraceOut,
    UserOut,
)

users_app = typer.Typer(help="Manage user accounts (admin).", no_args_is_help=True)
case_app = typer.Typer(help="Open and close consented cases (investigator).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(case_app, name="case")
    app.command("trace")(trace)
    app.command("demo")(demo)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="investigator, auditor, admin or ingest.")],
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
    import math
    from datetime import UTC, datetime, timedelta

    from cctrace.core.errors import InputError
    from cctrace.store.users import ROLES

    def work() -> UserOut:
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        expires = None
        if expires_in_days is not None:
            if not (math.isfinite(expires_in_days) and 0 < expires_in_days <= 3650):
                raise InputError(
                    f"--expires-in-days {expires_in_days}: give a number of days above 0 "
                    "and at most 3650"
                )
            expires = datetime.now(UTC) + timedelta(days=expires_in_days)
        with open_store(home, token, "manage_users") as session:
            issued = session.store.create_user(name, role, expires_at=expires)
            session.store.audit(
                session.user.name,
                session.user.role,
                "add_user",
                "created" if expires is None else f"created, expires {expires.isoformat()}",
                target=f"{issued.user.name} ({issued.user.role})",
            )
        return UserOut(
            user=issued.user.name,
            role=issued.user.role,
            token=issued.token,
            expires=None if expires is None else expires.isoformat(),
        )

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

    def work() -> dict[str, str]:
        with open_store(home, token, "manage_users") as session:
            user = session.store.revoke_user(name)
            session.store.audit(
                session.user.name, session.user.role, "revoke_user", "revoked", target=user.name
            )
        return {"user": user.name, "role": user.role, "revoked_at": str(user.revoked_at)}

    out = run(work)
    if json_out:
        typer.echo(json.dumps(out, indent=2))
        return
    Console().print(f"user {out['user']}: token revoked")


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
    """Open a case for a consenting patient. Without a consent record nothing is opened."""
    from cctrace.core.errors import InputError
    from cctrace.privacy.consent import parse_time, read_consent
    from cctrace.trace.cases import open_case, reference_faces
    from cctrace.vision.analyze import FaceAnalyzer

    def work() -> CaseOut:
        # The consent gate comes first: no photo is even looked at without consent.
        consent = read_consent(consent_file, consent_given_by, consent_date, datetime.now(UTC))
        if not t_from or not t_to:
            raise InputError("give the case's time window with --from and --to")
        start, end = parse_time(t_from, "--from"), parse_time(t_to, "--to")
        ids = [c.strip() for c in cameras.split(",") if c.strip()] if cameras else None
        with open_store(home, token, "open_case") as session:
            refs = reference_faces(patient_photo, FaceAnalyzer())
            case = open_case(
                session.store, session.user, consent, refs, start, end, label, site, ids
            )
            session.store.audit(
                session.user.name,
                session.user.role,
                "open_case",
                "opened",
                case.case_id,
                f"consent sha256 {consent.form_sha256[:16]}",
            )
        return CaseOut(case_id=case.case_id)

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(f"case {out.case_id} opened")


@case_app.command("close")
def case_close(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID", help="The case to close.")],
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Close your case: its reference faces and exports are destroyed; it cannot be traced
    again. The audit trail and a summary without biometrics remain."""
    from cctrace.privacy.retention import close_case

    def work() -> CaseCloseOut:
        with open_store(home, token, "close_case") as session:
            closure = close_case(session.store, session.user, case_id)
        return CaseCloseOut(
            case_id=closure.case_id,
            status="closed",
            already_closed=closure.already_closed,
            references_destroyed=closure.references_destroyed,
            export_files_destroyed=closure.export_files_destroyed,
            summary=CaseSummaryOut.model_validate(closure.summary),
            exports_destroyed=closure.exports_destroyed,
            exports_already_gone=closure.exports_already_gone,
            exports_left_alone=list(closure.exports_left_alone),
        )

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


def _iso(t_s: float) -> str:
    return datetime.fromtimestamp(t_s, UTC).isoformat()


def trace(
    case_ids: Annotated[list[str], typer.Argument(metavar="CASE_ID...", help="Cases to trace.")],
    policy: Annotated[
        str, typer.Option(help="Contact policy: kdca-2022, cdc-2020 or who-2020.")
    ] = "kdca-2022",
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Trace one or many patients: their route and their close contacts."""
    from cctrace.config import get_policy
    from cctrace.store.vector_index import FlatFaceIndex
    from cctrace.trace.cases import case_query
    from cctrace.trace.engine import trace_cases

    def work() -> list[TraceOut]:
        chosen = get_policy(policy)
        with open_store(home, token, "trace") as session:
            store = session.store
            queries = [case_query(store, session.user, cid) for cid in dict.fromkeys(case_ids)]
            index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
            results = trace_cases(store, index, queries, chosen)
            for r in results:
                # Counts only: a closed case keeps them in its summary (no biometrics).
                store.audit(
                    session.user.name,
                    session.user.role,
                    "trace",
                    "done",
                    r.case_id,
                    f"policy {chosen.name}; {len(r.route)} stays, {len(r.contacts)} contacts; "
                    f"face threshold {r.face_threshold:.3f} over {r.faces_searched} faces",
                )
        return [
            TraceOut(
                case_id=r.case_id,
                policy=r.policy,
                elapsed_s=round(r.elapsed_s, 4),
                route=[
                    StayOut(
                        camera_id=s.camera_id,
                        site=s.site,
                        start=_iso(s.t_start_s),
                        end=_iso(s.t_end_s),
                        confidence=round(s.confidence, 4),
                        masked_ratio=None
                        if math.isnan(s.masked_ratio)
                        else round(s.masked_ratio, 4),
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
                                start=_iso(e.t_start_s),
                                end=_iso(e.t_end_s),
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
            for r in results
        ]

    results = run(work)
    if json_out:
        print_json(results[0] if len(results) == 1 else TraceBatchOut(cases=results))
        return
    console = Console()
    for r in results:
        console.print(
            f"[bold]case {r.case_id}[/] ({r.policy}, {r.elapsed_s:.2f} s; face threshold "
            f"{r.face_threshold:.3f} over {r.faces_searched:,} faces)"
        )
        route = Table(
            "camera", "site", "from", "to", "confidence", "masked", "evidence", title="route"
        )
        for s in r.route:
            route.add_row(
                s.camera_id,
                s.site or "",
                s.start,
                s.end,
                f"{s.confidence:.2f}",
                "?" if s.masked_ratio is None else f"{s.masked_ratio:.0%}",
                s.evidence,
            )
        console.print(route)
        contacts = Table(
            "contact",
            "risk",
            "exposure",
            "min distance",
            "patient masked",
            "contact masked",
            "where",
            title="contacts",
        )
        for c in r.contacts:
            dist = f"{c.min_distance_m:.1f} m" + (" (approx.)" if c.distance_approximate else "")
            contacts.add_row(
                c.contact_id,
                c.risk,
                f"{c.exposure_s / 60:.1f} min",
                dist,
                str(c.patient_masked),
                str(c.contact_masked),
                ", ".join(sorted({e.camera_id for e in c.encounters})),
            )
        console.print(contacts)


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
    route = Table(
        "camera",
        "from (UTC)",
        "to",
        "confidence",
        "masked",
        "evidence",
        title="route of the patient",
    )
    for s in r.route:
        masked = "?" if math.isnan(s.masked_ratio) else f"{s.masked_ratio:.0%}"
        route.add_row(
            s.camera_id,
            _iso(s.t_start_s)[11:19],
            _iso(s.t_end_s)[11:19],
            f"{s.confidence:.2f}",
            masked,
            s.evidence,
        )
    console.print(route)
    contacts = Table(
        "contact",
        "risk",
        "exposure s",
        "closest m",
        "patient masked",
        "contact masked",
        "cameras",
        title=f"contacts ({r.policy})",
    )
    for ct in r.contacts:
        contacts.add_row(
            ct.contact_id,
            ct.risk,
            f"{ct.exposure_s:.0f}",
            f"{ct.min_distance_m:.2f}" + ("~" if ct.distance_approximate else ""),
            str(ct.patient_masked),
            str(ct.contact_masked),
            ", ".join(sorted({e.camera_id for e in ct.encounters})),
        )
    console.print(contacts)
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
        f"report: {result.report_html}\ntimes: render {t['render']:.0f} s, ingest "
        f"{t['ingest']:.0f} s, trace {t['trace']:.2f} s, total {t['total']:.0f} s"
    )
