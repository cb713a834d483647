"""POST|GET /api/payments, GET /api/payments/{id}, .../proposal, .../allocate and
POST /api/allocations/{id}/undo."""

import datetime as dt
from decimal import Decimal as D

import pytest
from freezegun import freeze_time

from encaisse.customers.services import create_customer
from encaisse.ledger.periods import close_fiscal_year, open_fiscal_year
from encaisse.receivables.models import Allocation, Payment
from encaisse.receivables.selectors import InvoiceStatus, installments_as_of, invoice_status
from encaisse.receivables.services.allocation import allocate
from encaisse.sales.services import create_invoice
from tests.conftest import issue_on_day

from ..conftest import CUSTOMER
from .conftest import assert_error

TODAY = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def frozen_today():
    with freeze_time("2026-03-10 10:00:00"):
        yield


@pytest.fixture
def invoices(invoice_of):
    """Hours at 65.00 HT + 20 % = 78.00 TTC, 30 days net:
    I1 5 Jan, 10 h = 780.00 due 4 Feb; I2 10 Feb, 5 h = 390.00 due 12 Mar."""
    return invoice_of(10, dt.date(2026, 1, 5)), invoice_of(5, dt.date(2026, 2, 10))


@pytest.fixture
def foreign_invoice(other_company, other_admin):
    """An issued invoice of the other company, to its own customer."""
    buyer = create_customer(other_company, CUSTOMER, by=other_admin)
    line = {
        "description": "Réglage",
        "item_kind": "service",
        "quantity": "1",
        "unit_price": "100",
        "vat_rate": "20",
    }
    draft = create_invoice(other_company, customer=buyer, lines=[line], by=other_admin)
    return issue_on_day(draft, by=other_admin, on=dt.date(2026, 3, 1))


def open_amount(invoice) -> D:
    return sum(
        installments_as_of(invoice.company, TODAY)
        .filter(invoice=invoice)
        .values_list("open_amount", flat=True)
    )


def record(api, customer, amount="1000.00", **extra):
    body = {
        "customer": customer.pk,
        "amount": amount,
        "date": "2026-03-02",
        "method": "transfer",
        **extra,
    }
    response = api.post("/api/payments", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_record_then_allocate_by_hand(api, customer, invoices):
    i1, i2 = invoices
    body = record(api, customer, reference="VIR BOULANGERIE DUPONT")
    assert body["number"] == "RG2026-00001"
    assert (body["customer"], body["date"], body["method"]) == (
        customer.pk,
        "2026-03-02",
        "transfer",
    )
    assert (body["amount"], body["allocated"], body["unallocated"]) == (
        "1000.00",
        "0.00",
        "1000.00",
    )
    assert body["payer"] == customer.legal_name  # defaults to the customer's name
    assert body["allocations"] == [] and body["settled_on"] is None

    response = api.post(
        f"/api/payments/{body['id']}/allocate",
        {
            "items": [
                {"invoice": i1.pk, "amount": "780.00"},
                {"installment": i2.installments.get().pk, "amount": 150.5},
            ],
            "allocated_on": "2026-03-05",
        },
    )
    assert response.status_code == 200, response.content
    paid = response.json()
    # 1000.00 − 780.00 − 150.50 = 69.50 left as the customer's credit
    assert (paid["allocated"], paid["unallocated"]) == ("930.50", "69.50")
    assert [
        (a["invoice"], a["invoice_number"], a["amount"], a["allocated_on"], a["active"])
        for a in paid["allocations"]
    ] == [
        (i1.pk, i1.number, "780.00", "2026-03-05", True),
        (i2.pk, i2.number, "150.50", "2026-03-05", True),
    ]
    assert invoice_status(i1, TODAY) == InvoiceStatus.PAID
    assert open_amount(i2) == D("239.50")  # 390.00 − 150.50
    assert api.get(f"/api/payments/{body['id']}").json() == paid


def test_proposal_then_allocate_it(api, customer, invoices):
    i1, i2 = invoices
    payment = record(api, customer, amount="500.00", reference=f"Facture {i2.number}")
    proposal = api.get(f"/api/payments/{payment['id']}/proposal")
    assert proposal.status_code == 200, proposal.content
    # I2 named in the reference first (390.00), then the oldest, I1, gets the rest: 110.00
    assert proposal.json() == {
        "payment": payment["id"],
        "available": "500.00",
        "items": [
            {
                "installment": i2.installments.get().pk,
                "invoice": i2.pk,
                "invoice_number": i2.number,
                "due_date": "2026-03-12",
                "open_amount": "390.00",
                "amount": "390.00",
                "reason": "référence",
            },
            {
                "installment": i1.installments.get().pk,
                "invoice": i1.pk,
                "invoice_number": i1.number,
                "due_date": "2026-02-04",
                "open_amount": "780.00",
                "amount": "110.00",
                "reason": "plus ancienne",
            },
        ],
    }
    # No items: the proposal is applied.
    paid = api.post(f"/api/payments/{payment['id']}/allocate", {}).json()
    assert [(a["invoice"], a["amount"]) for a in paid["allocations"]] == [
        (i2.pk, "390.00"),
        (i1.pk, "110.00"),
    ]
    assert (paid["unallocated"], paid["settled_on"]) == ("0.00", "2026-03-10")
    assert open_amount(i1) == D("670.00") and open_amount(i2) == D("0.00")


def test_nothing_to_propose_is_a_422(api, customer):
    payment = record(api, customer)
    assert api.get(f"/api/payments/{payment['id']}/proposal").json()["items"] == []
    assert_error(
        api.post(f"/api/payments/{payment['id']}/allocate"), 422, "nothing_to_allocate", "items"
    )


@pytest.mark.parametrize(
    "amount, which",
    [
        ("600.00", 0),  # the payment holds 500.00
        ("400.00", 1),  # I2 owes 390.00
    ],
)
def test_over_allocation_is_refused_and_changes_nothing(
    api, customer, invoices, unchanged, amount, which
):
    payment = record(api, customer, amount="500.00")
    with unchanged():
        response = api.post(
            f"/api/payments/{payment['id']}/allocate",
            {"items": [{"invoice": invoices[which].pk, "amount": amount}]},
        )
        body = assert_error(response, 422, "over_allocation", "items")
    assert "dépasse" in body["message"] or "n'a plus que" in body["message"]
    assert not Allocation.objects.exists()
    assert api.get(f"/api/payments/{payment['id']}").json()["unallocated"] == "500.00"


def test_over_allocation_split_over_two_items_is_refused(api, customer, invoices, unchanged):
    payment = record(api, customer, amount="500.00")
    with unchanged():
        response = api.post(
            f"/api/payments/{payment['id']}/allocate",
            {
                "items": [
                    {"invoice": invoices[0].pk, "amount": "300"},
                    {"invoice": invoices[1].pk, "amount": "200.01"},
                ]
            },
        )
        assert_error(response, 422, "over_allocation", "items")


def test_another_companys_customer_is_404(api, other_company, other_admin, unchanged):
    stranger = create_customer(other_company, {"legal_name": "Client Étranger SA"}, by=other_admin)
    with unchanged():
        response = api.post(
            "/api/payments",
            {"customer": stranger.pk, "amount": "10", "method": "cheque"},
        )
        assert_error(response, 404, "not_found")


def test_allocating_to_another_companys_invoice_is_404(api, customer, foreign_invoice, unchanged):
    payment = record(api, customer)
    with unchanged():
        for item in (
            {"invoice": foreign_invoice.pk, "amount": "10"},
            {"installment": foreign_invoice.installments.get().pk, "amount": "10"},
        ):
            response = api.post(f"/api/payments/{payment['id']}/allocate", {"items": [item]})
            assert_error(response, 404, "not_found")


def test_another_companys_payment_is_404(other_api, api, customer, invoices, unchanged):
    payment = record(api, customer)
    allocation = api.post(
        f"/api/payments/{payment['id']}/allocate",
        {"items": [{"invoice": invoices[0].pk, "amount": "10"}]},
    ).json()["allocations"][0]
    with unchanged():
        for response in (
            other_api.get(f"/api/payments/{payment['id']}"),
            other_api.get(f"/api/payments/{payment['id']}/proposal"),
            other_api.post(f"/api/payments/{payment['id']}/allocate", {}),
            other_api.post(f"/api/allocations/{allocation['id']}/undo", {"reason": "x"}),
        ):
            assert_error(response, 404, "not_found")
    assert other_api.get("/api/payments").json()["count"] == 0


def test_read_only_role_cannot_record_nor_allocate(reader_api, api, customer, invoices, unchanged):
    payment = record(api, customer)
    with unchanged():
        response = reader_api.post(
            "/api/payments", {"customer": customer.pk, "amount": "10", "method": "cash"}
        )
        assert_error(response, 403, "forbidden")
        response = reader_api.post(
            f"/api/payments/{payment['id']}/allocate",
            {"items": [{"invoice": invoices[0].pk, "amount": "10"}]},
        )
        assert_error(response, 403, "forbidden")
    # ... but may read them
    assert reader_api.get(f"/api/payments/{payment['id']}").status_code == 200


def test_undo_an_allocation(api, customer, invoices, unchanged):
    i1, _ = invoices
    payment = record(api, customer, amount="500.00")
    paid = api.post(
        f"/api/payments/{payment['id']}/allocate",
        {"items": [{"invoice": i1.pk, "amount": "500"}], "allocated_on": "2026-03-03"},
    ).json()
    allocation_id = paid["allocations"][0]["id"]
    with unchanged():
        assert_error(
            api.post(f"/api/allocations/{allocation_id}/undo", {}), 422, "invalid_request", "reason"
        )
        assert_error(
            api.post(f"/api/allocations/{allocation_id}/undo", {"reason": "  "}),
            422,
            "required",
            "reason",
        )
        assert_error(
            api.post(
                f"/api/allocations/{allocation_id}/undo",
                {"reason": "Erreur", "undone_on": "2026-03-02"},
            ),
            422,
            "undo_before_allocation",
            "undone_on",
        )
    response = api.post(
        f"/api/allocations/{allocation_id}/undo", {"reason": "Règlement d'un autre dossier"}
    )
    assert response.status_code == 200, response.content
    undone = response.json()
    assert (undone["active"], undone["undone_on"], undone["undo_reason"]) == (
        False,
        "2026-03-10",
        "Règlement d'un autre dossier",
    )
    assert (undone["invoice"], undone["payment"], undone["amount"]) == (
        i1.pk,
        payment["id"],
        "500.00",
    )
    after = api.get(f"/api/payments/{payment['id']}").json()
    assert (after["allocated"], after["unallocated"]) == ("0.00", "500.00")
    assert after["allocations"][0]["active"] is False  # the trace stays
    assert open_amount(i1) == D("780.00")
    with unchanged():
        assert_error(
            api.post(f"/api/allocations/{allocation_id}/undo", {"reason": "Encore"}),
            409,
            "already_undone",
        )


@pytest.mark.parametrize(
    "change, status, code, field",
    [
        ({"amount": "-5"}, 422, "negative", "amount"),
        ({"amount": "0"}, 422, "zero_amount", "amount"),
        ({"amount": "12.345"}, 422, None, "amount"),
        ({"amount": True}, 422, "invalid_request", "amount"),
        ({"method": "bitcoin"}, 422, "invalid_request", "method"),
        ({"date": "2026-03-11"}, 422, "future_date", "date"),
        ({"date": "10/03/2026"}, 422, "invalid_request", "date"),
        ({"customer": None}, 422, "invalid_request", "customer"),
        ({"customer": 10**30}, 422, "invalid_request", "customer"),
        ({"bank_account": "FR76 0000"}, 422, None, "bank_account"),
        ({"color": "blue"}, 422, "invalid_request", "color"),
    ],
)
def test_record_refusals_change_nothing(api, customer, unchanged, change, status, code, field):
    body = {"customer": customer.pk, "amount": "10.00", "method": "cheque", **change}
    with unchanged():
        response = api.post("/api/payments", body)
        assert response.status_code == status, response.content
        assert response.json()["field"] == field
        if code:
            assert response.json()["code"] == code


def test_record_in_a_closed_year_is_refused(api, customer, company, admin, unchanged):
    year = open_fiscal_year(company, dt.date(2025, 1, 1), dt.date(2025, 12, 31), by=admin)
    close_fiscal_year(year, by=admin)
    with unchanged():
        response = api.post(
            "/api/payments",
            {"customer": customer.pk, "amount": "10", "method": "cheque", "date": "2025-12-15"},
        )
        assert_error(response, 422, "closed_period", "date")


@pytest.mark.parametrize(
    "items, code, field",
    [
        ([{"amount": "10"}], "installment_or_invoice", "items.1"),
        (
            [{"invoice": "I1", "installment": "I1", "amount": "10"}],
            "installment_or_invoice",
            "items.1",
        ),
        ([{"invoice": "DRAFT", "amount": "10"}], "choose_installment", "items.1.invoice"),
        ([{"invoice": "I1", "amount": "0"}], "zero_amount", "items.1.amount"),
        ([{"invoice": "I1", "amount": "abc"}], None, "items.1.amount"),
        ([{"invoice": "I1"}], "invalid_request", "items.1.amount"),
        ([], "nothing_to_allocate", "items"),
    ],
)
def test_allocate_refusals_change_nothing(
    api, customer, invoices, make_invoice, unchanged, items, code, field
):
    ids = {"I1": invoices[0].pk, "DRAFT": make_invoice().pk}
    for item in items:
        for key in ("invoice", "installment"):
            if key in item:
                item[key] = (
                    ids[item[key]] if key == "invoice" else invoices[0].installments.get().pk
                )
    payment = record(api, customer)
    with unchanged():
        response = api.post(f"/api/payments/{payment['id']}/allocate", {"items": items})
        assert response.status_code == 422, response.content
        assert response.json().get("field") == field
        if code:
            assert response.json()["code"] == code


def test_allocation_before_the_payment_is_refused(api, customer, invoices, unchanged):
    payment = record(api, customer)  # received 2 March
    with unchanged():
        response = api.post(
            f"/api/payments/{payment['id']}/allocate",
            {"items": [{"invoice": invoices[0].pk, "amount": "10"}], "allocated_on": "2026-03-01"},
        )
        assert_error(response, 422, "allocation_before_items", "allocated_on")


@pytest.fixture
def three_payments(company, customer, admin, pay, invoices):
    """P1 1 Feb 100.00 fully allocated to I1; P2 1 Mar 200.00 open; P3 5 Mar 50.00 from
    another customer."""
    other = create_customer(company, {"legal_name": "Pâtisserie Martin"}, by=admin)
    p1 = pay("100.00", dt.date(2026, 2, 1), reference="CHQ 1")
    allocate(p1, [(invoices[0].installments.get(), "100")], by=admin, on=dt.date(2026, 2, 1))
    p2 = pay("200.00", dt.date(2026, 3, 1), reference="VIR 2")
    p3 = pay("50.00", dt.date(2026, 3, 5), cust=other, method="cheque")
    return p1, p2, p3


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, [2, 1, 0]),
        ({"customer": "CUSTOMER"}, [1, 0]),
        ({"unallocated": "true"}, [2, 1]),
        ({"unallocated": "false"}, [0]),
        ({"date_from": "2026-03-01"}, [2, 1]),
        ({"date_to": "2026-02-28"}, [0]),
        ({"method": "cheque"}, [2]),
        ({"reference": "vir"}, [1]),
        ({"limit": 2}, [2, 1]),
        ({"limit": 2, "offset": 2}, [0]),
    ],
)
def test_list_filters_and_pages(api, customer, three_payments, params, expected):
    params = {k: customer.pk if v == "CUSTOMER" else v for k, v in params.items()}
    response = api.get("/api/payments", params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [item["id"] for item in body["items"]] == [three_payments[i].pk for i in expected]
    if "limit" in params:
        assert body["count"] == 3


def test_list_shows_what_is_left(api, three_payments):
    items = {i["id"]: i for i in api.get("/api/payments").json()["items"]}
    p1, p2, _ = three_payments
    assert (items[p1.pk]["allocated"], items[p1.pk]["unallocated"]) == ("100.00", "0.00")
    assert items[p1.pk]["settled_on"] == "2026-02-01"
    assert (items[p2.pk]["allocated"], items[p2.pk]["unallocated"]) == ("0.00", "200.00")


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"date_from": "x"}, {"unallocated": "peut-être"}]
)
def test_bad_list_filters_are_422(api, params):
    assert_error(api.get("/api/payments", params), 422, "invalid_request")


def test_payment_count_is_unchanged_by_reads(api, customer, three_payments):
    before = Payment.objects.count()
    api.get(f"/api/payments/{three_payments[1].pk}/proposal")
    assert Payment.objects.count() == before == 3


def test_list_and_detail_run_a_fixed_number_of_queries(
    api, customer, invoices, pay, admin, django_assert_max_num_queries
):
    for day in range(1, 6):
        payment = pay("10.00", dt.date(2026, 3, day))
        allocate(payment, [(invoices[0].installments.get(), "4")], by=admin)
        allocate(payment, [(invoices[1].installments.get(), "3")], by=admin)
    api.get("/api/payments")  # warm-up: the token's last use is written once a minute
    # token + membership, count, page (allocated sums as subqueries)
    with django_assert_max_num_queries(4):
        body = api.get("/api/payments").json()
    assert body["count"] == 5 and all(item["unallocated"] == "3.00" for item in body["items"])
    # token + membership, payment, its allocations with their invoices
    with django_assert_max_num_queries(4):
        detail = api.get(f"/api/payments/{payment.pk}").json()
    assert [a["amount"] for a in detail["allocations"]] == ["4.00", "3.00"]
