"""Web: pre-litigation cases — the list and its customers ready for a file, the form that
makes it, the case page (documents, status forms with errors next to the fields,
events, entries), and who may do what.

Data: tests/dunning/litigation_data.py; the claim on 15 Mar 2025 is 1 280,00 principal
+ 20,53 penalties + 80,00 fees = 1 380,53 (worked out in tests/dunning/test_litigation.py).
"""

import datetime as dt
import io
import re
import zipfile

import pytest
from django.urls import reverse

from encaisse.companies.models import Role
from encaisse.dunning import litigation
from encaisse.dunning.models import CaseStatus, LitigationCase
from tests.dunning.litigation_data import OPENED, make_debtor, make_invoices, remind

pytestmark = pytest.mark.django_db


def plain(html: str) -> str:
    return html.replace("\xa0", " ").replace("\u202f", " ")


@pytest.fixture
def debtor(company, admin, make_invoice, product, service_product, pay):
    debtor = make_debtor(company, admin)
    make_invoices(debtor, make_invoice, product, service_product, pay, admin)
    remind(company, admin)
    return debtor


@pytest.fixture
def case(debtor, admin):
    return litigation.open_case(debtor, OPENED, by=admin)


def test_list_offers_the_customers_ready_for_a_file(admin_client, debtor):
    html = admin_client.get(reverse("web:litigation")).content.decode()
    assert "Clients mis en demeure sans dossier" in html
    assert debtor.legal_name in html
    assert reverse("web:litigation_open", args=[debtor.pk]) in html
    assert "Constituer le dossier précontentieux" in html
    assert f'href="{reverse("web:litigation")}"' in html  # the side navigation


def test_open_the_file_from_the_form(admin_client, debtor):
    url = reverse("web:litigation_open", args=[debtor.pk])
    page = plain(admin_client.get(url, {"opened_on": OPENED.isoformat()}).content.decode())
    assert "RR123456789FR" in page  # the formal notice's registered mail
    assert "1 380,53 €" in page  # the claim previewed on that date
    response = admin_client.post(url, {"opened_on": OPENED.isoformat()})
    case = LitigationCase.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:litigation_detail", args=[case.pk])
    html = plain(admin_client.get(response["Location"]).content.decode())
    for text in ("1 280,00 €", "20,53 €", "80,00 €", "1 380,53 €", "Dossier constitué"):
        assert text in html
    # Opening again leads to the case in progress.
    again = admin_client.get(url)
    assert again.status_code == 302
    assert again["Location"] == reverse("web:litigation_detail", args=[case.pk])


def test_open_refused_shows_the_reason(admin_client, company, admin, make_invoice):
    other = make_debtor(company, admin, siren="383474814", legal_name="Sans Relance SA")
    response = admin_client.post(
        reverse("web:litigation_open", args=[other.pk]), {"opened_on": "2025-03-15"}
    )
    assert response.status_code == 422
    assert "Aucune relance de niveau 3" in response.content.decode()
    assert not LitigationCase.objects.exists()


def test_documents_download(admin_client, case):
    pdf = admin_client.get(reverse("web:litigation_pdf", args=[case.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content == bytes(case.file_pdf)
    archive = admin_client.get(reverse("web:litigation_zip", args=[case.pk]))
    assert archive["Content-Type"] == "application/zip"
    assert f"dossier-precontentieux-{case.pk}.zip" in archive["Content-Disposition"]
    assert "recapitulatif.csv" in zipfile.ZipFile(io.BytesIO(archive.content)).namelist()


def test_status_forms_errors_next_to_fields(admin_client, case):
    url = reverse("web:litigation_action", args=[case.pk, "agency"])
    response = admin_client.post(url, {"agency-agency": "", "agency-on": "2025-03-20"})
    assert response.status_code == 422
    html = response.content.decode()
    field = re.search(r'<div class="field has-error">.*?</div>', html, re.S).group(0)
    assert 'name="agency-agency"' in field
    assert "Le nom du cabinet de recouvrement est obligatoire." in field

    url = reverse("web:litigation_action", args=[case.pk, "doubtful"])
    response = admin_client.post(
        url, {"doubtful-provision_amount": "1071.99", "doubtful-on": "2025-04-01"}
    )
    assert response.status_code == 422
    field = re.search(r'<div class="field has-error">.*?</div>', response.content.decode(), re.S)
    assert 'name="doubtful-provision_amount"' in field.group(0)
    assert "1 071,98" in plain(field.group(0))
    case.refresh_from_db()
    assert case.status == CaseStatus.PREPARED


def test_status_changes_and_entries_shown(admin_client, case):
    url = reverse("web:litigation_action", args=[case.pk, "agency"])
    response = admin_client.post(
        url, {"agency-agency": "Cabinet Recouvra", "agency-on": "2025-03-20"}
    )
    assert response.status_code == 302
    url = reverse("web:litigation_action", args=[case.pk, "doubtful"])
    admin_client.post(url, {"doubtful-provision_amount": "800", "doubtful-on": "2025-04-01"})
    case.refresh_from_db()
    assert (case.status, case.agency) == (CaseStatus.DOUBTFUL, "Cabinet Recouvra")
    html = plain(
        admin_client.get(reverse("web:litigation_detail", args=[case.pk])).content.decode()
    )
    assert "Cabinet : Cabinet Recouvra" in html
    assert "6817" in html and "491" in html and "416" in html
    assert "800,00 €" in html
    # The doubtful form is gone (done), the agency one too (no longer allowed from doubtful
    # back to... it is allowed: a doubtful debt may be handed to an agency).
    assert 'action="' + reverse("web:litigation_action", args=[case.pk, "doubtful"]) not in html
    assert reverse("web:litigation_action", args=[case.pk, "irrecoverable"]) in html


def test_collector_sees_no_write_off_and_is_refused(client_of, company, make_user, case):
    collector = client_of(make_user("recouvreur", company, Role.COLLECTION))
    html = collector.get(reverse("web:litigation_detail", args=[case.pk])).content.decode()
    assert reverse("web:litigation_action", args=[case.pk, "agency"]) in html
    assert reverse("web:litigation_action", args=[case.pk, "irrecoverable"]) not in html
    assert "réservé aux rôles qui lettrent" in html
    response = collector.post(
        reverse("web:litigation_action", args=[case.pk, "irrecoverable"]),
        {"irrecoverable-on": "2025-06-30"},
    )
    assert response.status_code == 403
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    assert reader.get(reverse("web:litigation_open", args=[case.customer_id])).status_code == 403


def test_other_company_cannot_see_the_case(client_of, other_company, make_user, case):
    stranger = client_of(make_user("autre", other_company, Role.ADMIN))
    assert stranger.get(reverse("web:litigation_detail", args=[case.pk])).status_code == 404
    assert stranger.get(reverse("web:litigation_pdf", args=[case.pk])).status_code == 404


def test_list_filters_by_status(admin_client, case, admin):
    litigation.go_to_court(case, "IP 2025/118", dt.date(2025, 4, 10), by=admin)
    url = reverse("web:litigation")
    assert case.customer.legal_name in admin_client.get(url, {"status": "court"}).content.decode()
    html = admin_client.get(url, {"status": "agency"}).content.decode()
    assert "Aucun dossier ne correspond à ces filtres." in html


def test_customer_page_leads_to_the_file(admin_client, debtor):
    html = admin_client.get(reverse("web:customer_detail", args=[debtor.pk])).content.decode()
    assert reverse("web:litigation_open", args=[debtor.pk]) in html
