"""Background jobs in the pages: the progress of one job (polled by htmx)."""

from django.shortcuts import get_object_or_404, render

from encaisse.jobs.models import Job

from ..shortcuts import company_view


def company_job(request, pk) -> Job:
    """A job of the current company; another company's (or nobody's) job is a 404."""
    return get_object_or_404(Job, pk=pk, company=request.company)


@company_view
def job_progress(request, pk):
    """The progress partial of one job (jobs/_progress.html), which polls itself here
    every second until the job is finished."""
    return render(request, "jobs/_progress.html", {"job": company_job(request, pk)})
