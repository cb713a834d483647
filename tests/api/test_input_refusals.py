"""What the audit sent and got a 500 for, or got stored and failed later: refused at the
request with a 422 that names the field, and nothing written."""

import datetime as dt

import pytest

from encaisse.collection.models import Dispute, PromiseToPay
from encaisse.customers.models import Customer
from encaisse.sales.models import Invoice

from .conftest import assert_error
from .test_disputes import dispute_body

NEW = {"legal_name": "Fromagerie Vial SAS", "billing_city": "Lyon"}


def detail(response) -> dict:
    return response.json()["details"][0]


@pytest.mark.parametrize(
    ("legal_name", "code"),
    [
        ("Café 🥐 Lyon SARL", "invalid_text"),
        ("北京面包有限公司", "invalid_text"),
        ("Dupont\x07", "invalid_text"),
        ("Dupont\x0b", "invalid_text"),
        ("Dupont\x1b[0m", "invalid_text"),
        ("Dupont\ufffe", "invalid_text"),
        ("Dupont\nSARL", "invalid_text"),
        ("x" * 201, "string_too_long"),  # the column holds 200: a 500 on PostgreSQL
    ],
)
def test_a_customer_name_documents_cannot_carry_is_refused(api, unchanged, legal_name, code):
    with unchanged():
        response = api.post("/api/customers", {**NEW, "legal_name": legal_name})
    assert_error(response, 422, "invalid_request", "legal_name")
    assert detail(response)["code"] == code


def test_the_message_names_the_character(api):
    response = api.post("/api/customers", {**NEW, "legal_name": "Café 🥐 Lyon SARL"})
    assert response.json()["message"] == (
        "Requête invalide : legal_name : « 🥐 » (U+1F950) : les émojis ne peuvent pas figurer "
        "sur les factures et les lettres."
    )
    response = api.post("/api/customers", {**NEW, "legal_name": "x" * 201})
    assert detail(response)["message"] == "texte trop long (200 caractères au plus)"


def test_what_fits_is_stored_composed(api):
    name = "Ελληνική Αρτοποιία — Cafe\u0301 " + "x" * 173
    assert len(name) == 200
    response = api.post("/api/customers", {**NEW, "legal_name": name})
    assert response.status_code == 201, response.content
    stored = Customer.objects.get(pk=response.json()["id"]).legal_name
    # e + combining acute -> é: one character less.
    assert stored == name.replace("e\u0301", "é") and len(stored) == 199


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("billing_country", "ZZ", "invalid_country"),  # e-invoices failed BR-CL-14
        ("delivery_country", "UK", "invalid_country"),
        ("billing_country", "F", "invalid_country"),
    ],
)
def test_countries_are_iso_3166(api, unchanged, field, value, code):
    with unchanged():
        assert_error(api.post("/api/customers", {**NEW, field: value}), 422, code, field)


def test_country_codes_are_stored_upper_case_and_blank_is_france(api):
    response = api.post("/api/customers", {**NEW, "billing_country": "be"})
    assert response.status_code == 201, response.content
    assert response.json()["billing_country"] == "BE"
    response = api.post("/api/customers", {**NEW, "legal_name": "Autre", "billing_country": ""})
    assert response.status_code == 201, response.content
    assert response.json()["billing_country"] == "FR"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_reference": "R" * 101}, "customer_reference"),  # 100 in the database
        ({"notes": "Livraison 东京"}, "notes"),
        ({"notes": "bell\x07"}, "notes"),
        ({"lines": [{"description": "Pain \x1b", "quantity": "1"}]}, "lines.1.description"),
        ({"lines": [{"description": "D" * 501, "quantity": "1"}]}, "lines.1.description"),
        ({"delivery_date": 0}, "delivery_date"),  # pydantic read 0 as 1 January 1970
        ({"delivery_date": "9999-12-31"}, "delivery_date"),
        ({"delivery_date": "2026-03-02T10:00:00"}, "delivery_date"),
    ],
)
def test_an_invoice_refuses_what_it_could_not_print(api, customer, product, change, field):
    body = {
        "customer": customer.pk,
        "lines": [{"product": product.pk, "quantity": "1"}],
        **change,
    }
    if "lines" in change:
        change["lines"][0].update(unit_price="10", item_kind="goods")
    assert_error(api.post("/api/invoices", body), 422, "invalid_request", field)
    assert not Invoice.objects.exists()


def test_multi_line_notes_keep_their_lines(api, customer, product):
    body = {
        "customer": customer.pk,
        "lines": [{"product": product.pk, "quantity": "1"}],
        "notes": "Livraison porte 2\r\nQuai B",
    }
    response = api.post("/api/invoices", body)
    assert response.status_code == 201, response.content
    assert response.json()["notes"] == "Livraison porte 2\nQuai B"


@pytest.fixture
def invoice(invoice_of):
    return invoice_of(10, dt.date(2026, 3, 2))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_words": "Facture fausse \x1b"}, "customer_words"),
        ({"customer_words": "Trop cher 😡"}, "customer_words"),
        ({"target_date": "2100-01-01"}, "target_date"),
        ({"opened_on": 0}, "opened_on"),
    ],
)
def test_a_dispute_refuses_what_it_could_not_print(api, admin, invoice, change, field):
    response = api.post("/api/disputes", dispute_body(invoice, admin, **change))
    assert_error(response, 422, "invalid_request", field)
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        # 9999-12-31 + 3 days of tolerance overflowed the calendar: a 500.
        ({"promised_on": "9999-12-31"}, "promised_on"),
        ({"promised_on": 0}, "promised_on"),
        ({"promised_by": "M. 王"}, "promised_by"),
        ({"promised_by": "x" * 201}, "promised_by"),
        ({"note": "a\x00b"}, "note"),
    ],
)
def test_a_promise_refuses_what_it_could_not_print(api, customer, invoice, change, field):
    body = {
        "customer": customer.pk,
        "invoices": [invoice.pk],
        "amount": "300.00",
        "promised_on": "2026-03-10",
        "promised_by": "Mme Dupont",
        "channel": "phone",
        "recorded_on": "2026-03-02",
        **change,
    }
    assert_error(api.post("/api/promises", body), 422, "invalid_request", field)
    assert not PromiseToPay.objects.exists()


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/customers", {"q": "a\x00b"}, "q"),  # NUL: a 500 from PostgreSQL
        ("/api/invoices", {"issued_from": "0"}, "issued_from"),
        ("/api/payments", {"date_to": "1999-12-31"}, "date_to"),
        ("/api/reports/aged-balance", {"as_of": "2100-01-01"}, "as_of"),
    ],
)
def test_query_parameters_are_bounded_too(api, path, params, field):
    assert_error(api.get(path, params), 422, "invalid_request", field)


def test_a_product_label_with_a_non_character_is_refused(api, unchanged):
    body = {"reference": "P1", "label": "Pain\ufffe", "kind": "goods", "unit_price": "1"}
    with unchanged():
        assert_error(api.post("/api/products", body), 422, "invalid_request", "label")
