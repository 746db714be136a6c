"""Users and cases through the CLI: roles, the consent gate, reference faces."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from tests.cases import DIAGNOSIS_REF, write_consent
from tests.ingest.conftest import Env, new_env


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Env, Env, Path]:
    root = tmp_path_factory.mktemp("cases")
    admin = new_env(root)
    inv = admin.json("users", "add", "dr-kim", "--role", "investigator")
    # The keys, plus "expires" (null: the token never expires).
    assert set(inv) == {"user", "role", "token", "expires"} and inv["role"] == "investigator"
    assert inv["expires"] is None
    consent = write_consent(root / "consent.pdf")
    return admin, Env(admin.home, inv["token"]), consent


def _open(env: Env, consent: Path | None, photo: Path, *extra: str) -> list[str]:
    args = ["case", "open", "--patient-photo", str(photo)]
    if consent is not None:
        args += ["--consent-file", str(consent)]
    return [
        *args,
        "--consent-given-by",
        "the patient",
        "--consent-date",
        "2026-11-20",
        "--diagnosis-ref",
        DIAGNOSIS_REF,
        "--from",
        "2026-11-19T00:00:00Z",
        "--to",
        "2026-11-21T00:00:00Z",
        *extra,
    ]


def _cases(env: Env) -> list[tuple[str, str]]:
    with sqlite3.connect(env.home / "cctrace.db") as conn:
        return list(conn.execute("SELECT id, consent_sha256 FROM cases"))


def test_investigator_opens_a_case_and_only_the_form_hash_is_kept(
    setup: tuple[Env, Env, Path], astronaut_path: Path
) -> None:
    _, inv, consent = setup
    out = inv.json(*_open(inv, consent, astronaut_path, "--label", "TB-2026-001"))
    assert out["case_id"].startswith("case-")
    import hashlib

    stored = dict(_cases(inv))
    assert stored[out["case_id"]] == hashlib.sha256(consent.read_bytes()).hexdigest()
    # the form's content is nowhere in the database file
    assert b"Consent to contact tracing" not in (inv.home / "cctrace.db").read_bytes()


@pytest.mark.parametrize("problem", ["missing", "empty", "absent-file", "directory"])
def test_no_consent_no_case(
    setup: tuple[Env, Env, Path], astronaut_path: Path, tmp_path: Path, problem: str
) -> None:
    _, inv, _ = setup
    before = _cases(inv)
    consent: Path | None = None
    if problem == "empty":
        consent = tmp_path / "consent.pdf"
        consent.write_bytes(b"")
    elif problem == "absent-file":
        consent = tmp_path / "nope.pdf"
    elif problem == "directory":
        consent = tmp_path
    result = inv.cli(*_open(inv, consent, astronaut_path), "--json", check=False)
    assert result.returncode == 2, result.stderr
    assert "consent" in result.stderr
    assert result.stdout == ""
    assert _cases(inv) == before


def test_photo_without_a_face_exits_3_naming_it(
    setup: tuple[Env, Env, Path], tmp_path: Path
) -> None:
    _, inv, consent = setup
    wall = tmp_path / "wall.jpg"
    cv2.imwrite(str(wall), np.full((200, 200, 3), 90, np.uint8))
    before = _cases(inv)
    result = inv.cli(*_open(inv, consent, wall), check=False)
    assert result.returncode == 3
    assert "wall.jpg" in result.stderr
    assert _cases(inv) == before


@pytest.mark.parametrize(
    ("who", "args", "right"),
    [
        ("admin", ["case-open"], "open a case"),
        ("investigator", ["users", "add", "eve", "--role", "admin"], "manage users"),
        ("investigator", ["cameras", "add", "x", "--name", "X"], "manage cameras"),
        ("investigator", ["index", "stats"], "read the index"),
    ],
)
def test_roles_refuse_with_exit_4_naming_the_right(
    setup: tuple[Env, Env, Path], astronaut_path: Path, who: str, args: list[str], right: str
) -> None:
    admin, inv, consent = setup
    env = admin if who == "admin" else inv
    if args == ["case-open"]:
        args = _open(env, consent, astronaut_path)
    result = env.cli(*args, check=False)
    assert result.returncode == 4, result.stderr
    assert right in result.stderr


def test_case_window_must_be_ordered(setup: tuple[Env, Env, Path], astronaut_path: Path) -> None:
    _, inv, consent = setup
    args = _open(inv, consent, astronaut_path)
    args[args.index("--from") + 1], args[args.index("--to") + 1] = (
        args[args.index("--to") + 1],
        args[args.index("--from") + 1],
    )
    result = inv.cli(*args, check=False)
    assert result.returncode == 2 and "must be after" in result.stderr


def test_revoked_token_stops_working_at_once(tmp_path: Path) -> None:
    admin = new_env(tmp_path)
    temp = Env(admin.home, admin.json("users", "add", "temp", "--role", "investigator")["token"])
    assert temp.cli("cameras", "list", check=False).returncode == 0
    out = admin.json("users", "revoke", "temp")
    assert out["user"] == "temp"
    result = temp.cli("cameras", "list", check=False)
    assert result.returncode == 4 and "revoked" in result.stderr
    missing = admin.cli("users", "revoke", "nobody", check=False)
    assert missing.returncode == 2 and "nobody" in missing.stderr
    # only an admin revokes
    other = Env(admin.home, admin.json("users", "add", "inv", "--role", "investigator")["token"])
    assert other.cli("users", "revoke", "inv", check=False).returncode == 4


def test_a_token_can_be_made_to_expire(tmp_path: Path) -> None:
    admin = new_env(tmp_path)
    out = admin.json("users", "add", "short", "--role", "investigator", "--expires-in-days", "3e-5")
    assert out["expires"] is not None and out["expires"].endswith("+00:00")
    short = Env(admin.home, out["token"])
    time.sleep(3.0)  # 3e-5 days is 2.6 s
    result = short.cli("cameras", "list", check=False)
    assert result.returncode == 4 and "expired" in result.stderr
    lasting = admin.json("users", "add", "long", "--role", "auditor", "--expires-in-days", "30")
    assert Env(admin.home, lasting["token"]).cli("audit", "verify", check=False).returncode == 0
    for bad in ("0", "-1", "nan", "4000"):
        r = admin.cli(
            "users", "add", f"x{bad}", "--role", "auditor", "--expires-in-days", bad, check=False
        )
        assert r.returncode == 2 and "--expires-in-days" in r.stderr
    with sqlite3.connect(admin.home / "cctrace.db") as conn:
        outcomes = [
            o for (o,) in conn.execute("SELECT outcome FROM audit WHERE action = 'add_user'")
        ]
    assert outcomes[0].startswith("created, expires ") and len(outcomes) == 2
