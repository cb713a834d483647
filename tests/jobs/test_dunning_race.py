"""The day's dunning run started twice at once (the button and the schedule, two
workers): one job, run once."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from encaisse.dunning.jobs import run_key, start_run
from encaisse.dunning.models import Reminder
from encaisse.jobs.models import Job, JobState
from encaisse.jobs.runner import execute, run_pending_jobs
from encaisse.mailing.models import OutgoingMail

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_threads(n, work):
    barrier = threading.Barrier(n)

    def run(i):
        close_old_connections()
        try:
            barrier.wait()
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_two_enqueues_and_two_workers_racing_run_the_day_once(company, admin, late_customer):
    today = timezone.localdate()

    def start(_):
        with transaction.atomic():
            return start_run(company, today, by=admin).pk

    assert len(set(in_threads(2, start))) == 1
    run = Job.objects.get(name="dunning.run")
    assert run.key == run_key(company, today)
    counts = in_threads(2, lambda _: run_pending_jobs())
    assert sorted(counts) == [0, 1]
    run.refresh_from_db()
    assert (run.state, run.attempts, run.result["proposed"]) == (JobState.DONE, 1, 1)
    assert Reminder.objects.filter(customer=late_customer).count() == 1
    assert OutgoingMail.objects.count() == 1  # the level-1 e-mail, once


def test_three_queue_rows_of_the_same_run_run_it_once(company, admin, late_customer):
    """Stale rows (a recovery while the first worker was still alive): whichever worker
    claims a row while another runs the job finds it « En cours » and leaves it."""
    run = start_run(company, timezone.localdate(), by=admin)
    execute.enqueue(run.pk)
    execute.enqueue(run.pk)
    counts = in_threads(3, lambda _: run_pending_jobs())
    assert sum(counts) == 3  # every row executed...
    run.refresh_from_db()
    assert (run.state, run.attempts) == (JobState.DONE, 1)  # ...the work done once
    assert Reminder.objects.filter(customer=late_customer).count() == 1
    assert OutgoingMail.objects.count() == 1
