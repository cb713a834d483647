"""Issuing the drafts ticked in the invoice list: one job, its progress, its refusals."""

import pytest
from django.urls import reverse

from encaisse import clock
from encaisse.companies.models import Role
from encaisse.documents import archive
from encaisse.jobs.models import Job, JobState
from encaisse.jobs.runner import run_pending_jobs
from encaisse.sales.jobs import ISSUE_DRAFTS
from encaisse.sales.models import DocumentStatus
from tests.conftest import issue_on_day

pytestmark = pytest.mark.django_db

ISSUE = reverse("web:invoice_issue_selected")
LIST = reverse("web:invoices")


def test_the_list_offers_a_checkbox_per_draft_to_those_who_may_issue(
    admin_client, client_of, make_user, company, make_invoice
):
    draft, issued = make_invoice(), make_invoice(issue_on=clock.today())
    html = admin_client.get(LIST).content.decode()
    assert f'name="invoice" value="{draft.pk}" form="issue-selected"' in html
    assert f'name="invoice" value="{issued.pk}"' not in html
    assert f'action="{ISSUE}"' in html and "Émettre les brouillons cochés" in html
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    html = reader.get(LIST).content.decode()
    assert 'name="invoice"' not in html and ISSUE not in html


def test_selected_drafts_are_issued_by_one_job_and_a_refusal_does_not_stop_the_others(
    admin_client, make_invoice, admin
):
    first, second, third = make_invoice(), make_invoice(), make_invoice()
    issue_on_day(second, by=admin)  # issued meanwhile (another tab): not a draft any more
    run_pending_jobs()
    response = admin_client.post(ISSUE, {"invoice": [first.pk, second.pk, third.pk]})
    job = Job.objects.get(name=ISSUE_DRAFTS)
    assert response.status_code == 302 and response["Location"] == f"{LIST}?job={job.pk}"
    assert (job.state, job.label) == (JobState.QUEUED, "Émission de 3 brouillons")
    assert job.created_by == admin and job.arguments == {
        "invoice_ids": [first.pk, second.pk, third.pk]
    }

    # the page that started it shows its progress bar, which polls until it is finished
    html = admin_client.get(f"{LIST}?job={job.pk}").content.decode()
    assert f'hx-get="{reverse("web:job_progress", args=[job.pk])}"' in html

    run_pending_jobs()
    job.refresh_from_db()
    first.refresh_from_db()
    third.refresh_from_db()
    assert job.state == JobState.DONE and (job.done, job.total) == (3, 3)
    assert first.status == third.status == DocumentStatus.ISSUED
    assert job.result["issued"] == [
        {"id": first.pk, "number": first.number},
        {"id": third.pk, "number": third.number},
    ]
    (refused,) = job.result["refused"]
    assert (refused["id"], refused["code"]) == (second.pk, "already_issued")
    assert "déjà émise" in refused["reason"]
    assert job.message.startswith("2 documents émis, 1 refusé — Facture FA")
    # each issue queued its render, run by the worker like any other
    assert archive.is_archived(first) and archive.is_archived(third)
    html = admin_client.get(reverse("web:job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in html and "2 documents émis" in html


def test_another_companys_invoice_is_refused_and_nothing_is_queued(
    admin_client, make_invoice, their_draft
):
    theirs, _ = their_draft
    mine = make_invoice()
    response = admin_client.post(ISSUE, {"invoice": [mine.pk, theirs.pk]})
    assert response.status_code == 404
    assert admin_client.post(ISSUE, {"invoice": ["12abc"]}).status_code == 404
    assert not Job.objects.filter(name=ISSUE_DRAFTS).exists()
    theirs.refresh_from_db()
    assert theirs.status == DocumentStatus.DRAFT


def test_an_empty_selection_says_so(admin_client):
    response = admin_client.post(ISSUE, {}, follow=True)
    assert "Sélectionnez au moins un brouillon." in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.parametrize("role", [Role.READ_ONLY, Role.COLLECTION])
def test_without_the_right_to_issue_403(client_of, make_user, company, make_invoice, role):
    draft = make_invoice()
    user = client_of(make_user("sans-droit", company, role))
    assert user.post(ISSUE, {"invoice": [draft.pk]}).status_code == 403
    assert not Job.objects.filter(name=ISSUE_DRAFTS).exists()
