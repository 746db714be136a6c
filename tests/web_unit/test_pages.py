"""Every page renders for its role: its test hooks, human words only, nothing loaded from
another site, no inline script or style (the CSP forbids them), and the vendored files
match their pinned hashes."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from cctrace.web.assets import VENDOR_DIR, missing_or_altered, sha256_file, vendored_files
from tests.web_unit.conftest import WebSite, page_text, sign_in


def pages(site: WebSite) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Per role: each page and the test hooks it must carry."""
    case = f"/cases/{site.case_id}"
    return {
        "investigator": [
            ("/cases", ("nav-cases", "new-case", "case-row", "logout")),
            (
                "/cases/new",
                (
                    "case-photo",
                    "case-consent",
                    "case-consent-given-by",
                    "case-consent-date",
                    "case-from",
                    "case-to",
                    "case-site",
                    "case-submit",
                ),
            ),
            (
                case,
                (
                    "trace-policy",
                    "trace-button",
                    "route-stay",
                    "site-map",
                    "contact-row",
                    "report-pdf",
                    "report-csv",
                    "close-case",
                ),
            ),
            (f"{case}/close", ("close-case-confirm",)),
        ],
        "admin": [
            ("/admin/cameras", ("camera-row", "camera-calibration", "cameras-file")),
            ("/admin/footage", ("footage-file", "footage-camera", "footage-submit")),
            ("/admin/users", ("user-row", "user-name", "user-add")),
            ("/admin/retention", ("retention-days", "last-purge")),
        ],
        "auditor": [("/audit/log", ("audit-row", "audit-verify"))],
        "ingest": [("/ingest", ("no-pages",))],
    }


RAW_WORDS = re.compile(r"\b(None|True|False|nan|NaN|inf|null|undefined)\b")
ISO_T = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
EXTERNAL = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _check_page(client: TestClient, path: str, hooks: tuple[str, ...]) -> str:
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert r.headers["cache-control"] == "no-store"
    html = str(r.text)
    for hook in hooks:
        assert f'data-testid="{hook}"' in html, (path, hook)
    # Human words only: no Python or JSON literals, no ISO timestamps, in what people read.
    text = page_text(html)
    assert not RAW_WORDS.search(text), (path, RAW_WORDS.findall(text))
    assert not ISO_T.search(text), (path, ISO_T.findall(text))
    # Nothing from another site: every script, style, image, link and form is ours.
    assert not EXTERNAL.search(html), (path, EXTERNAL.findall(html))
    for url in re.findall(r'\s(?:src|href|action|hx-get|hx-post)="([^"]*)"', html):
        assert url.startswith(("/", "#")), (path, url)
    # CSP: no inline script, style or event handler anywhere.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
    assert "<style" not in html and not re.search(r"\sstyle=", html), path
    assert not re.search(r"\son[a-z]+=", html), path
    # Every field has a label.
    fields = r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"'
    for field_id in re.findall(fields, html):
        assert f'for="{field_id}"' in html, (path, field_id)
    return html


@pytest.mark.parametrize("role", ["investigator", "admin", "auditor", "ingest"])
def test_every_page_renders_for_its_role(site: WebSite, role: str) -> None:
    client = site.client()
    sign_in(client, site.env.token_of(role))
    for path, hooks in pages(site)[role]:
        html = _check_page(client, path, hooks)
        for src in re.findall(r'<script src="([^"]+)"', html):
            assert client.get(src).status_code == 200, src


def test_the_case_page_shows_the_route_map_and_contacts_in_words(site: WebSite) -> None:
    client = site.client()
    sign_in(client, site.env.token_of("investigator"))
    html = client.get(f"/cases/{site.case_id}").text
    assert html.count('data-testid="route-stay"') == 3
    assert html.count('data-testid="contact-row"') == 2
    # Sorted by risk: the high-risk contact first, coloured, with its distance.
    first = html.index('data-contact-id="contact-2"')
    assert first < html.index('data-contact-id="contact-1"')
    assert 'class="risk risk-high"' in html and "0.80 m" in html
    assert "1.90 m (approximate)" in html
    # The map's data: site-plan metres of the route's cameras, the stops numbered.
    data = re.search(r"data-map='([^']+)'", html)
    assert data is not None
    assert '"frame": "site"' in data.group(1) and '"stops": [1, 3]' in data.group(1)
    assert "positioned in latitude/longitude" in html  # the gate camera, not on this map
    assert "<svg" in html and "stop 2" in html  # the time bar


def test_viewing_a_case_and_its_trace_is_audited(site: WebSite) -> None:
    client = site.client()
    sign_in(client, site.env.token_of("investigator"))
    before = len(site.env.audit_rows())
    assert client.get(f"/cases/{site.case_id}").status_code == 200
    seen = {(a, c, o) for _, _, a, c, o in site.env.audit_rows()[before:]}
    assert ("view_case", site.case_id, "allowed") in seen
    assert ("view_trace", site.case_id, "viewed") in seen


def test_the_vendored_files_match_their_pinned_hashes(site: WebSite) -> None:
    assert missing_or_altered() == [], "run `make web` (tools/web/vendor.py)"
    files = vendored_files()
    assert {f.dest for f in files} >= {
        "htmx/htmx.min.js",
        "leaflet/leaflet.js",
        "leaflet/leaflet.css",
    }
    client = site.client()
    for f in files:
        assert re.fullmatch(r"[0-9a-f]{64}", f.sha256)
        assert sha256_file(VENDOR_DIR / f.dest) == f.sha256
        r = client.get(f"/static/vendor/{f.dest}")
        assert r.status_code == 200, f.dest
        assert "no-store" not in r.headers.get("cache-control", "")


def test_an_altered_vendored_file_is_named(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    for f in vendored_files():
        (folder / f.dest).parent.mkdir(parents=True, exist_ok=True)
        (folder / f.dest).write_bytes((VENDOR_DIR / f.dest).read_bytes())
    assert missing_or_altered(folder) == []
    (folder / "htmx/htmx.min.js").write_text("alert(1)")
    (folder / "leaflet/leaflet.css").unlink()
    assert missing_or_altered(folder) == [
        "htmx/htmx.min.js differs from its pinned SHA-256",
        "leaflet/leaflet.css is missing",
    ]


def test_unknown_pages_answer_a_page_for_browsers_and_json_for_scripts(site: WebSite) -> None:
    client = site.client()
    page = client.get("/nowhere")
    assert page.status_code == 404 and 'data-testid="error-page"' in page.text
    api = TestClient(site.app).get("/nowhere")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    assert TestClient(site.app).get("/api/v1/health").json()["status"] == "ok"
