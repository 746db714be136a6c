"""What the pages do, through the same services as the API: opening a case (refused, with
the service's message and nothing created, without consent or a face), tracing, reports
as attachments, evidence (its frames and each download audited, jobs with progress),
closing; admins' cameras, footage, users and retention; the auditor's filters and verify.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from cctrace.privacy.exports import new_export_id
from cctrace.services.jobs import run_job
from cctrace.store.home import Home
from cctrace.store.records import CaseExport
from cctrace.store.repository import Store
from tests.api.conftest import make_app, write_video
from tests.cases import DIAGNOSIS_REF, consent_pdf
from tests.security.conftest import cheap_argon2, make_env
from tests.web_unit.conftest import DAY, HTML, WebSite, sign_in

# -- investigator ------------------------------------------------------------------------


def _case_form(
    site: WebSite, csrf: str, *, photo: bytes | None, consent: bytes | None, **fields: str
) -> tuple[dict[str, str], list[tuple[str, tuple[str, bytes, str]]]]:
    data = {
        "csrf_token": csrf,
        "label": "web test",
        "consent_given_by": "the patient",
        "consent_date": DAY,
        "diagnosis_ref": DIAGNOSIS_REF,
        "from": DAY,
        "from_time": "",
        "to": DAY,
        "to_time": "",
        "site": "",
        "cameras": "",
        **fields,
    }
    # A browser sends an empty, nameless part for a file input left empty.
    files = [
        ("patient_photo", ("patient.jpg", photo, "image/jpeg") if photo else ("", b"", "")),
        ("consent_file", ("consent.pdf", consent, "application/pdf") if consent else ("", b"", "")),
    ]
    return data, [(k, v) for k, v in files]


def _case_count(client: TestClient) -> int:
    return int(client.get("/cases").text.count('data-testid="case-row"'))


@pytest.fixture
def investigator(site: WebSite) -> tuple[TestClient, str]:
    client = site.client()
    return client, sign_in(client, site.env.token_of("investigator"))


@pytest.mark.parametrize(
    ("photo", "consent", "message"),
    [
        ("face", None, "no consent"),
        ("face", b"", "no consent"),
        ("blank", consent_pdf(), "no face found"),
        (None, consent_pdf(), "at least one reference photo"),
    ],
    ids=["no consent form", "an empty consent form", "a photo without a face", "no photo"],
)
def test_a_refused_case_shows_the_services_message_and_creates_nothing(
    site: WebSite,
    investigator: tuple[TestClient, str],
    photo: str | None,
    consent: bytes | None,
    message: str,
) -> None:
    client, csrf = investigator
    blank = cv2.imencode(".jpg", np.full((240, 320, 3), 128, np.uint8))[1].tobytes()
    images = {"face": site.astronaut_jpeg.read_bytes(), "blank": blank, None: None}
    before = _case_count(client)
    data, files = _case_form(site, csrf, photo=images[photo], consent=consent)
    r = client.post("/cases/new", data=data, files=files)
    assert r.status_code == 422, r.text[:300]
    error = re.search(r'data-testid="form-error">([^<]*)<', r.text)
    assert error is not None and "Nothing was created" in error.group(1)
    assert message in error.group(1).lower(), error.group(1)
    assert _case_count(client) == before
    assert 'value="the patient"' in r.text  # what was typed is kept


def test_opening_a_case_with_iso_dates_leads_to_its_page(
    site: WebSite, investigator: tuple[TestClient, str]
) -> None:
    client, csrf = investigator
    data, files = _case_form(
        site, csrf, photo=site.astronaut_jpeg.read_bytes(), consent=consent_pdf()
    )
    r = client.post("/cases/new", data=data, files=files, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/cases/case-")
    page = client.get(r.headers["location"]).text
    # A window from a day to the same day is that whole day (UTC).
    assert f"{DAY} 00:00:00 UTC to {DAY} 23:59:59 UTC" in page
    # A new case waits for a supervisor (issue 16) before it can be traced.
    assert 'data-testid="case-pending"' in page and 'data-testid="trace-button"' not in page
    assert list((site.env.home / "uploads" / "requests").iterdir()) == []


def test_reports_download_as_attachments_and_are_audited(
    site: WebSite, investigator: tuple[TestClient, str]
) -> None:
    client, _ = investigator
    base = f"/cases/{site.case_id}/report"
    before = len(site.env.audit_rows())
    for path, media, start in [
        (f"{base}/csv", "text/csv", b"contact id,"),
        (f"{base}/csv?table=route", "text/csv", b"stop,"),
        (f"{base}/json", "application/json", b"{"),
        (f"{base}/pdf", "application/pdf", b"%PDF"),
    ]:
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert r.headers["content-type"].startswith(media)
        disposition = r.headers["content-disposition"]
        assert disposition.startswith("attachment;") and site.case_id in disposition
        assert r.content.startswith(start), (path, r.content[:40])
    exports = [a for _, _, a, _, _ in site.env.audit_rows()[before:] if a == "export_report"]
    assert len(exports) >= 4


def _fake_export(site: WebSite, case_id: str, trace_id: str) -> tuple[str, str]:
    """An evidence export as the job writes it: a redacted frame and its manifest."""
    export_id = new_export_id()
    folder = site.env.home / "exports" / case_id / export_id
    folder.mkdir(parents=True)
    name = "stay-001-cam_lobby-f01.jpg"
    cv2.imwrite(str(folder / name), np.full((48, 64, 3), 90, np.uint8))
    entry = {
        "file": name,
        "kind": "stay",
        "index": 1,
        "camera_id": "lobby",
        "media": "frame",
        "t_start_utc": f"{DAY}T09:00:00+00:00",
        "t_end_utc": f"{DAY}T09:02:00+00:00",
        "frames": 1,
        "blurred_faces": 2,
        "contact_id": None,
        "whole_frame_blurred": False,
    }
    manifest: dict[str, object] = {"case_id": case_id, "export_id": export_id}
    manifest |= {"trace_id": trace_id, "unblurred_contact": None, "files": [entry]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with Store.open(Home.at(site.env.home, env={})) as store:
        store.add_case_export(CaseExport(export_id, case_id, str(folder)))
    return export_id, name


def test_evidence_frames_are_shown_and_each_download_is_audited(
    site: WebSite, investigator: tuple[TestClient, str]
) -> None:
    client, _ = investigator
    export_id, name = _fake_export(site, site.case_id, site.trace_id)
    page = client.get(f"/cases/{site.case_id}").text
    src = f"/cases/{site.case_id}/evidence/{export_id}/{name}"
    assert f'src="{src}"' in page and 'data-testid="evidence-frame"' in page
    assert "Stay 1" in page and "other faces pixelated" in page
    before = len(site.env.audit_rows())
    r = client.get(src)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.headers["content-disposition"].startswith("inline")
    assert site.env.audit_rows()[before:][-1] == (
        "dr-kim",
        "investigator",
        "download_evidence",
        site.case_id,
        "downloaded",
    )
    # Only the files its manifest lists.
    assert client.get(f"/cases/{site.case_id}/evidence/{export_id}/cctrace.db").status_code == 404
    # And never to another investigator.
    other = site.client()
    sign_in(other, site.env.token_of("dr-ng"))
    assert other.get(src).status_code == 403


def test_an_evidence_export_is_a_job_whose_progress_is_polled(
    site: WebSite, investigator: tuple[TestClient, str]
) -> None:
    client, csrf = investigator
    r = client.post(
        f"/cases/{site.case_id}/evidence", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303 and "?job=job-" in r.headers["location"]
    job_id = r.headers["location"].split("job=")[1].split("#")[0]
    page = client.get(r.headers["location"]).text
    progress = re.search(r'<div class="job"[^>]*data-testid="job-progress"[^>]*>', page)
    assert progress is not None
    assert 'data-state="queued"' in progress.group(0)  # no workers in these tests
    assert f'hx-get="/cases/{site.case_id}/jobs/{job_id}"' in progress.group(0)
    assert 'hx-trigger="every 1s"' in progress.group(0)
    part = client.get(
        f"/cases/{site.case_id}/jobs/{job_id}", headers={**HTML, "HX-Request": "true"}
    )
    assert part.status_code == 200 and part.text.lstrip().startswith("{%") is False
    assert "<html" not in part.text and 'data-testid="job-progress"' in part.text
    # htmx gets the fragment straight away.
    r = client.post(
        f"/cases/{site.case_id}/evidence",
        headers={**HTML, "HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert r.status_code == 200 and 'data-testid="job-progress"' in r.text


def test_unblurring_needs_a_reason(site: WebSite, investigator: tuple[TestClient, str]) -> None:
    client, csrf = investigator
    r = client.post(
        f"/cases/{site.case_id}/evidence",
        data={"csrf_token": csrf, "unblur": "contact-2", "reason": "  "},
    )
    assert r.status_code == 422
    assert "needs a reason" in r.text and 'data-testid="form-error"' in r.text
    # From the page's script: the message alone, where the export's progress would show.
    part = client.post(
        f"/cases/{site.case_id}/evidence",
        data={"csrf_token": csrf, "unblur": "contact-2", "reason": ""},
        headers={**HTML, "HX-Request": "true"},
    )
    assert part.status_code == 422 and "<html" not in part.text
    assert part.text.strip().startswith('<p class="form-error"') and "needs a reason" in part.text


def test_a_trace_from_the_page_runs_as_a_job_then_shows_its_results(
    site: WebSite, investigator: tuple[TestClient, str]
) -> None:
    client, csrf = investigator
    hx = {**HTML, "HX-Request": "true"}
    case = f"/cases/{site.other_case_id}"
    r = client.post(f"{case}/trace", data={"csrf_token": csrf, "policy": "who-2020"}, headers=hx)
    assert r.status_code == 200, r.text[:500]
    assert "<html" not in r.text and "Tracing the patient" in r.text
    job = re.search(r'<div class="job"[^>]*data-testid="job-progress"[^>]*>', r.text)
    assert job is not None and 'data-state="queued"' in job.group(0)
    found = re.search(r'data-job-id="([^"]+)"', job.group(0))
    assert found is not None
    poll = f"{case}/jobs/{found.group(1)}"
    assert f'hx-get="{poll}"' in job.group(0)
    # Reloading the page keeps showing the job: its address names it.
    assert r.headers["hx-replace-url"] == f"{case}?job={found.group(1)}"
    # What the server's worker process runs for the job.
    run_job(Home.at(site.env.home, env={}), found.group(1))
    done = client.get(poll, headers=hx)
    assert done.status_code == 200
    finished = re.search(r'<div class="job"[^>]*>', done.text)
    assert finished is not None and 'data-state="done"' in finished.group(0)
    assert "hx-get" not in finished.group(0)  # no more polling
    # The new results replace the page's, out of band.
    assert '<div id="results" class="results" hx-swap-oob="true">' in done.text
    assert "policy who-2020" in done.text
    # Without scripts: the POST leads to the page, which shows the job.
    plain = client.post(
        f"{case}/trace", data={"csrf_token": csrf, "policy": "cdc-2020"}, follow_redirects=False
    )
    assert plain.status_code == 303 and "?job=job-" in plain.headers["location"]
    assert plain.headers["location"].endswith("#trace")
    page = client.get(plain.headers["location"]).text
    shown = re.search(r'<div id="trace-job">(.*?)</div>', page, re.S)
    assert shown is not None and 'data-testid="job-progress"' in shown.group(1)
    with site.store() as store:
        queued = len(store.unfinished_jobs())
    bad = client.post(f"{case}/trace", data={"csrf_token": csrf, "policy": "nope"}, headers=hx)
    assert bad.status_code == 422 and "unknown policy" in bad.text
    assert 'data-testid="form-error"' in bad.text and "<html" not in bad.text
    with site.store() as store:
        assert len(store.unfinished_jobs()) == queued


def test_closing_a_case_says_what_is_destroyed_then_does_it(
    site: WebSite, investigator: tuple[TestClient, str]
) -> None:
    client, csrf = investigator
    case = f"/cases/{site.other_case_id}"
    confirm = client.get(f"{case}/close")
    assert confirm.status_code == 200 and "reference face data" in confirm.text
    assert 'data-testid="close-case-confirm"' in confirm.text
    r = client.post(f"{case}/close", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(case).text
    assert 'data-status="closed"' in page and 'data-testid="case-closed"' in page
    assert 'data-testid="trace-button"' not in page and 'data-testid="report-pdf"' not in page
    assert "Only this summary remains" in page
    # A closed case's confirmation page sends back to the case.
    assert client.get(f"{case}/close", follow_redirects=False).status_code == 303


# -- admin ---------------------------------------------------------------------------------


@pytest.fixture
def admin(site: WebSite) -> tuple[TestClient, str]:
    client = site.client()
    return client, sign_in(client, site.env.token_of("admin"))


CALIBRATION_CSV = "u,v,x_m,y_m\n" + "".join(
    f"{100 + 50 * x},{500 - 40 * y},{x},{y}\n"
    for x, y in [(0, 0), (4, 0), (4, 6), (0, 6), (2, 3), (1, 5)]
)


def test_adding_a_camera_with_a_calibration_shows_its_reprojection_error(
    admin: tuple[TestClient, str],
) -> None:
    client, csrf = admin
    r = client.post(
        "/admin/cameras",
        data={"csrf_token": csrf, "camera_id": "hall", "name": "Hall", "site": "clinic"}
        | {"x_m": "5", "y_m": "7,5", "lat": "", "lon": ""},
        files=[("calibration", ("hall.csv", CALIBRATION_CSV.encode(), "text/csv"))],
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]
    page = client.get(r.headers["location"]).text
    added = re.search(r'data-testid="camera-added">(.*?)</p>', page, re.S)
    assert added is not None and "reprojection error is 0.000 m" in added.group(1)
    assert 'data-camera-id="hall"' in page and "x 5.0 m, y 7.5 m" in page


def test_a_bad_camera_is_refused_with_its_field_and_nothing_added(
    admin: tuple[TestClient, str],
) -> None:
    client, csrf = admin
    bad = "u,v,x_m,y_m\n1,2,0,0\n"
    r = client.post(
        "/admin/cameras",
        data={"csrf_token": csrf, "camera_id": "bad", "name": "Bad", "x_m": "1", "y_m": "x"},
        files=[("calibration", ("bad.csv", bad.encode(), "text/csv"))],
    )
    assert r.status_code == 422 and 'data-testid="form-error"' in r.text
    assert 'data-camera-id="bad"' not in r.text
    assert "bad.csv" in r.text and "upload-" not in r.text  # the client's own file name


def test_importing_a_camera_list(admin: tuple[TestClient, str]) -> None:
    client, csrf = admin
    listing = "id,name,site,x_m,y_m\nimp-1,Imported one,depot,1,2\nimp-2,Imported two,depot,3,4\n"
    r = client.post(
        "/admin/cameras/import",
        data={"csrf_token": csrf},
        files=[("cameras_file", ("cams.csv", listing.encode(), "text/csv"))],
    )
    assert r.status_code == 200 and 'data-testid="cameras-imported"' in r.text
    assert "2 cameras imported" in r.text and 'data-camera-id="imp-2"' in r.text
    # An uploaded list never makes the server read one of its own files.
    sneaky = "id,name,calibration\nimp-3,Sneaky,/etc/passwd.csv\n"
    r = client.post(
        "/admin/cameras/import",
        data={"csrf_token": csrf},
        files=[("cameras_file", ("sneaky.csv", sneaky.encode(), "text/csv"))],
    )
    assert r.status_code == 422 and "cannot name calibration files" in r.text


@pytest.fixture(scope="module")
def tiny_mp4(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_video(tmp_path_factory.mktemp("video") / "tiny.mp4").read_bytes()


def test_uploading_footage_starts_an_ingest_job_with_progress(
    admin: tuple[TestClient, str], tiny_mp4: bytes
) -> None:
    client, csrf = admin
    r = client.post(
        "/admin/footage",
        data={"csrf_token": csrf, "camera_id": "lobby", "start": ""},
        files=[("file", ("lobby.mp4", tiny_mp4, "video/mp4"))],
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/footage?job=job-")
    page = client.get(r.headers["location"]).text
    assert 'data-testid="job-progress"' in page and "Indexing the footage" in page
    refused = client.post(
        "/admin/footage",
        data={"csrf_token": csrf, "camera_id": "nowhere"},
        files=[("file", ("lobby.mp4", tiny_mp4, "video/mp4"))],
    )
    assert refused.status_code == 422 and "unknown camera" in refused.text


def test_a_new_users_token_is_shown_once_and_a_user_can_be_revoked(
    admin: tuple[TestClient, str],
) -> None:
    client, csrf = admin
    r = client.post(
        "/admin/users",
        data={"csrf_token": csrf, "name": "nurse-a", "role": "investigator"},
    )
    token = re.search(r'data-testid="new-token">([^<]+)<', r.text)
    assert token is not None and len(token.group(1)) > 20
    again = client.get("/admin/users").text
    assert token.group(1) not in again and 'data-user="nurse-a"' in again
    twice = client.post(
        "/admin/users", data={"csrf_token": csrf, "name": "nurse-a", "role": "auditor"}
    )
    assert twice.status_code == 422 and "already exists" in twice.text
    r = client.post("/admin/users/nurse-a/revoke", data={"csrf_token": csrf})
    assert r.status_code == 200 and "nurse-a was revoked" in r.text
    row = re.search(r'data-user="nurse-a">(.*?)</tr>', r.text, re.S)
    assert row is not None and "revoked on" in row.group(1)


def test_retention_period_and_purge(admin: tuple[TestClient, str]) -> None:
    client, csrf = admin
    page = client.get("/admin/retention").text
    assert re.search(r'data-testid="retention-days">30 days \(the default\)', page)
    bad = client.post("/admin/retention", data={"csrf_token": csrf, "days": "0"})
    assert bad.status_code == 422 and 'data-testid="form-error"' in bad.text
    ok = client.post("/admin/retention", data={"csrf_token": csrf, "days": "45"})
    assert ok.status_code == 200 and 'data-testid="retention-days">45 days<' in ok.text
    purged = client.post("/admin/retention/purge", data={"csrf_token": csrf})
    assert 'data-testid="purge-result"' in purged.text
    last = re.search(r'data-testid="last-purge">([^<]+)<', purged.text)
    assert last is not None and last.group(1).endswith("UTC")


# -- auditor -------------------------------------------------------------------------------


def test_the_audit_log_filters_and_verifies(site: WebSite) -> None:
    client = site.client()
    csrf = sign_in(client, site.env.token_of("auditor"))
    everything = client.get("/audit/log").text.count('data-testid="audit-row"')
    mine = client.get("/audit/log", params={"actor": "aud"}).text
    rows = re.findall(r'data-testid="audit-row"[^>]*>(.*?)</tr>', mine, re.S)
    assert 0 < len(rows) < everything and all(">aud<" in r for r in rows)
    of_case = client.get("/audit/log", params={"case": site.case_id, "action": "view_case"})
    assert of_case.text.count('data-testid="audit-row"') >= 1
    future = client.get("/audit/log", params={"since": "2999-01-01"}).text
    assert future.count('data-testid="audit-row"') == 0
    wrong = client.get("/audit/log", params={"until": "yesterday"})
    assert wrong.status_code == 422 and 'data-testid="form-error"' in wrong.text
    r = client.post("/audit/verify", data={"csrf_token": csrf})
    assert 'data-testid="audit-verify-result" data-ok="true"' in r.text
    # No face, frame or route anywhere on the auditor's pages.
    assert "<img" not in r.text and "site-map" not in r.text


def test_verify_shows_a_tampered_log(tmp_path: Path) -> None:
    with cheap_argon2():
        env = make_env(tmp_path)
    with TestClient(make_app(env.home), headers=HTML) as client:
        csrf = sign_in(client, env.token_of("auditor"))
        with sqlite3.connect(env.home / "cctrace.db") as db:
            db.execute("UPDATE audit SET actor = 'someone else' WHERE seq = 1")
        r = client.post("/audit/verify", data={"csrf_token": csrf})
        found: Any = re.search(r'data-testid="audit-verify-result" data-ok="(\w+)"', r.text)
        assert found is not None and found.group(1) == "false"
        assert "altered at entry 1" in r.text
