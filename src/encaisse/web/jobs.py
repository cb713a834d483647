"""The web app's job: a large export built in the background (web/exports.py)."""

from django.http import QueryDict
from django.test import RequestFactory
from django.urls import resolve, reverse

from encaisse.banking import review as _bank_review  # noqa: F401 - registers its job
from encaisse.companies.permissions import VIEW, require, role_of
from encaisse.jobs.runner import job


@job("web.export", "Export Excel", max_attempts=2)
def export(job_, path, query, back=""):
    """Call the export view of `path` again, as the user who asked for it (still a member
    of the company), with `request.export_job` set: `exports.export` then writes the file
    to the storage and returns its name, which the download view serves."""
    user, company = job_.created_by, job_.company
    require(user, company, VIEW)
    request = RequestFactory().get(path, QueryDict(query))
    request.user, request.company = user, company
    request.role = role_of(user, company)
    request.export_job = job_
    match = resolve(path)
    result = match.func(request, *match.args, **match.kwargs)
    if not isinstance(result, dict):  # the view refused (403 or 404 page)
        raise RuntimeError(f"l'export n'a pas pu être fait (réponse {result.status_code})")
    rows = f"{result['rows']:,}".replace(",", "\u202f")
    return f"{rows} lignes exportées.", {
        **result,
        "download_url": reverse("web:job_download", args=[job_.pk]),
    }
