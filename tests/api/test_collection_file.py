"""API: GET /api/customers/{id}/collection, the customer's collection file as of a date."""

import datetime as dt

from encaisse.customers.services import add_contact
from encaisse.dunning.calls import log_call
from encaisse.receivables.services.allocation import allocate

from .conftest import ApiClient, assert_error


def test_the_file_as_json(api, company, customer, admin, invoice_of, pay):
    # I1 780.00 issued 3 Mar 2025, due 2 Apr; 280.00 paid 17 Apr: 500.00 open on 31 May.
    # I0 156.00 issued 2 Jan 2025, due 1 Feb, paid 11 Feb: 10 days late, settled.
    i0 = invoice_of(2, dt.date(2025, 1, 2))
    allocate(
        pay("156.00", dt.date(2025, 2, 11)),
        [(i0.installments.get(), "156.00")],
        by=admin,
        on=dt.date(2025, 2, 11),
    )
    i1 = invoice_of(10, dt.date(2025, 3, 3))
    allocate(
        pay("280.00", dt.date(2025, 4, 17)),
        [(i1.installments.get(), "280.00")],
        by=admin,
        on=dt.date(2025, 4, 17),
    )
    contact = add_contact(customer, {"name": "Mme Dupont", "phone": "04 78 00 00 00"}, by=admin)
    log_call(
        company,
        {
            "customer": customer.pk,
            "contact": contact.pk,
            "called_on": dt.date(2025, 5, 5),
            "outcome": "promise",
            "promise_invoices": [i1.pk],
            "promise_amount": "500.00",
            "promised_on": dt.date(2025, 5, 20),
        },
        by=admin,
    )
    response = api.get(f"/api/customers/{customer.pk}/collection", {"as_of": "2025-05-31"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["customer"], body["as_of"], body["balance"], body["overdue"]) == (
        customer.pk,
        "2025-05-31",
        "500.00",
        "500.00",
    )
    assert body["level"] is None and body["excluded"] is False
    assert [c["name"] for c in body["contacts"]] == ["Mme Dupont"]
    (item,) = body["items"]
    # 2 Apr -> 31 May: 28 + 31 = 59 days.
    assert (item["invoice_number"], item["open_amount"], item["days_late"], item["level"]) == (
        i1.number,
        "500.00",
        59,
        None,
    )
    # 3..17 Apr on 780.00 at 13.15 %: 780 × 0.1315 × 15 / 365 = 4.22;
    # 18 Apr..31 May on 500.00: 500 × 0.1315 × 44 / 365 = 7.93; 4.22 + 7.93 = 12.15.
    (row,) = body["penalties"]
    assert (row["penalties"], row["recovery_fee"], row["outstanding"]) == (
        "12.15",
        "40.00",
        "52.15",
    )
    assert body["outstanding_total"] == "52.15"
    assert [(e["date"], e["kind"]) for e in body["timeline"]] == [
        ("2025-05-05", "call"),
        ("2025-05-05", "promise"),
        ("2025-04-17", "payment"),
        ("2025-02-11", "payment"),
    ]
    assert body["timeline"][2]["amount"] == "280.00"
    behaviour = body["behaviour"]
    # Only I0 settled in the 12 months: 10 days late, 1 of 1 = 100 %.
    assert (
        behaviour["settled_count"],
        behaviour["average_days_late"],
        behaviour["late_share_count"],
        behaviour["late_share_amount"],
        behaviour["trend"],
    ) == (1, "10.0", "100.0", "100.0", None)
    assert body["late_cost"] is None  # no financing rate set for the company


def test_another_companys_customer_is_not_found(customer, other_company, make_user, make_key):
    stranger = make_user("autre", other_company)
    api = ApiClient(make_key(stranger, other_company))
    response = api.get(f"/api/customers/{customer.pk}/collection")
    assert_error(response, 404, "not_found")
    assert_error(api.get("/api/customers/99999999/collection"), 404, "not_found")


def test_a_future_date_is_refused(api, customer):
    future = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    response = api.get(f"/api/customers/{customer.pk}/collection", {"as_of": future})
    assert_error(response, 422, "future_date")


def test_today_by_default(api, customer):
    response = api.get(f"/api/customers/{customer.pk}/collection")
    assert response.status_code == 200
    assert response.json()["as_of"] == dt.date.today().isoformat()
