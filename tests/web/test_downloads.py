"""Downloads from the invoice page: the archived files, byte for byte."""

import datetime as dt
import hashlib
import os

import pytest
from django.urls import reverse

from encaisse.companies.models import Role
from encaisse.documents.models import ArchivedDocument
from tests.conftest import archived

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)


def url(invoice, format):
    return reverse("web:invoice_document", args=[invoice.pk, format])


@pytest.fixture
def invoice(make_invoice):
    return archived(make_invoice(issue_on=DAY))


def test_until_archived_the_page_says_the_document_is_being_made_and_polls(
    admin_client, make_invoice
):
    waiting = make_invoice(issue_on=DAY)  # issued; its render job has not run yet
    page = reverse("web:invoice_detail", args=[waiting.pk])
    fragment = reverse("web:invoice_files", args=[waiting.pk])
    html = admin_client.get(page).content.decode()
    assert "Document en cours de génération" in html and url(waiting, "pdf") not in html
    assert f'hx-get="{fragment}" hx-trigger="every 2s"' in html
    # the polled fragment answers the same until the files exist...
    assert "en cours de génération" in admin_client.get(fragment).content.decode()
    # ...and a download asked meanwhile says so on the page, never a 500
    response = admin_client.get(url(waiting, "pdf"), follow=True)
    assert response.redirect_chain == [(page, 302)]
    assert "en cours de génération" in response.content.decode()

    archived()
    html = admin_client.get(fragment).content.decode()
    assert "hx-trigger" not in html and "en cours" not in html  # polling stops
    assert f'href="{url(waiting, "pdf")}"' in html
    assert admin_client.get(url(waiting, "pdf")).status_code == 200


def test_the_page_of_an_issued_invoice_offers_the_three_files(admin_client, invoice):
    html = admin_client.get(reverse("web:invoice_detail", args=[invoice.pk])).content.decode()
    for format, label in (("pdf", "PDF"), ("cii", "Factur-X (XML)"), ("ubl", "UBL")):
        link = html.split(f'href="{url(invoice, format)}"', 1)[1].split("</a>", 1)[0]
        assert link.endswith(f"download>{label}")


def test_a_draft_page_offers_none(admin_client, make_invoice):
    draft = make_invoice()
    html = admin_client.get(reverse("web:invoice_detail", args=[draft.pk])).content.decode()
    assert "/documents/" not in html


@pytest.mark.parametrize(
    ("format", "content_type", "filename"),
    [
        ("pdf", "application/pdf", "FA2026-00001.pdf"),
        ("cii", "application/xml", "FA2026-00001-factur-x.xml"),
        ("ubl", "application/xml", "FA2026-00001-ubl.xml"),
    ],
)
def test_download_is_the_stored_file(
    client_of, company, make_user, invoice, archive_dir, format, content_type, filename
):
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    response = reader.get(url(invoice, format))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    stored = ArchivedDocument.objects.get(invoice=invoice, format=format)
    assert hashlib.sha256(response.content).hexdigest() == stored.sha256
    assert response.content == (archive_dir / stored.storage_key).read_bytes()


def test_a_draft_has_nothing_to_download(admin_client, make_invoice):
    draft = make_invoice()
    response = admin_client.get(url(draft, "pdf"), follow=True)
    assert response.redirect_chain == [(reverse("web:invoice_detail", args=[draft.pk]), 302)]
    assert "archivés à l&#x27;émission" in response.content.decode()


def test_another_company_and_an_unknown_format_get_404(
    client_of, other_company, make_user, admin_client, invoice
):
    stranger = client_of(make_user("autre", other_company))
    assert stranger.get(url(invoice, "pdf")).status_code == 404
    assert admin_client.get(url(invoice, "docx")).status_code == 404


def test_anonymous_is_sent_to_login(client, invoice):
    response = client.get(url(invoice, "pdf"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_a_changed_file_is_refused(admin_client, invoice, archive_dir):
    stored = ArchivedDocument.objects.get(invoice=invoice, format="ubl")
    path = archive_dir / stored.storage_key
    os.chmod(path, 0o640)
    path.write_bytes(path.read_bytes() + b" ")
    response = admin_client.get(url(invoice, "ubl"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("web:invoice_detail", args=[invoice.pk])
    assert "verify-archive" in response.content.decode()
