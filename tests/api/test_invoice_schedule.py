"""The schedule through the API: POST and PATCH /api/invoices with `schedule`, the
installments of the issued invoice in its output. Today is frozen at 10 Mar 2026."""

import pytest
from freezegun import freeze_time

from .conftest import assert_error


@pytest.fixture(autouse=True)
def frozen_today():
    with freeze_time("2026-03-10 10:00:00"):
        yield


@pytest.fixture
def payload(customer, service_product):
    """10 h × 65.00 HT + 20 % = 780.00 TTC."""
    return {
        "customer": customer.pk,
        "lines": [{"product": service_product.pk, "quantity": "10"}],
        "schedule": [
            {"days": 0, "percent": "25"},
            {"days": 30, "percent": 25},
            {"due_date": "2026-05-05", "percent": "50"},
        ],
    }


def test_create_issue_and_read_the_schedule(api, payload):
    response = api.post("/api/invoices", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["schedule"] == [
        {"due_date": None, "days": 0, "amount": None, "percent": "25"},
        {"due_date": None, "days": 30, "amount": None, "percent": "25"},
        {"due_date": "2026-05-05", "days": None, "amount": None, "percent": "50"},
    ]
    assert body["installments"] == []
    assert body["due_date"] == "2026-05-05"
    response = api.post(f"/api/invoices/{body['id']}/issue", {"issue_date": "2026-03-09"})
    assert response.status_code == 200, response.content
    issued = response.json()
    # 25 % of 780.00 = 195.00 on 9 Mar and 8 Apr (30 days later); 390.00 on 5 May.
    assert issued["installments"] == [
        {"position": 1, "due_date": "2026-03-09", "amount": "195.00"},
        {"position": 2, "due_date": "2026-04-08", "amount": "195.00"},
        {"position": 3, "due_date": "2026-05-05", "amount": "390.00"},
    ]
    assert issued["schedule"][1] == {
        "due_date": "2026-04-08",
        "days": 30,
        "amount": "195.00",
        "percent": "25",
    }
    assert issued["due_date"] == "2026-05-05"
    assert api.get(f"/api/invoices/{body['id']}").json()["installments"] == issued["installments"]


def test_an_invoice_without_schedule_has_one_installment(api, payload):
    body = api.post("/api/invoices", {**payload, "schedule": []}).json()
    assert body["schedule"] == []
    issued = api.post(f"/api/invoices/{body['id']}/issue").json()
    # 30 days net from 10 Mar.
    assert issued["installments"] == [{"position": 1, "due_date": "2026-04-09", "amount": "780.00"}]


def test_patch_replaces_or_removes_the_schedule(api, payload):
    draft = api.post("/api/invoices", {**payload, "schedule": []}).json()
    url = f"/api/invoices/{draft['id']}"
    rows = [{"days": 0, "amount": "380"}, {"days": 45, "amount": "400.00"}]
    body = api.patch(url, {"schedule": rows}).json()
    assert [r["amount"] for r in body["schedule"]] == ["380.00", "400.00"]
    assert body["due_date"] == "2026-04-24"  # 10 Mar + 45 days
    # Lines sent without a schedule keep it, checked against the new total.
    assert_error(
        api.patch(url, {"lines": [{"product": payload["lines"][0]["product"], "quantity": 11}]}),
        422,
        "schedule_total",
        "schedule.2.amount",
    )
    body = api.patch(url, {"notes": "Acompte à la commande", "schedule": []}).json()
    assert (body["schedule"], body["notes"]) == ([], "Acompte à la commande")


@pytest.mark.parametrize(
    "schedule,code,field",
    [
        ([{"days": 0, "amount": "780.00"}], "schedule_too_short", "schedule"),
        (
            [{"days": 0, "amount": "390"}, {"days": 61, "amount": "390"}],
            "terms_exceed_legal_cap",
            "schedule.2.days",
        ),
        (
            [{"days": 0, "amount": "390"}, {"days": 30, "amount": "390.01"}],
            "schedule_total",
            "schedule.2.amount",
        ),
    ],
)
def test_refusals_name_the_row_and_change_nothing(api, payload, unchanged, schedule, code, field):
    with unchanged():
        assert_error(api.post("/api/invoices", {**payload, "schedule": schedule}), 422, code, field)


def test_patch_refuses_an_issued_invoice_and_a_read_only_user(api, reader_api, payload, unchanged):
    draft = api.post("/api/invoices", payload).json()
    with unchanged():
        assert_error(
            reader_api.patch(f"/api/invoices/{draft['id']}", {"schedule": []}), 403, "forbidden"
        )
    api.post(f"/api/invoices/{draft['id']}/issue")
    with unchanged():
        assert_error(
            api.patch(f"/api/invoices/{draft['id']}", {"schedule": []}), 409, "document_issued"
        )


def test_patch_of_another_company_is_404(other_api, api, payload):
    draft = api.post("/api/invoices", payload).json()
    assert_error(other_api.patch(f"/api/invoices/{draft['id']}", {"notes": "x"}), 404, "not_found")
