"""GET /api/invoices/{id}/pdf, /facturx, /ubl: the archived files, byte for byte."""

import datetime as dt
import hashlib
import os

import pytest
from django.test import Client

from encaisse.documents.models import ArchivedDocument
from tests.conftest import archived

from .conftest import assert_error

DAY = dt.date(2026, 3, 2)
ENDPOINTS = [
    ("pdf", "pdf", "application/pdf", "FA2026-00001.pdf"),
    ("facturx", "cii", "application/xml", "FA2026-00001-factur-x.xml"),
    ("ubl", "ubl", "application/xml", "FA2026-00001-ubl.xml"),
]


@pytest.fixture
def invoice(make_invoice):
    return archived(make_invoice(issue_on=DAY))


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "format", "content_type", "filename"), ENDPOINTS)
def test_download_is_the_stored_file(
    api, invoice, archive_dir, endpoint, format, content_type, filename
):
    response = api.get(f"/api/invoices/{invoice.pk}/{endpoint}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    stored = ArchivedDocument.objects.get(invoice=invoice, format=format)
    assert hashlib.sha256(response.content).hexdigest() == stored.sha256
    assert response.content == (archive_dir / stored.storage_key).read_bytes()
    assert response["ETag"] == f'"{stored.sha256}"'


@pytest.mark.django_db
def test_a_reader_may_download(reader_api, invoice):
    assert reader_api.get(f"/api/invoices/{invoice.pk}/pdf").content.startswith(b"%PDF-")


@pytest.mark.django_db
def test_a_credit_note_is_downloaded_under_its_number(api, invoice, admin):
    from encaisse.sales.services import create_credit_note
    from tests.conftest import issue_on_day

    note = issue_on_day(
        create_credit_note(invoice, by=admin, mode="full", reason="Erreur"), by=admin, on=DAY
    )
    archived()
    response = api.get(f"/api/invoices/{note.pk}/ubl")
    assert response["Content-Disposition"] == 'attachment; filename="AV2026-00001-ubl.xml"'
    assert b"<CreditNote" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["pdf", "facturx", "ubl"])
def test_a_draft_has_no_document(api, make_invoice, endpoint):
    draft = make_invoice()
    assert_error(api.get(f"/api/invoices/{draft.pk}/{endpoint}"), 409, "not_issued")


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["pdf", "facturx", "ubl"])
def test_until_archived_a_download_answers_409_document_not_ready(api, make_invoice, endpoint):
    waiting = make_invoice(issue_on=DAY)  # issued; its render job has not run yet
    response = api.get(f"/api/invoices/{waiting.pk}/{endpoint}")
    assert_error(response, 409, "document_not_ready")
    assert "en cours de génération" in response.json()["message"]
    archived()
    assert api.get(f"/api/invoices/{waiting.pk}/{endpoint}").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["pdf", "facturx", "ubl"])
def test_another_company_gets_404(other_api, anonymous, invoice, endpoint):
    assert_error(other_api.get(f"/api/invoices/{invoice.pk}/{endpoint}"), 404, "not_found")
    assert_error(anonymous.get(f"/api/invoices/{invoice.pk}/{endpoint}"), 401, "unauthorized")
    assert_error(other_api.get(f"/api/invoices/999999/{endpoint}"), 404, "not_found")


@pytest.mark.django_db
def test_a_changed_file_is_not_served(api, invoice, archive_dir):
    stored = ArchivedDocument.objects.get(invoice=invoice, format="pdf")
    path = archive_dir / stored.storage_key
    os.chmod(path, 0o640)
    path.write_bytes(path.read_bytes().replace(b"%PDF-", b"%PDF_", 1))
    assert_error(api.get(f"/api/invoices/{invoice.pk}/pdf"), 409, "archive_altered")


@pytest.mark.django_db
def test_the_downloads_are_in_the_openapi_document():
    paths = Client().get("/api/openapi.json").json()["paths"]
    pdf = paths["/api/invoices/{id}/pdf"]["get"]["responses"]["200"]
    assert "application/pdf" in pdf["content"]
    assert {"/api/invoices/{id}/facturx", "/api/invoices/{id}/ubl"} <= set(paths)
