"""Exports beyond INLINE_ROWS rows run as a job: the job's page shows the progress, then a
link to the file, which only the company's members can download."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from encaisse.companies.models import Role
from encaisse.customers.services import create_customer
from encaisse.jobs.models import Job, JobState
from encaisse.jobs.runner import run_pending_jobs
from encaisse.web import exports

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_limit(monkeypatch, settings, tmp_path):
    monkeypatch.setattr(exports, "INLINE_ROWS", 2)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def customers(company, admin):
    return [
        create_customer(company, {"legal_name": f"Client {n}", "kind": "consumer"}, by=admin)
        for n in range(3)
    ]


def rows_of(content: bytes):
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_a_large_export_runs_as_a_job_then_downloads(admin_client, admin, customers):
    response = admin_client.get(
        reverse("web:customer_export"),
        {"q": "Client"},
        HTTP_REFERER="http://testserver/customers/?q=Client",
    )
    job = Job.objects.get(name="web.export")
    assert response.status_code == 302 and response.url == reverse("web:job_detail", args=[job.pk])
    assert (job.company, job.created_by) == (admin.memberships.get().company, admin)
    assert job.label == "Export « Clients » (3 lignes)"
    assert job.arguments["query"] == "q=Client"
    html = admin_client.get(response.url).content.decode()
    assert "<h1>Export « Clients » (3 lignes)</h1>" in html
    assert 'hx-trigger="every 1s"' in html and 'href="/customers/?q=Client"' in html
    assert run_pending_jobs() == 1
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == (JobState.DONE, 3, 3)
    html = admin_client.get(reverse("web:job_progress", args=[job.pk])).content.decode()
    download = reverse("web:job_download", args=[job.pk])
    assert "3 lignes exportées." in html and f'href="{download}"' in html
    response = admin_client.get(download)
    assert response.status_code == 200
    stamp = timezone.localdate().isoformat()
    assert f'filename="clients-{stamp}.xlsx"' in response["Content-Disposition"]
    header, *data = rows_of(b"".join(response.streaming_content))
    assert header[0] == "Raison sociale / nom"
    assert sorted(r[0] for r in data) == ["Client 0", "Client 1", "Client 2"]


def test_the_job_follows_the_lists_filters(admin_client, customers, company, admin):
    create_customer(company, {"legal_name": "Autre nom", "kind": "consumer"}, by=admin)
    admin_client.get(reverse("web:customer_export"), {"q": "Client"})
    run_pending_jobs()
    job = Job.objects.get(name="web.export")
    assert job.result["rows"] == 3  # not the fourth customer


def test_a_small_export_is_still_the_file_at_once(admin_client, customers):
    response = admin_client.get(reverse("web:customer_export"), {"q": "Client 1"})
    assert response.status_code == 200 and len(rows_of(response.content)) == 2
    assert not Job.objects.exists()


def test_another_companys_export_is_404(
    client_of, make_user, other_company, admin_client, customers
):
    admin_client.get(reverse("web:customer_export"))
    run_pending_jobs()
    job = Job.objects.get(name="web.export")
    stranger = client_of(make_user("autre", other_company, Role.ADMIN))
    for name in ("web:job_detail", "web:job_download", "web:job_progress"):
        assert stranger.get(reverse(name, args=[job.pk])).status_code == 404, name


def test_another_member_of_the_company_may_download_it(
    client_of, make_user, company, admin_client, customers
):
    admin_client.get(reverse("web:customer_export"))
    run_pending_jobs()
    job = Job.objects.get(name="web.export")
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    assert reader.get(reverse("web:job_download", args=[job.pk])).status_code == 200


def test_no_download_before_the_file_exists(admin_client, customers):
    admin_client.get(reverse("web:customer_export"))
    job = Job.objects.get(name="web.export")
    assert admin_client.get(reverse("web:job_download", args=[job.pk])).status_code == 404


def test_a_user_no_longer_member_gets_no_file(admin_client, admin, customers):
    admin_client.get(reverse("web:customer_export"))
    admin.memberships.all().delete()
    job = Job.objects.get(name="web.export")
    Job.objects.filter(pk=job.pk).update(max_attempts=1)
    run_pending_jobs()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.result is None


@pytest.mark.parametrize(
    "name",
    [
        "web:invoice_export",
        "web:credit_note_export",
        "web:payment_export",
        "web:reminder_export",
        "web:dispute_export",
        "web:product_export",
        "web:customer_export",
        "web:credit_positions_export",
    ],
)
def test_every_list_export_goes_through_the_same_door(admin_client, name, monkeypatch):
    """Each list's export calls exports.export (a job when large), not the file directly."""
    monkeypatch.setattr(exports, "INLINE_ROWS", -1)  # everything is "large"
    response = admin_client.get(reverse(name))
    assert response.status_code == 302 and "/jobs/" in response.url
    assert run_pending_jobs() == 1
    job = Job.objects.get(name="web.export")
    assert job.state == JobState.DONE, job.error


def test_the_file_is_deleted_with_its_job_after_30_days(admin_client, customers, settings):
    import datetime as dt

    from freezegun import freeze_time

    from encaisse.jobs.jobs import prune_finished

    admin_client.get(reverse("web:customer_export"))
    run_pending_jobs()
    job = Job.objects.get(name="web.export")
    stored = settings.MEDIA_ROOT / job.result["file"]
    assert stored.exists()
    with freeze_time(timezone.now() + dt.timedelta(days=31)):
        prune_finished()
    assert not stored.exists() and not Job.objects.exists()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_large_aged_balance_export_runs_as_a_job(admin_client, invoice_of, monkeypatch, fmt):
    import datetime as dt

    invoice_of(1, dt.date(2026, 3, 2))
    monkeypatch.setattr(exports, "INLINE_ROWS", 0)  # one customer is "large"
    url = reverse("web:aged_balance_export", args=[fmt])
    response = admin_client.get(url, {"as_of": "2026-06-30"})
    assert response.status_code == 302
    run_pending_jobs()
    job = Job.objects.get(name="web.export")
    assert job.label == "Export « Balance âgée au 30/06/2026 » (1 lignes)"
    assert job.result["filename"] == f"balance-agee-2026-06-30.{fmt}"
    download = admin_client.get(reverse("web:job_download", args=[job.pk]))
    content = b"".join(download.streaming_content)
    if fmt == "csv":
        assert content.startswith("\ufeffClient;".encode()) and b"Boulangerie Dupont" in content
    else:
        assert rows_of(content)[0][0] == "Balance âgée au 30/06/2026"
    # Below the limit: the file at once, as before.
    monkeypatch.setattr(exports, "INLINE_ROWS", 10)
    direct = admin_client.get(url, {"as_of": "2026-06-30"})
    assert direct.status_code == 200
    if fmt == "csv":
        assert direct.content == content
    else:  # the workbook's bytes carry its creation time
        assert rows_of(direct.content) == rows_of(content)
