import datetime as dt

import pytest

from encaisse.receivables.services.allocation import allocate
from tests.documents.test_reminder_letters import send_up_to

from .conftest import assert_error

SEP30 = dt.date(2025, 9, 30)


@pytest.fixture
def late_invoice(invoice_of, pay, admin):
    """100 h × 78.00 = 7 800,00 € TTC issued 15 Apr 2025, due 15 May, paid 30 Sep 2025."""
    invoice = invoice_of(100, dt.date(2025, 4, 15))
    payment = pay("7800.00", SEP30)
    allocate(payment, [(invoice.installments.get(), "7800.00")], by=admin, on=SEP30)
    return invoice


def test_penalty_table_as_json(api, late_invoice):
    response = api.get(f"/api/invoices/{late_invoice.pk}/penalties", {"as_of": "2025-10-15"})
    assert response.status_code == 200, response.content
    body = response.json()
    # 16 May–30 Jun, 46 days at 13.15 %: 7 800 × 0.1315 × 46 / 365 = 47 182.2 / 365 = 129.27
    # 1 Jul–30 Sep, 92 days at 12.15 %: 7 800 × 0.1215 × 92 / 365 = 87 188.4 / 365 = 238.87
    assert [
        (p["from"], p["to"], p["days"], p["base"], p["rate"], p["amount"]) for p in body["periods"]
    ] == [
        ("2025-05-16", "2025-06-30", 46, "7800.00", "13.15", "129.27"),
        ("2025-07-01", "2025-09-30", 92, "7800.00", "12.15", "238.87"),
    ]
    assert "BCE" in body["periods"][0]["source"]
    # 129.27 + 238.87 = 368.14; + 40.00 = 408.14
    assert (body["penalties"], body["recovery_fee"], body["total"]) == (
        "368.14",
        "40.00",
        "408.14",
    )
    assert (body["as_of"], body["day_count"]) == ("2025-10-15", 365)


def test_another_companys_invoice_is_404(other_api, late_invoice):
    response = other_api.get(f"/api/invoices/{late_invoice.pk}/penalties")
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("as_of", ["2025-13-01", "demain", "2999-01-01"])
def test_a_bad_as_of_is_422(api, late_invoice, as_of):
    assert (
        api.get(f"/api/invoices/{late_invoice.pk}/penalties", {"as_of": as_of}).status_code == 422
    )


def test_no_known_rate_is_422_with_the_message(api, invoice_of):
    invoice = invoice_of(1, dt.date(2025, 4, 15))  # never paid: runs into H2 2026, no rate
    response = api.get(f"/api/invoices/{invoice.pk}/penalties", {"as_of": "2026-07-02"})
    body = assert_error(response, 422, "unknown_rate")
    assert body["message"] == "Aucun taux BCE connu au 01/07/2026 : complétez la table des taux."


def test_a_draft_is_409(api, make_invoice):
    response = api.get(f"/api/invoices/{make_invoice().pk}/penalties")
    assert_error(response, 409, "not_an_issued_invoice")


def test_matching_late_does_not_change_the_figures(api, invoice_of, pay, admin):
    invoice = invoice_of(100, dt.date(2025, 4, 15))
    payment = pay("7800.00", SEP30)
    allocate(payment, [(invoice.installments.get(), "7800.00")], by=admin, on=dt.date(2025, 10, 14))
    body = api.get(f"/api/invoices/{invoice.pk}/penalties", {"as_of": "2025-10-15"}).json()
    # Received on 30 Sep, matched on 14 Oct: the same 368.14 + 40.00 as test_penalty_table.
    assert (body["regime"], body["penalties"], body["total"]) == ("commercial", "368.14", "408.14")
    assert body["periods"][-1]["to"] == "2025-09-30"


def test_a_consumer_owes_no_penalty_nor_fee_before_a_formal_notice(api, invoice_of, consumer):
    invoice = invoice_of(100, dt.date(2025, 4, 15), cust=consumer)  # 7 800,00 € unpaid
    body = api.get(f"/api/invoices/{invoice.pk}/penalties", {"as_of": "2025-10-15"}).json()
    assert (body["regime"], body["formal_notice_on"], body["periods"]) == ("consumer", None, [])
    assert (body["penalties"], body["recovery_fee"], body["total"]) == ("0.00", "0.00", "0.00")


def test_a_consumer_owes_legal_interest_after_the_formal_notice(
    api, invoice_of, consumer, company, admin
):
    invoice = invoice_of(100, dt.date(2025, 4, 15), cust=consumer)  # 7 800,00 € due 15 May
    send_up_to(company, consumer, admin, 3)  # the formal notice goes on 15 Jul
    body = api.get(f"/api/invoices/{invoice.pk}/penalties", {"as_of": "2025-07-31"}).json()
    # 16–31 Jul, 16 days at 2.76 % (legal interest, H2 2025), 365 days:
    #   7 800 × 0.0276 × 16 / 365 = 3 444.48 / 365 = 9.436… → 9.44; no fee.
    assert [(p["from"], p["to"], p["days"], p["rate"], p["amount"]) for p in body["periods"]] == [
        ("2025-07-16", "2025-07-31", 16, "2.76", "9.44")
    ]
    assert (body["regime"], body["formal_notice_on"], body["day_count"]) == (
        "consumer",
        "2025-07-15",
        365,
    )
    assert (body["penalties"], body["recovery_fee"], body["total"]) == ("9.44", "0.00", "9.44")
