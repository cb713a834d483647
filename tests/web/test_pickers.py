"""Customer and product pickers (web.pickers): searched as one types, at most 20 matches
of the company; no form lists all customers or products; without scripts the text is
looked up by the server, and what it cannot name is a field error, never a 500."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from encaisse.catalog.services import create_product
from encaisse.customers.models import Customer
from encaisse.customers.services import create_customer
from encaisse.receivables.models import Payment
from encaisse.sales.models import Invoice
from tests.conftest import CUSTOMER

PAYMENT = {"date": "2026-03-09", "amount": "10", "method": "cash"}


@pytest.fixture
def many(company, admin, customer):
    """30 more customers « Client NN » in Lyon or Nantes: more than a picker shows."""
    Customer.objects.bulk_create(
        Customer(
            company=company, legal_name=f"Client {n:02d}", billing_city=("Lyon", "Nantes")[n % 2]
        )
        for n in range(30)
    )


def options(html: str) -> list[str]:
    return re.findall(r'role="option" data-value="\d+" data-label="([^"]*)"', html)


def test_customer_search_by_name_siren_and_city_at_most_20(admin_client, many, customer):
    url = reverse("web:customer_search")
    found = options(admin_client.get(url, {"q": "client"}).content.decode())
    assert found == [f"Client {n:02d}" for n in range(20)]
    assert "précisez la recherche" in admin_client.get(url, {"q": "client"}).content.decode()
    assert options(admin_client.get(url, {"q": "552 100"}).content.decode()) == [
        customer.legal_name
    ]
    assert len(options(admin_client.get(url, {"q": "nantes"}).content.decode())) == 15
    # The picker's own input sends its text under its name.
    assert options(admin_client.get(url, {"customer_label": "Dupont"}).content.decode()) == [
        customer.legal_name
    ]
    assert "Aucun résultat" in admin_client.get(url, {"q": "zzz"}).content.decode()


def test_search_is_scoped_to_the_company(client_of, make_user, other_company, customer):
    stranger = client_of(make_user("autre", other_company))
    html = stranger.get(reverse("web:customer_search"), {"q": "Dupont"}).content.decode()
    assert options(html) == []


def test_product_search_by_reference_and_label(admin_client, product, service_product):
    url = reverse("web:product_search")
    assert options(admin_client.get(url, {"q": "pain"}).content.decode()) == [
        "PAIN-01 — Farine T65, sac de 25 kg"
    ]
    assert options(admin_client.get(url, {"q": "four"}).content.decode()) == [
        "MAINT-H — Maintenance du four, heure"
    ]


@pytest.mark.parametrize(
    "name", ["web:invoice_create", "web:invoices", "web:payments", "web:payment_create"]
)
def test_no_form_lists_the_customers(admin_client, many, product, name):
    html = admin_client.get(reverse(name)).content.decode()
    assert "Client 07" not in html
    assert not re.search(r'<select[^>]*name="(customer|lines-\d+-product)"', html)
    assert 'role="combobox"' in html


def test_a_chosen_customer_is_shown_by_name(admin_client, customer):
    html = admin_client.get(reverse("web:invoices"), {"customer": customer.pk}).content.decode()
    assert f'value="{customer.legal_name}"' in html
    assert f'name="customer" value="{customer.pk}"' in html


def test_without_scripts_the_typed_name_is_looked_up(admin_client, customer):
    response = admin_client.post(
        reverse("web:payment_create"), {"customer_label": "boulangerie dupont sarl", **PAYMENT}
    )
    assert response.status_code == 302
    assert Payment.objects.get().customer == customer
    # A SIREN names it too.
    admin_client.post(reverse("web:payment_create"), {"customer_label": "552100554", **PAYMENT})
    assert Payment.objects.filter(customer=customer).count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"customer_label": "Inconnu SA"}, "Aucun client ne correspond à « Inconnu SA »."),
        ({"customer_label": "client"}, "Plusieurs clients correspondent à « client »"),
        ({"customer": "999999999"}, "Client inconnu."),
        ({"customer": "abc"}, "Client inconnu."),
        ({"customer": "9" * 40}, "Client inconnu."),
        ({}, "obligatoire"),
    ],
)
def test_what_names_no_customer_is_a_field_error(admin_client, many, data, message):
    response = admin_client.post(reverse("web:payment_create"), {**data, **PAYMENT})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Payment.objects.exists()


def test_another_company_customer_is_unknown(admin_client, make_user, other_company):
    stranger = make_user("autre", other_company)
    theirs = create_customer(other_company, CUSTOMER, by=stranger)
    response = admin_client.post(reverse("web:payment_create"), {"customer": theirs.pk, **PAYMENT})
    assert response.status_code == 422
    assert "Client inconnu." in response.content.decode()
    response = admin_client.get(reverse("web:invoices"), {"customer": theirs.pk})
    assert response.status_code == 200


def test_invoice_line_product_typed_without_scripts(admin_client, customer, product, admin):
    create_product(
        customer.company,
        {
            "reference": "PAIN-02",
            "label": "Farine T80",
            "kind": "goods",
            "unit": "C62",
            "unit_price": "20",
            "vat_rate": "5.5",
        },
        by=admin,
    )
    post = {
        "customer": customer.pk,
        "lines-1-product_label": "pain-01",
        "lines-1-quantity": "3",
    }
    response = admin_client.post(reverse("web:invoice_create"), post)
    assert response.status_code == 302, response.content.decode()[:3000]
    line = Invoice.objects.get().lines.get()
    assert (line.product, line.description) == (product, product.label)
    response = admin_client.post(
        reverse("web:invoice_create"), {**post, "lines-1-product_label": "pain"}
    )
    assert response.status_code == 422
    assert "Article introuvable." in response.content.decode()
    assert Invoice.objects.count() == 1


def test_chosen_product_fills_the_line_and_shows_its_name(admin_client, product):
    response = admin_client.post(
        reverse("web:invoice_lines"),
        {"action": "product-1", "lines-1-product": product.pk, "lines-1-product_label": ""},
    )
    html = response.content.decode()
    assert 'value="PAIN-01 — Farine T65, sac de 25 kg"' in html
    assert 'value="18,90"' in html


def test_dates_stay_dates(admin_client, customer):
    # The filter keeps working around the picker: a customer and a date range.
    issued = {"customer": customer.pk, "issued_from": dt.date(2026, 1, 1).isoformat()}
    assert admin_client.get(reverse("web:invoices"), issued).status_code == 200
