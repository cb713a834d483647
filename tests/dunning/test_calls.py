"""Collection calls: logged with their outcome; a promise or a dispute recorded with the
call in one transaction; the written confirmation prepared and queued."""

import datetime as dt
from decimal import Decimal as D

import pytest

from encaisse.audit.models import AuditEntry
from encaisse.collection.models import Dispute, DisputeStatus, PromiseToPay
from encaisse.companies.models import Role
from encaisse.customers.services import add_contact, create_customer
from encaisse.dunning.calls import confirmation_message, get_call, log_call, send_confirmation
from encaisse.dunning.models import Call, CallOutcome, CallStep
from encaisse.errors import Conflict, Forbidden, NotFound, ValidationFailed
from encaisse.mailing.models import OutgoingMail
from tests.conftest import CUSTOMER

MAR2 = dt.date(2026, 3, 2)


def plain(text: str) -> str:
    """French amounts carry (narrow) no-break spaces: compared as plain spaces."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


MAR20 = dt.date(2026, 3, 20)


@pytest.fixture
def invoice(invoice_of):
    return invoice_of(10, dt.date(2026, 1, 5))  # 10 × 78.00 = 780.00 TTC, due 4 Feb


@pytest.fixture
def contact(customer, admin):
    return add_contact(
        customer,
        {
            "civility": "madame",
            "first_name": "Claire",
            "last_name": "Dupont",
            "job_title": "Comptable",
            "email": "compta@dupont.fr",
        },
        by=admin,
    )


def promise_call(company, customer, contact, invoice, admin, **extra):
    return log_call(
        company,
        {
            "customer": customer.pk,
            "contact": contact.pk,
            "called_on": MAR2,
            "steps": [CallStep.COMMITMENT, CallStep.IDENTIFY, CallStep.RECALL],
            "outcome": CallOutcome.PROMISE,
            "promise_invoices": [invoice.pk],
            "promise_amount": "500.00",
            "promised_on": MAR20,
            "note": "Paiement partiel, le solde fin mars.",
            **extra,
        },
        by=admin,
    )


def test_a_promise_call_records_the_promise_and_links_it(
    company, customer, contact, invoice, admin
):
    call = promise_call(company, customer, contact, invoice, admin)
    promise = call.promise
    assert (promise.amount, promise.promised_on, promise.recorded_on) == (
        D("500.00"),
        MAR20,
        MAR2,
    )
    assert (promise.channel, promise.promised_by) == ("phone", "Claire Dupont")
    assert list(promise.invoices.all()) == [invoice]
    assert (call.contact, call.contact_name, call.called_on) == (contact, "Claire Dupont", MAR2)
    # Stored in the order of the method, not the order ticked.
    assert call.steps == ["identify", "recall", "commitment"]
    assert AuditEntry.objects.filter(action="call.logged", object_id=str(call.pk)).exists()
    assert AuditEntry.objects.filter(action="promise.recorded").count() == 1


def test_a_promise_with_a_bad_amount_changes_nothing(company, customer, contact, invoice, admin):
    with pytest.raises(ValidationFailed) as error:
        promise_call(company, customer, contact, invoice, admin, promise_amount="0")
    # The promise service's field, named as the call's form names it.
    assert (error.value.code, error.value.field) == ("zero_amount", "promise_amount")
    assert not Call.objects.exists()
    assert not PromiseToPay.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["call.logged", "promise.recorded"]).exists()


def test_a_promise_without_a_date_changes_nothing(company, customer, contact, invoice, admin):
    with pytest.raises(ValidationFailed) as error:
        promise_call(company, customer, contact, invoice, admin, promised_on="")
    assert error.value.field == "promised_on"
    assert (Call.objects.count(), PromiseToPay.objects.count()) == (0, 0)


def test_a_promise_needs_the_person_who_promised(company, customer, invoice, admin):
    with pytest.raises(ValidationFailed) as error:
        log_call(
            company,
            {
                "customer": customer.pk,
                "called_on": MAR2,
                "outcome": "promise",
                "promise_invoices": [invoice.pk],
                "promise_amount": "500",
                "promised_on": MAR20,
            },
            by=admin,
        )
    assert error.value.field == "contact"
    assert not PromiseToPay.objects.exists()


def test_a_dispute_call_opens_the_dispute(company, customer, invoice, admin):
    call = log_call(
        company,
        {
            "customer": customer.pk,
            "contact_name": "M. Dupont, gérant",
            "called_on": MAR2,
            "outcome": "dispute",
            "dispute_invoice": invoice.pk,
            "dispute_amount": "156.00",
            "dispute_category": "quantity",
            "dispute_words": "Deux heures facturées en trop.",
            "dispute_owner": admin.pk,
            "dispute_department": "sales",
            "dispute_target_date": MAR20,
        },
        by=admin,
    )
    dispute = call.dispute
    assert (dispute.invoice, dispute.amount, dispute.opened_on) == (invoice, D("156.00"), MAR2)
    assert dispute.status == DisputeStatus.OPEN
    assert call.contact is None and call.contact_name == "M. Dupont, gérant"


def test_a_dispute_above_what_is_owed_changes_nothing(company, customer, invoice, admin):
    data = {
        "customer": customer.pk,
        "contact_name": "M. Dupont",
        "called_on": MAR2,
        "outcome": "dispute",
        "dispute_invoice": invoice.pk,
        "dispute_amount": "780.01",  # the invoice owes 780.00
        "dispute_category": "price",
        "dispute_words": "Trop cher.",
        "dispute_owner": admin.pk,
        "dispute_department": "sales",
        "dispute_target_date": MAR20,
    }
    with pytest.raises(ValidationFailed) as error:
        log_call(company, data, by=admin)
    assert (error.value.code, error.value.field) == ("above_open_amount", "dispute_amount")
    with pytest.raises(ValidationFailed) as error:
        log_call(company, {**data, "dispute_amount": "100", "dispute_owner": ""}, by=admin)
    assert error.value.field == "dispute_owner"
    assert (Call.objects.count(), Dispute.objects.count()) == (0, 0)


def test_a_dispute_on_another_customers_invoice_is_refused(
    company, customer, admin, make_invoice, invoice
):
    other = create_customer(
        company, {**CUSTOMER, "legal_name": "Fournil", "siren": "443061841", "siret": ""}, by=admin
    )
    theirs = make_invoice(cust=other, issue_on=dt.date(2026, 1, 5))
    with pytest.raises(ValidationFailed) as error:
        log_call(
            company,
            {
                "customer": customer.pk,
                "contact_name": "M. Dupont",
                "called_on": MAR2,
                "outcome": "dispute",
                "dispute_invoice": theirs.pk,
                "dispute_category": "price",
                "dispute_words": "x",
                "dispute_owner": admin.pk,
                "dispute_department": "sales",
                "dispute_target_date": MAR20,
            },
            by=admin,
        )
    assert error.value.field == "dispute_invoice"
    assert not Dispute.objects.exists()


def test_callback_needs_a_date_not_past(company, customer, admin, settings):
    base = {"customer": customer.pk, "called_on": MAR2, "outcome": "callback"}
    with pytest.raises(ValidationFailed) as error:
        log_call(company, base, by=admin)
    assert (error.value.code, error.value.field) == ("required", "callback_on")
    with pytest.raises(ValidationFailed) as error:
        log_call(company, {**base, "callback_on": MAR20}, by=admin)  # before today
    assert (error.value.code, error.value.field) == ("callback_in_past", "callback_on")
    assert not Call.objects.exists()
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    call = log_call(company, {**base, "callback_on": tomorrow}, by=admin)
    assert (call.outcome, call.callback_on, call.promise, call.dispute) == (
        "callback",
        tomorrow,
        None,
        None,
    )


def test_no_answer_and_wrong_contact_need_nothing_more(company, customer, admin):
    call = log_call(company, {"customer": customer.pk, "outcome": "no_answer"}, by=admin)
    assert call.called_on == dt.date.today() and call.steps == []
    call = log_call(
        company,
        {"customer": customer.pk, "outcome": "wrong_contact", "contact_name": "Standard"},
        by=admin,
    )
    assert call.contact_name == "Standard"


def test_bad_inputs(company, other_company, customer, admin, make_user):
    future = dt.date.today() + dt.timedelta(days=1)
    cases = [
        ({"called_on": future}, "future_date", "called_on"),
        ({"called_on": "32/13/2026"}, None, "called_on"),
        ({"outcome": "hung_up"}, "invalid_outcome", "outcome"),
        ({"steps": ["identify", "pray"]}, "invalid_step", "steps"),
        ({"contact": 999999}, "unknown_contact", "contact"),
        ({"reminder": 999999}, "unknown_reminder", "reminder"),
    ]
    for extra, code, field in cases:
        with pytest.raises(ValidationFailed) as error:
            log_call(company, {"customer": customer.pk, "outcome": "no_answer", **extra}, by=admin)
        assert error.value.field == field, extra
        if code:
            assert error.value.code == code
    with pytest.raises(NotFound):
        log_call(other_company, {"customer": customer.pk, "outcome": "no_answer"}, by=admin)
    reader = make_user("lecteur", company, Role.READ_ONLY)
    with pytest.raises(Forbidden):
        log_call(company, {"customer": customer.pk, "outcome": "no_answer"}, by=reader)
    assert not Call.objects.exists()


def test_a_contact_of_another_customer_is_refused(company, customer, admin):
    other = create_customer(
        company, {**CUSTOMER, "legal_name": "Autre client", "siren": "", "siret": ""}, by=admin
    )
    theirs = add_contact(other, {"name": "M. Autre"}, by=admin)
    with pytest.raises(ValidationFailed) as error:
        log_call(
            company,
            {"customer": customer.pk, "contact": theirs.pk, "outcome": "no_answer"},
            by=admin,
        )
    assert error.value.code == "unknown_contact"


def test_the_confirmation_restates_the_promise(company, customer, contact, invoice, admin):
    call = promise_call(company, customer, contact, invoice, admin)
    to, subject, body = map(plain, confirmation_message(call))
    assert to == "compta@dupont.fr"
    assert subject == "Confirmation de votre engagement de règlement de 500,00 € au 20/03/2026"
    assert body.startswith("Bonjour Madame Dupont,\n")  # civility and last name
    assert "entretien téléphonique du 02/03/2026" in body
    assert "régler la somme de 500,00 € au plus tard le 20/03/2026" in body
    assert f"- facture {invoice.number} du 05/01/2026 (780,00 € TTC)" in body
    assert "Atelier Martin SAS" in body


def test_a_name_typed_during_the_call_is_no_greeting(company, customer, invoice, admin):
    call = log_call(
        company,
        {
            "customer": customer.pk,
            "contact_name": "Mme Lefèvre, comptabilité",
            "called_on": MAR2,
            "outcome": CallOutcome.PROMISE,
            "promise_invoices": [invoice.pk],
            "promise_amount": "500.00",
            "promised_on": MAR20,
        },
        by=admin,
    )
    _to, _subject, body = confirmation_message(call)
    assert body.startswith("Bonjour,\n") and "Lefèvre" not in body.split("\n")[0]


def test_send_confirmation_queues_the_edited_mail_once(company, customer, contact, invoice, admin):
    call = promise_call(company, customer, contact, invoice, admin)
    call = send_confirmation(
        call,
        {"to": "compta@dupont.fr; direction@dupont.fr", "subject": "Notre appel", "body": "Merci."},
        by=admin,
    )
    mail = call.confirmation_mail
    assert (mail.to, mail.subject, mail.body) == (
        ["compta@dupont.fr", "direction@dupont.fr"],
        "Notre appel",
        "Merci.",
    )
    assert mail.customer == customer
    # Confirming in writing is the fifth step, now done.
    assert call.steps == ["identify", "recall", "commitment", "confirm"]
    assert AuditEntry.objects.filter(action="call.confirmation_queued").count() == 1
    with pytest.raises(Conflict):
        send_confirmation(get_call(company, call.pk), {}, by=admin)
    assert OutgoingMail.objects.count() == 1


def test_send_confirmation_with_a_bad_address_changes_nothing(
    company, customer, contact, invoice, admin
):
    call = promise_call(company, customer, contact, invoice, admin)
    with pytest.raises(ValidationFailed) as error:
        send_confirmation(call, {"to": "pas-une-adresse"}, by=admin)
    assert error.value.field == "to"
    call.refresh_from_db()
    assert call.confirmation_mail is None and "confirm" not in call.steps
    assert not OutgoingMail.objects.exists()


def test_nothing_to_confirm_after_no_answer(company, customer, admin):
    call = log_call(company, {"customer": customer.pk, "outcome": "no_answer"}, by=admin)
    with pytest.raises(Conflict):
        confirmation_message(call)


def test_the_dispute_confirmation(company, customer, invoice, admin):
    call = log_call(
        company,
        {
            "customer": customer.pk,
            "contact_name": "M. Dupont",
            "called_on": MAR2,
            "outcome": "dispute",
            "dispute_invoice": invoice.pk,
            "dispute_amount": "156.00",
            "dispute_category": "quantity",
            "dispute_words": "Deux heures en trop.",
            "dispute_owner": admin.pk,
            "dispute_department": "logistics",
            "dispute_target_date": MAR20,
        },
        by=admin,
    )
    to, subject, body = map(plain, confirmation_message(call))
    assert to == ""  # no contact address nor customer e-mail: the collector types it
    assert subject == f"Votre contestation de la facture {invoice.number}"
    assert "pour un montant de 156,00 € TTC (motif : quantité)" in body
    assert "d'ici le 20/03/2026" in body
