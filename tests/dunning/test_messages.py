"""The e-mail of a reminder: default subject and body per level, the letter's file name,
and what the send queues with them.

Same invoices and days as tests/documents/test_reminder_letters.py (see its docstring
for the arithmetic of the penalties): FA2025-00001, 10 000,00 € due 15 May 2025, and
FA2025-00002, 390,00 € due 1 Jun 2025; level 1 on 10 Jun, 2 on 30 Jun, 3 on 15 Jul.
"""

import datetime as dt
from decimal import Decimal

import pytest

from encaisse.customers.services import add_contact, create_customer
from encaisse.dunning.actions import edit_reminder, send_reminder
from encaisse.dunning.messages import default_message, letter_filename
from encaisse.dunning.models import Reminder, ReminderStatus
from encaisse.dunning.run import run_dunning
from encaisse.dunning.scenarios import DEFAULT_LEVELS, default_scenario, update_scenario
from encaisse.errors import ValidationFailed
from tests.documents.test_pdf import NBSP, eur
from tests.documents.test_reminder_letters import (
    ISSUED,
    MAIL,
    SENDS,
    big_invoice,  # noqa: F401 (a fixture two_invoices and a test below use)
    proposed,
    send_up_to,
    two_invoices,  # noqa: F401 (the fixture of the tests below)
)

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("two_invoices")
def test_amicable_message_lists_the_invoices(company, customer):
    reminder = proposed(company, customer, SENDS[1])
    subject, body = default_message(reminder)
    # 10 000,00 + 390,00 = 10 390,00
    # The subject is a mail header: plain spaces in the amount.
    assert subject == "Relance — 2 factures échues, 10 390,00 € — Atelier Martin SAS"
    lines = body.splitlines()
    assert lines[0] == "Madame, Monsieur,"  # no contact known by name
    # 10 Jun − 15 May = 26 days; 10 Jun − 1 Jun = 9 days.
    assert (
        "- Facture FA2025-00001 du 15/04/2025, échéance 15/05/2025 (26 jours de retard) : "
        f"{eur('10 000,00 €')} restant dus" in lines
    )
    assert (
        "- Facture FA2025-00002 du 02/05/2025, échéance 01/06/2025 (9 jours de retard) : "
        f"{eur('390,00 €')} restant dus" in lines
    )
    assert f"Total : {eur('10 390,00 €')}" in lines
    assert "simple oubli" in body and "ne pas tenir compte de ce message" in body
    iban = NBSP.join(["FR76", "3000", "6000", "0112", "3456", "7890", "189"])
    assert (
        f"Règlement par virement sur le compte IBAN {iban} (BIC AGRIFRPP), en rappelant : "
        "FA2025-00001, FA2025-00002." in lines
    )
    # An e-mail-only level: no letter attached, no penalty, no deadline.
    assert "pièce jointe" not in body and "Pénalités" not in body and "Date limite" not in body
    assert lines[-2:] == ["Atelier Martin SAS", "Service recouvrement"]


def test_a_message_for_one_invoice_asks_for_its_rf_reference(company, customer, request):
    request.getfixturevalue("big_invoice")()
    reminder = proposed(company, customer, SENDS[1])
    _subject, body = default_message(reminder)
    lines = body.splitlines()
    assert "en rappelant la référence de paiement indiquée ci-dessous." in body
    iban = NBSP.join(["FR76", "3000", "6000", "0112", "3456", "7890", "189"])
    assert f"Règlement par virement sur le compte IBAN {iban} (BIC AGRIFRPP)." in lines
    # FA2025-00001 -> body FA202500001, ISO 7064 MOD 97-10 check digits 84.
    assert (
        "Merci d'indiquer la référence RF84FA202500001 dans le libellé de votre virement "
        "(facture FA2025-00001)." in lines
    )


@pytest.mark.usefixtures("two_invoices")
def test_sending_queues_the_default_message(company, admin, customer):
    reminder = proposed(company, customer, SENDS[1])
    subject, body = default_message(reminder)
    sent = send_reminder(reminder, by=admin, on=SENDS[1], to=MAIL)
    assert (sent.mail.subject, sent.mail.body, sent.mail.to) == (subject, body, MAIL)
    assert not sent.mail.attachments.exists()  # level 1 goes by e-mail only


@pytest.mark.usefixtures("two_invoices")
def test_formal_message_gives_the_amounts_and_attaches_the_letter(company, admin, customer):
    reminder = send_up_to(company, customer, admin, 2)
    assert reminder.channel == "letter_email"
    subject, body = default_message(reminder)
    assert subject == "Deuxième relance — factures impayées, 10 390,00 € — Atelier Martin SAS"
    lines = body.splitlines()
    assert "Malgré nos relances du 10/06/2025, les factures ci-dessous" in body
    # 30 Jun: penalties 165.73 + 4.07 = 169.80; fees 2 × 40.00 = 80.00;
    # 10 390.00 + 169.80 + 80.00 = 10 639.80; deadline 30 Jun + 8 days = 8 Jul.
    assert f"Principal : {eur('10 390,00 €')}" in lines
    assert f"Pénalités de retard au 30/06/2025 : {eur('169,80 €')}" in lines
    assert f"Indemnités forfaitaires de recouvrement : {eur('80,00 €')}" in lines
    assert f"Total dû : {eur('10 639,80 €')}" in lines
    assert "Date limite de paiement : 08/07/2025." in lines
    assert "Vous trouverez notre courrier en pièce jointe." in lines
    attachment = reminder.mail.attachments.get()
    assert attachment.filename == f"relance-formelle-{reminder.pk}-2025-06-30.pdf"
    assert bytes(attachment.content) == bytes(reminder.letter_pdf)
    assert (reminder.mail.subject, reminder.mail.body) == (subject, body)


@pytest.mark.usefixtures("two_invoices")
def test_an_edited_message_is_sent_instead(company, admin, customer):
    reminder = proposed(company, customer, SENDS[1])
    edit_reminder(
        reminder, {"subject": "Factures en attente", "body": "Bonjour,\nMerci."}, by=admin
    )
    sent = send_reminder(reminder, by=admin, on=SENDS[1], to=MAIL)
    assert (sent.mail.subject, sent.mail.body) == ("Factures en attente", "Bonjour,\nMerci.")


@pytest.mark.usefixtures("two_invoices")
@pytest.mark.parametrize(
    "data, field, code",
    [
        ({"subject": "x" * 256}, "subject", "too_long"),
        ({"subject": "Relance 🔔"}, "subject", "emoji"),
        ({"body": "Bon\x0bjour"}, "body", "invisible_character"),
    ],
)
def test_an_edit_the_letter_could_not_carry_is_refused(company, admin, customer, data, field, code):
    reminder = proposed(company, customer, SENDS[1])
    before = (reminder.subject, reminder.body)
    with pytest.raises(ValidationFailed) as error:
        edit_reminder(reminder, {"subject": "Objet", "body": "Texte", **data}, by=admin)
    assert (error.value.field, error.value.code) == (field, code)
    reminder.refresh_from_db()
    assert (reminder.subject, reminder.body) == before


def test_formal_notice_file_name_and_consumer_wording(company, admin, make_invoice, product):
    consumer = create_customer(
        company,
        {
            "legal_name": "Mme Claire Petit",
            "kind": "consumer",
            "billing_line1": "5 rue Haute",
            "billing_postal_code": "13001",
            "billing_city": "Marseille",
        },
        by=admin,
    )
    # 20 × 18.90 at 5.5 % = 398.79 TTC, due 15 May.
    invoice = make_invoice(
        lines=[{"product": product.pk, "quantity": "20"}], issue_on=ISSUED, cust=consumer
    )
    assert invoice.total_incl_vat == Decimal("398.79")
    reminder = send_up_to(company, consumer, admin, 3)
    assert letter_filename(reminder) == f"mise-en-demeure-{reminder.pk}-2025-07-15.pdf"
    subject, body = default_message(reminder)
    assert subject == "Mise en demeure de payer — Atelier Martin SAS"
    # A consumer: no penalty, no recovery fee; legal interest only from the notice on.
    assert "Intérêts au" not in body
    assert f"Total dû : {eur('398,79 €')}" in body.splitlines()
    assert "Indemnités" not in body and "taux légal" in body
    assert "Date limite de paiement : 23/07/2025." in body.splitlines()


@pytest.mark.usefixtures("two_invoices")
def test_courtesy_message_before_the_due_date(company, admin, customer):
    levels = [{"rank": 0, "day_offset": -5, "channel": "email", "needs_validation": True}]
    levels += [
        {"rank": r, "day_offset": o, "channel": c, "needs_validation": v}
        for r, o, c, _t, v in DEFAULT_LEVELS
    ]
    update_scenario(default_scenario(company), {"levels": levels}, by=admin)
    run_dunning(company, dt.date(2025, 5, 10))
    reminder = Reminder.objects.get(customer=customer, status=ReminderStatus.PROPOSED)
    subject, body = default_message(reminder)
    assert subject == "Rappel d'échéance — 1 facture, 10 000,00 € — Atelier Martin SAS"
    # Only FA2025-00001 (due in 5 days); FA2025-00002, due 1 Jun, is not yet in view.
    assert "FA2025-00002" not in body
    assert "(échéance à venir)" in body and "arrive prochainement à échéance" in body
    assert "Date limite" not in body and "Pénalités" not in body
    assert letter_filename(reminder) == f"rappel-echeance-{reminder.pk}-2025-05-10.pdf"


def test_the_last_notice_to_a_consumer_states_the_legal_interest(company, admin, consumer, request):
    request.getfixturevalue("big_invoice")(cust=consumer)  # 10 000,00 € due 15 May; notice 15 Jul
    reminder = send_up_to(company, consumer, admin, 4)
    _subject, body = default_message(reminder)
    # 16–30 Jul at 2.76 %: 10 000 × 2.76 % × 15 / 365 = 11.34 (see the letters' tests)
    lines = body.splitlines()
    assert f"Intérêts au taux légal au 30/07/2025 : {eur('11,34 €')}" in lines
    assert f"Total dû : {eur('10 011,34 €')}" in lines
    assert "Pénalités" not in body and "Indemnités" not in body


@pytest.mark.usefixtures("two_invoices")
def test_the_message_greets_the_billing_contact_by_civility_and_name(company, admin, customer):
    add_contact(
        customer,
        {
            "civility": "monsieur",
            "first_name": "Paul",
            "last_name": "Martin",
            "email": "p.martin@dupont.example",
            "is_billing_contact": True,
        },
        by=admin,
    )
    # Level 1 is sent by the run itself, now that the customer has an address.
    run_dunning(company, SENDS[1])
    reminder = Reminder.objects.get(customer=customer, status=ReminderStatus.SENT)
    assert reminder.mail.body.splitlines()[0] == "Bonjour Monsieur Martin,"
