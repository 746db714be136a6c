"""Tokens: wrong, malformed, missing, expired, revoked, and another investigator's.

Each goes through `python -m cctrace` (the real entry point), exits 4, writes nothing but
its audit entry, and says why without telling a guesser which part of a token was right.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cctrace.store.home import Home
from cctrace.store.records import CaseRecord, CaseReference
from cctrace.store.repository import Store
from tests.cases import approve
from tests.security.conftest import OTHER_INVESTIGATOR, SecEnv, cheap_argon2, make_env
from tests.store.conftest import embedding

pytestmark = pytest.mark.security

CASE = "case-00000000aaaa"
T0 = datetime(2026, 11, 20, 10, tzinfo=UTC).timestamp()


@pytest.fixture(scope="module")
def sec(tmp_path_factory: pytest.TempPathFactory) -> SecEnv:
    """The shared folder, plus an expired user, a revoked one, and a case of dr-kim's."""
    env = make_env(tmp_path_factory.mktemp("tokens"))
    with cheap_argon2(), Store.open(Home.at(env.home, env={})) as store:
        past = datetime.now(UTC) - timedelta(hours=1)
        env.users["old"] = store.create_user("old", "investigator", expires_at=past).token
        env.users["gone"] = store.create_user("gone", "investigator").token
        env.users["later"] = store.create_user(
            "later", "investigator", expires_at=datetime.now(UTC) + timedelta(days=1)
        ).token
        owner = store.authenticate(env.token_of("investigator"))
        store.create_case(
            CaseRecord(
                case_id=CASE,
                owner_id=owner.user_id,
                label="TB-1",
                consent_given_by="the patient",
                consent_date=datetime(2026, 11, 20, tzinfo=UTC),
                consent_sha256="c" * 64,
                t_from_s=T0,
                t_to_s=T0 + 3600,
                site="clinic",
                camera_ids=("lobby",),
            ),
            [CaseReference("a" * 64, 0.8, embedding(1))],
        )
        approve(store, CASE)
    assert env.proc("users", "revoke", "gone").returncode == 0
    return env


def _admin_id(sec: SecEnv) -> str:
    return sec.token.split(".", 1)[0]


@pytest.mark.parametrize(
    ("what", "message"),
    [
        ("wrong secret", "not valid"),
        ("unknown user", "not valid"),
        ("malformed", "not valid"),
        ("missing", "needs a token"),
        ("blank", "needs a token"),
        ("expired", "expired"),
        ("revoked", "revoked"),
    ],
)
def test_a_bad_token_is_refused_with_exit_4_and_audited(
    sec: SecEnv, what: str, message: str
) -> None:
    token: str | None = {
        "wrong secret": f"{_admin_id(sec)}.{'A' * 43}",
        "unknown user": f"{'0' * 16}.{sec.token.split('.', 1)[1]}",  # the admin's secret
        "malformed": "not-a-token",
        "missing": None,
        "blank": "   ",
        "expired": sec.token_of("old"),
        "revoked": sec.token_of("gone"),
    }[what]
    before = sec.audit_rows()
    with sec.unchanged():
        # index stats: an admin-only read; the admin's own id or secret must not help
        r = sec.proc("index", "stats", token=token)
    assert r.returncode == 4, r.stderr
    assert message in r.stderr and r.stdout == ""
    assert sec.token.split(".", 1)[1] not in r.stderr
    new = sec.audit_rows()[len(before) :]
    assert new == [("(unknown token)", "-", "read_index", None, "refused: bad token")]


def test_wrong_secret_and_unknown_user_read_the_same(sec: SecEnv) -> None:
    """One message whichever part is wrong: a guesser learns nothing."""
    a = sec.run("cameras", "list", token=f"{_admin_id(sec)}.wrong")
    b = sec.run("cameras", "list", token="0123456789abcdef.wrong")
    assert a.exit_code == b.exit_code == 4 and a.stderr == b.stderr


def test_a_token_before_its_expiry_works(sec: SecEnv) -> None:
    assert sec.run("cameras", "list", token=sec.token_of("later")).exit_code == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["trace", CASE],
        ["case", "close", CASE],
        ["evidence", CASE, "--out", "{tmp}/evidence"],
        ["evidence", CASE, "--out", "{tmp}/evidence", "--unblur", "c-1", "--reason", "court"],
    ],
    ids=["trace", "case close", "evidence", "evidence --unblur"],
)
def test_another_investigators_case_is_refused_and_audited(
    sec: SecEnv, tmp_path: Path, argv: list[str]
) -> None:
    """Investigators act on their own cases only: exit 4, nothing written, audited."""
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    before = sec.audit_rows()
    with sec.unchanged():
        r = sec.run(*args, token=sec.token_of(OTHER_INVESTIGATOR))
    assert r.exit_code == 4, r.stderr
    assert "another investigator" in r.stderr and CASE in r.stderr
    assert not (tmp_path / "evidence").exists()
    new = sec.audit_rows()[len(before) :]
    assert any(
        actor == OTHER_INVESTIGATOR and case == CASE and outcome.startswith("refused")
        for actor, _, _, case, outcome in new
    ), new
    # the owner still can (exit other than 4: this case has no footage to trace)
    assert sec.run("trace", CASE, token=sec.token_of("investigator")).exit_code != 4
