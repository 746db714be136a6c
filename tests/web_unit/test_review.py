"""Issue 16 on the web page: a supervisor's queue of pending cases (metadata only), each
approved or rejected with a reason; the auditor's report by investigator."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from cctrace.services.cases import get_case
from tests.cases import DIAGNOSIS_REF
from tests.web_unit.conftest import WebSite, _open_case, page_text, sign_in

SUPERVISOR = "lead-park"


def _pending(site: WebSite, label: str) -> str:
    with site.store() as store:
        return _open_case(store, "dr-kim", site.astronaut_jpeg, site.consent, label)


def _status(site: WebSite, case_id: str) -> str:
    from cctrace.services.auth import Context, Principal

    with site.store() as store:
        owner = next(u for u in store.list_users() if u.name == "dr-kim")
        return get_case(Context(store, Principal(owner, "test")), case_id).status


def _supervisor(site: WebSite) -> tuple[TestClient, str]:
    client = site.client()
    return client, sign_in(client, site.env.token_of(SUPERVISOR))


def test_the_queue_shows_pending_cases_and_approving_needs_a_reason(site: WebSite) -> None:
    case_id = _pending(site, "queue")
    client, csrf = _supervisor(site)
    page = client.get("/review")
    assert page.status_code == 200
    card = re.search(rf'data-case-id="{case_id}".*?</section>', page.text, re.S)
    assert card is not None, page.text[:3000]
    words = page_text(card.group(0))
    assert DIAGNOSIS_REF in words and "dr-kim" in words and "every camera" in words
    assert "None" not in words and "True" not in words
    # Metadata only: no image of anyone on the page.
    assert "<img" not in page.text
    refused = client.post(
        f"/review/{case_id}", data={"csrf_token": csrf, "decision": "approve", "reason": " "}
    )
    assert refused.status_code == 422 and "reason" in page_text(refused.text)
    assert _status(site, case_id) == "pending"
    done = client.post(
        f"/review/{case_id}",
        data={"csrf_token": csrf, "decision": "approve", "reason": "lab report checked"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/review?done={case_id}"
    assert _status(site, case_id) == "approved"
    after = client.get("/review").text
    assert f'data-case-id="{case_id}"' in after  # now among the decided ones
    assert "lab report checked" in after


def test_rejecting_from_the_queue(site: WebSite) -> None:
    case_id = _pending(site, "to reject")
    client, csrf = _supervisor(site)
    r = client.post(
        f"/review/{case_id}",
        data={"csrf_token": csrf, "decision": "reject", "reason": "window does not fit"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert _status(site, case_id) == "rejected"


def test_the_auditors_report_page(site: WebSite) -> None:
    client = site.client()
    sign_in(client, site.env.token_of("auditor"))
    page = client.get("/audit/report")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "dr-kim" in text and "None" not in text
    assert 'data-testid="report-investigators"' in page.text
    bad = client.get("/audit/report?since=yesterday")
    assert bad.status_code == 422
