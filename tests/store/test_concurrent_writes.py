"""Writers in several threads (a server's request threads: a page loading six evidence
frames audits six downloads at once) wait their turn; none fails with "database is
locked", and the audit chain stays whole."""

from __future__ import annotations

import threading

from cctrace.store.repository import Store


def test_parallel_audit_entries_all_land_and_chain(store: Store) -> None:
    before = len(store.audit_entries())
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        for i in range(15):
            try:
                store.audit(f"user-{worker}", "investigator", "download_evidence", f"n{i}")
            except BaseException as exc:  # collected: a failure in a thread is silent
                errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.audit_entries()) == before + 6 * 15
    assert store.verify_audit().ok
