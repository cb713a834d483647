"""The documents' background jobs: rendering and archiving what was issued.

- `documents.render` (key `render:<invoice id>`, one per document): queued by
  `issue_invoice` in its own transaction; renders the Factur-X PDF, CII and UBL of the
  issued document and appends them to the archive (`archive.archive_issued`: at least
  once, idempotent; a second execution finds the document archived and does nothing).
- `documents.render_pending` (queued every minute by the scheduler, jobs/schedule.py):
  queues the render of any issued document that has neither its files nor a render job,
  e.g. one whose job row was pruned. A worker killed in the middle of a render is
  `runner.recover_stale`'s business: its job is queued again and redoes the render.
"""

import datetime as dt

from django.db.models import Exists, OuterRef
from django.utils import timezone

from encaisse.jobs.models import Job
from encaisse.jobs.runner import enqueue, job
from encaisse.sales.models import DocumentStatus, Invoice

from . import archive
from .models import ArchivedDocument

RENDER = "documents.render"
RENDER_PENDING = "documents.render_pending"
# What one run of render_pending looks at: documents issued in the last days (a render
# job is queued with every issue: older ones without files are verify-archive's report),
# and at most this many, the rest at the next run.
PENDING_LOOKBACK = dt.timedelta(days=7)
PENDING_BATCH = 1000


def render_key(invoice_id: int) -> str:
    return f"render:{invoice_id}"


def queue_render(invoice: Invoice) -> Job:
    """Queue the render of the issued `invoice`, in the caller's transaction (the issue's:
    the job exists if and only if the issue commits)."""
    return enqueue(
        RENDER,
        key=render_key(invoice.pk),
        company=invoice.company,
        label=f"Génération des documents de {invoice}",
        invoice_id=invoice.pk,
    )


@job(RENDER, "Génération des documents")
def render(job_, invoice_id: int):
    invoice = Invoice.objects.select_related("company", "customer").get(pk=invoice_id)
    links = archive.archive_issued(invoice)
    return f"{invoice} : {len(links)} fichiers archivés", {
        "positions": [link.position for link in links]
    }


def without_files(since: dt.datetime):
    """Issued documents since `since` that have no archived file."""
    return Invoice.objects.filter(status=DocumentStatus.ISSUED, issued_at__gte=since).filter(
        ~Exists(ArchivedDocument.objects.filter(invoice=OuterRef("pk")))
    )


@job(RENDER_PENDING, "Documents émis à générer")
def render_pending(job_):
    since = timezone.now() - PENDING_LOOKBACK
    candidates = list(
        without_files(since).select_related("company").order_by("issued_at", "pk")[:PENDING_BATCH]
    )
    keys = {render_key(invoice.pk) for invoice in candidates}
    have_job = set(Job.objects.filter(key__in=list(keys)).values_list("key", flat=True))
    queued = [i for i in candidates if render_key(i.pk) not in have_job]
    for invoice in queued:
        queue_render(invoice)
    return f"{len(queued)} rendu(s) mis en file", {"queued": [i.pk for i in queued]}
