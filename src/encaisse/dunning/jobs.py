"""The dunning run as a job: one per company and day, whoever starts it.

The scheduler queues each company's run at its `dunning_hour` (jobs/schedule.py), the
« Lancer la relance » button of the reminders page queues the same job: both with the key
`dunning-run:{company}:{date}`, so the day's run is done once even when started twice
(the button and the schedule, two schedulers, two workers)."""

import datetime as dt

from django.urls import reverse

from encaisse.jobs.models import JobState
from encaisse.jobs.runner import enqueue, job, progress, retry

from .run import run_dunning


def run_key(company, as_of: dt.date) -> str:
    return f"dunning-run:{company.pk}:{as_of.isoformat()}"


def start_run(company, as_of: dt.date, *, by=None):
    """Queue the run of `as_of` for `company` (in the caller's transaction), or return the
    one already queued, running or done for that day; one that failed is queued again
    (the button asks for it)."""
    run_job = enqueue(
        "dunning.run",
        key=run_key(company, as_of),
        company=company,
        by=by,
        label=f"Relance du {as_of:%d/%m/%Y}",
        as_of=as_of.isoformat(),
    )
    if run_job.state == JobState.FAILED:
        run_job = retry(run_job)
    return run_job


@job("dunning.run", "Relance du jour", max_attempts=3)
def run(job_, as_of):
    report = run_dunning(
        job_.company,
        dt.date.fromisoformat(as_of),
        by=job_.created_by,
        on_progress=lambda done, total: progress(job_, done, total),
    )
    return report.summary() + ".", {
        **report.counts(),
        "url": reverse("web:reminders"),
        "link_label": "Voir les relances",
    }
