"""The jobs layer's own periodic jobs: recovering the jobs of dead workers, pruning."""

import datetime as dt

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from .models import Job, JobState
from .runner import job, recover_stale

# A job « En cours » for longer than this lost its worker (the longest job, a dunning
# run of 100,000 customers, takes a few minutes).
STALE_AFTER = dt.timedelta(minutes=15)
KEEP_FINISHED = dt.timedelta(days=30)


@job("jobs.recover_stale", "Reprise des tâches interrompues")
def recover(job_):
    count = recover_stale(STALE_AFTER)
    return f"{count} tâche(s) reprise(s)." if count else "Aucune tâche interrompue."


def prune_finished(older_than: dt.timedelta = KEEP_FINISHED) -> tuple[int, int]:
    """Delete the jobs finished (done or failed) and the engine's finished queue rows
    older than `older_than`, and the files the jobs wrote (large exports); return how
    many jobs and rows."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - older_than
    old = Job.objects.filter(state__in=[JobState.DONE, JobState.FAILED], finished_at__lt=cutoff)
    with transaction.atomic():
        files = [
            r["file"] for r in old.filter(result__has_key="file").values_list("result", flat=True)
        ]
        jobs, _ = old.delete()
        rows, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    for name in files:  # after the commit: a file is never missing for a kept job
        default_storage.delete(name)
    return jobs, rows


@job("jobs.prune", "Nettoyage des tâches terminées")
def prune(job_):
    jobs, rows = prune_finished()
    return f"{jobs} tâche(s) et {rows} exécution(s) de plus de 30 jours supprimées."
