"""The whole flow over HTTP alone: users, a calibrated camera, footage uploaded and indexed
by a job, a consented case, a trace (saved), its report in every format, an evidence job
and its files, the case closed (its summary counts the traces), the audit chain verified.

And the CLI and the API give identical JSON for the same trace run.

The footage is a rendered camera of the demo town (the astronaut, our patient, walks up to
Grace Hopper at the café): five seconds, zoomed in so that faces are large enough to
index. The jobs run in a real worker process, as under `cctrace serve`.

The flow runs on SQLite and on PostgreSQL (the ``backend`` fixture): the server, its job
workers and the CLI all find the database through the data folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cctrace.cli import app as cli_app
from cctrace.schemas import TraceOut
from cctrace.store.home import init_home
from tests.api.conftest import CONSENT, bearer, case_form, error_of, make_app
from tests.api.test_jobs import poll
from tests.backends import Backend
from tests.cafe import CAMERA, cafe_camera_body, cafe_clip
from tests.cases import DIAGNOSIS_REF
from tests.security.conftest import cheap_argon2


@dataclass(frozen=True)
class Flow:
    client: TestClient
    home: Path
    root: Path
    admin: str
    investigator: str
    auditor: str
    start: datetime
    ingest_job: dict[str, Any]
    case_id: str
    trace: dict[str, Any]

    def inv(self) -> dict[str, str]:
        return bearer(self.investigator)

    def case(self, path: str = "") -> str:
        return f"/api/v1/cases/{self.case_id}{path}"


@pytest.fixture(scope="module")
def flow(
    tmp_path_factory: pytest.TempPathFactory, astronaut_jpeg: bytes, backend: Backend
) -> Iterator[Flow]:
    root = tmp_path_factory.mktemp(f"flow-{backend.name}")
    url = backend.new_database_url()
    video = root / "footage" / "cafe.mp4"
    clip = cafe_clip()
    clip.write(video)
    start = clip.start_utc
    with cheap_argon2():
        admin = init_home(root / "home", env={}, database_url=url).admin_token
        assert admin is not None
        app = make_app(root / "home", run_jobs=True)
        with TestClient(app) as client:
            h = bearer(admin)
            tokens = {}
            for name, role in (
                ("dr-kim", "investigator"),
                ("lead-park", "supervisor"),
                ("aud", "auditor"),
            ):
                r = client.post("/api/v1/users", headers=h, json={"name": name, "role": role})
                assert r.status_code == 201, r.text
                assert r.json()["user"] == name and r.json()["role"] == role
                tokens[role] = r.json()["token"]
            body = cafe_camera_body()
            r = client.post("/api/v1/cameras", headers=h, json=body)
            assert r.status_code == 201, r.text
            assert r.json()["id"] == CAMERA and r.json()["calibrated"] is True
            listed = client.get("/api/v1/cameras", headers=h).json()["cameras"]
            assert [c["id"] for c in listed] == [CAMERA]
            r = client.post(
                "/api/v1/footage",
                headers=h,
                data={"camera_id": CAMERA, "start": start.isoformat()},
                files={"file": ("cafe.mp4", video.read_bytes(), "video/mp4")},
            )
            assert r.status_code == 202, r.text
            ingest_job = poll(client, r.json()["job_id"], admin)
            assert ingest_job["state"] == "done", ingest_job
            day = start.date().isoformat()
            data, files = case_form(astronaut_jpeg, day=day, label="flow-test")
            r = client.post(
                "/api/v1/cases", headers=bearer(tokens["investigator"]), data=data, files=files
            )
            assert r.status_code == 201, r.text
            case_id = r.json()["case_id"]
            r = client.post(
                f"/api/v1/cases/{case_id}/approve",
                headers=bearer(tokens["supervisor"]),
                json={"reason": "lab-confirmed, window fits"},
            )
            assert r.json() == {"case_id": case_id, "status": "approved"}, r.text
            r = client.post(
                f"/api/v1/cases/{case_id}/traces",
                headers=bearer(tokens["investigator"]),
                json={"policy": "kdca-2022"},
            )
            assert r.status_code == 201, r.text
            yield Flow(
                client,
                root / "home",
                root,
                admin,
                tokens["investigator"],
                tokens["auditor"],
                start,
                ingest_job,
                case_id,
                r.json(),
            )
    backend.drop(url)


def test_the_ingest_job_answers_the_cli_ingest_json(flow: Flow) -> None:
    job = flow.ingest_job
    assert job["kind"] == "ingest" and job["progress"] == 1.0 and job["error"] is None
    (video,) = job["result"]["videos"]
    assert video["path"] == "cafe.mp4" and video["outcome"] == "ingested"
    assert video["start"] == flow.start.isoformat()
    assert video["sightings_added"] > 0
    # The upload is kept where the index says, readable by the server's user only.
    for folder in (flow.home / "footage", flow.home / "uploads"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    (kept,) = (flow.home / "footage").glob("job-*/cafe.mp4")
    assert kept.stat().st_mode & 0o777 == 0o600
    assert list((flow.home / "uploads" / "requests").iterdir()) == []
    stats = flow.client.get("/api/v1/index/stats", headers=bearer(flow.admin)).json()
    assert stats["videos"] == 1 and stats["sightings"] == video["sightings_total"]
    assert stats["faces"] > 0


def test_the_trace_finds_the_patient_and_is_saved(flow: Flow) -> None:
    t = flow.trace
    assert t["case_id"] == flow.case_id and t["trace_id"].startswith("trace-")
    assert t["route"] and {s["camera_id"] for s in t["route"]} == {CAMERA}
    runs = flow.client.get(flow.case("/traces"), headers=flow.inv()).json()["traces"]
    first = runs[0]
    assert first["trace_id"] == t["trace_id"] and first["policy"] == "kdca-2022"
    assert (first["stays"], first["contacts"]) == (len(t["route"]), len(t["contacts"]))
    saved = flow.client.get(flow.case(f"/traces/{t['trace_id']}"), headers=flow.inv())
    assert saved.status_code == 200
    assert saved.json() == t  # the saved run answers exactly what the trace answered
    case = flow.client.get(flow.case(), headers=flow.inv()).json()
    assert case["status"] == "approved" and case["label"] == "flow-test"
    assert case["consent_given_by"] == "the patient" and case["summary"] is None


def test_cli_and_api_give_identical_json_for_one_trace_run(flow: Flow, tmp_path: Path) -> None:
    env = {"CCTRACE_HOME": str(flow.home), "CCTRACE_TOKEN": flow.investigator}
    cli = CliRunner().invoke(cli_app, ["trace", flow.case_id, "--json"], env=env)
    assert cli.exit_code == 0, cli.stderr
    by_cli = json.loads(cli.stdout)
    api = flow.client.get(flow.case(f"/traces/{by_cli['trace_id']}"), headers=flow.inv())
    assert api.status_code == 200
    assert api.json() == by_cli
    # Byte for byte too, once both are written the same way (the CLI indents).
    assert api.content.decode() == TraceOut.model_validate(by_cli).model_dump_json()
    # The CLI's JSON report of the API's run is the API's answer too.
    out = tmp_path / "run.json"
    made = CliRunner().invoke(
        cli_app,
        [
            "report",
            flow.case_id,
            "--trace",
            flow.trace["trace_id"],
            "--format",
            "json",
            "--out",
            str(out),
        ],
        env=env,
    )
    assert made.exit_code == 0, made.stderr
    assert json.loads(out.read_text()) == flow.trace


@pytest.mark.parametrize(
    ("fmt", "media", "suffix"),
    [
        ("pdf", "application/pdf", ".pdf"),
        ("html", "text/html", ".html"),
        ("csv", "text/csv", "-contacts.csv"),
        ("json", "application/json", ".json"),
    ],
)
def test_the_report_in_every_format(flow: Flow, fmt: str, media: str, suffix: str) -> None:
    tid = flow.trace["trace_id"]
    r = flow.client.get(flow.case(f"/traces/{tid}/report?format={fmt}"), headers=flow.inv())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media)
    disposition = r.headers["content-disposition"]
    name = re.fullmatch(r'attachment; filename="([^"]+)"', disposition)
    assert name is not None and name.group(1) == f"cctrace-{flow.case_id}-{tid}{suffix}"
    assert "flow-test" not in disposition and "patient" not in disposition
    if fmt == "pdf":
        assert r.content.startswith(b"%PDF")
    if fmt == "json":
        assert r.json() == flow.trace
    if fmt == "html":
        # The consent record as the case holds it, diagnosis reference included.
        assert CAMERA in r.text and DIAGNOSIS_REF in r.text


def test_a_csv_report_of_the_route(flow: Flow) -> None:
    tid = flow.trace["trace_id"]
    r = flow.client.get(
        flow.case(f"/traces/{tid}/report?format=csv&table=route"), headers=flow.inv()
    )
    assert r.status_code == 200 and CAMERA in r.text
    assert r.headers["content-disposition"].endswith('-route.csv"')


def test_evidence_job_files_and_no_way_out_of_the_export(flow: Flow) -> None:
    body = {"trace_id": flow.trace["trace_id"]}
    r = flow.client.post(flow.case("/evidence"), headers=flow.inv(), json=body)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    job = poll(flow.client, job_id, flow.investigator)
    assert job["state"] == "done", job["error"]
    result = job["result"]
    assert result["case_id"] == flow.case_id and result["trace_id"] == flow.trace["trace_id"]
    assert result["frames"] > 0 and result["files"]
    export = result["export_id"]
    base = flow.case(f"/evidence/{export}")
    for name in result["files"][:3]:
        f = flow.client.get(f"{base}/{name}", headers=flow.inv())
        assert f.status_code == 200, f.text
        assert f.headers["content-type"] in ("image/jpeg", "video/mp4")
        assert len(f.content) > 100
    manifest = flow.client.get(f"{base}/manifest.json", headers=flow.inv())
    assert manifest.status_code == 200 and manifest.json()["export_id"] == export
    # Only what the manifest lists; nothing else, no way up.
    (Path(result["out"]) / "notes.txt").write_text("not part of the export")
    for name in ("notes.txt", "..%2F..%2Fcctrace.db", "%2E%2E", "..", "../../../cctrace.db"):
        r = flow.client.get(f"{base}/{name}", headers=flow.inv())
        # 404, or 405 where the client folded ".." into another route's path.
        assert r.status_code in (404, 405), (name, r.status_code)
        assert b"SQLite" not in r.content and b"not part" not in r.content
    # Another user does not see the job, the auditor may not download.
    assert error_of(flow.client.get(f"/api/v1/jobs/{job_id}", headers=bearer(flow.admin)), 404)
    assert error_of(
        flow.client.get(f"{base}/{result['files'][0]}", headers=bearer(flow.auditor)), 403
    )


def test_close_keeps_a_summary_with_the_trace_counts_and_the_audit_verifies(flow: Flow) -> None:
    runs = flow.client.get(flow.case("/traces"), headers=flow.inv()).json()["traces"]
    closed = flow.client.post(flow.case("/close"), headers=flow.inv())
    assert closed.status_code == 200, closed.text
    out = closed.json()
    assert out["status"] == "closed" and out["already_closed"] is False
    summary = out["summary"]
    assert summary["traces"] == len(runs) >= 2
    last = runs[-1]
    assert summary["last_trace"]["trace_id"] == last["trace_id"]
    assert (summary["last_trace"]["stays"], summary["last_trace"]["contacts"]) == (
        last["stays"],
        last["contacts"],
    )
    case = flow.client.get(flow.case(), headers=flow.inv()).json()
    assert case["status"] == "closed" and case["summary"] == summary
    # The results are destroyed, the counts stay.
    gone = flow.client.get(flow.case(f"/traces/{last['trace_id']}"), headers=flow.inv())
    assert error_of(gone, 404)["code"] == "not_found"
    again = flow.client.get(flow.case("/traces"), headers=flow.inv()).json()["traces"]
    assert all(r["result_destroyed"] for r in again)
    aud = bearer(flow.auditor)
    verify = flow.client.get("/api/v1/audit/verify", headers=aud).json()
    assert verify["ok"] is True and verify["first_bad"] is None and verify["entries"] > 10
    log = flow.client.get(f"/api/v1/audit?case_id={flow.case_id}", headers=aud).json()
    actions = [e["action"] for e in log["entries"]]
    for action in (
        "open_case",
        "approve_case",
        "trace",
        "export_report",
        "export_evidence",
        "close_case",
    ):
        assert action in actions, actions
    assert all(e["case_id"] == flow.case_id for e in log["entries"])
    assert CONSENT.decode() not in json.dumps(log)
