"""A registered letter (the formal notice, and any level sent by registered mail) is sent
with its registered-mail number, printed on it: without the number the send is refused
and nothing changes; the number can be corrected afterwards.

One invoice of 10 h × 78.00 = 780.00 TTC issued on 15/02/2025 at 30 days: due 17/03.
Default scenario: level 1 (e-mail) on 18/03, level 2 (letter and e-mail) on 01/04, level
3 (formal notice, registered) on 16/04, level 4 (pre-litigation, registered) on 01/05.
"""

import datetime as dt

import pytest

from encaisse.audit.models import AuditEntry
from encaisse.dunning.actions import record_registered_mail, send_reminder
from encaisse.dunning.models import Reminder, ReminderStatus
from encaisse.dunning.run import run_dunning
from encaisse.dunning.scenarios import DEFAULT_LEVELS, default_scenario, update_scenario
from encaisse.errors import Conflict, ValidationFailed
from encaisse.mailing.models import OutgoingMail
from tests.documents.test_pdf import pages_text
from tests.documents.test_statement_pdf import flat

pytestmark = pytest.mark.django_db

D = dt.date
LEVEL_DAYS = {1: D(2025, 3, 18), 2: D(2025, 4, 1), 3: D(2025, 4, 16), 4: D(2025, 5, 1)}
MAIL = ["compta@dupont.fr"]


def proposed_at(company, admin, customer, invoice_of, level) -> Reminder:
    """Levels before `level` sent on their days (the customer has no e-mail address: the
    collector gives one), `level` proposed on its day."""
    invoice = invoice_of(10, D(2025, 2, 15), terms_kind="net", terms_days=30)
    assert invoice.due_date == D(2025, 3, 17)
    for rank in range(1, level + 1):
        run_dunning(company, LEVEL_DAYS[rank])
        reminder = Reminder.objects.get(customer=customer, level=rank)
        if rank < level:
            send_reminder(reminder, by=admin, on=LEVEL_DAYS[rank], to=MAIL)
    return reminder


@pytest.fixture
def notice(company, admin, customer, invoice_of):
    """The formal notice (level 3) proposed on 16/04, levels 1 and 2 sent before."""
    reminder = proposed_at(company, admin, customer, invoice_of, 3)
    assert (reminder.status, reminder.channel, reminder.is_registered) == (
        ReminderStatus.PROPOSED,
        "registered",
        True,
    )
    return reminder


def unchanged(reminder):
    """The reminder as it was: proposed, no letter, no mail, nothing in the trail."""
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PROPOSED
    assert (reminder.sent_on, reminder.letter_pdf, reminder.mail_id) == (None, None, None)
    assert reminder.registered_mail_ref == "" and reminder.penalties == 0
    assert not AuditEntry.objects.filter(action="reminder.sent", object_id=reminder.pk).exists()


@pytest.mark.parametrize("ref", ["", "   "])
def test_a_registered_letter_is_not_sent_without_its_number(admin, notice, ref):
    mails = OutgoingMail.objects.count()
    with pytest.raises(ValidationFailed) as error:
        send_reminder(notice, by=admin, on=LEVEL_DAYS[3], to=MAIL, registered_mail_ref=ref)
    assert error.value.code == "registered_mail_ref_required"
    assert error.value.field == "registered_mail_ref"
    unchanged(notice)
    assert OutgoingMail.objects.count() == mails


def test_a_number_too_long_is_refused(admin, notice):
    with pytest.raises(ValidationFailed) as error:
        send_reminder(notice, by=admin, on=LEVEL_DAYS[3], to=MAIL, registered_mail_ref="9" * 41)
    assert (error.value.code, error.value.field) == ("too_long", "registered_mail_ref")
    unchanged(notice)


def test_sent_with_its_number_printed_on_the_letter(admin, notice):
    sent = send_reminder(
        notice, by=admin, on=LEVEL_DAYS[3], to=MAIL, registered_mail_ref=" 1A  123 456 7890 1 "
    )
    assert (sent.status, sent.registered_mail_ref) == (ReminderStatus.SENT, "1A 123 456 7890 1")
    text = " ".join(flat(page) for page in pages_text(bytes(sent.letter_pdf)))
    assert "LETTRE RECOMMANDÉE AVEC ACCUSÉ DE RÉCEPTION n° 1A 123 456 7890 1" in text
    # Corrected later: the reminder keeps the new number (the letter sent stays as it was).
    corrected = record_registered_mail(sent, "1A 123 456 7890 2", by=admin)
    assert corrected.registered_mail_ref == "1A 123 456 7890 2"
    with pytest.raises(ValidationFailed):
        record_registered_mail(sent, "  ", by=admin)  # a number is never removed
    sent.refresh_from_db()
    assert sent.registered_mail_ref == "1A 123 456 7890 2"


def test_an_ordinary_letter_needs_no_number(company, admin, customer, invoice_of):
    level2 = proposed_at(company, admin, customer, invoice_of, 2)
    assert (level2.channel, level2.is_registered) == ("letter_email", False)
    sent = send_reminder(level2, by=admin, on=LEVEL_DAYS[2], to=MAIL)
    assert (sent.status, sent.registered_mail_ref) == (ReminderStatus.SENT, "")


def test_a_registered_level_cannot_be_sent_by_the_run_alone(company, admin):
    levels = [
        {"rank": r, "day_offset": o, "channel": c, "needs_validation": v}
        for r, o, c, _t, v in DEFAULT_LEVELS
    ]
    levels[3]["needs_validation"] = False  # level 4, registered
    with pytest.raises(ValidationFailed) as error:
        update_scenario(default_scenario(company), {"levels": levels}, by=admin)
    assert (error.value.code, error.value.field) == ("registered_needs_validation", "levels.3")
    # The formal notice is a registered letter whatever its channel: validated too.
    levels[3]["needs_validation"] = True
    levels[2].update(channel="letter", needs_validation=False)
    with pytest.raises(ValidationFailed) as error:
        update_scenario(default_scenario(company), {"levels": levels}, by=admin)
    assert (error.value.code, error.value.field) == ("registered_needs_validation", "levels.2")
    assert default_scenario(company).levels.get(rank=4).needs_validation is True


def test_only_a_letter_sent_takes_a_number(admin, notice):
    with pytest.raises(Conflict):
        record_registered_mail(notice, "1A 1", by=admin)  # not sent yet
    unchanged(notice)


def test_the_agenda_says_the_number_is_needed(company, admin, notice):
    from encaisse.dunning.desk import to_validate

    (row,) = to_validate(company, admin, LEVEL_DAYS[3], True)
    assert row.reminder == notice
    assert row.detail == "Lettre recommandée avec AR · n° de recommandé à saisir"
