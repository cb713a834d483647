"""The jobs layer on the real engine: queued in the database, claimed and run."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from freezegun import freeze_time

from encaisse.jobs.models import Job, JobState
from encaisse.jobs.runner import (
    BACKOFF,
    enqueue,
    in_background,
    job,
    progress,
    recover_stale,
    retry,
    run_pending_jobs,
)

pytestmark = pytest.mark.django_db

calls: list = []


@job("tests.count", "Compter")
def count(job_, n, fail_times=0):
    calls.append(n)
    progress(job_, 0, n)
    if len([c for c in calls if c == n]) <= fail_times:
        raise RuntimeError(f"panne {len(calls)}")
    progress(job_, n)
    return f"{n} comptés", {"n": n}


@pytest.fixture(autouse=True)
def _calls():
    calls.clear()


def test_a_queued_job_runs_once_and_keeps_its_result():
    queued = enqueue("tests.count", n=3)
    assert queued.state == JobState.QUEUED and calls == []
    assert run_pending_jobs() == 1
    assert run_pending_jobs() == 0  # nothing left: the engine's row is finished
    queued.refresh_from_db()
    assert calls == [3]
    assert (queued.state, queued.message, queued.result) == (JobState.DONE, "3 comptés", {"n": 3})
    assert (queued.done, queued.total, queued.percent, queued.attempts) == (3, 3, 100, 1)


def test_a_key_does_the_work_once():
    first = enqueue("tests.count", key="compter:7", n=7)
    again = enqueue("tests.count", key="compter:7", n=7)
    assert again.pk == first.pk
    run_pending_jobs()
    assert enqueue("tests.count", key="compter:7", n=7).pk == first.pk  # done: not redone
    run_pending_jobs()
    assert calls == [7]


def test_jobs_queued_in_background_run_after_the_users_own():
    with in_background():
        bulk = [enqueue("tests.count", n=n) for n in (1, 2, 3)]
    mine = enqueue("tests.count", n=9)
    assert run_pending_jobs(limit=1) == 1
    assert calls == [9]  # queued last, run first
    run_pending_jobs()
    assert calls == [9, 1, 2, 3]
    assert {j.state for j in Job.objects.filter(pk__in=[b.pk for b in bulk])} == {JobState.DONE}
    assert Job.objects.get(pk=mine.pk).state == JobState.DONE


def test_nothing_is_queued_when_the_change_that_asks_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue("tests.count", key="compter:9", n=9)
        raise RuntimeError("refus")
    assert not Job.objects.exists() and not DBTaskResult.objects.exists()
    assert run_pending_jobs() == 0


def test_a_failure_is_retried_later_then_succeeds():
    start = timezone.now()
    with freeze_time(start):
        failing = enqueue("tests.count", n=2, fail_times=1)
        run_pending_jobs()
        failing.refresh_from_db()
        assert failing.state == JobState.QUEUED and "panne 1" in failing.error
        assert failing.run_after == start + BACKOFF[0]
        assert run_pending_jobs() == 0  # not before its delay
    with freeze_time(start + BACKOFF[0] + dt.timedelta(seconds=1)):
        assert run_pending_jobs() == 1
    failing.refresh_from_db()
    assert (failing.state, failing.attempts, failing.error) == (JobState.DONE, 2, "")


def test_after_its_last_attempt_a_job_fails_visibly_and_can_be_retried():
    start = timezone.now()
    failing = enqueue("tests.count", n=5, fail_times=99)
    Job.objects.filter(pk=failing.pk).update(max_attempts=2)
    with freeze_time(start):
        run_pending_jobs()
    with freeze_time(start + dt.timedelta(days=1)):
        run_pending_jobs()
    failing.refresh_from_db()
    assert (failing.state, failing.attempts) == (JobState.FAILED, 2)
    assert failing.error == "RuntimeError: panne 2"
    with freeze_time(start + dt.timedelta(days=2)):
        assert run_pending_jobs() == 0  # failed jobs are not retried by themselves
        retry(failing)
        assert run_pending_jobs() == 1
    failing.refresh_from_db()
    # Its attempts are counted anew: one used, the next one scheduled.
    assert (failing.state, failing.attempts) == (JobState.QUEUED, 1)
    assert calls == [5, 5, 5]


def test_a_stale_queue_row_of_a_finished_job_does_nothing():
    done = enqueue("tests.count", n=4)
    run_pending_jobs()
    # A second execution of the same job (e.g. left by a crashed worker) is a no-op.
    from encaisse.jobs.runner import execute

    execute.enqueue(done.pk)
    assert run_pending_jobs() == 1
    assert calls == [4]


def test_a_job_whose_worker_died_is_queued_again_then_done():
    start = timezone.now()
    with freeze_time(start):
        orphan = enqueue("tests.count", n=6)
        # A worker claimed it and died: the job stays « En cours », its queue row too.
        Job.objects.filter(pk=orphan.pk).update(
            state=JobState.RUNNING, attempts=1, started_at=start
        )
        DBTaskResult.objects.update(status="RUNNING")
        assert recover_stale(dt.timedelta(minutes=15)) == 0  # maybe still working
    with freeze_time(start + dt.timedelta(minutes=16)):
        assert recover_stale(dt.timedelta(minutes=15)) == 1
        orphan.refresh_from_db()
        assert orphan.state == JobState.QUEUED and "s'est arrêté" in orphan.error
    with freeze_time(start + dt.timedelta(minutes=17)):
        assert run_pending_jobs() == 1
    orphan.refresh_from_db()
    assert (orphan.state, orphan.attempts, calls) == (JobState.DONE, 2, [6])


def test_a_long_job_that_reports_progress_is_not_taken_for_dead():
    start = timezone.now()
    with freeze_time(start):
        long = enqueue("tests.count", n=8)
        Job.objects.filter(pk=long.pk).update(
            state=JobState.RUNNING, attempts=1, started_at=start, heartbeat_at=start
        )
    with freeze_time(start + dt.timedelta(minutes=50)):
        progress(long, 5, 8)  # still working
    with freeze_time(start + dt.timedelta(minutes=60)):
        assert recover_stale(dt.timedelta(minutes=15)) == 0
    with freeze_time(start + dt.timedelta(minutes=66)):
        assert recover_stale(dt.timedelta(minutes=15)) == 1  # silent for 16 minutes
    long.refresh_from_db()
    assert long.state == JobState.QUEUED and long.attempts == 1
