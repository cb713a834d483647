"""What the jobs page does: a company's jobs, and « Relancer » on a failed one."""

from django.db import transaction

from encaisse.audit import services as audit
from encaisse.companies.permissions import MANAGE_JOBS, require
from encaisse.errors import Conflict

from . import runner
from .models import Job, JobState


def company_jobs(company, state: str = ""):
    """The jobs of `company`, newest first; only those in `state` when given."""
    jobs = Job.objects.filter(company=company).select_related("created_by")
    if state in JobState.values:
        jobs = jobs.filter(state=state)
    return jobs


def retry_job(job: Job, *, by) -> Job:
    """Queue a failed job of the user's company again, its attempts counted anew. A job
    that is not « En échec » is left as it is (Conflict): it is queued, running or done."""
    require(by, job.company, MANAGE_JOBS)
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.state != JobState.FAILED:
            raise Conflict(
                "job_not_failed",
                f"« {locked.label} » n'est pas en échec ({locked.get_state_display()}) : "
                "rien à relancer.",
            )
        retried = runner.retry(locked)
        audit.record("job.retried", retried, by=by, changes={"error": locked.error})
    return retried
