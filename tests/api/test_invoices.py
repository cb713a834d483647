"""GET|POST /api/invoices, GET /api/invoices/{id}, POST .../issue and .../credit-note."""

import datetime as dt
from decimal import Decimal

import pytest
from freezegun import freeze_time

from encaisse.companies.models import Role
from encaisse.sales.models import Invoice

from .conftest import ApiClient, assert_error

TODAY = dt.date(2026, 3, 10)


def raw_invoice(customer, quantity: str, unit_price: str = "1") -> str:
    """A request body with the line's numbers written as JSON numbers, verbatim."""
    return (
        (
            '{"customer": CUSTOMER, "lines": [{"description": "Vis", "item_kind": "goods", '
            '"quantity": QUANTITY, "unit_price": PRICE, "vat_rate": 20}]}'
        )
        .replace("CUSTOMER", str(customer.pk))
        .replace("QUANTITY", quantity)
        .replace("PRICE", unit_price)
    )


@pytest.fixture(autouse=True)
def frozen_today():
    with freeze_time("2026-03-10 10:00:00"):
        yield


@pytest.fixture
def draft_payload(customer, product, service_product):
    return {
        "customer": customer.pk,
        "customer_reference": "BC-778",
        "lines": [
            {"product": product.pk, "quantity": "3"},
            {"product": service_product.pk, "quantity": 1.5, "discount_percent": "10"},
            {
                "description": "Livraison",
                "item_kind": "service",
                "quantity": 1,
                "unit_price": "12.35",
                "vat_rate": 20,
            },
        ],
    }


@pytest.fixture
def issued(make_invoice, product, service_product):
    # 4 × 18.90 = 75.60 at 5.5 % (VAT 4.158 -> 4.16); 2 h × 65.00 = 130.00 at 20 % (26.00)
    # excl. 205.60, VAT 30.16, incl. 235.76
    return make_invoice(
        issue_on=dt.date(2026, 3, 2),
        lines=[
            {"product": product.pk, "quantity": "4"},
            {"product": service_product.pk, "quantity": "2"},
        ],
    )


def test_create_a_draft_with_hand_checked_totals(api, draft_payload, customer, unchanged):
    response = api.post("/api/invoices", draft_payload)
    assert response.status_code == 201, response.content
    body = response.json()
    # flour     3 × 18.90 = 56.70                              at 5.5 %
    # service   1.5 × 65.00 = 97.50, less 10 % (9.75) = 87.75   at 20 %
    # delivery  1 × 12.35 = 12.35                               at 20 %
    # base 20 % = 87.75 + 12.35 = 100.10 -> VAT 20.02 ; base 5.5 % = 56.70 -> VAT 3.1185 -> 3.12
    # excl. 156.80, VAT 23.14, incl. 179.94
    assert body["status"] == "draft" and body["kind"] == "invoice" and body["number"] is None
    assert body["customer"] == customer.pk
    assert body["customer_reference"] == "BC-778"
    assert (body["total_excl_vat"], body["total_vat"], body["total_incl_vat"]) == (
        "156.80",
        "23.14",
        "179.94",
    )
    assert body["vat_breakdown"] == [
        {
            "category": "S",
            "rate": "20.00",
            "base": "100.10",
            "vat": "20.02",
            "exemption_reason": "",
        },
        {"category": "S", "rate": "5.50", "base": "56.70", "vat": "3.12", "exemption_reason": ""},
    ]
    lines = body["lines"]
    assert [line["net_amount"] for line in lines] == ["56.70", "87.75", "12.35"]
    assert lines[1]["quantity"] == "1.5000" and lines[1]["discount_amount"] == "9.75"
    # terms from the company's default (30 days net): due date shown as if issued today
    assert (body["terms_kind"], body["terms_days"], body["due_date"]) == ("net", 30, "2026-04-09")
    invoice = Invoice.objects.get(pk=body["id"])
    assert invoice.total_incl_vat == Decimal("179.94") and invoice.lines.count() == 3


def test_json_numbers_are_never_floats(api, customer):
    """1.005 as a float is 1.00499999…: read as a Decimal it rounds half up to 1.01."""
    raw = raw_invoice(customer, quantity="1", unit_price="1.005")
    body = api.post("/api/invoices", raw=raw).json()
    assert body["lines"][0]["unit_price"] == "1.0050"
    assert body["lines"][0]["net_amount"] == "1.01"
    # 1.01 × 20 % = 0.202 -> 0.20 ; 1.01 + 0.20 = 1.21
    assert body["total_incl_vat"] == "1.21"


def test_a_number_with_more_decimals_than_a_float_keeps_them_and_is_refused(
    api, customer, unchanged
):
    raw = raw_invoice(customer, quantity="0.1000000000000000055511151231257827")
    with unchanged():
        assert_error(
            api.post("/api/invoices", raw=raw), 422, "too_many_decimals", "lines.1.quantity"
        )


@pytest.mark.parametrize(
    ("number", "status", "code"),
    [
        ("1e400", 422, "too_large"),  # a Decimal, not a float overflowing to infinity
        ("-1e-400", 422, "negative"),
        ("1" * 5000, 400, "invalid_json"),  # beyond Python's int parsing limit
        ("NaN", 400, "invalid_json"),
        ("Infinity", 400, "invalid_json"),
    ],
)
def test_huge_or_odd_json_numbers(api, customer, unchanged, number, status, code):
    raw = raw_invoice(customer, quantity=number)
    with unchanged():
        assert_error(api.post("/api/invoices", raw=raw), status, code)


def test_get_an_issued_invoice(api, issued):
    body = api.get(f"/api/invoices/{issued.pk}").json()
    assert body["number"] == "FA2026-00001"
    assert body["status"] == "issued"
    assert (body["issue_date"], body["due_date"]) == ("2026-03-02", "2026-04-01")  # + 30 days
    assert body["total_incl_vat"] == "235.76"
    assert body["credit_notes"] == [] and body["credited_invoice"] is None


def test_list_filters(api, make_invoice, issued, company, admin, customer, product):
    from encaisse.customers.services import create_customer

    other = create_customer(
        company,
        {"legal_name": "Café Rivoli", "kind": "consumer", "billing_city": "Lyon"},
        by=admin,
    )
    draft = make_invoice(cust=other)
    later = make_invoice(issue_on=dt.date(2026, 3, 9))

    def ids(**params):
        response = api.get("/api/invoices", params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert api.get("/api/invoices").json()["count"] == 3
    assert ids() == [draft.pk, later.pk, issued.pk]  # drafts first, then newest first
    assert ids(status="draft") == [draft.pk]
    assert ids(status="issued") == [later.pk, issued.pk]  # newest first
    assert ids(customer=other.pk) == [draft.pk]
    assert ids(issued_from="2026-03-03") == [later.pk]
    assert ids(issued_to="2026-03-02") == [issued.pk]
    assert ids(issued_from="2026-03-01", issued_to="2026-03-31", status="issued") == [
        later.pk,
        issued.pk,
    ]
    assert ids(number="FA2026-00002") == [later.pk]
    assert ids(kind="credit_note") == []
    assert ids(status="issued", limit=1, offset=1) == [issued.pk]
    for params, field in [
        ({"status": "paid"}, "status"),
        ({"kind": "quote"}, "kind"),
        ({"issued_from": "10/03/2026"}, "issued_from"),
        ({"customer": "x"}, "customer"),
    ]:
        assert_error(api.get("/api/invoices", params), 422, "invalid_request", field)


def test_issue_a_draft(api, make_invoice, unchanged):
    draft = make_invoice()
    response = api.post(f"/api/invoices/{draft.pk}/issue", {"issue_date": "2026-03-05"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["number"], body["status"], body["issue_date"]) == (
        "FA2026-00001",
        "issued",
        "2026-03-05",
    )
    # 2 × 18.90 = 37.80 at 5.5 % -> VAT 2.079 -> 2.08 ; incl. 39.88
    assert body["total_incl_vat"] == "39.88"
    # issuing twice: 409, nothing changes
    with unchanged():
        assert_error(api.post(f"/api/invoices/{draft.pk}/issue"), 409, "already_issued")


def test_issue_without_a_body_uses_today(api, make_invoice):
    draft = make_invoice()
    body = api.post(f"/api/invoices/{draft.pk}/issue").json()
    assert body["issue_date"] == "2026-03-10"


@pytest.mark.parametrize(
    ("data", "status", "code", "field"),
    [
        ({"issue_date": "2026-03-11"}, 422, "future_date", "issue_date"),
        ({"issue_date": "2026-02-30"}, 422, "invalid_request", "issue_date"),
        ({"issue_date": "demain"}, 422, "invalid_request", "issue_date"),
        ({"issue_date": "2026-03-05", "force": True}, 422, "invalid_request", "force"),
    ],
)
def test_issue_refusals_change_nothing(api, make_invoice, unchanged, data, status, code, field):
    draft = make_invoice()
    with unchanged():
        assert_error(api.post(f"/api/invoices/{draft.pk}/issue", data), status, code, field)


def test_issue_before_the_last_number_of_the_series_is_refused(
    api, issued, make_invoice, unchanged
):
    draft = make_invoice()
    with unchanged():
        assert_error(
            api.post(f"/api/invoices/{draft.pk}/issue", {"issue_date": "2026-03-01"}),
            422,
            "date_before_last_document",
            "issue_date",
        )


def test_full_credit_note_is_issued_and_linked(api, issued):
    response = api.post(f"/api/invoices/{issued.pk}/credit-note", {"reason": "Erreur de client"})
    assert response.status_code == 201, response.content
    note = response.json()
    assert (note["kind"], note["status"], note["number"]) == (
        "credit_note",
        "issued",
        "AV2026-00001",
    )
    assert note["credited_invoice"] == {
        "id": issued.pk,
        "number": "FA2026-00001",
        "issue_date": "2026-03-02",
    }
    assert note["credit_reason"] == "Erreur de client"
    assert note["total_incl_vat"] == "235.76"  # the whole invoice
    assert api.get(f"/api/invoices/{issued.pk}").json()["credit_notes"] == [note["id"]]


def test_credit_note_by_lines(api, issued):
    flour = issued.lines.get(unit="C62")
    response = api.post(
        f"/api/invoices/{issued.pk}/credit-note",
        {
            "mode": "lines",
            "lines": [{"line": flour.pk, "quantity": "1"}],
            "issue_date": "2026-03-03",
        },
    )
    note = response.json()
    # 1 × 18.90 = 18.90 at 5.5 % -> VAT 1.0395 -> 1.04 ; incl. 19.94
    assert (note["total_excl_vat"], note["total_vat"], note["total_incl_vat"]) == (
        "18.90",
        "1.04",
        "19.94",
    )
    assert note["lines"][0]["credited_line"] == flour.pk
    assert note["issue_date"] == "2026-03-03"


def test_credit_note_by_amount_left_as_a_draft(api, issued):
    response = api.post(
        f"/api/invoices/{issued.pk}/credit-note",
        {"mode": "amount", "amount": "10.00", "vat_rate": "20", "issue": False},
    )
    assert response.status_code == 201, response.content
    note = response.json()
    # 10.00 at 20 % -> VAT 2.00, incl. 12.00
    assert (note["status"], note["number"], note["total_incl_vat"]) == ("draft", None, "12.00")
    # and it can be issued afterwards
    issued_note = api.post(f"/api/invoices/{note['id']}/issue").json()
    assert issued_note["number"] == "AV2026-00001"


@pytest.mark.parametrize(
    ("data", "status", "code", "field"),
    [
        ({"mode": "amount", "amount": "300", "vat_rate": "20"}, 422, "over_credit", "amount"),
        ({"mode": "amount", "amount": "10"}, 422, "vat_rate_required", "vat_rate"),
        (
            {"mode": "amount", "amount": "10", "vat_rate": "10"},
            422,
            "vat_rate_not_on_invoice",
            None,
        ),
        ({"mode": "amount", "amount": "-5", "vat_rate": "20"}, 422, "negative", "amount"),
        ({"mode": "amount", "amount": "0", "vat_rate": "20"}, 422, "zero_amount", "amount"),
        ({"mode": "amount", "amount": "abc", "vat_rate": "20"}, 422, "invalid_number", "amount"),
        ({"mode": "amount", "amount": "1e400", "vat_rate": "20"}, 422, "too_large", "amount"),
        ({"mode": "amount", "amount": "5", "vat_rate": "x"}, 422, "invalid_request", "vat_rate"),
        (
            {"mode": "lines", "lines": [{"line": 999999, "quantity": "1"}]},
            422,
            "foreign_line",
            None,
        ),
        ({"mode": "lines", "lines": []}, 422, "nothing_to_credit", "lines"),
        ({"mode": "lines", "lines": [{"line": 1}]}, 422, "invalid_request", "lines.1.quantity"),
        ({"mode": "everything"}, 422, "invalid_request", "mode"),
        ({"issue_date": "2026-03-01"}, 422, "credit_note_before_invoice", "issue_date"),
        ({"issue_date": "2026-12-01"}, 422, "future_date", "issue_date"),
        ({"issue": "perhaps"}, 422, "invalid_request", "issue"),
    ],
)
def test_credit_note_refusals_change_nothing(api, issued, unchanged, data, status, code, field):
    with unchanged():
        assert_error(api.post(f"/api/invoices/{issued.pk}/credit-note", data), status, code, field)


def test_over_crediting_by_lines_is_refused(api, issued, unchanged):
    flour = issued.lines.get(unit="C62")
    with unchanged():
        assert_error(
            api.post(
                f"/api/invoices/{issued.pk}/credit-note",
                {"mode": "lines", "lines": [{"line": flour.pk, "quantity": "5"}]},  # 4 invoiced
            ),
            422,
            "over_credit",
        )


def test_a_failed_issue_rolls_back_the_draft_credit_note(api, issued, unchanged):
    """create_credit_note succeeds, issue_invoice refuses: no draft is left behind."""
    with unchanged():
        assert_error(
            api.post(f"/api/invoices/{issued.pk}/credit-note", {"issue_date": "2026-02-01"}),
            422,
            "credit_note_before_invoice",
        )
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_credit_note_on_a_draft_or_on_a_credit_note_is_409(api, make_invoice, issued, unchanged):
    draft = make_invoice()
    note = api.post(
        f"/api/invoices/{issued.pk}/credit-note",
        {"mode": "amount", "amount": "1", "vat_rate": "20"},
    ).json()
    with unchanged():
        assert_error(api.post(f"/api/invoices/{draft.pk}/credit-note", {}), 409, "not_creditable")
        assert_error(api.post(f"/api/invoices/{note['id']}/credit-note", {}), 409, "not_creditable")


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"customer": 999999}, 422, "unknown_customer", "customer"),
        ({"customer": 10**30}, 422, "invalid_request", "customer"),
        ({"customer": "abc"}, 422, "invalid_request", "customer"),
        ({"lines": "many"}, 422, "invalid_request", "lines"),
        ({"lines": [{"quantity": "1"}]}, 422, "required", "lines.1.description"),
        (
            {"lines": [{"product": 999999, "quantity": "1"}]},
            422,
            "unknown_product",
            "lines.1.product",
        ),
        (
            {
                "lines": [
                    {"product": None, "description": "x", "item_kind": "goods", "quantity": "2"}
                ]
            },
            422,
            "required",
            "lines.1.unit_price",
        ),
        (
            {
                "lines": [
                    {"description": "x", "item_kind": "goods", "quantity": "-2", "unit_price": "1"}
                ]
            },
            422,
            "negative",
            "lines.1.quantity",
        ),
        (
            {
                "lines": [
                    {"description": "x", "item_kind": "goods", "quantity": "0", "unit_price": "1"}
                ]
            },
            422,
            "zero_quantity",
            "lines.1.quantity",
        ),
        (
            {
                "lines": [
                    {
                        "description": "x",
                        "item_kind": "goods",
                        "quantity": 10**30,
                        "unit_price": "1",
                    }
                ]
            },
            422,
            "invalid_request",
            "lines.1.quantity",
        ),
        (
            {
                "lines": [
                    {
                        "description": "x",
                        "item_kind": "goods",
                        "quantity": "1",
                        "unit_price": "1",
                        "discount_percent": "150",
                    }
                ]
            },
            422,
            "invalid_discount",
            "lines.1.discount_percent",
        ),
        (
            {
                "lines": [
                    {
                        "description": "x",
                        "item_kind": "goods",
                        "quantity": "1",
                        "unit_price": "1",
                        "vat_rate": "7",
                    }
                ]
            },
            422,
            "invalid_vat_rate",
            "lines.1.vat_rate",
        ),
        (
            {
                "lines": [
                    {
                        "description": "x",
                        "item_kind": "goods",
                        "quantity": "1",
                        "unit_price": "1",
                        "credited_line": 1,
                    }
                ]
            },
            422,
            "invalid_request",
            "lines.1.credited_line",
        ),
        (
            {
                "lines": [
                    {
                        "description": "x" * 501,
                        "item_kind": "goods",
                        "quantity": "1",
                        "unit_price": "1",
                    }
                ]
            },
            422,
            "invalid_request",
            "lines.1.description",
        ),
        (
            {"allowances": [{"amount": "500", "reason": "Geste"}]},
            422,
            "allowance_exceeds_base",
            "allowances",
        ),
        ({"terms_kind": "net", "terms_days": 75}, 422, "terms_exceed_legal_cap", "terms_days"),
        ({"terms_kind": "soon"}, 422, "invalid_payment_terms", "terms_kind"),
        ({"delivery_date": "2026-13-01"}, 422, "invalid_request", "delivery_date"),
        ({"status": "issued"}, 422, "invalid_request", "status"),
        ({"number": "FA2026-00099"}, 422, "invalid_request", "number"),
    ],
)
def test_create_refusals_change_nothing(api, draft_payload, unchanged, change, status, code, field):
    with unchanged():
        response = api.post("/api/invoices", {**draft_payload, **change})
        assert_error(response, status, code, field)


def test_create_without_lines_or_customer_is_422(api, customer, unchanged):
    with unchanged():
        body = assert_error(api.post("/api/invoices", {}), 422, "invalid_request")
        assert {d["field"] for d in body["details"]} == {"customer", "lines"}
        assert_error(api.post("/api/invoices"), 422, "invalid_request")


def test_document_allowances_are_applied(api, draft_payload):
    payload = {**draft_payload, "allowances": [{"amount": "10.10", "reason": "Remise fidélité"}]}
    body = api.post("/api/invoices", payload).json()
    # base 20 % = 100.10 - 10.10 = 90.00 -> VAT 18.00 ; base 5.5 % = 56.70 -> 3.12
    # excl. 146.70, VAT 21.12, incl. 167.82
    assert (body["total_excl_vat"], body["total_vat"], body["total_incl_vat"]) == (
        "146.70",
        "21.12",
        "167.82",
    )
    assert body["allowances"][0]["amount"] == "10.10"


def test_read_only_role_gets_403_and_nothing_changes(
    reader_api, draft_payload, issued, make_invoice, unchanged
):
    draft = make_invoice()
    with unchanged():
        assert_error(reader_api.post("/api/invoices", draft_payload), 403, "forbidden")
        assert_error(reader_api.post(f"/api/invoices/{draft.pk}/issue"), 403, "forbidden")
        assert_error(
            reader_api.post(f"/api/invoices/{issued.pk}/credit-note", {}), 403, "forbidden"
        )
    assert reader_api.get("/api/invoices").json()["count"] == 2


def test_sales_role_may_issue_invoices_but_not_credit_notes(
    company, make_user, make_key, issued, unchanged
):
    sales = ApiClient(make_key(make_user("vendeur", company, Role.SALES), company))
    with unchanged():
        body = assert_error(
            sales.post(f"/api/invoices/{issued.pk}/credit-note", {}), 403, "forbidden"
        )
        assert "émettre des avoirs" in body["message"]


def test_another_company_gets_404_everywhere(
    other_api, issued, make_invoice, customer, product, unchanged
):
    draft = make_invoice()
    with unchanged():
        for response in [
            other_api.get(f"/api/invoices/{issued.pk}"),
            other_api.post(f"/api/invoices/{draft.pk}/issue"),
            other_api.post(f"/api/invoices/{issued.pk}/credit-note", {}),
        ]:
            assert_error(response, 404, "not_found")
        assert other_api.get("/api/invoices").json()["count"] == 0
        assert other_api.get("/api/invoices", {"customer": customer.pk}).json()["count"] == 0


def test_another_companys_customer_or_product_cannot_be_invoiced(
    other_api, other_company, other_admin, customer, product, unchanged
):
    from encaisse.customers.services import create_customer
    from tests.conftest import CUSTOMER

    own = create_customer(other_company, CUSTOMER, by=other_admin)
    with unchanged():
        assert_error(
            other_api.post(
                "/api/invoices",
                {"customer": customer.pk, "lines": [{"product": product.pk, "quantity": "1"}]},
            ),
            422,
            "unknown_customer",
        )
        assert_error(
            other_api.post(
                "/api/invoices",
                {"customer": own.pk, "lines": [{"product": product.pk, "quantity": "1"}]},
            ),
            422,
            "unknown_product",
            "lines.1.product",
        )


def test_the_list_runs_a_fixed_number_of_queries(api, make_invoice, django_assert_max_num_queries):
    for _ in range(5):
        make_invoice(lines=None)
    api.get("/api/invoices")  # warm-up: the token's last use is written once a minute
    # token + membership, count, page, lines, allowances, credit notes
    with django_assert_max_num_queries(7):
        body = api.get("/api/invoices").json()
    assert body["count"] == 5 and all(len(item["lines"]) == 1 for item in body["items"])
