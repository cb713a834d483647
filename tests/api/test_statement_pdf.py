"""GET /api/customers/{id}/statement.pdf: the relevé de compte as PDF, beside the JSON."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from .conftest import assert_error

pytestmark = pytest.mark.django_db

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.fixture
def account(invoice_of, pay):
    """780,00 (10 h × 78,00) issued 1 Oct and 100,00 received 15 Oct, not allocated."""
    invoice = invoice_of(10, dt.date(2026, 10, 1))
    pay("100.00", dt.date(2026, 10, 15))
    return invoice


def test_statement_pdf_at_a_date(api, customer, account):
    response = api.get(f"/api/customers/{customer.pk}/statement.pdf", {"as_of": "2026-11-20"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"releve-compte-{customer.pk}-2026-11-20.pdf" in response["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Relevé de compte au 20/11/2026" in text
    assert account.number in text
    assert f"680,00{NBSP}€" in text  # 780 − 100


def test_json_statement_is_unchanged(api, customer, account):
    response = api.get(f"/api/customers/{customer.pk}/statement", {"as_of": "2026-11-20"})
    assert response.status_code == 200
    assert response.json()["balance"] == "680.00"


def test_future_date_is_refused(api, customer):
    response = api.get(f"/api/customers/{customer.pk}/statement.pdf", {"as_of": "2099-01-01"})
    assert_error(response, 422, "future_date", "as_of")


def test_another_companys_customer_is_404(other_api, customer):
    assert_error(other_api.get(f"/api/customers/{customer.pk}/statement.pdf"), 404, "not_found")


def test_anonymous_is_401(anonymous, customer):
    assert anonymous.get(f"/api/customers/{customer.pk}/statement.pdf").status_code == 401
