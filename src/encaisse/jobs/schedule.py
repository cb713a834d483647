"""The periodic jobs, and the scheduler that queues them (`encaisse scheduler`).

`due(now)` lists what should be queued at `now`, each occurrence with its key; `tick(now)`
enqueues them. A key names one occurrence (« the mail sending of 08:41 UTC », « the
dunning run of company 3 for 5 December »): `enqueue` creates the job once per key, so
several schedulers (on several machines, or one restarted) queue each occurrence once, and
a scheduler that was stopped at 07:00 still queues the day's dunning run when it starts
at 09:00 (the daily entries are due from their hour to the end of their day).

The schedule (bank fetches and e-invoicing statuses will be added here):
- every minute: send the mail that is due (`mailing.send_queued`), render the issued
  documents not rendered yet (`documents.render_pending`, when an app registers it);
- every 5 minutes: queue again the jobs whose worker died (`jobs.recover_stale`), import
  the files dropped in the bank accounts' watched folders (`banking.watch_folders`);
- every day: the ECB rate (`collection.update_rates`, from 06:00), pruning the jobs and
  queue rows finished for more than 30 days (`jobs.prune`, from 03:00), in the
  application's time zone;
- every day for each company: its morning dunning run (`dunning.run`) from its
  `dunning_hour`, in its own `time_zone`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from . import runner

logger = logging.getLogger(__name__)

# How often `encaisse scheduler` wakes up: twice in every minute.
INTERVAL = 30  # seconds
RATES_HOUR = 6
PRUNE_HOUR = 3


@dataclass(frozen=True)
class Occurrence:
    name: str
    key: str
    company: object = None
    arguments: dict = field(default_factory=dict)


def _minute(now: dt.datetime, every: int = 1) -> str:
    utc = now.astimezone(dt.UTC)
    return utc.replace(minute=utc.minute - utc.minute % every).strftime("%Y-%m-%dT%H:%M")


def dunning_day(company, now: dt.datetime) -> dt.date | None:
    """The day whose dunning run is due for `company` at `now`, or None before its hour.

    The company's own day in its time zone, but never later than the application's
    today: the run refuses a date in the future (a company east of Paris runs its day's
    reminders once Paris has reached that day too)."""
    local = now.astimezone(company.zone)
    if local.hour < company.dunning_hour:
        return None
    return min(local.date(), timezone.localdate(now))


def due(now: dt.datetime | None = None) -> list[Occurrence]:
    """What is due at `now` (default: now), with each occurrence's key."""
    from encaisse.companies.models import Company

    now = now or timezone.now()
    local = timezone.localtime(now)
    minute = _minute(now)
    found = [
        Occurrence("mailing.send_queued", f"send-mail:{minute}"),
        Occurrence("documents.render_pending", f"render-pending:{minute}"),
        Occurrence("jobs.recover_stale", f"recover-stale:{_minute(now, 5)}"),
        # The accounts' watched folders (banking): the files an EBICS client dropped.
        Occurrence("banking.watch_folders", f"bank-watch:{_minute(now, 5)}"),
    ]
    if local.hour >= RATES_HOUR:
        found.append(
            Occurrence(
                "collection.update_rates",
                f"rates-update:{local.date()}",
                arguments={"as_of": local.date().isoformat()},
            )
        )
    if local.hour >= PRUNE_HOUR:
        found.append(Occurrence("jobs.prune", f"prune:{local.date()}"))
    from encaisse.dunning.jobs import run_key

    for company in Company.objects.only("pk", "dunning_hour", "time_zone").order_by("pk"):
        day = dunning_day(company, now)
        if day is not None:
            found.append(
                Occurrence(
                    "dunning.run",
                    run_key(company, day),
                    company=company,
                    arguments={"as_of": day.isoformat()},
                )
            )
    return found


def tick(now: dt.datetime | None = None) -> list:
    """Queue what is due at `now` and return the jobs (new or already queued by another
    scheduler). A name no app registered (an optional job) is skipped."""
    jobs = []
    for occurrence in due(now):
        if not runner.is_registered(occurrence.name):
            continue
        with transaction.atomic():
            jobs.append(
                runner.enqueue(
                    occurrence.name,
                    key=occurrence.key,
                    company=occurrence.company,
                    **occurrence.arguments,
                )
            )
    return jobs
