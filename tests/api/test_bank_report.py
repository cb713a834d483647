"""GET /api/reports/bank-reconciliation and /api/reports/cash-forecast: the small book of
tests/banking/test_reconciliation_report.py, figures by hand."""

import pytest

from tests.banking import factories_report as bank
from tests.banking.test_reconciliation_report import book as book

from .conftest import assert_error

pytestmark = pytest.mark.django_db
PATH = "/api/reports/bank-reconciliation"


def test_the_report_as_json(api, book):
    body = api.get(PATH, {"account": book["account"].pk, "as_of": "2026-10-31"}).json()
    assert body["book_balance"] == "2070.00"
    assert body["bank"]["amount"] == "1284.00"
    assert body["residual"] == "0.00" and body["residual_note"] == ""
    totals = {s["key"]: (s["count"], s["total"]) for s in body["sections"]}
    assert totals == {
        "cheques": (1, "500.00"),
        "issued": (1, "-80.00"),
        "receipts": (1, "450.00"),
        "debits": (1, "-15.00"),
        "credits": (1, "99.00"),
    }
    slip = body["sections"][0]["items"][0]
    assert slip["kind"] == "slip" and slip["age"] == 16 and slip["amount"] == "500.00"
    assert body["closed_until"] is None


def test_items_are_capped_and_the_totals_kept(api, book):
    body = api.get(PATH, {"account": book["account"].pk, "as_of": "2026-10-31", "limit": 0}).json()
    assert all(s["items"] == [] for s in body["sections"])
    assert body["sections"][2]["total"] == "450.00"


def test_bad_requests(api, book, other_company):
    assert_error(api.get(PATH, {"account": 999999, "as_of": "2026-10-31"}), 404, "not_found")
    theirs = bank.account(other_company)
    assert_error(api.get(PATH, {"account": theirs.pk}), 404, "not_found")
    assert_error(
        api.get(PATH, {"account": book["account"].pk, "as_of": "2099-01-01"}), 422, "future_date"
    )
    assert_error(api.get(PATH, {}), 422, "invalid_request")


def test_the_cash_forecast(api, book):
    body = api.get("/api/reports/cash-forecast").json()
    assert len(body["weeks"]) == 13
    # No invoice in this book; the account: 1 284.00 at the end of October.
    assert body["balance"] == "1284.00"
    assert body["weeks"][-1]["closing"] == "1284.00"
    assert body["alert"] is False and body["threshold"] is None
