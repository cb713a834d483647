"""Credit control in the web UI: the limit on the customer form, the credit block and
incidents on the customer page, the override on the issue page, the Encours list."""

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from freezegun import freeze_time
from openpyxl import load_workbook

from encaisse.audit.services import trail
from encaisse.companies.models import NumberSequence, Role
from encaisse.companies.services import update_company
from encaisse.customers.credit import set_credit_limit
from encaisse.customers.models import CreditIncident, Customer
from encaisse.customers.services import create_customer
from encaisse.sales.models import DocumentStatus
from encaisse.web.shortcuts import PAGE_SIZE
from encaisse.web.views.customers import CustomerForm
from tests.conftest import CUSTOMER

pytestmark = pytest.mark.django_db

NBSP, NNBSP = "\u00a0", "\u202f"


def _customer_post(customer, **credit):
    data = {k: v for k, v in CustomerForm.initial_of(customer).items() if v is not None}
    data.update({f"credit-{k}": v for k, v in credit.items()})
    return data


def test_limit_set_from_the_customer_form(admin_client, customer):
    response = admin_client.post(
        reverse("web:customer_edit", args=[customer.pk]),
        _customer_post(
            customer,
            credit_limit="",
            credit_limit_origin="insurance",
            credit_insurer="Allianz Trade",
            credit_covered_amount="12 000",
            credit_cover_date="2026-02-01",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    customer.refresh_from_db()
    assert (customer.credit_limit, customer.credit_insurer) == (D("12000.00"), "Allianz Trade")


def test_insured_limit_error_next_to_its_field_and_customer_unchanged(admin_client, customer):
    data = _customer_post(
        customer,
        credit_limit="",
        credit_limit_origin="insurance",
        credit_insurer="",
        credit_covered_amount="12000",
        credit_cover_date="2026-02-01",
    )
    data["billing_city"] = "Villeurbanne"
    response = admin_client.post(reverse("web:customer_edit", args=[customer.pk]), data)
    assert response.status_code == 200
    field = response.content.decode().split('for="id_credit-credit_insurer"')[1]
    assert "L&#x27;assureur-crédit est obligatoire." in field.split('class="field')[0]
    customer.refresh_from_db()
    # One transaction: the refused limit leaves the city as it was.
    assert (customer.billing_city, customer.credit_limit) == ("Lyon", None)


def test_sales_see_no_limit_fields_and_can_still_edit(client_of, company, customer, make_user):
    seller = client_of(make_user("vendeur", company, Role.SALES))
    url = reverse("web:customer_edit", args=[customer.pk])
    assert "credit-credit_limit" not in seller.get(url).content.decode()
    # A forged limit field is ignored: the form is not built for them.
    data = _customer_post(customer, credit_limit="999999", credit_limit_origin="manual")
    data["phone"] = "04 78 00 00 00"
    assert seller.post(url, data).status_code == 302
    customer.refresh_from_db()
    assert (customer.phone, customer.credit_limit) == ("04 78 00 00 00", None)


def test_customer_page_shows_limit_exposure_late_cost_and_incidents(
    admin_client, company, customer, admin, invoice_of
):
    # 10 h on 1 Oct 2026 = 780.00, due 31 Oct. Limit 1,000.00: 78.0 % used.
    invoice_of(10, dt.date(2026, 10, 1))
    set_credit_limit(customer, limit="1000", origin="manual", by=admin)
    update_company(company, {"financing_rate": "4"}, by=admin)
    url = reverse("web:customer_detail", args=[customer.pk])
    html = admin_client.get(url).content.decode()
    assert f"1{NNBSP}000,00{NBSP}€" in html
    assert f"780,00{NBSP}€" in html.split("data-exposure")[1].split("</dd>")[0]
    assert "78 % de la limite" in html
    with freeze_time("2026-11-29 10:00:00"):
        html = admin_client.get(url).content.decode()
    # Due 31 Oct, 29 days late on 29 Nov: 780.00 × 29 × 4 % / 365 = 904.80 / 365 = 2.479.
    late = html.split("data-late-cost")[1].split("</dd>")[0]
    assert f"2,48{NBSP}€" in late and "× 4 % / 365" in late
    response = admin_client.post(
        reverse("web:incident_add", args=[customer.pk]),
        {"date": "2026-11-02", "kind": "rejected_debit", "note": "Rejet AM04"},
    )
    assert response.status_code == 302
    html = admin_client.get(url).content.decode()
    assert "Prélèvement rejeté" in html and "Rejet AM04" in html


def test_incident_errors_stay_on_the_page(admin_client, customer, company, make_user, client_of):
    response = admin_client.post(
        reverse("web:incident_add", args=[customer.pk]),
        {"date": "2099-01-01", "kind": "other"},
    )
    assert response.status_code == 200
    assert "Un incident ne peut pas être à venir." in response.content.decode()
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    response = reader.post(
        reverse("web:incident_add", args=[customer.pk]), {"date": "2026-01-01", "kind": "other"}
    )
    assert response.status_code == 403
    assert not CreditIncident.objects.exists()


@pytest.fixture
def over_limit_draft(customer, admin, invoice_of, make_invoice, service_product):
    """780.00 open, limit 800.00, a draft of 1 h = 78.00: 858.00, over by 58.00."""
    invoice_of(10, dt.date(2026, 11, 2))
    set_credit_limit(customer, limit="800", origin="manual", by=admin)
    return make_invoice(lines=[{"product": service_product.pk, "quantity": "1"}])


def test_issue_page_refuses_then_overrides_with_a_reason(admin_client, over_limit_draft):
    url = reverse("web:invoice_issue", args=[over_limit_draft.pk])
    response = admin_client.post(url)
    assert response.status_code == 422
    html = response.content.decode()
    assert f"dépassement de 58,00{NBSP}€" in html
    assert 'name="override_reason"' in html
    assert NumberSequence.objects.get(document_type="invoice").last_number == 1
    response = admin_client.post(url, {"override_reason": "Commande urgente validée par la DAF"})
    assert response.status_code == 302
    over_limit_draft.refresh_from_db()
    assert over_limit_draft.status == DocumentStatus.ISSUED
    entry = next(e for e in trail(over_limit_draft) if e.action == "invoice.credit_override")
    assert entry.changes["reason"] == "Commande urgente validée par la DAF"


def test_issue_page_offers_no_override_to_sales(client_of, company, make_user, over_limit_draft):
    seller = client_of(make_user("vendeur", company, Role.SALES))
    url = reverse("web:invoice_issue", args=[over_limit_draft.pk])
    html = seller.post(url).content.decode()
    assert "Seul un utilisateur habilité" in html
    assert 'name="override_reason"' not in html
    # A forged reason: the service refuses, the 403 page.
    assert seller.post(url, {"override_reason": "moi"}).status_code == 403
    over_limit_draft.refresh_from_db()
    assert over_limit_draft.status == DocumentStatus.DRAFT


def test_positions_list_export_and_isolation(
    admin_client, company, other_company, customer, admin, invoice_of, make_user
):
    invoice_of(10, dt.date(2026, 10, 1))  # 780.00
    set_credit_limit(customer, limit="600", origin="manual", by=admin)  # 130.0 %, 180 over
    calm = create_customer(
        company, {**CUSTOMER, "legal_name": "Calme", "siren": "443061841", "siret": ""}, by=admin
    )
    set_credit_limit(calm, limit="5000", origin="manual", by=admin)  # 0 %
    boss = make_user("patron", other_company, Role.ADMIN)
    stranger = create_customer(other_company, {**CUSTOMER, "legal_name": "Étranger"}, by=boss)
    set_credit_limit(stranger, limit="0", origin="manual", by=boss)

    html = admin_client.get(reverse("web:credit_positions"), {"as_of": "2026-11-29"}).content
    html = html.decode()
    assert "Boulangerie Dupont SARL" in html and f"180,00{NBSP}€" in html
    assert "130 %" in html
    assert "Calme" not in html and "Étranger" not in html
    html = admin_client.get(
        reverse("web:credit_positions"), {"as_of": "2026-11-29", "show": "all"}
    ).content.decode()
    assert "Calme" in html and "Étranger" not in html

    response = admin_client.get(reverse("web:credit_positions_export"), {"as_of": "2026-11-29"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][:5] == ("Client", "Origine", "Assureur", "Limite", "Encours")
    assert rows[1][0] == "Boulangerie Dupont SARL"
    assert (rows[1][3], rows[1][4], rows[1][6]) == (600, 780, 180)
    assert len(rows) == 2
    assert Customer.objects.count() == 3


def test_positions_are_paginated(admin_client, company, admin):
    for i in range(PAGE_SIZE + 1):
        limited = create_customer(company, {"legal_name": f"Client {i:02d}"}, by=admin)
        set_credit_limit(limited, limit="100", origin="manual", by=admin)
    url = reverse("web:credit_positions")
    html = admin_client.get(url, {"show": "all"}).content.decode()
    assert "Page 1 sur 2" in html and html.count('href="/customers/') >= PAGE_SIZE
    html = admin_client.get(url, {"show": "all", "page": 2}).content.decode()
    assert f"Client {PAGE_SIZE:02d}" in html and "Client 00" not in html


def test_customer_form_without_the_credit_part_keeps_the_limit(admin_client, customer, admin):
    set_credit_limit(customer, limit="2500", origin="manual", by=admin)
    data = _customer_post(customer)
    data["phone"] = "04 72 00 00 00"
    response = admin_client.post(reverse("web:customer_edit", args=[customer.pk]), data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.phone, customer.credit_limit) == ("04 72 00 00 00", D("2500.00"))


def test_financing_rate_from_the_company_settings(admin_client, company):
    from encaisse.companies.models import Company
    from encaisse.web.forms import CompanyForm

    data = {k: v for k, v in CompanyForm.initial_of(company).items() if v is not None}
    url = reverse("web:company_settings")
    response = admin_client.post(url, {**data, "financing_rate": "4,25"})
    assert response.status_code == 302
    assert Company.objects.get(pk=company.pk).financing_rate == D("4.250")
    response = admin_client.post(url, {**data, "financing_rate": "150"})
    assert "Le taux de financement dépasse 100 %." in response.content.decode()
    assert Company.objects.get(pk=company.pk).financing_rate == D("4.250")
