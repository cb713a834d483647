"""Background jobs in the pages: the progress of one job (polled by htmx), and the
company's jobs page (admins: states, errors, « Relancer » on a failed one)."""

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from encaisse.companies.permissions import MANAGE_JOBS
from encaisse.errors import Conflict
from encaisse.jobs.models import Job, JobState
from encaisse.jobs.services import company_jobs, retry_job

from ..shortcuts import company_view, page_of


def company_job(request, pk) -> Job:
    """A job of the current company; another company's (or nobody's) job is a 404."""
    return get_object_or_404(Job, pk=pk, company=request.company)


def started_job(request) -> Job | None:
    """The job a page just started, named by its `?job=` (shown with its progress bar):
    a job of the current company, else none."""
    pk = request.GET.get("job", "")
    if not pk.isdigit():
        return None
    return Job.objects.filter(pk=pk, company=request.company).first()


@company_view
def job_progress(request, pk):
    """The progress partial of one job (jobs/_progress.html), which polls itself here
    every second until the job is finished."""
    return render(request, "jobs/_progress.html", {"job": company_job(request, pk)})


@company_view
def job_detail(request, pk):
    """A job on its own page (where a large export sends the user): its progress bar,
    then its message and download link."""
    job = company_job(request, pk)
    return render(
        request,
        "jobs/detail.html",
        {"job": job, "back": (job.arguments or {}).get("back", "")},
    )


@company_view
def job_download(request, pk):
    """The file a job wrote (a large export), for the members of its company."""
    job = company_job(request, pk)
    result = job.result if isinstance(job.result, dict) else {}
    if job.state != JobState.DONE or not result.get("file"):
        raise Http404("Aucun fichier pour cette tâche.")
    try:
        content = default_storage.open(result["file"], "rb")
    except FileNotFoundError:
        raise Http404("Le fichier n'existe plus (effacé après 30 jours).") from None
    return FileResponse(content, as_attachment=True, filename=result.get("filename"))


@company_view(needs=MANAGE_JOBS)
def job_list(request):
    state = request.GET.get("state", "")
    if state not in JobState.values:
        state = ""
    return render(
        request,
        "jobs/list.html",
        {
            "page": page_of(request, company_jobs(request.company, state)),
            "state": state,
            "states": JobState.choices,
            "nav": "jobs",
        },
    )


@company_view(needs=MANAGE_JOBS)
@require_POST
def job_retry(request, pk):
    job = company_job(request, pk)
    try:
        retry_job(job, by=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"« {job.label} » est relancée.")
    return redirect("web:jobs")
