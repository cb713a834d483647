"""The outbox: queueing, sending through the backend, failures kept with their reason,
retries with backoff, manual retry, the send-mail command."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from encaisse.audit.models import AuditEntry
from encaisse.companies.models import Role
from encaisse.errors import Conflict, Forbidden, ValidationFailed
from encaisse.mailing.models import MailStatus, OutgoingMail
from encaisse.mailing.services import (
    LEASE,
    MAX_ATTEMPTS,
    queue_mail,
    retry_mail,
    send_queued,
)

pytestmark = pytest.mark.django_db

FAILING = "tests.mailing.backends.FailingBackend"


def _queue(company, admin, **kwargs):
    data = {
        "to": ["compta@dupont.example"],
        "subject": "Relevé de compte",
        "body": "Bonjour,\nci-joint votre relevé.",
        **kwargs,
    }
    return queue_mail(company, by=admin, **data)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"to": []}, "to"),
        ({"to": "pas-une-adresse"}, "to"),
        ({"to": "ok@dupont.example", "cc": "faux@"}, "cc"),
        ({"subject": "   "}, "subject"),
        ({"body": ""}, "body"),
    ],
)
def test_queue_refuses_bad_input_and_creates_nothing(company, admin, kwargs, field):
    with pytest.raises(ValidationFailed) as error:
        _queue(company, admin, **kwargs)
    assert error.value.field == field
    assert OutgoingMail.objects.count() == 0


def test_queue_parses_a_list_typed_as_text(company, admin):
    mail = _queue(company, admin, to="a@x.example; b@x.example, A@x.example")
    # Duplicates are dropped whatever their case; order kept.
    assert mail.to == ["a@x.example", "b@x.example"]
    assert mail.status == MailStatus.QUEUED and mail.attempts == 0


def test_queue_by_a_stranger_is_not_found(company, other_company, make_user):
    stranger = make_user("stranger", other_company)
    with pytest.raises(Exception) as error:
        _queue(company, stranger)
    assert type(error.value).__name__ == "NotFound"
    assert OutgoingMail.objects.count() == 0


def test_a_rolled_back_change_leaves_no_mail(company, admin, mailoutbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue(company, admin)
        raise RuntimeError("the business change failed")
    assert OutgoingMail.objects.count() == 0
    send_queued()
    assert mailoutbox == []


def test_send_queued_sends_through_the_backend(company, admin, mailoutbox):
    mail = _queue(
        company,
        admin,
        cc=["direction@dupont.example"],
        attachments=[{"filename": "releve.csv", "content_type": "text/csv", "content": b"a;b"}],
    )
    report = send_queued()
    assert [m.pk for m in report.sent] == [mail.pk] and report.failed == []
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["compta@dupont.example"]
    assert message.cc == ["direction@dupont.example"]
    assert message.subject == "Relevé de compte"
    # Django hands text attachments back decoded.
    assert [tuple(a) for a in message.attachments] == [("releve.csv", "a;b", "text/csv")]
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT
    assert mail.attempts == 1
    assert mail.sent_at is not None and mail.next_attempt_at is None
    # A second run sends nothing more.
    assert send_queued().sent == []
    assert len(mailoutbox) == 1
    assert AuditEntry.objects.filter(action="mail.sent", object_id=str(mail.pk)).count() == 1


def test_limit_sends_the_oldest_first(company, admin, mailoutbox):
    first, second, third = (_queue(company, admin, subject=f"Mail {n}") for n in (1, 2, 3))
    report = send_queued(limit=2)
    assert [m.pk for m in report.sent] == [first.pk, second.pk]
    third.refresh_from_db()
    assert third.status == MailStatus.QUEUED and third.attempts == 0
    assert [m.subject for m in mailoutbox] == ["Mail 1", "Mail 2"]


def test_a_failing_server_loses_nothing_and_retries_with_backoff(
    company, admin, settings, mailoutbox
):
    settings.EMAIL_BACKEND = FAILING
    mail = _queue(company, admin)
    start = timezone.now()

    report = send_queued(now=start)
    assert report.sent == [] and [m.pk for m in report.failed] == [mail.pk]
    mail.refresh_from_db()
    assert mail.status == MailStatus.FAILED
    assert mail.attempts == 1
    assert "SMTPServerDisconnected" in mail.last_error
    assert "Connection unexpectedly closed" in mail.last_error
    # First delay: 5 minutes.
    assert mail.next_attempt_at == start + dt.timedelta(minutes=5)

    # Not due before then.
    assert send_queued(now=start + dt.timedelta(minutes=4)).failed == []
    mail.refresh_from_db()
    assert mail.attempts == 1

    # Tries 2 to 5, each when due: delays 20 min, 80 min, 320 min after each failure.
    at = start + dt.timedelta(minutes=5)
    for attempt, delay in ((2, 20), (3, 80), (4, 320)):
        send_queued(now=at)
        mail.refresh_from_db()
        assert mail.attempts == attempt
        assert mail.next_attempt_at == at + dt.timedelta(minutes=delay)
        at = mail.next_attempt_at
    send_queued(now=at)
    mail.refresh_from_db()
    assert mail.attempts == MAX_ATTEMPTS == 5
    assert mail.status == MailStatus.FAILED
    assert mail.next_attempt_at is None  # given up: waits for a person

    # Never picked again by itself, even much later.
    assert send_queued(now=at + dt.timedelta(days=30)).failed == []
    assert OutgoingMail.objects.get(pk=mail.pk).attempts == 5

    # The server is back; someone presses "Réessayer".
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    retry_mail(mail, by=admin)
    report = send_queued()
    assert [m.pk for m in report.sent] == [mail.pk]
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT and mail.attempts == 6
    assert len(mailoutbox) == 1
    reasons = AuditEntry.objects.filter(action="mail.failed", object_id=str(mail.pk))
    assert reasons.count() == 5


def test_a_missing_archived_document_fails_with_its_reason(
    company, admin, make_invoice, monkeypatch
):
    import encaisse.mailing.services as outbox

    def broken(document, fmt):
        raise FileNotFoundError("fichier introuvable")

    monkeypatch.setattr(outbox, "read_archived", broken)
    invoice = make_invoice(issue_on=timezone.localdate())
    mail = _queue(
        company,
        admin,
        attachments=[
            {
                "filename": "x.pdf",
                "content_type": "application/pdf",
                "document": invoice,
                "format": "pdf",
            }
        ],
    )
    send_queued()
    mail.refresh_from_db()
    assert mail.status == MailStatus.FAILED
    assert mail.last_error == "FileNotFoundError : fichier introuvable"


def test_a_mail_claimed_by_another_run_is_not_sent_twice(company, admin, mailoutbox):
    from encaisse.mailing.services import _claim

    mail = _queue(company, admin)
    now = timezone.now()
    assert _claim(now, mail.pk) == mail.pk  # another run took it and is sending
    assert send_queued(now=now).sent == []
    assert mailoutbox == []
    # That run died mid-send: once the lease is over, the mail goes.
    assert [m.pk for m in send_queued(now=now + LEASE).sent] == [mail.pk]
    assert len(mailoutbox) == 1


def test_retry_refuses_a_mail_that_did_not_fail(company, admin):
    mail = _queue(company, admin)
    with pytest.raises(Conflict):
        retry_mail(mail, by=admin)


def test_retry_needs_a_role_that_sends(company, admin, make_user, settings):
    settings.EMAIL_BACKEND = FAILING
    mail = _queue(company, admin)
    send_queued()
    reader = make_user("lecteur", company, Role.READ_ONLY)
    with pytest.raises(Forbidden):
        retry_mail(mail, by=reader)
    mail.refresh_from_db()
    assert mail.status == MailStatus.FAILED


def test_send_mail_command(company, admin, settings, mailoutbox):
    _queue(company, admin)
    out = StringIO()
    call_command("send-mail", stdout=out)
    assert out.getvalue().strip() == "1 envoyé(s), 0 en échec."
    assert len(mailoutbox) == 1

    settings.EMAIL_BACKEND = FAILING
    failed = _queue(company, admin)
    out, err = StringIO(), StringIO()
    call_command("send-mail", "--quiet", stdout=out, stderr=err)
    assert out.getvalue().strip() == "0 envoyé(s), 1 en échec."
    assert f"n° {failed.pk}" in err.getvalue() and "SMTPServerDisconnected" in err.getvalue()


def test_file_backend_writes_into_the_outbox_folder(company, admin, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "outbox"
    _queue(company, admin)
    assert len(send_queued().sent) == 1
    files = list((tmp_path / "outbox").iterdir())
    assert len(files) == 1
    assert "Subject: =?utf-8?q?Relev=C3=A9_de_compte?=" in files[0].read_text()
