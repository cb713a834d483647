"""Two sending runs at once (two workers): every mail goes once, none twice."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import close_old_connections, connection
from django.utils import timezone

from encaisse.mailing.models import MailStatus, OutgoingMail
from encaisse.mailing.services import _claim, queue_mail, send_queued

SENT: list[str] = []
_lock = threading.Lock()


class SlowRecordingBackend(BaseEmailBackend):
    """Records each message's subject; a few milliseconds per send widen the window in
    which another run could take the same mail."""

    def send_messages(self, email_messages):
        for message in email_messages:
            time.sleep(0.005)
            with _lock:
                SENT.append(message.subject)
        return len(email_messages)


def _queue_many(company, admin, n):
    return [
        queue_mail(
            company, to="compta@dupont.example", subject=f"Mail {i}", body="Bonjour.", by=admin
        )
        for i in range(n)
    ]


@pytest.mark.django_db
def test_a_claimed_mail_is_not_claimed_again_until_its_lease_is_over(company, admin):
    first, second = _queue_many(company, admin, 2)
    now = timezone.now()
    assert _claim(now) == first.pk  # oldest first
    assert _claim(now) == second.pk  # the next run takes the next one
    assert _claim(now) is None
    assert _claim(now, first.pk) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_runs_racing_send_each_mail_once(company, admin, settings):
    settings.EMAIL_BACKEND = "tests.mailing.test_outbox_race.SlowRecordingBackend"
    SENT.clear()
    _queue_many(company, admin, 40)
    start = threading.Barrier(4)

    def run(_):
        close_old_connections()
        try:
            start.wait()
            return len(send_queued().sent)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(run, range(4)))

    assert sum(counts) == 40
    assert sorted(SENT) == sorted(f"Mail {i}" for i in range(40))  # each once
    assert set(OutgoingMail.objects.values_list("status", "attempts")) == {(MailStatus.SENT, 1)}


@pytest.mark.django_db
def test_a_selection_sends_only_its_mails_and_reports_progress(company, admin, mailoutbox):
    first, second, third = _queue_many(company, admin, 3)
    now = timezone.now()
    assert _claim(now, second.pk) == second.pk  # the minute's sending has it
    seen = []
    report = send_queued(
        now=now, ids=[first.pk, second.pk], on_progress=lambda d, t: seen.append((d, t))
    )
    assert [m.pk for m in report.sent] == [first.pk] and seen == [(1, 2)]
    assert [m.subject for m in mailoutbox] == ["Mail 0"]  # not the third, not the second
    third.refresh_from_db()
    assert third.status == MailStatus.QUEUED
