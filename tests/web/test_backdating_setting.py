"""The company settings page edits how far back an issue date may go; the invoice's
issue page is today's date, so the limit never refuses it."""

import pytest
from django.urls import reverse

from encaisse.sales.models import DocumentStatus
from tests.web.test_customers_products import company_form_data

pytestmark = pytest.mark.django_db


def test_the_setting_is_on_the_company_page_and_saved(admin_client, company):
    url = reverse("web:company_settings")
    html = admin_client.get(url).content.decode()
    field = html.split('for="id_backdating_days"')[1].split('class="field')[0]
    assert "Antériorité maximale de la date d&#x27;émission (jours)" in html
    assert 'value="10"' in field
    data = company_form_data(company)
    data["backdating_days"] = "5"
    assert admin_client.post(url, data).status_code == 302
    company.refresh_from_db()
    assert company.backdating_days == 5


@pytest.mark.parametrize("value", ["32", "-1"])
def test_out_of_bounds_is_shown_next_to_the_field(admin_client, company, value):
    data = company_form_data(company)
    data["backdating_days"] = value
    html = admin_client.post(reverse("web:company_settings"), data).content.decode()
    field = html.split('for="id_backdating_days"')[1].split('class="field')[0]
    assert "de 0 à 31" in field
    company.refresh_from_db()
    assert company.backdating_days == 10


def test_issuing_from_the_page_dates_the_document_today(admin_client, company, make_invoice):
    company.backdating_days = 0  # the strictest setting: only today
    company.save()
    draft = make_invoice()
    response = admin_client.post(reverse("web:invoice_issue", args=[draft.pk]))
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.status == DocumentStatus.ISSUED
