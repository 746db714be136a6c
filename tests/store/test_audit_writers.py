"""The audit chain with several writers at once (API workers, the ingestion writer), on
both databases: each entry gets its own number from the database, chains to the one
committed before it, and the anchor names the head after the last one."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from sqlalchemy import create_engine, delete, func, select

from cctrace.store import db
from cctrace.store.home import InitResult
from cctrace.store.models import AuditAnchorRow, AuditRow
from cctrace.store.repository import Store
from tests.backends import Backend

# A separate interpreter appending to the home given as argv[1], argv[3] entries as actor
# argv[2], all started together so that their appends interleave.
APPENDER = """
import sys
from pathlib import Path
from cctrace.store.home import Home
from cctrace.store.repository import Store
with Store.open(Home.at(Path(sys.argv[1]), env={})) as store:
    for i in range(int(sys.argv[3])):
        store.audit(sys.argv[2], "ingest", "add_footage", "allowed", target=f"n{i}")
"""


def _check_chain(store: Store, expected: int) -> None:
    entries = store.audit_entries()
    assert [e.seq for e in entries] == list(range(1, expected + 1))  # none shared, no gap
    assert store.verify_audit().ok


def test_threads_and_processes_append_one_chain(
    store: Store, initialised: InitResult, backend: Backend
) -> None:
    before = len(store.audit_entries())
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, str(store.home.root), f"worker-{p}", "12"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(2)
    ]
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        for i in range(12):
            try:
                store.audit(
                    f"thread-{worker}", "investigator", "view_route", "allowed", None, f"{i}"
                )
            except BaseException as exc:  # collected: a failure in a thread is silent
                errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert errors == []
    _check_chain(store, before + 5 * 12)
    actors = {e.actor for e in store.audit_entries()}
    assert {f"worker-{p}" for p in range(2)} | {f"thread-{w}" for w in range(3)} <= actors
    head = store.audit_entries()[-1]
    if backend.is_postgres:  # the anchor is the database's row, seen by every host
        engine = create_engine(store.home.database_url)
        try:
            with engine.connect() as conn:
                row = conn.execute(select(AuditAnchorRow.seq, AuditAnchorRow.hash)).one()
        finally:
            engine.dispose()
        assert (row.seq, row.hash) == (head.seq, head.hash)
        assert not store.audit_anchor.exists()
    else:
        assert f'"seq": {head.seq}' in store.audit_anchor.read_text()


def test_cutting_off_the_newest_entries_is_caught(store: Store, backend: Backend) -> None:
    for i in range(4):
        store.audit("admin", "admin", "list_cameras", "allowed", target=str(i))
    assert store.verify_audit().ok
    engine = create_engine(store.home.database_url)
    try:
        with engine.begin() as conn:
            last = conn.execute(select(func.max(AuditRow.seq))).scalar_one()
            conn.execute(delete(AuditRow).where(AuditRow.seq == last))
    finally:
        engine.dispose()
    report = store.verify_audit()
    assert not report.ok and report.first_bad == last
    assert "removed" in report.reason
    # The next append does not move the anchor past the gap: the evidence stays.
    store.audit("admin", "admin", "list_cameras", "allowed")
    assert not store.verify_audit().ok


@pytest.mark.postgres_only("the anchor row is PostgreSQL's")
def test_an_upgrade_to_schema_0012_anchors_the_existing_log(store: Store) -> None:
    from alembic import command

    for i in range(3):
        store.audit("admin", "admin", "list_cameras", "allowed", target=str(i))
    store.close()
    engine = db.make_engine(store.home.database_url)
    try:
        config = db._alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0011")
        db.upgrade(engine)
    finally:
        engine.dispose()
    with Store.open(store.home) as again:
        assert again.verify_audit().ok
        again.audit("admin", "admin", "list_cameras", "allowed")
        assert again.verify_audit().ok
