"""One way for every test to make a case traceable: a real consent document and a
supervisor's approval, both through the product's own code.

- `consent_pdf()`: a one-page signed consent form, a real PDF (pydyf, the PDF writer
  WeasyPrint uses), small and made in a millisecond; `write_consent` puts it in a file.
- `approve(store_or_home, case_id)`: a supervisor approves the case through
  `cctrace.services.cases.approve_case`, the function the CLI, the API and the web page call
  (its role and four-eyes checks apply); the supervisor account is made on first use, with
  no token, since the token check is tested on its own.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pydyf  # type: ignore[import-untyped]

from cctrace.services.auth import Context, Principal
from cctrace.services.cases import approve_case
from cctrace.store.home import Home
from cctrace.store.repository import Store

DIAGNOSIS_REF = "LAB-2026-0417"
"""A health authority's lab report number, as investigators type it."""
SUPERVISOR = "team-lead"
"""The supervisor account `approve` acts as (another person than every test's owner)."""


@cache
def consent_pdf() -> bytes:
    """A one-page A4 consent form with its text and a signature line, PDF 1.7."""
    pdf = pydyf.PDF()
    font = pydyf.Dictionary({"Type": "/Font", "Subtype": "/Type1", "BaseFont": "/Helvetica"})
    pdf.add_object(font)
    page = pydyf.Stream()
    page.begin_text()
    page.set_font_size("F1", 14)
    page.set_text_matrix(1, 0, 0, 1, 72, 770)
    page.show_text_string("Consent to contact tracing through CCTV footage")
    page.set_text_matrix(1, 0, 0, 1, 72, 700)
    page.show_text_string("Signed: the patient")
    page.end_text()
    page.move_to(72, 690)
    page.line_to(300, 690)
    page.stroke()
    pdf.add_object(page)
    pdf.add_page(
        pydyf.Dictionary(
            {
                "Type": "/Page",
                "Parent": pdf.pages.reference,
                "MediaBox": pydyf.Array([0, 0, 595, 842]),
                "Contents": page.reference,
                "Resources": pydyf.Dictionary({"Font": pydyf.Dictionary({"F1": font.reference})}),
            }
        )
    )
    out = io.BytesIO()
    pdf.write(out)
    return out.getvalue()


def write_consent(path: Path) -> Path:
    """`consent_pdf` written to ``path`` (its folders made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(consent_pdf())
    return path


def supervisor_context(store: Store) -> Context:
    """The supervisor `SUPERVISOR` as a caller of the services (created on first use)."""
    user = next((u for u in store.list_users() if u.name == SUPERVISOR), None)
    if user is None:
        from tests.security.conftest import cheap_argon2

        with cheap_argon2():
            user = store.create_user(SUPERVISOR, "supervisor").user
    return Context(store, Principal(user, "test"))


def approve(where: Store | Path, case_id: str, reason: str = "consent and window checked") -> None:
    """A supervisor approves ``case_id`` (``where``: an open store or a data folder)."""
    if isinstance(where, Store):
        approve_case(supervisor_context(where), case_id, reason)
        return
    with Store.open(Home.at(where, env={})) as store:
        approve_case(supervisor_context(store), case_id, reason)
