"""Web: the statement PDF and its sending from the customer account page, and the PDF of
a remittance slip."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from encaisse.audit.models import AuditEntry
from encaisse.companies.models import Role
from encaisse.customers.services import add_contact
from encaisse.mailing.models import OutgoingMail
from encaisse.receivables.services.payments import create_remittance_slip

pytestmark = pytest.mark.django_db

NNBSP, NBSP = "\u202f", "\u00a0"
AS_OF = "2026-11-20"


@pytest.fixture
def account(invoice_of):
    return invoice_of(20, dt.date(2026, 10, 1))  # 1 560,00 (20 h × 78,00), due 31 Oct


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_account_page_links_keep_the_date(admin_client, customer, account):
    html = admin_client.get(
        reverse("web:customer_statement", args=[customer.pk]), {"as_of": AS_OF}
    ).content.decode()
    pdf_url = reverse("web:customer_statement_pdf", args=[customer.pk])
    send_url = reverse("web:statement_send", args=[customer.pk])
    assert f'href="{pdf_url}?as_of={AS_OF}"' in html
    assert f'href="{send_url}?as_of={AS_OF}"' in html


def test_read_only_sees_the_pdf_but_cannot_send(client_of, company, make_user, customer):
    client = client_of(make_user("lecture", company, Role.READ_ONLY))
    html = client.get(reverse("web:customer_statement", args=[customer.pk])).content.decode()
    assert reverse("web:customer_statement_pdf", args=[customer.pk]) in html
    assert "Envoyer le relevé par e-mail" not in html
    send_url = reverse("web:statement_send", args=[customer.pk])
    assert client.get(send_url).status_code == 403
    assert (
        client.post(send_url, {"to": "x@example.fr", "subject": "s", "body": "b"}).status_code
        == 403
    )
    assert OutgoingMail.objects.count() == 0


def test_statement_pdf_at_the_date_asked(admin_client, customer, account):
    url = reverse("web:customer_statement_pdf", args=[customer.pk])
    text = pdf_text(admin_client.get(url, {"as_of": AS_OF}))
    assert "Relevé de compte au 20/11/2026" in text
    assert account.number in text and f"1{NNBSP}560,00{NBSP}€" in text


def test_send_form_is_prefilled_then_queues_the_statement(admin_client, admin, customer, account):
    add_contact(
        customer,
        {"name": "Compta", "email": "compta@dupont.example", "is_billing_contact": True},
        by=admin,
    )
    url = f"{reverse('web:statement_send', args=[customer.pk])}?as_of={AS_OF}"
    html = admin_client.get(url).content.decode()
    assert 'value="compta@dupont.example"' in html
    assert "Relevé de compte au 20/11/2026 – Atelier Martin SAS" in html
    assert f'action="?as_of={AS_OF}"' in html
    response = admin_client.post(
        url,
        {
            "to": "compta@dupont.example",
            "cc": "",
            "subject": "Relevé de compte au 20/11/2026",
            "body": "Bonjour, voici votre relevé.",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('web:customer_statement', args=[customer.pk])}?as_of={AS_OF}"
    )
    mail = OutgoingMail.objects.get()
    assert (mail.to, mail.subject, mail.customer_id) == (
        ["compta@dupont.example"],
        "Relevé de compte au 20/11/2026",
        customer.pk,
    )
    attachment = mail.attachments.get()
    text = PdfReader(io.BytesIO(bytes(attachment.content))).pages[0].extract_text()
    assert "Relevé de compte au 20/11/2026" in text
    assert AuditEntry.objects.filter(
        action="customer.statement_mail_queued", object_id=str(customer.pk)
    ).exists()
    # The customer's history says it in words.
    html = admin_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "Envoi du relevé de compte par e-mail demandé" in html


def test_send_without_recipient_is_refused(admin_client, customer, account):
    url = reverse("web:statement_send", args=[customer.pk])
    html = admin_client.get(url).content.decode()
    assert "Ce client n'a ni contact" in html  # nothing to prefill
    response = admin_client.post(url, {"to": " ", "subject": "Relevé", "body": "Bonjour"})
    assert response.status_code == 422
    assert OutgoingMail.objects.count() == 0


def test_another_companys_customer_is_404(client_of, other_company, make_user, customer):
    client = client_of(make_user("autre", other_company, Role.ADMIN))
    for name in ("customer_statement_pdf", "statement_send"):
        assert client.get(reverse(f"web:{name}", args=[customer.pk])).status_code == 404


def test_remittance_slip_pdf(
    admin_client, client_of, company, admin, pay, other_company, make_user
):
    first = pay("120.00", dt.date(2026, 11, 2), method="cheque", reference="Chq 1111")
    second = pay("80.50", dt.date(2026, 11, 3), method="cheque", reference="Chq 2222")
    slip = create_remittance_slip(
        company, [first.pk, second.pk], by=admin, on=dt.date(2026, 11, 4), bank_account=""
    )
    html = admin_client.get(reverse("web:remittance_detail", args=[slip.pk])).content.decode()
    url = reverse("web:remittance_pdf", args=[slip.pk])
    assert f'href="{url}"' in html
    text = pdf_text(admin_client.get(url))
    assert "Chq 1111" in text and "Chq 2222" in text
    assert f"200,50{NBSP}€" in text  # 120.00 + 80.50
    outsider = client_of(make_user("autre", other_company, Role.ADMIN))
    assert outsider.get(url).status_code == 404
