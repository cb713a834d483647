"""The scheduler: periodic jobs queued once per occurrence (keys), run by the worker."""

import datetime as dt
import zoneinfo
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from freezegun import freeze_time

from encaisse.collection import ecb
from encaisse.dunning.jobs import run_key, start_run
from encaisse.dunning.models import Reminder
from encaisse.jobs import runner, schedule
from encaisse.jobs.jobs import prune_finished
from encaisse.jobs.models import Job, JobState
from encaisse.jobs.runner import enqueue, run_pending_jobs
from encaisse.mailing.models import MailStatus, OutgoingMail
from encaisse.mailing.services import queue_mail

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# A winter Friday: Paris is UTC+1, Martinique UTC-4, Nouméa UTC+11.
MORNING = dt.datetime(2026, 12, 4, 7, 0, 10, tzinfo=PARIS)
RECORDED_ECB = (Path(__file__).parents[1] / "collection" / "ecb_mro.csv").read_text()


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """The rates update reads the recorded answer of the ECB, never the network."""
    monkeypatch.setattr(ecb, "fetch", lambda url: RECORDED_ECB)


def keys(at):
    return {o.key for o in schedule.due(at)}


def names(at):
    return {o.name for o in schedule.due(at)}


def test_what_is_due_and_under_which_key(company):
    due = keys(MORNING)
    assert "send-mail:2026-12-04T06:00" in due  # the UTC minute
    assert "render-pending:2026-12-04T06:00" in due
    assert "recover-stale:2026-12-04T06:00" in due
    assert "bank-watch:2026-12-04T06:00" in due
    assert "rates-update:2026-12-04" in due and "prune:2026-12-04" in due
    assert f"dunning-run:{company.pk}:2026-12-04" in due
    # Every 5 minutes: the same key from 06:00 to 06:04 UTC.
    assert "recover-stale:2026-12-04T06:00" in keys(MORNING + dt.timedelta(minutes=4))
    assert "recover-stale:2026-12-04T06:05" in keys(MORNING + dt.timedelta(minutes=5))
    assert "bank-watch:2026-12-04T06:05" in keys(MORNING + dt.timedelta(minutes=5))


def test_daily_jobs_wait_for_their_hour(company):
    night = MORNING.replace(hour=2)
    assert names(night) == {
        "mailing.send_queued",
        "documents.render_pending",
        "jobs.recover_stale",
        "banking.watch_folders",
    }
    assert "jobs.prune" in names(night.replace(hour=3))
    assert "collection.update_rates" in names(night.replace(hour=6))
    assert "dunning.run" not in names(MORNING - dt.timedelta(seconds=11))  # 06:59:59


def test_each_company_runs_at_its_own_hour_in_its_own_time_zone(company, other_company, admin):
    other_company.time_zone = "America/Martinique"
    other_company.save()
    paris_run = run_key(company, dt.date(2026, 12, 4))
    martinique_run = run_key(other_company, dt.date(2026, 12, 4))
    assert paris_run in keys(MORNING) and martinique_run not in keys(MORNING)
    # 07:00 in Fort-de-France is 12:00 in Paris.
    assert martinique_run in keys(MORNING.replace(hour=12))
    # Until the end of its day (a scheduler stopped at 7:00 catches up when it starts).
    assert paris_run in keys(MORNING.replace(hour=23, minute=59))
    assert run_key(company, dt.date(2026, 12, 5)) not in keys(
        MORNING + dt.timedelta(days=1, seconds=-20)
    )


def test_a_company_east_of_paris_runs_its_day_once_paris_has_reached_it(company):
    company.time_zone, company.dunning_hour = "Pacific/Noumea", 7
    company.save()
    # 07:00 on 5 December in Nouméa is 21:00 on 4 December in Paris: the run is dated
    # the 4th (never in the future for the application's day).
    evening = dt.datetime(2026, 12, 5, 7, 0, tzinfo=zoneinfo.ZoneInfo("Pacific/Noumea"))
    assert schedule.dunning_day(company, evening) == dt.date(2026, 12, 4)
    assert schedule.dunning_day(company, evening - dt.timedelta(minutes=1)) is None
    # At 07:00 in Nouméa on the 6th, Paris is on the 5th: that day's run.
    assert schedule.dunning_day(company, evening + dt.timedelta(days=1)) == dt.date(2026, 12, 5)


def test_two_schedulers_queue_each_occurrence_once(company):
    first = schedule.tick(MORNING)
    again = schedule.tick(MORNING + dt.timedelta(seconds=30))  # the other machine, same minute
    assert [j.pk for j in first] == [j.pk for j in again]
    assert Job.objects.count() == len(first)
    assert DBTaskResult.objects.count() == len(first)
    later = schedule.tick(MORNING + dt.timedelta(minutes=1))
    new = {j.name for j in later if j.pk not in {f.pk for f in first}}
    # the next minute's sending and pending renders only
    assert new == {"mailing.send_queued", "documents.render_pending"}


def test_an_optional_job_nobody_registered_is_skipped(company, monkeypatch):
    monkeypatch.delitem(runner._registry, "documents.render_pending", raising=False)
    schedule.tick(MORNING)
    assert not Job.objects.filter(name="documents.render_pending").exists()
    # Once an app registers it, the scheduler queues it every minute.
    monkeypatch.setitem(
        runner._registry,
        "documents.render_pending",
        runner.Registered("documents.render_pending", "Rendu", lambda job_: "rien", 1),
    )
    schedule.tick(MORNING)
    assert Job.objects.get(name="documents.render_pending").key == "render-pending:2026-12-04T06:00"


def test_the_scheduled_jobs_run_end_to_end(company, admin, late_customer, mailoutbox):
    queue_mail(company, to="dg@lenoir.example", subject="Bonjour", body="Texte.", by=admin)
    with freeze_time(MORNING):
        schedule.tick()
        run_pending_jobs()
    states = dict(Job.objects.values_list("name", "state"))
    assert states == {
        "mailing.send_queued": JobState.DONE,
        "jobs.recover_stale": JobState.DONE,
        "banking.watch_folders": JobState.DONE,  # no folder watched: nothing to do
        "collection.update_rates": JobState.DONE,
        "jobs.prune": JobState.DONE,
        "dunning.run": JobState.DONE,
        "documents.render_pending": JobState.DONE,  # registered by documents
        "documents.render": JobState.DONE,  # the late customer's invoice, rendered
    }, Job.objects.filter(state=JobState.FAILED).values_list("name", "error")
    assert [m.subject for m in mailoutbox] == ["Bonjour"]
    run = Job.objects.get(name="dunning.run")
    assert (run.company, run.key) == (company, run_key(company, dt.date(2026, 12, 4)))
    assert run.result["proposed"] == 1 and "1 nouvelle relance proposée" in run.message
    assert Reminder.objects.filter(customer=late_customer).count() == 1
    # The level-1 e-mail the run sent automatically goes with the next minute's sending.
    assert OutgoingMail.objects.filter(status=MailStatus.QUEUED).count() == 1
    with freeze_time(MORNING + dt.timedelta(minutes=1)):
        schedule.tick()
        run_pending_jobs()
    assert len(mailoutbox) == 2
    assert Reminder.objects.filter(customer=late_customer).count() == 1  # not run again


def test_the_button_and_the_schedule_start_one_run(company, admin, late_customer):
    with freeze_time(MORNING):
        clicked = start_run(company, dt.date(2026, 12, 4), by=admin)
        scheduled = schedule.tick()
        assert clicked.pk in {j.pk for j in scheduled}
        assert start_run(company, dt.date(2026, 12, 4), by=admin).pk == clicked.pk
        run_pending_jobs()
        assert start_run(company, dt.date(2026, 12, 4), by=admin).pk == clicked.pk  # done
        assert run_pending_jobs() == 0
    clicked.refresh_from_db()
    assert (clicked.state, clicked.attempts, clicked.created_by) == (JobState.DONE, 1, admin)
    assert Reminder.objects.filter(customer=late_customer).count() == 1


def test_a_second_execution_of_a_running_job_does_nothing(company, admin, late_customer):
    """Two queue rows of the same job (a crash recovery): the one that finds the job
    « En cours » in another worker returns without running it."""
    from encaisse.jobs.runner import execute

    with freeze_time(MORNING):
        run = start_run(company, dt.date(2026, 12, 4), by=admin)
        Job.objects.filter(pk=run.pk).update(state=JobState.RUNNING, attempts=1)
        execute.call(run.pk)
    assert not Reminder.objects.exists()
    run.refresh_from_db()
    assert (run.state, run.attempts) == (JobState.RUNNING, 1)


def test_prune_removes_what_finished_more_than_30_days_ago(company):
    start = dt.datetime(2026, 10, 1, 12, tzinfo=dt.UTC)
    with freeze_time(start):
        old_done = enqueue("jobs.recover_stale")
        run_pending_jobs()
        old_failed = enqueue("jobs.recover_stale")
        Job.objects.filter(pk=old_failed.pk).update(state=JobState.FAILED, finished_at=start)
        old_queued = enqueue("jobs.recover_stale", run_after=start + dt.timedelta(days=90))
    with freeze_time(start + dt.timedelta(days=29)):
        recent = enqueue("jobs.recover_stale")
        run_pending_jobs()
    with freeze_time(start + dt.timedelta(days=31)):
        jobs, rows = prune_finished()
    assert (jobs, rows) == (2, 1)
    left = set(Job.objects.values_list("pk", flat=True))
    assert left == {old_queued.pk, recent.pk}
    assert old_done.pk not in left
    assert DBTaskResult.objects.count() == 3  # the old queued one, and the recent one's (2 rows)


def test_the_commands_once(company, admin):
    out = StringIO()
    with freeze_time(MORNING):
        call_command("scheduler", "--once", verbosity=2, stdout=out)
        assert "tâche(s) planifiée(s)" in out.getvalue()
        queued = Job.objects.count()
        assert queued >= 5
        out = StringIO()
        call_command("worker", "--once", stdout=out)
    assert out.getvalue().strip() == f"{queued} exécution(s)."
    assert not Job.objects.exclude(state=JobState.DONE).exists()


def test_the_dunning_command_runs_the_days_job_once(company, late_customer):
    with freeze_time(MORNING):
        out = StringIO()
        call_command("dunning", "run", stdout=out)
        assert out.getvalue().startswith("Atelier Martin SAS au 04/12/2026 : 1 nouvelle relance")
        run = Job.objects.get(name="dunning.run")
        assert (run.key, run.state) == (run_key(company, dt.date(2026, 12, 4)), JobState.DONE)
        again = StringIO()
        call_command("dunning", "run", stdout=again)  # the day's run is not done twice
        assert again.getvalue() == out.getvalue()
        assert run_pending_jobs() == 0
    assert Reminder.objects.filter(customer=late_customer).count() == 1


def test_the_dunning_command_refuses_a_future_date(company):
    from django.core.management.base import CommandError

    with freeze_time(MORNING), pytest.raises(CommandError, match="dans le futur"):
        call_command("dunning", "run", "--as-of", "2026-12-05")
    assert not Job.objects.exists()
