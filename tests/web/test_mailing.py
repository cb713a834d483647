"""Web: sending a document by email, today's invoices, the outbox; lifecycle statuses."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from encaisse.companies.models import Role
from encaisse.customers.services import add_contact
from encaisse.einvoicing.models import LifecycleEvent
from encaisse.jobs.models import Job
from encaisse.jobs.runner import run_pending_jobs
from encaisse.mailing.models import MailStatus, OutgoingMail
from encaisse.mailing.services import send_queued
from tests.conftest import archived

pytestmark = pytest.mark.django_db

MARCH_2 = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def fake_archive(monkeypatch):
    import encaisse.mailing.services as outbox

    monkeypatch.setattr(outbox, "read_archived", lambda invoice, fmt: b"%PDF-1.7 test")


@pytest.fixture
def contact(customer, admin):
    return add_contact(
        customer,
        {"name": "Compta", "email": "compta@dupont.example", "is_billing_contact": True},
        by=admin,
    )


def test_detail_shows_the_send_button_only_when_issued(admin_client, make_invoice, invoice_of):
    draft = make_invoice()
    html = admin_client.get(reverse("web:invoice_detail", args=[draft.pk])).content.decode()
    assert "Envoyer par e-mail" not in html
    assert "cycle de vie" not in html
    issued = invoice_of(1, MARCH_2)
    html = admin_client.get(reverse("web:invoice_detail", args=[issued.pk])).content.decode()
    assert reverse("web:invoice_send", args=[issued.pk]) in html
    assert "Facturation électronique : cycle de vie" in html
    assert "Aucun statut reçu ni saisi." in html


def test_send_form_is_prefilled_then_queues(admin_client, invoice_of, contact):
    invoice = invoice_of(1, MARCH_2)
    url = reverse("web:invoice_send", args=[invoice.pk])
    html = admin_client.get(url).content.decode()
    assert 'value="compta@dupont.example"' in html
    assert 'value="Facture FA2026-00001 – Atelier Martin SAS"' in html
    assert "FA2026-00001.pdf" in html
    response = admin_client.post(
        url,
        {
            "to": "compta@dupont.example, dg@dupont.example",
            "cc": "",
            "subject": "Facture de mars",
            "body": "Bonjour, voici la facture.",
        },
    )
    assert response.status_code == 302
    mail = OutgoingMail.objects.get()
    assert mail.to == ["compta@dupont.example", "dg@dupont.example"]
    assert mail.subject == "Facture de mars" and mail.status == MailStatus.QUEUED
    html = admin_client.get(response.url).content.decode()
    assert "mis(e) en file d&#x27;envoi" in html
    assert "En attente" in html  # the invoice page lists its mails


def test_send_form_shows_the_service_error_next_to_the_field(admin_client, invoice_of):
    invoice = invoice_of(1, MARCH_2)
    url = reverse("web:invoice_send", args=[invoice.pk])
    html = admin_client.get(url).content.decode()
    assert "n'a ni contact « destinataire des factures »" in html
    response = admin_client.post(url, {"to": "pas une adresse", "subject": "x", "body": "y"})
    assert response.status_code == 422
    assert "« pas » n&#x27;est pas une adresse e-mail valide" in response.content.decode()
    assert OutgoingMail.objects.count() == 0


def test_a_draft_is_not_sent(admin_client, make_invoice, contact):
    draft = make_invoice()
    response = admin_client.post(
        reverse("web:invoice_send", args=[draft.pk]),
        {"to": "compta@dupont.example", "subject": "x", "body": "y"},
    )
    assert response.status_code == 302
    assert OutgoingMail.objects.count() == 0


def test_read_only_cannot_send(client_of, company, make_user, invoice_of, contact):
    invoice = invoice_of(1, MARCH_2)
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    html = reader.get(reverse("web:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Envoyer par e-mail" not in html and "Ajouter le statut" not in html
    response = reader.post(
        reverse("web:invoice_send", args=[invoice.pk]),
        {"to": "compta@dupont.example", "subject": "x", "body": "y"},
    )
    assert response.status_code == 403
    assert reader.post(reverse("web:send_today")).status_code == 403
    assert OutgoingMail.objects.count() == 0


def test_another_company_invoice_is_not_found(client_of, other_company, make_user, invoice_of):
    invoice = invoice_of(1, MARCH_2)
    stranger = client_of(make_user("autre", other_company, Role.ADMIN))
    assert stranger.get(reverse("web:invoice_send", args=[invoice.pk])).status_code == 404
    assert stranger.post(reverse("web:invoice_status", args=[invoice.pk])).status_code == 404


def test_send_today(admin_client, make_invoice, service_product, contact):
    today = timezone.localdate()
    invoice = make_invoice(lines=[{"product": service_product.pk, "quantity": "1"}], issue_on=today)
    archived()  # its files rendered first: a mail waits for them
    url = reverse("web:send_today")
    html = admin_client.get(url).content.decode()
    assert invoice.number in html and "compta@dupont.example" in html
    response = admin_client.post(url)
    job = Job.objects.get(name="mailing.send_mails")
    assert response.status_code == 302
    assert response.url == f"{reverse('web:outbox')}?job={job.pk}"
    mail = OutgoingMail.objects.get()
    assert (mail.invoice, job.arguments) == (invoice, {"mail_ids": [mail.pk]})
    html = admin_client.get(response.url).content.decode()
    assert "1 facture(s) mise(s) en file d&#x27;envoi." in html
    # The sending runs as a job: its progress on the outbox page until it is done.
    assert f'hx-get="/jobs/{job.pk}/progress"' in html
    assert run_pending_jobs() == 1  # the sending (the render ran above)
    html = admin_client.get(reverse("web:job_progress", args=[job.pk])).content.decode()
    assert "1 e-mail(s) envoyé(s), 0 en échec." in html and "Voir l&#x27;envoi" in html
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT
    # Sent once: the minute's sending finds nothing left.
    assert send_queued().sent == []


def test_send_today_with_nothing_to_send_starts_no_job(admin_client):
    response = admin_client.post(reverse("web:send_today"))
    assert response.url == reverse("web:outbox")
    assert not Job.objects.exists()


def test_the_outbox_shows_no_job_of_another_company(admin_client, other_company):
    from encaisse.mailing.jobs import send_now

    foreign = send_now(other_company, [], by=None, label="Envoi d'une autre société")
    html = admin_client.get(reverse("web:outbox"), {"job": foreign.pk}).content.decode()
    assert "Envoi d&#x27;une autre société" not in html and "hx-get" not in html


def test_outbox_shows_failures_and_retries(admin_client, admin, invoice_of, contact, settings):
    from encaisse.mailing.invoices import send_invoice

    invoice = invoice_of(1, MARCH_2)
    mail = send_invoice(invoice, by=admin)
    settings.EMAIL_BACKEND = "tests.mailing.backends.FailingBackend"
    send_queued()
    html = admin_client.get(reverse("web:outbox")).content.decode()
    assert "Échec" in html and "SMTPServerDisconnected" in html
    assert reverse("web:outbox_retry", args=[mail.pk]) in html
    html = admin_client.get(reverse("web:outbox") + "?status=sent").content.decode()
    assert "SMTPServerDisconnected" not in html
    response = admin_client.post(reverse("web:outbox_retry", args=[mail.pk]))
    assert response.status_code == 302
    mail.refresh_from_db()
    assert mail.status == MailStatus.QUEUED


def test_add_a_status_on_the_invoice_page(admin_client, invoice_of):
    invoice = invoice_of(1, MARCH_2)
    url = reverse("web:invoice_status", args=[invoice.pk])
    response = admin_client.post(url, {"status": "205", "date": "2026-03-06", "note": "OK"})
    assert response.status_code == 302
    html = admin_client.get(response.url).content.decode()
    assert "Statut actuel : <strong>205 – Approuvée</strong> depuis le 06/03/2026" in html
    # A refused change shows the service's message and adds nothing.
    response = admin_client.post(url, {"status": "200", "date": "2026-03-01"})
    html = admin_client.get(response.url).content.decode()
    assert "La date précède l&#x27;émission de FA2026-00001" in html
    assert LifecycleEvent.objects.count() == 1


def test_import_page(admin_client, invoice_of):
    invoice_of(1, MARCH_2)
    url = reverse("web:status_import")
    assert "numéro;statut;date;commentaire" in admin_client.get(url).content.decode()
    bad = SimpleUploadedFile("s.csv", b"FA2026-00001;200;02/03/2026\nFA2026-00001;999;03/03/2026\n")
    response = admin_client.post(url, {"file": bad})
    assert response.status_code == 422
    html = response.content.decode()
    assert "rien n&#x27;a été importé" in html
    assert "Ligne 2 : statut « 999 » inconnu." in html
    assert LifecycleEvent.objects.count() == 0
    good = SimpleUploadedFile("s.csv", b"FA2026-00001;200;02/03/2026\n")
    response = admin_client.post(url, {"file": good}, follow=True)
    assert "1 statut(s) importé(s)." in response.content.decode()
    assert LifecycleEvent.objects.get().status == "200"


def test_navigation_and_list_links(admin_client):
    html = admin_client.get(reverse("web:invoices")).content.decode()
    assert reverse("web:send_today") in html and reverse("web:status_import") in html
    assert reverse("web:outbox") in html
