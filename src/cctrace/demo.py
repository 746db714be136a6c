"""`cctrace demo`: the whole flow on a fresh machine, with no footage of one's own.

Renders a small synthetic town (three calibrated cameras, people walking, meeting and
standing together, some masked; the patient wears the public-domain face of NASA's
astronaut photo), ingests the videos with the real models, opens a consented case,
traces it, writes an HTML summary, and compares the result with the scenario's truth.
The truth is only read for that final comparison: nothing of it reaches the pipeline.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from cctrace.config import Policy
from cctrace.core.errors import InputError
from cctrace.geometry.calibration import calibration_from_json
from cctrace.ingest.inputs import VisionModels
from cctrace.services import cameras, cases, footage, reports, traces, users
from cctrace.services.auth import authenticate
from cctrace.sim.render import DemoTruth, make_demo_scenario, render_videos, scenario_truth
from cctrace.store.home import Home, init_home
from cctrace.store.repository import Store
from cctrace.trace.types import TraceResult

TOWN = "demo-town"
"""One site plan for the whole town: camera positions share its metres."""

Say = Callable[[str], None]


@dataclass(frozen=True)
class DemoComparison:
    route_recall: float
    """Share of the patient's true time in view that the route covers (per camera)."""
    route_precision: float
    """Share of the route's time during which the patient really was in that view."""
    cameras_true: tuple[str, ...]
    cameras_found: tuple[str, ...]
    contacts_true: int
    """People truly within the policy distance of the patient at some moment."""
    contacts_found: int
    friend_exposure_true_s: float
    friend_exposure_found_s: float | None


@dataclass(frozen=True)
class DemoResult:
    home: Path
    report_html: Path
    report_pdf: Path
    trace: TraceResult
    comparison: DemoComparison
    timings_s: dict[str, float]


def _fresh_home(home: Path | None) -> Path:
    if home is None:
        return Path(tempfile.mkdtemp(prefix="cctrace-demo-"))
    if home.exists() and any(home.iterdir()):
        raise InputError(
            f"{home} is not empty: the demo never touches an existing data folder; "
            "give a new folder with --home or none for a temporary one"
        )
    return home


def _overlap_s(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def write_consent_scan(path: Path) -> Path:
    """A consent form as a scanner would hand it over: an A4 page at 75 dpi (620 x 877
    pixels), PNG. The demo's patient is synthetic; so is the form."""
    import cv2

    page = np.full((877, 620), 255, np.uint8)
    lines = [
        "Consent to contact tracing through CCTV footage",
        "Patient: synthetic demo patient",
        "I agree that my photo is compared with recorded footage",
        "of the days I was infectious, to find my contacts.",
        "Signed: (synthetic)",
    ]
    for i, line in enumerate(lines):
        cv2.putText(page, line, (40, 80 + 40 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 0, 1)
    cv2.line(page, (40, 320), (300, 330), 0, 2)  # the signature
    if not cv2.imwrite(str(path), page):
        raise InputError(f"cannot write the demo's consent form to {path}")
    return path


def compare(result: TraceResult, truth: DemoTruth, policy: Policy) -> DemoComparison:
    """Time-weighted route recall/precision per camera, and contacts against the truth."""
    true_stays = [
        (s.camera_id, s.t_start_utc.timestamp(), s.t_end_utc.timestamp()) for s in truth.route
    ]
    found = [(s.camera_id, s.t_start_s, s.t_end_s) for s in result.route]
    hit = sum(
        _overlap_s(t0, t1, f0, f1)
        for cam, t0, t1 in true_stays
        for fc, f0, f1 in found
        if fc == cam
    )
    true_total = sum(t1 - t0 for _, t0, t1 in true_stays)
    found_total = sum(f1 - f0 for _, f0, f1 in found)
    exposure = truth.exposure_by_person_s(policy.distance_m)
    near = {c.person_id for c in truth.contacts if float(np.min(c.distance_m)) <= policy.distance_m}
    friend_found = None
    friend = next((c for c in truth.contacts if c.role == "friend"), None)
    if friend is not None:
        # The found contact whose encounter overlaps the friend's time in that camera most.
        best, best_overlap = None, 0.0
        f0, f1 = friend.t_start_utc.timestamp(), friend.t_end_utc.timestamp()
        for c in result.contacts:
            ov = sum(
                _overlap_s(e.t_start_s, e.t_end_s, f0, f1)
                for e in c.encounters
                if e.camera_id == friend.camera_id
            )
            if ov > best_overlap:
                best, best_overlap = c, ov
        friend_found = None if best is None else best.exposure_s
    return DemoComparison(
        route_recall=hit / true_total if true_total else 0.0,
        route_precision=hit / found_total if found_total else 0.0,
        cameras_true=tuple(dict.fromkeys(c for c, _, _ in true_stays)),
        cameras_found=tuple(dict.fromkeys(c for c, _, _ in found)),
        contacts_true=len(near),
        contacts_found=len(result.contacts),
        friend_exposure_true_s=exposure.get(friend.person_id, 0.0) if friend else 0.0,
        friend_exposure_found_s=friend_found,
    )


def run_demo(
    home: Path | None, policy: Policy, say: Say, seed: int = 7, workers: int = 2
) -> DemoResult:
    timings: dict[str, float] = {}
    root = _fresh_home(home)
    t0 = time.perf_counter()
    init = init_home(root, env={})
    assert init.admin_token is not None
    scenario = make_demo_scenario(seed=seed)
    say(f"data folder {root} (a fresh one, only for the demo)")

    say("rendering the town: 3 calibrated cameras, people walking, meeting, some masked")
    footage_dir = root / "footage"
    footage_dir.mkdir()
    t = time.perf_counter()
    videos = render_videos(scenario, footage_dir, workers=workers)
    timings["render"] = time.perf_counter() - t

    with Store.open(Home.at(root, env={})) as store:
        # Every step goes through the same services as the CLI and the API: roles,
        # consent gate and audit apply to the demo too.
        admin = authenticate(store, init.admin_token, "demo", via="demo")
        issued = users.add_user(admin, "demo-investigator", "investigator")
        investigator = authenticate(store, issued.token, "demo", via="demo")
        lead = users.add_user(admin, "demo-supervisor", "supervisor")
        supervisor = authenticate(store, lead.token, "demo", via="demo")
        say(
            f"admin {admin.principal.name} registers the cameras; investigator "
            f"{issued.user} will trace once supervisor {lead.user} approves the case"
        )
        for v in videos:
            cam = scenario.camera(v.camera_id)
            cal = calibration_from_json(v.calibration_points.to_json(), f"camera {cam.camera_id}")
            cameras.add_camera(
                admin,
                cam.camera_id,
                cam.name,
                site=TOWN,
                x_m=cam.position_xy_m[0],
                y_m=cam.position_xy_m[1],
                calibration=cal,
                where="demo",
            )

        say("ingesting the videos with the real models (detection, tracking, embeddings)")
        t = time.perf_counter()
        models = VisionModels.load()
        for v in videos:
            [r] = footage.ingest(
                admin, [v.path], v.camera_id, v.start_utc.isoformat(), models=models
            ).videos
            say(
                f"  {v.camera_id}: {r.duration_s:.0f} s of video, {r.sightings_added} "
                f"sightings, {r.realtime_factor:.1f}x real time"
            )
        timings["ingest"] = time.perf_counter() - t

        say("opening a consented case with the patient's photo (the astronaut, public domain)")
        import skimage

        photo = root / "patient-photo.png"
        photo.write_bytes((Path(skimage.__file__).parent / "data" / "astronaut.png").read_bytes())
        form = write_consent_scan(root / "consent-form.png")
        start = scenario.start_utc - timedelta(minutes=5)
        case_id = cases.open_case(
            investigator,
            [photo],
            form,
            "the (synthetic) patient",
            datetime.now(UTC).isoformat(),
            start.isoformat(),
            (start + timedelta(minutes=15)).isoformat(),
            label="demo",
            diagnosis_ref="DEMO-LAB-0001",
        ).case_id
        say(f"case {case_id} is pending: a second person must approve it before any trace")
        cases.approve_case(
            supervisor, case_id, "demo: lab-confirmed case, consent form and window checked"
        )
        say(f"supervisor {lead.user} approved case {case_id}; tracing")

        t = time.perf_counter()
        [out] = traces.trace(investigator, [case_id], policy.name)
        timings["trace"] = time.perf_counter() - t
        _, result = traces.saved_run(investigator, case_id, out.trace_id)

        say("writing the case report (PDF and HTML: route, site map, contacts)")
        report_pdf = root / "demo-report.pdf"
        report_html = root / "demo-report.html"
        for path, fmt in ((report_pdf, "pdf"), (report_html, "html")):
            path.write_bytes(reports.report(investigator, case_id, out.trace_id, fmt).content)

    truth = scenario_truth(scenario)
    comparison = compare(result, truth, policy)
    timings["total"] = time.perf_counter() - t0
    return DemoResult(root, report_html, report_pdf, result, comparison, timings)
