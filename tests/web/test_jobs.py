"""Web: background jobs in the pages (the progress partial, polled by htmx)."""

import pytest
from django.urls import reverse

from encaisse.companies.models import Role
from encaisse.errors import ValidationFailed
from encaisse.jobs.models import Job, JobState
from encaisse.jobs.runner import enqueue, job, progress, run_pending_jobs

pytestmark = pytest.mark.django_db


@job("tests.web.export", "Export des factures")
def fake_export(job_, rows, fail=False):
    progress(job_, 0, rows)
    if fail:
        raise ValidationFailed("too_big", "Le fichier dépasse la taille permise.")
    progress(job_, rows)
    return f"{rows} lignes exportées", {"download_url": "/jobs/files/export.xlsx"}


def progress_of(client, queued):
    response = client.get(reverse("web:job_progress", args=[queued.pk]))
    return response, response.content.decode()


def test_a_queued_job_polls_every_second(admin_client, company, admin):
    queued = enqueue("tests.web.export", company=company, by=admin, rows=12_345)
    response, html = progress_of(admin_client, queued)
    assert response.status_code == 200
    assert "Export des factures" in html and "En attente" in html
    assert 'hx-trigger="every 1s"' in html
    assert f'hx-get="/jobs/{queued.pk}/progress"' in html
    assert "progress-indeterminate" in html  # nothing known of its size yet


def test_a_running_job_shows_how_far_it_is(admin_client, company, admin):
    running = enqueue("tests.web.export", company=company, by=admin, rows=12_345)
    Job.objects.filter(pk=running.pk).update(state=JobState.RUNNING)
    progress(running, 3_000, 12_000)
    _, html = progress_of(admin_client, running)
    assert "En cours" in html and 'hx-trigger="every 1s"' in html
    assert 'aria-valuenow="25"' in html and "width: 25%" in html
    assert "3\xa0000 sur 12\xa0000 (25 %)" in html


def test_a_finished_job_stops_polling_and_shows_its_message_and_link(admin_client, company, admin):
    done = enqueue("tests.web.export", company=company, by=admin, rows=40)
    run_pending_jobs()
    _, html = progress_of(admin_client, done)
    assert "Terminée" in html and "40 lignes exportées" in html
    assert "hx-trigger" not in html and "hx-get" not in html
    assert 'href="/jobs/files/export.xlsx"' in html and "Télécharger" in html
    assert 'aria-valuenow="100"' in html


def test_a_failed_job_shows_its_error_in_french(admin_client, company, admin):
    failed = enqueue("tests.web.export", company=company, by=admin, rows=5, fail=True)
    Job.objects.filter(pk=failed.pk).update(max_attempts=1)
    run_pending_jobs()
    _, html = progress_of(admin_client, failed)
    assert "En échec : Le fichier dépasse la taille permise." in html
    assert "ValidationFailed" not in html and "hx-trigger" not in html
    assert "Télécharger" not in html


def test_a_job_retried_later_keeps_polling_and_says_why(admin_client, company, admin):
    failing = enqueue("tests.web.export", company=company, by=admin, rows=5, fail=True)
    run_pending_jobs()  # first attempt fails, the next one is scheduled
    _, html = progress_of(admin_client, failing)
    assert 'hx-trigger="every 1s"' in html
    assert "Nouvel essai prévu (1 tentative) après : Le fichier dépasse la taille permise." in html


def test_the_partial_includes_in_a_page(rf, company, admin):
    from django.template.loader import render_to_string

    queued = enqueue("tests.web.export", company=company, by=admin, rows=1)
    html = render_to_string("jobs/_progress.html", {"job": queued})
    assert f'id="job-{queued.pk}"' in html and "Export des factures" in html


def test_another_companys_job_is_404(admin_client, other_company, make_user):
    foreign = enqueue("tests.web.export", company=other_company, by=make_user("autre"), rows=1)
    response, _ = progress_of(admin_client, foreign)
    assert response.status_code == 404


def test_a_job_of_no_company_is_404(admin_client):
    response, _ = progress_of(admin_client, enqueue("tests.web.export", rows=1))
    assert response.status_code == 404


def test_every_member_sees_the_progress_of_the_companys_jobs(client_of, make_user, company, admin):
    queued = enqueue("tests.web.export", company=company, by=admin, rows=1)
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    response, _ = progress_of(reader, queued)
    assert response.status_code == 200


def test_the_progress_needs_a_login(client, company, admin):
    queued = enqueue("tests.web.export", company=company, by=admin, rows=1)
    response, _ = progress_of(client, queued)
    assert response.status_code == 302 and "/login/" in response["Location"]
