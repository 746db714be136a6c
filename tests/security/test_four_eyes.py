"""Issue 16 through the CLI, from the issue's text: a second person approves every case
before it is traced; windows fit an infection; consent is a checkable document with a
diagnosis reference, and can be withdrawn; cases left open are closed by the purge; the
auditor's report.

Every refusal exits with the issue's code (4 refused, 2 bad input), names what is
missing, writes nothing but its audit entry.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cctrace.store.home import Home
from cctrace.store.repository import Store
from tests.cases import DIAGNOSIS_REF, write_consent
from tests.security.conftest import OTHER_INVESTIGATOR, Result, SecEnv, cheap_argon2, make_env

pytestmark = pytest.mark.security

SUPERVISOR = "lead-park"
# The owner dr-kim's second account, as a supervisor: the same name but for case, so the
# same person (`cctrace.store.users.person_of`).
OWNERS_SECOND_ACCOUNT = "Dr-Kim"
DAY = "2026-11-20"


@pytest.fixture(scope="module")
def four(tmp_path_factory: pytest.TempPathFactory) -> SecEnv:
    env = make_env(tmp_path_factory.mktemp("four-eyes"))
    with cheap_argon2(), Store.open(Home.at(env.home, env={})) as store:
        env.users[OWNERS_SECOND_ACCOUNT] = store.create_user(
            OWNERS_SECOND_ACCOUNT, "supervisor"
        ).token
    write_consent(env.scratch / "consent.pdf")
    return env


def _open_args(env: SecEnv, photo: Path | str, *extra: str, **fields: str) -> list[str]:
    values = {
        "--consent-file": str(env.scratch / "consent.pdf"),
        "--consent-given-by": "the patient",
        "--consent-date": DAY,
        "--diagnosis-ref": DIAGNOSIS_REF,
        "--from": f"{DAY}T00:00:00Z",
        "--to": f"{DAY}T23:59:00Z",
        **{f"--{k.replace('_', '-')}": v for k, v in fields.items()},
    }
    args = ["case", "open", "--patient-photo", str(photo)]
    for flag, value in values.items():
        if value:
            args += [flag, value]
    return [*args, *extra]


def _open(env: SecEnv, photo: Path, owner: str = "investigator", **fields: str) -> str:
    r = env.run(*_open_args(env, photo, "--json", **fields), token=env.token_of(owner))
    assert r.exit_code == 0, r.stderr
    case_id: str = json.loads(r.stdout)["case_id"]
    return case_id


def _as(env: SecEnv, who: str, *argv: str) -> Result:
    return env.run(*argv, token=env.token_of(who))


def _status(env: SecEnv, case_id: str) -> tuple[str, str | None]:
    with sqlite3.connect(env.home / "cctrace.db") as conn:
        row = conn.execute("SELECT status, closed_reason FROM cases WHERE id = ?", (case_id,))
        status, reason = row.fetchone()
    return status, reason


def _references(env: SecEnv, case_id: str) -> int:
    with sqlite3.connect(env.home / "cctrace.db") as conn:
        q = "SELECT count(*) FROM case_references WHERE case_id = ?"
        return int(conn.execute(q, (case_id,)).fetchone()[0])


# -- 1. four eyes -------------------------------------------------------------------------


def test_a_new_case_is_pending_and_nothing_searches_it_until_a_supervisor_approves(
    four: SecEnv, astronaut_path: Path, tmp_path: Path
) -> None:
    case_id = _open(four, astronaut_path)
    assert _status(four, case_id) == ("pending", None)
    for argv in (
        ["trace", case_id],
        ["evidence", case_id, "--out", str(tmp_path / "ev")],
        ["report", case_id, "--out", str(tmp_path / "r.pdf")],
    ):
        before = four.audit_rows()
        with four.unchanged():
            r = _as(four, "investigator", *argv)
        assert r.exit_code == 4, (argv, r.exit_code, r.stderr)
        assert "approval" in r.stderr and case_id in r.stderr and r.stdout == ""
        assert ("refused: not approved", case_id) in [
            (row[4], row[3]) for row in four.audit_rows()[len(before) :]
        ]
    assert not (tmp_path / "ev").exists() and not (tmp_path / "r.pdf").exists()

    r = _as(four, SUPERVISOR, "case", "approve", case_id, "--reason", "lab-confirmed", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == {"case_id": case_id, "status": "approved"}
    assert (SUPERVISOR, "supervisor", "approve_case", case_id, "approved") in four.audit_rows()
    # Approved: the trace runs (no footage here, so an empty route), never refused.
    assert _as(four, "investigator", "trace", case_id).exit_code == 0


def test_the_owner_never_approves_their_own_case_even_through_a_second_account(
    four: SecEnv, astronaut_path: Path
) -> None:
    case_id = _open(four, astronaut_path)
    for verb in ("approve", "reject"):
        before = four.audit_rows()
        with four.unchanged():
            r = _as(four, OWNERS_SECOND_ACCOUNT, "case", verb, case_id, "--reason", "mine")
        assert r.exit_code == 4, r.stderr
        assert "another person" in r.stderr and case_id in r.stderr
        assert (
            OWNERS_SECOND_ACCOUNT,
            "supervisor",
            "review_case",
            case_id,
            "refused: own case",
        ) in (four.audit_rows()[len(before) :])
    assert _status(four, case_id) == ("pending", None)


def test_a_decision_needs_a_reason_and_a_pending_case(four: SecEnv, astronaut_path: Path) -> None:
    case_id = _open(four, astronaut_path)
    with four.unchanged():
        r = _as(four, SUPERVISOR, "case", "approve", case_id, "--reason", "  ")
    assert r.exit_code == 2 and "reason" in r.stderr
    unknown = _as(four, SUPERVISOR, "case", "approve", "case-ffffffffffff", "--reason", "x")
    assert unknown.exit_code != 0 and "case-ffffffffffff" in unknown.stderr
    assert (
        _as(four, SUPERVISOR, "case", "reject", case_id, "--reason", "window too wide").exit_code
        == 0
    )
    again = _as(four, SUPERVISOR, "case", "approve", case_id, "--reason", "changed my mind")
    assert again.exit_code == 2 and "rejected" in again.stderr and "not pending" in again.stderr


def test_a_rejected_case_is_never_traced_and_its_reference_faces_are_gone(
    four: SecEnv, astronaut_path: Path
) -> None:
    case_id = _open(four, astronaut_path)
    assert _references(four, case_id) == 1
    r = _as(four, SUPERVISOR, "case", "reject", case_id, "--reason", "no diagnosis", "--json")
    assert json.loads(r.stdout) == {"case_id": case_id, "status": "rejected"}
    assert _references(four, case_id) == 0
    refused = _as(four, "investigator", "trace", case_id)
    assert refused.exit_code == 4 and "rejected" in refused.stderr
    assert (SUPERVISOR, "supervisor", "reject_case", case_id, "rejected") in four.audit_rows()


def test_a_supervisor_sees_no_face_route_or_footage(four: SecEnv, astronaut_path: Path) -> None:
    case_id = _open(four, astronaut_path)
    for argv in (["trace", case_id], ["case", "show", case_id], ["cameras", "list"]):
        with four.unchanged():
            r = _as(four, SUPERVISOR, *argv)
        assert r.exit_code == 4 and "role supervisor" in r.stderr, (argv, r.stderr)


def test_case_list_investigators_see_their_own_supervisors_every_case(
    four: SecEnv, astronaut_path: Path
) -> None:
    mine = _open(four, astronaut_path)
    theirs = _open(four, astronaut_path, owner=OTHER_INVESTIGATOR)
    own = json.loads(_as(four, "investigator", "case", "list", "--json").stdout)["cases"]
    assert mine in {c["case_id"] for c in own} and theirs not in {c["case_id"] for c in own}
    r = _as(four, SUPERVISOR, "case", "list", "--status", "pending", "--json")
    listed = {c["case_id"]: c for c in json.loads(r.stdout)["cases"]}
    assert {mine, theirs} <= set(listed)
    assert all(c["status"] == "pending" for c in listed.values())
    assert listed[theirs]["owner"] == OTHER_INVESTIGATOR
    assert listed[mine]["diagnosis_ref"] == DIAGNOSIS_REF
    assert listed[mine]["window_from"].startswith(DAY)
    assert listed[mine]["consent_given_by"] == "the patient"
    # metadata only: nothing of a face
    assert not any("embedding" in k or "photo" in k for k in listed[mine])
    bad = _as(four, SUPERVISOR, "case", "list", "--status", "open")
    assert bad.exit_code == 2 and "pending" in bad.stderr


# -- 2. windows that fit an infection ---------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"from": "2026-11-01T00:00:00Z", "to": "2026-11-20T00:00:00Z"}, "max_case_window_days"),
        ({"from": "2000-01-01", "to": "2030-01-01"}, "--to"),
        (
            {
                "from": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
                "to": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
            },
            "after the case is opened",
        ),
    ],
    ids=["19 days", "the issue's 30 years", "ends tomorrow"],
)
def test_a_window_that_does_not_fit_an_infection_is_refused(
    four: SecEnv, tmp_path: Path, fields: dict[str, str], named: str
) -> None:
    # The window is checked before the photo is read: a missing photo is never reached.
    argv = _open_args(four, tmp_path / "no-photo.jpg", **fields)
    with four.unchanged():
        r = _as(four, "investigator", *argv)
    assert r.exit_code == 2 and named in r.stderr, r.stderr
    assert "no-photo.jpg" not in r.stderr


def test_the_window_limit_is_an_audited_admin_setting(four: SecEnv, tmp_path: Path) -> None:
    wide = {"from": "2026-11-01T00:00:00Z", "to": "2026-11-20T00:00:00Z"}
    try:
        r = four.run("limits", "set", "--max-case-window-days", "21", "--json")
        assert r.exit_code == 0, r.stderr
        assert json.loads(r.stdout)["max_case_window_days"] == 21
        assert any(row[2] == "set_limit" and row[4] == "set" for row in four.audit_rows()[-2:]), (
            four.audit_rows()[-2:]
        )
        # 19 days now pass the window check and reach the photo (missing: exit 2 naming it)
        r = _as(four, "investigator", *_open_args(four, tmp_path / "no-photo.jpg", **wide))
        assert r.exit_code == 2 and "no-photo.jpg" in r.stderr
        bad = four.run("limits", "set", "--max-case-window-days", "0")
        assert bad.exit_code == 2 and "max_case_window_days" in bad.stderr
    finally:
        assert four.run("limits", "set", "--max-case-window-days", "14").exit_code == 0


def test_a_case_without_a_region_searches_at_most_max_case_cameras(
    four: SecEnv, tmp_path: Path
) -> None:
    photo = tmp_path / "no-photo.jpg"
    try:
        assert four.run("limits", "set", "--max-case-cameras", "1").exit_code == 0
        assert (
            four.run(
                "cameras", "add", "gate", "--name", "Gate", "--x-m", "5", "--y-m", "5"
            ).exit_code
            == 0
        )
        with four.unchanged():
            r = _as(four, "investigator", *_open_args(four, photo))
        assert r.exit_code == 2 and "--site or --cameras" in r.stderr, r.stderr
        r = _as(four, "investigator", *_open_args(four, photo, site="clinic"))
        assert r.exit_code == 2 and "no-photo.jpg" in r.stderr  # past the region check
    finally:
        assert four.run("limits", "set", "--max-case-cameras", "500").exit_code == 0


# -- 3. consent that can be checked and withdrawn -----------------------------------------


def test_the_diagnosis_reference_is_required_and_kept(four: SecEnv, astronaut_path: Path) -> None:
    with four.unchanged():
        r = _as(four, "investigator", *_open_args(four, astronaut_path, diagnosis_ref=""))
    assert r.exit_code == 2 and "diagnosis reference is empty" in r.stderr
    case_id = _open(four, astronaut_path, diagnosis_ref="KDCA-2026-11-0042")
    shown = json.loads(_as(four, "investigator", "case", "show", case_id, "--json").stdout)
    assert shown["diagnosis_ref"] == "KDCA-2026-11-0042"


def test_a_withdrawal_closes_the_case_as_close_does_and_is_recorded(
    four: SecEnv, astronaut_path: Path
) -> None:
    by_owner = _open(four, astronaut_path)
    by_lead = _open(four, astronaut_path)
    assert _as(four, SUPERVISOR, "case", "approve", by_lead, "--reason", "ok").exit_code == 0
    refused = _as(four, OTHER_INVESTIGATOR, "case", "withdraw", by_owner, "--reason", "x")
    assert refused.exit_code == 4 and "another investigator" in refused.stderr
    for who, case_id in (("investigator", by_owner), (SUPERVISOR, by_lead)):
        r = _as(four, who, "case", "withdraw", case_id, "--reason", "patient withdrew", "--json")
        assert r.exit_code == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["status"] == "closed" and out["closed_reason"] == "withdrawn"
        assert out["references_destroyed"] == 1
        assert _status(four, case_id) == ("closed", "withdrawn")
        assert _references(four, case_id) == 0
        rows = [r for r in four.audit_rows() if r[3] == case_id]
        assert ("withdraw_case", "withdrawn") in [(r[2], r[4]) for r in rows]
        assert any(r[2] == "close_case" and r[4].startswith("withdrawn:") for r in rows)
    traced = _as(four, "investigator", "trace", by_lead)
    assert traced.exit_code == 2 and "closed" in traced.stderr


def test_the_daily_purge_closes_cases_left_open_past_the_limit(
    four: SecEnv, astronaut_path: Path
) -> None:
    old = _open(four, astronaut_path)
    fresh = _open(four, astronaut_path)
    with sqlite3.connect(four.home / "cctrace.db") as conn:
        # Opened 31 days ago (the default limit is 30 days).
        ago = (datetime.now(UTC) - timedelta(days=31)).strftime("%Y-%m-%d %H:%M:%S.%f")
        conn.execute("UPDATE cases SET created_at = ? WHERE id = ?", (ago, old))
    dry = json.loads(four.run("purge", "--dry-run", "--json").stdout)
    assert old in dry["cases_closed"] and fresh not in dry["cases_closed"]
    assert _status(four, old)[0] == "pending"
    out = json.loads(four.run("purge", "--json").stdout)
    assert old in out["cases_closed"] and fresh not in out["cases_closed"]
    assert _status(four, old) == ("closed", "expired") and _references(four, old) == 0
    assert _status(four, fresh) == ("pending", None)
    assert ("admin", "admin", "expire_case", old, "expired") in four.audit_rows()
    # The auditor's report flags it (and says how long it stayed open).
    report = json.loads(_as(four, "auditor", "audit", "report", "--json").stdout)
    flags = [f for f in report["flags"] if f["kind"] == "open_past_limit"]
    assert any(f["case_id"] == old and f["investigator"] == "dr-kim" for f in flags), flags


# -- 4. oversight -------------------------------------------------------------------------


def test_the_audit_report_counts_what_each_investigator_did(
    tmp_path: Path, astronaut_path: Path
) -> None:
    env = make_env(tmp_path)
    write_consent(env.scratch / "consent.pdf")
    approved = _open(env, astronaut_path)
    rejected = _open(env, astronaut_path)
    _open(env, astronaut_path, owner=OTHER_INVESTIGATOR)
    assert _as(env, SUPERVISOR, "case", "approve", approved, "--reason", "ok").exit_code == 0
    assert _as(env, SUPERVISOR, "case", "reject", rejected, "--reason", "no").exit_code == 0
    assert _as(env, "investigator", "trace", approved).exit_code == 0
    assert _as(env, "investigator", "case", "close", approved).exit_code == 0
    r = _as(env, "auditor", "audit", "report", "--json")
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    by = {a["investigator"]: a for a in report["investigators"]}
    kim = by["dr-kim"]
    assert (kim["opened"], kim["approved"], kim["rejected"], kim["traced"], kim["closed"]) == (
        2,
        1,
        1,
        1,
        1,
    )
    assert by[OTHER_INVESTIGATOR]["opened"] == 1 and by[OTHER_INVESTIGATOR]["approved"] == 0
    case = next(c for c in kim["cases"] if c["case_id"] == approved)
    assert case["hours_to_decision"] is not None and case["hours_to_closure"] is not None
    assert case["window_days"] == pytest.approx(23.98 / 24, abs=0.01)
    assert case["region"] == "every camera"
    assert report["flags"] == []
    # A period with no case opened in it: nobody listed.
    empty = json.loads(
        _as(
            env,
            "auditor",
            "audit",
            "report",
            "--from",
            "2020-01-01",
            "--to",
            "2020-02-01",
            "--json",
        ).stdout
    )
    assert empty["investigators"] == []
    # The human table names the flags section even when empty (no Python literals shown).
    text = _as(env, "auditor", "audit", "report").stdout
    assert "no outliers flagged" in text and "None" not in text
