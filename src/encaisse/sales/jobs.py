"""Issuing several drafts in one action, as a background job with its progress.

`start_issuing(company, ids, by=...)` checks what can be checked at once (the right, the
selection: documents of this company) and queues the job `sales.issue_drafts`, which
issues each draft through `issue_invoice`, each in its own transaction: a draft refused
(already issued meanwhile, a missing mention, over the credit limit...) is reported with
its reason in the job's result and does not stop the others.
"""

from encaisse.companies.models import Company
from encaisse.companies.permissions import ISSUE_INVOICES, require
from encaisse.errors import DomainError, NotFound, ValidationFailed
from encaisse.jobs.models import Job
from encaisse.jobs.runner import enqueue, job, progress

from .models import Invoice
from .services import issue_invoice

ISSUE_DRAFTS = "sales.issue_drafts"
MAX_SELECTED = 500  # a page of the list is 50; more is not a selection any more


def _ids(values) -> list[int]:
    ids: list[int] = []
    for value in values:
        try:
            pk = int(str(value).strip())
        except ValueError:
            raise NotFound("Document introuvable.") from None
        if pk not in ids:
            ids.append(pk)
    return ids


def start_issuing(company: Company, invoice_ids, *, by) -> Job:
    """Queue the issue of the drafts `invoice_ids` (today's date), in their order.

    Raises Forbidden without the right to issue invoices, ValidationFailed for an empty
    or too large selection, NotFound when an id is not a document of `company` (nothing is
    queued: a selection is taken whole or not at all). A document that is not a draft
    any more is reported by the job, as it could become one between the page and the run.
    """
    require(by, company, ISSUE_INVOICES)
    ids = _ids(invoice_ids)
    if not ids:
        raise ValidationFailed("nothing_selected", "Sélectionnez au moins un brouillon.")
    if len(ids) > MAX_SELECTED:
        raise ValidationFailed("too_many_selected", f"{MAX_SELECTED} documents au plus à la fois.")
    found = Invoice.objects.filter(company=company, pk__in=ids).count()
    if found != len(ids):
        raise NotFound("Document introuvable.")
    count = len(ids)
    return enqueue(
        ISSUE_DRAFTS,
        company=company,
        by=by,
        label=f"Émission de {count} brouillon{'s' if count > 1 else ''}",
        invoice_ids=ids,
    )


def _summary(issued: list, refused: list) -> str:
    head = f"{len(issued)} document{'s' if len(issued) > 1 else ''} émis"
    if not refused:
        return head + "."
    reasons = " ; ".join(f"{item['document']} : {item['reason']}" for item in refused)
    text = f"{head}, {len(refused)} refusé{'s' if len(refused) > 1 else ''} — {reasons}"
    return text if len(text) <= 500 else text[:499] + "…"


@job(ISSUE_DRAFTS, "Émission de brouillons")
def issue_drafts(job_, invoice_ids: list[int]):
    by, company = job_.created_by, job_.company
    issued: list[dict] = []
    refused: list[dict] = []
    progress(job_, 0, len(invoice_ids))
    for done, pk in enumerate(invoice_ids, start=1):
        invoice = Invoice.objects.filter(company=company, pk=pk).first()
        if invoice is None:
            refused.append({"id": pk, "document": f"n° {pk}", "reason": "introuvable"})
        else:
            label = str(invoice)
            try:
                invoice = issue_invoice(invoice, by=by)  # its own transaction
            except DomainError as exc:
                refused.append(
                    {"id": pk, "document": label, "code": exc.code, "reason": exc.message}
                )
            else:
                issued.append({"id": pk, "number": invoice.number})
        progress(job_, done)
    return _summary(issued, refused), {"issued": issued, "refused": refused}
