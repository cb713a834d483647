"""Customers and products: forms with errors next to fields, contacts, history."""

from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time

from encaisse.catalog.models import Product
from encaisse.companies.models import Role
from encaisse.customers.models import Contact, Customer
from encaisse.web.forms import CompanyForm

pytestmark = pytest.mark.django_db


def test_invalid_siren_is_shown_next_to_the_field_and_nothing_is_created(admin_client):
    response = admin_client.post(
        reverse("web:customer_create"),
        {
            "legal_name": "Fromagerie Lenoir",
            "kind": "professional",
            "siren": "123456789",  # fails the Luhn check
            "segment": "standard",
            "risk_class": "A",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    siren_field = html.split('for="id_siren"')[1].split('class="field')[0]
    assert 'id="id_siren-error"' in siren_field
    assert "Le SIREN « 123456789 » n&#x27;est pas valide" in siren_field
    assert 'value="Fromagerie Lenoir"' in html  # what was typed is kept
    assert Customer.objects.count() == 0


def test_create_customer_then_detail_with_history(admin_client):
    response = admin_client.post(
        reverse("web:customer_create"),
        {
            "legal_name": "Fromagerie Lenoir",
            "kind": "professional",
            "siren": "552 100 554",
            "billing_line1": "8 rue Mercière",
            "billing_postal_code": "69002",
            "billing_city": "Lyon",
            "billing_country": "FR",
            "segment": "standard",
            "risk_class": "A",
        },
    )
    customer = Customer.objects.get()
    assert response["Location"] == reverse("web:customer_detail", args=[customer.pk])
    assert customer.siren == "552100554"
    html = admin_client.get(response["Location"]).content.decode()
    assert "Création du client" in html  # the audit trail, in French
    assert "admin" in html


def test_edit_customer_records_the_change(admin_client, customer):
    url = reverse("web:customer_edit", args=[customer.pk])
    form = admin_client.get(url).content.decode()
    assert 'value="Boulangerie Dupont SARL"' in form
    data = {
        "legal_name": "Boulangerie Dupont",
        "kind": "professional",
        "siren": customer.siren,
        "billing_line1": customer.billing_line1,
        "billing_postal_code": customer.billing_postal_code,
        "billing_city": "Villeurbanne",
        "billing_country": "FR",
        "segment": "standard",
        "risk_class": "B",
    }
    assert admin_client.post(url, data).status_code == 302
    customer.refresh_from_db()
    assert customer.billing_city == "Villeurbanne"
    html = admin_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "Modification du client" in html
    assert "<del>Lyon</del> → Villeurbanne" in html


def test_add_and_remove_a_contact(admin_client, customer):
    url = reverse("web:contact_add", args=[customer.pk])
    response = admin_client.post(
        url,
        {
            "civility": "madame",
            "first_name": " Julie ",
            "last_name": "Martin",
            "email": "julie@dupont.fr",
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert (contact.name, contact.greeting) == ("Julie Martin", "Bonjour Madame Martin,")
    html = admin_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "Madame Julie Martin" in html and "Contact ajouté" in html
    remove = reverse("web:contact_remove", args=[customer.pk, contact.pk])
    assert admin_client.post(remove).status_code == 302
    assert not Contact.objects.exists()


def test_contact_without_name_is_refused_next_to_the_field(admin_client, customer):
    response = admin_client.post(
        reverse("web:contact_add", args=[customer.pk]), {"first_name": "Julie", "last_name": " "}
    )
    html = response.content.decode()
    assert "Le nom du contact est obligatoire." in html.split('for="id_last_name"')[1]
    assert not Contact.objects.exists()


def test_read_only_user_sees_no_edit_button_and_cannot_post(
    client_of, make_user, company, customer
):
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    html = reader.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert reverse("web:customer_edit", args=[customer.pk]) not in html
    response = reader.post(
        reverse("web:customer_edit", args=[customer.pk]),
        {"legal_name": "Pirate", "kind": "professional", "segment": "standard", "risk_class": "A"},
    )
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.legal_name == "Boulangerie Dupont SARL"


def test_customer_search_and_empty_state(admin_client, customer):
    html = admin_client.get(reverse("web:customers"), {"q": "5521"}).content.decode()
    assert "Boulangerie Dupont SARL" in html
    html = admin_client.get(reverse("web:customers"), {"q": "Marseille"}).content.decode()
    assert "Aucun client ne correspond" in html


def test_empty_customer_list_offers_to_create_one(admin_client):
    html = admin_client.get(reverse("web:customers")).content.decode()
    assert "Aucun client pour l'instant" in html
    assert reverse("web:customer_create") in html


def test_customer_list_is_paginated_by_25(admin_client, company, admin):
    from encaisse.customers.services import create_customer

    for i in range(30):
        create_customer(company, {"legal_name": f"Client {i:02d}"}, by=admin)
    first = admin_client.get(reverse("web:customers")).content.decode()
    assert first.count('<td><a class="cut" title="Client ') == 25
    assert "Page 1 sur 2" in first
    second = admin_client.get(reverse("web:customers"), {"page": 2}).content.decode()
    assert "Client 29" in second and "Client 00" not in second


def test_product_create_error_and_success(admin_client):
    url = reverse("web:product_create")
    base = {"reference": "CAFE-1", "label": "Café", "kind": "goods", "unit": "C62"}
    response = admin_client.post(url, {**base, "unit_price": "abc", "vat_rate": "20.00"})
    assert (
        "Le prix unitaire n&#x27;est pas un nombre."
        in response.content.decode().split('for="id_unit_price"')[1]
    )
    assert not Product.objects.exists()
    response = admin_client.post(url, {**base, "unit_price": "12,50", "vat_rate": "5.50"})
    assert response.status_code == 302
    product = Product.objects.get()
    assert str(product.unit_price) == "12.5000" and str(product.vat_rate) == "5.50"
    html = admin_client.get(response["Location"]).content.decode()
    assert "Création de l&#x27;article" in html


def test_company_settings_admin_only(admin_client, client_of, make_user, company):
    html = admin_client.get(reverse("web:company_settings")).content.decode()
    assert 'value="Atelier Martin SAS"' in html
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    html = reader.get(reverse("web:company_settings")).content.decode()
    assert "Seul un administrateur" in html
    data = company_form_data(company)
    data["legal_name"] = "Pirate"
    response = reader.post(reverse("web:company_settings"), data)
    assert response.status_code == 403
    company.refresh_from_db()
    assert company.legal_name == "Atelier Martin SAS"


def company_form_data(company) -> dict:
    """The settings form as the browser posts it back unchanged."""
    data = {k: ("" if v is None else v) for k, v in CompanyForm.initial_of(company).items()}
    data["share_capital"] = "50000"
    data["vat_on_debits"] = ""
    return data


def test_company_settings_error_next_to_field(admin_client, company):
    data = company_form_data(company)
    data["credit_note_prefix"] = data["invoice_prefix"]
    response = admin_client.post(reverse("web:company_settings"), data)
    html = response.content.decode()
    assert (
        "Les factures et les avoirs ont des préfixes distincts."
        in html.split('for="id_credit_note_prefix"')[1]
    )
    company.refresh_from_db()
    assert company.credit_note_prefix == "AV"


@freeze_time("2026-03-31")
def test_company_settings_penalty_rate_and_day_count(admin_client, company):
    """Legal interest rate 2026 H1 (professional creditor): 2.62 %, so at least 7.86 %."""
    url = reverse("web:company_settings")
    data = company_form_data(company)
    data["late_penalty_rate"] = "7,5"
    html = admin_client.post(url, data).content.decode()
    assert "soit 7,86 %" in html.split('for="id_late_penalty_rate"')[1]
    company.refresh_from_db()
    assert company.late_penalty_rate is None

    data["late_penalty_rate"] = "7,86"
    data["penalty_day_count"] = "360"
    assert admin_client.post(url, data).status_code == 302
    company.refresh_from_db()
    assert (company.late_penalty_rate, company.penalty_day_count) == (Decimal("7.86"), 360)
