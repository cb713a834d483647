"""The company settings page edits the hour and time zone of the morning dunning run."""

import pytest
from django.urls import reverse

from encaisse.companies.models import Role
from encaisse.companies.services import update_company
from encaisse.errors import ValidationFailed
from tests.web.test_customers_products import company_form_data

pytestmark = pytest.mark.django_db


def field_of(html, name):
    return html.split(f'for="id_{name}"')[1].split('class="field')[0]


def test_the_defaults_are_seven_in_paris(company):
    assert (company.dunning_hour, company.time_zone) == (7, "Europe/Paris")
    assert str(company.zone) == "Europe/Paris"


def test_the_admin_sets_them_on_the_company_page(admin_client, company):
    url = reverse("web:company_settings")
    html = admin_client.get(url).content.decode()
    assert "Heure de la relance automatique" in html
    assert '<option value="America/Martinique">' in field_of(html, "time_zone")
    data = company_form_data(company)
    data.update(dunning_hour="9", time_zone="America/Martinique")
    assert admin_client.post(url, data).status_code == 302
    company.refresh_from_db()
    assert (company.dunning_hour, company.time_zone) == (9, "America/Martinique")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dunning_hour", "24", "de 0 à 23"),
        ("dunning_hour", "-1", "de 0 à 23"),
        ("time_zone", "Europe/Lutece", "Sélectionnez un choix valide"),
    ],
)
def test_bad_values_are_shown_next_to_the_field(admin_client, company, field, value, message):
    data = company_form_data(company)
    data[field] = value
    response = admin_client.post(reverse("web:company_settings"), data)
    assert message in field_of(response.content.decode(), field)
    company.refresh_from_db()
    assert (company.dunning_hour, company.time_zone) == (7, "Europe/Paris")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"dunning_hour": 24}, "dunning_hour"),
        ({"dunning_hour": "sept"}, "dunning_hour"),
        ({"time_zone": "Paris"}, "time_zone"),
        ({"time_zone": "localtime"}, "time_zone"),
    ],
)
def test_the_service_refuses_them_too(company, admin, data, field):
    with pytest.raises(ValidationFailed) as error:
        update_company(
            company, {"legal_name": company.legal_name, "siren": company.siren, **data}, by=admin
        )
    assert error.value.field == field


def test_a_role_that_may_not_edit_the_company_sees_them_as_text(client_of, make_user, company):
    reader = client_of(make_user("compta", company, Role.ACCOUNTING))
    html = reader.get(reverse("web:company_settings")).content.decode()
    assert "Heure de la relance automatique" in html and 'name="dunning_hour"' not in html
    data = company_form_data(company)
    data["dunning_hour"] = "5"
    assert reader.post(reverse("web:company_settings"), data).status_code == 403
    company.refresh_from_db()
    assert company.dunning_hour == 7
