"""API: /api/disputes (list, open, resolve) and /api/promises (list, record)."""

import datetime as dt

import pytest

from encaisse import clock
from encaisse.collection.models import Dispute, PromiseToPay
from encaisse.companies.models import Role
from encaisse.sales.models import DocumentKind, Invoice

from .conftest import assert_error

MAR2 = dt.date(2026, 3, 2)


@pytest.fixture
def invoice(invoice_of):
    return invoice_of(10, MAR2)  # 780.00 TTC at 20 %


def dispute_body(invoice, owner, **over):
    return {
        "invoice": invoice.pk,
        "amount": "156.00",
        "category": "price",
        "customer_words": "Le tarif négocié était de 52 € HT l'heure.",
        "owner": owner.pk,
        "department": "sales",
        "target_date": "2026-03-20",
        "opened_on": "2026-03-05",
        **over,
    }


def test_open_list_and_resolve_by_credit_note(api, admin, invoice):
    response = api.post("/api/disputes", dispute_body(invoice, admin))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "156.00" and body["status"] == "open"
    assert body["invoice_number"] == invoice.number and body["credit_note"] is None

    listed = api.get("/api/disputes", {"status": "open"}).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
    assert api.get("/api/disputes", {"category": "quality"}).json()["count"] == 0

    with clock.at(dt.date(2026, 3, 10)):  # resolved the day after: its credit note too
        response = api.post(
            f"/api/disputes/{body['id']}/resolve",
            {"outcome": "resolved_credit_note", "resolved_on": "2026-03-09"},
        )
    assert response.status_code == 200, response.content
    resolved = response.json()
    assert resolved["status"] == "resolved_credit_note" and resolved["resolved_on"] == "2026-03-09"
    note = Invoice.objects.get(pk=resolved["credit_note"])
    assert note.kind == DocumentKind.CREDIT_NOTE and str(note.total_incl_vat) == "156.00"

    again = api.post(f"/api/disputes/{body['id']}/resolve", {"outcome": "rejected", "reason": "x"})
    assert_error(again, 409, "already_resolved")


def test_bad_paths_change_nothing(api, admin, invoice, other_company, make_user, unchanged):
    stranger = make_user("etranger", other_company, Role.ADMIN)
    with unchanged():
        assert_error(
            api.post("/api/disputes", dispute_body(invoice, admin, amount="780.01")),
            422,
            "above_open_amount",
            "amount",
        )
        assert_error(
            api.post("/api/disputes", dispute_body(invoice, stranger)),
            422,
            "unknown_owner",
            "owner",
        )
        assert api.post("/api/disputes", dispute_body(invoice, admin, bogus=1)).status_code == 422
    assert not Dispute.objects.exists()
    dispute_id = api.post("/api/disputes", dispute_body(invoice, admin)).json()["id"]
    assert_error(
        api.post(f"/api/disputes/{dispute_id}/resolve", {"outcome": "rejected"}),
        422,
        "reason_required",
        "reason",
    )
    assert Dispute.objects.get().status == "open"


def test_other_company_sees_nothing(api, other_api, admin, invoice):
    dispute_id = api.post("/api/disputes", dispute_body(invoice, admin)).json()["id"]
    assert other_api.get("/api/disputes").json()["count"] == 0
    assert_error(other_api.get(f"/api/disputes/{dispute_id}"), 404, "not_found")
    assert_error(
        other_api.post(
            f"/api/disputes/{dispute_id}/resolve", {"outcome": "rejected", "reason": "x"}
        ),
        404,
        "not_found",
    )
    assert_error(other_api.post("/api/disputes", dispute_body(invoice, admin)), 404, "not_found")


def test_reader_cannot_open(reader_api, admin, invoice):
    assert_error(reader_api.post("/api/disputes", dispute_body(invoice, admin)), 403, "forbidden")


def test_promises_record_and_list_with_status(api, other_api, customer, invoice, pay):
    body = {
        "customer": customer.pk,
        "invoices": [invoice.pk],
        "amount": "300.00",
        "promised_on": "2026-03-10",
        "promised_by": "Mme Dupont",
        "channel": "phone",
        "recorded_on": "2026-03-02",
    }
    response = api.post("/api/promises", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["due_by"] == "2026-03-13" and created["tolerance_days"] == 3
    assert created["invoices"] == [invoice.pk]
    # Nothing paid: on 13 March (10 + 3) pending, from the 14th broken.
    on_13 = api.get("/api/promises", {"as_of": "2026-03-13"}).json()
    assert [p["status"] for p in on_13["items"]] == ["pending"]
    on_14 = api.get("/api/promises", {"as_of": "2026-03-14", "status": "broken"}).json()
    assert on_14["count"] == 1 and on_14["items"][0]["received"] == "0.00"
    pay("300.00", dt.date(2026, 3, 13))
    kept = api.get("/api/promises", {"as_of": "2026-03-14"}).json()["items"][0]
    assert kept["status"] == "kept" and kept["received"] == "300.00"
    assert other_api.get("/api/promises").json()["count"] == 0
    assert_error(other_api.post("/api/promises", body), 404, "not_found")


def test_promise_bad_input(api, customer, invoice):
    body = {
        "customer": customer.pk,
        "invoices": [invoice.pk],
        "amount": "0",
        "promised_on": "2026-03-10",
        "promised_by": "Mme Dupont",
        "channel": "phone",
        "recorded_on": "2026-03-02",
    }
    assert_error(api.post("/api/promises", body), 422, "zero_amount", "amount")
    assert (
        api.post("/api/promises", {**body, "amount": "1", "tolerance_days": 31}).status_code == 422
    )
    assert not PromiseToPay.objects.exists()
