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


# ---------------------------------------------------------------- the jobs page


@pytest.fixture
def failed_job(company, admin):
    failed = enqueue("tests.web.export", company=company, by=admin, rows=5, fail=True)
    Job.objects.filter(pk=failed.pk).update(max_attempts=1)
    run_pending_jobs()
    failed.refresh_from_db()
    assert failed.state == JobState.FAILED
    return failed


def test_the_jobs_page_lists_the_companys_jobs(
    admin_client, company, admin, failed_job, other_company
):
    done = enqueue("tests.web.export", company=company, by=admin, rows=40)
    run_pending_jobs()
    enqueue("tests.web.export", company=other_company, rows=99)  # not listed
    enqueue("tests.web.export", rows=98)  # nobody's: not listed either
    html = admin_client.get(reverse("web:jobs")).content.decode()
    assert 'href="/jobs/"' in html and ">Tâches</a>" in html  # in the menu
    assert html.count('id="job-row-') == 2
    assert "Le fichier dépasse la taille permise." in html and "En échec" in html
    assert "40 lignes exportées" in html and "40 / 40 (100 %)" in html
    assert "1 / 1" in html  # attempts
    assert reverse("web:job_retry", args=[failed_job.pk]) in html
    assert reverse("web:job_retry", args=[done.pk]) not in html
    assert 'href="/jobs/files/export.xlsx"' in html


def test_the_jobs_page_filters_by_state_and_pages(admin_client, company, admin, failed_job):
    for n in range(30):
        enqueue("tests.web.export", company=company, by=admin, rows=n)
    html = admin_client.get(reverse("web:jobs"), {"state": "failed"}).content.decode()
    assert html.count('id="job-row-') == 1
    html = admin_client.get(reverse("web:jobs"), {"state": "queued"}).content.decode()
    assert html.count('id="job-row-') == 25 and "Page 1 sur 2" in html
    html = admin_client.get(reverse("web:jobs"), {"state": "queued", "page": 2}).content.decode()
    assert html.count('id="job-row-') == 5
    # An unknown state is no filter.
    html = admin_client.get(reverse("web:jobs"), {"state": "perdu"}).content.decode()
    assert "31 résultats" in html


def test_retry_queues_a_failed_job_again(admin_client, admin, failed_job):
    from encaisse.audit.models import AuditEntry

    response = admin_client.post(reverse("web:job_retry", args=[failed_job.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("web:jobs")
    failed_job.refresh_from_db()
    assert (failed_job.state, failed_job.attempts) == (JobState.QUEUED, 0)
    entry = AuditEntry.objects.get(action="job.retried")
    assert entry.actor == admin and entry.company == failed_job.company
    html = admin_client.get(reverse("web:jobs")).content.decode()
    assert "est relancée" in html
    assert run_pending_jobs() == 1  # it ran again (and failed again: one attempt)


def test_retry_of_a_job_that_did_not_fail_does_nothing(admin_client, company, admin):
    queued = enqueue("tests.web.export", company=company, by=admin, rows=1)
    response = admin_client.post(reverse("web:job_retry", args=[queued.pk]), follow=True)
    assert "n&#x27;est pas en échec (En attente) : rien à relancer." in response.content.decode()
    queued.refresh_from_db()
    assert queued.state == JobState.QUEUED
    assert run_pending_jobs() == 1  # still its one queue row, not two


def test_retry_is_a_post(admin_client, failed_job):
    assert admin_client.get(reverse("web:job_retry", args=[failed_job.pk])).status_code == 405


def test_another_companys_job_cannot_be_retried(admin_client, other_company, make_user):
    foreign = enqueue("tests.web.export", company=other_company, rows=1, fail=True)
    Job.objects.filter(pk=foreign.pk).update(max_attempts=1)
    run_pending_jobs()
    assert admin_client.post(reverse("web:job_retry", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.state == JobState.FAILED


@pytest.mark.parametrize("role", [Role.ACCOUNTING, Role.SALES, Role.COLLECTION, Role.READ_ONLY])
def test_only_admins_see_the_jobs_page(client_of, make_user, company, failed_job, role):
    client = client_of(make_user("membre", company, role))
    assert client.get(reverse("web:jobs")).status_code == 403
    assert client.post(reverse("web:job_retry", args=[failed_job.pk])).status_code == 403
    failed_job.refresh_from_db()
    assert failed_job.state == JobState.FAILED
    home = client.get(reverse("web:home")).content.decode()
    assert 'href="/jobs/"' not in home


def test_the_django_admin_lists_jobs_for_staff(client, company, failed_job, make_user):
    staff = make_user("support")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    html = client.get("/admin/jobs/job/").content.decode()
    assert "Export des factures" in html
    client.post(
        "/admin/jobs/job/",
        {"action": "retry_failed", "_selected_action": [failed_job.pk]},
    )
    failed_job.refresh_from_db()
    assert failed_job.state == JobState.QUEUED
