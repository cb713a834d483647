"""Web: the collection file of a customer and the call form (guided by the five steps),
with the written confirmation prepared after a promise. Today is frozen on 15 June 2026
(the ECB rate of H1 2026 is known; that of 1 July 2026 is not shipped)."""

import datetime as dt

import pytest
from django.urls import reverse
from freezegun import freeze_time

from encaisse.collection.models import Dispute, PromiseToPay
from encaisse.companies.models import Role
from encaisse.customers.services import add_contact
from encaisse.dunning.models import Call
from encaisse.mailing.models import OutgoingMail

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen():
    with freeze_time("2026-06-15 10:00:00"):
        yield


@pytest.fixture
def invoice(invoice_of):
    return invoice_of(10, dt.date(2026, 3, 2))  # 780.00 TTC, due 1 April 2026


@pytest.fixture
def contact(customer, admin):
    return add_contact(
        customer,
        {"name": "Mme Dupont", "email": "compta@dupont.fr", "phone": "04 78 00 00 00"},
        by=admin,
    )


def url(customer):
    return reverse("web:collection_file", args=[customer.pk])


def plain(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


def test_customer_page_links_to_the_file(admin_client, customer):
    page = admin_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert url(customer) in page and "Dossier de recouvrement" in page


def test_the_file_page(admin_client, customer, contact, invoice):
    response = admin_client.get(url(customer))
    assert response.status_code == 200
    page = plain(response.content.decode())
    assert "Dossier de recouvrement" in page
    assert invoice.number in page
    assert "75 j" in page  # 1 April -> 15 June: 29 + 31 + 15 = 75 days late
    assert "04 78 00 00 00" in page and "compta@dupont.fr" in page
    assert "Consigner un appel" in page
    # The five steps, in their order.
    steps = [
        "Identifier le bon interlocuteur",
        "Rappeler les faits",
        "Demander la raison du retard",
        "Obtenir un engagement daté",
        "Confirmer par écrit",
    ]
    positions = [page.index(s) for s in steps]
    assert positions == sorted(positions)


def test_another_companys_customer_is_not_found(client_of, other_company, make_user, customer):
    stranger = make_user("autre", other_company)
    assert client_of(stranger).get(url(customer)).status_code == 404


def test_a_reader_sees_the_file_without_the_form(client_of, company, make_user, customer):
    reader = make_user("lecteur", company, Role.READ_ONLY)
    response = client_of(reader).get(url(customer))
    assert response.status_code == 200
    assert 'id="log-call"' not in response.content.decode()
    post = client_of(reader).post(
        reverse("web:call_log", args=[customer.pk]), {"outcome": "no_answer"}
    )
    assert post.status_code == 403
    assert not Call.objects.exists()


def test_form_errors_next_to_the_fields_and_nothing_saved(admin_client, customer, contact, invoice):
    post = reverse("web:call_log", args=[customer.pk])
    response = admin_client.post(
        post,
        {
            "contact": contact.pk,
            "called_on": "2026-06-15",
            "steps": ["identify", "recall"],
            "outcome": "promise",
            "promise_invoices": [invoice.pk],
            "promise_amount": "0",
            "promised_on": "2026-06-30",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_promise_amount-error"' in page
    assert "Le montant promis doit être positif." in page
    # What was typed is kept.
    assert 'value="identify" checked' in page
    assert (Call.objects.count(), PromiseToPay.objects.count()) == (0, 0)

    response = admin_client.post(post, {"outcome": "callback", "called_on": "2026-06-15"})
    assert response.status_code == 422
    assert 'id="id_callback_on-error"' in response.content.decode()
    response = admin_client.post(post, {"outcome": "no_answer", "called_on": "2026-06-16"})
    assert response.status_code == 422
    assert 'id="id_called_on-error"' in response.content.decode()  # in the future
    assert not Call.objects.exists()


def test_log_a_promise_then_send_the_prepared_confirmation(
    admin_client, client_of, make_user, company, customer, contact, invoice
):
    response = admin_client.post(
        reverse("web:call_log", args=[customer.pk]),
        {
            "contact": contact.pk,
            "called_on": "2026-06-15",
            "steps": ["identify", "recall", "reason", "commitment"],
            "outcome": "promise",
            "promise_invoices": [invoice.pk],
            "promise_amount": "780,00",
            "promised_on": "2026-06-30",
            "promise_tolerance_days": "3",
            "note": "Trésorerie tendue, paiement fin de mois.",
            # Fields of another outcome, left filled in on the page: ignored.
            "dispute_amount": "abc",
            "callback_on": "2020-01-01",
        },
    )
    call = Call.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{url(customer)}?confirm={call.pk}#confirmation"
    assert call.promise.amount == 780 and call.callback_on is None
    assert call.steps == ["identify", "recall", "reason", "commitment"]

    page = plain(admin_client.get(f"{url(customer)}?confirm={call.pk}").content.decode())
    assert 'id="confirmation"' in page
    # Not to a role that could not send it.
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    assert (
        'id="confirmation"' not in reader.get(f"{url(customer)}?confirm={call.pk}").content.decode()
    )
    assert "Confirmation de votre engagement de règlement de 780,00 € au 30/06/2026" in page
    assert "compta@dupont.fr" in page
    assert "Appel : promesse de paiement" in page

    confirm = reverse("web:call_confirm", args=[customer.pk, call.pk])
    bad = admin_client.post(confirm, {"to": "pas-une-adresse", "subject": "x", "body": "y"})
    assert bad.status_code == 422
    assert 'id="id_to-error"' in bad.content.decode()
    assert not OutgoingMail.objects.exists()

    done = admin_client.post(
        confirm,
        {"to": "compta@dupont.fr", "subject": "Notre appel de ce jour", "body": "Bonjour, ..."},
    )
    assert done.status_code == 302
    mail = OutgoingMail.objects.get()
    assert (mail.to, mail.subject) == (["compta@dupont.fr"], "Notre appel de ce jour")
    call.refresh_from_db()
    assert call.confirmation_mail == mail and call.steps[-1] == "confirm"
    # Sent: no form any more, the mail is shown on the call.
    page = admin_client.get(f"{url(customer)}?confirm={call.pk}").content.decode()
    assert 'id="confirmation"' not in page and "Notre appel de ce jour" in page


def test_log_a_dispute(admin_client, admin, customer, invoice):
    response = admin_client.post(
        reverse("web:call_log", args=[customer.pk]),
        {
            "contact_name": "M. Dupont",
            "called_on": "2026-06-15",
            "outcome": "dispute",
            "dispute_invoice": invoice.pk,
            "dispute_amount": "156,00",
            "dispute_category": "quality",
            "dispute_owner": admin.pk,
            "dispute_department": "sales",
            "dispute_target_date": "2026-06-30",
            "dispute_words": "Intervention à reprendre.",
        },
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert (dispute.amount, dispute.opened_on) == (156, TODAY)
    assert Call.objects.get().dispute == dispute


def test_log_a_callback(admin_client, customer):
    response = admin_client.post(
        reverse("web:call_log", args=[customer.pk]),
        {"called_on": "2026-06-15", "outcome": "callback", "callback_on": "2026-06-18"},
    )
    call = Call.objects.get()
    assert response["Location"] == f"{url(customer)}#call-{call.pk}"
    assert call.callback_on == dt.date(2026, 6, 18)
    page = admin_client.get(url(customer)).content.decode()
    assert "Appel : rappeler le 18/06/2026" in page


def test_a_consumers_file_speaks_of_legal_interest(admin_client, consumer, invoice_of):
    invoice_of(10, dt.date(2026, 3, 2), cust=consumer)  # 780.00, due 1 April, no notice
    page = plain(admin_client.get(url(consumer)).content.decode())
    assert "Intérêts au taux légal" in page and "sans indemnité" in page
    assert "L.441-10" not in page and "Pénalités de retard" not in page
