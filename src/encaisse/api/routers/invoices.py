from django.db import transaction
from django.db.models import F
from ninja import Query, Router

from encaisse.documents import archive
from encaisse.documents.models import ArchiveFormat
from encaisse.documents.responses import attachment
from encaisse.sales import services
from encaisse.sales.models import Invoice

from ..errors import READ, WRITE, responses
from ..pagination import page
from ..schemas.invoices import (
    CreditNoteIn,
    InvoiceFilters,
    InvoiceIn,
    InvoiceOut,
    InvoicePage,
    InvoicePatch,
    IssueIn,
)
from . import get_or_404

router = Router(tags=["factures"])
NOT_FOUND = "Facture introuvable."


def invoices_of(company):
    return (
        Invoice.objects.filter(company=company)
        .select_related("credited_invoice")
        .prefetch_related("lines", "allowances", "credit_notes")
    )


def reload(invoice: Invoice) -> Invoice:
    return invoices_of(invoice.company_id).get(pk=invoice.pk)


@router.get(
    "", response=responses({200: InvoicePage}, READ), summary="Liste des factures et avoirs"
)
def list_invoices(request, filters: Query[InvoiceFilters]):
    invoices = invoices_of(request.company)
    if filters.status:
        invoices = invoices.filter(status=filters.status)
    if filters.kind:
        invoices = invoices.filter(kind=filters.kind)
    if filters.customer:
        invoices = invoices.filter(customer_id=filters.customer)
    if filters.issued_from:
        invoices = invoices.filter(issue_date__gte=filters.issued_from)
    if filters.issued_to:
        invoices = invoices.filter(issue_date__lte=filters.issued_to)
    if filters.number:
        invoices = invoices.filter(number=filters.number.strip())
    # drafts first, then the newest number: the same order on SQLite and PostgreSQL
    order = (F("issue_date").desc(nulls_first=True), "-sequence_number", "-id")
    return page(invoices.order_by(*order), filters)


@router.post(
    "", response=responses({201: InvoiceOut}, WRITE), summary="Créer une facture brouillon"
)
def create_invoice(request, payload: InvoiceIn):
    data = payload.model_dump(exclude_unset=True)
    data["lines"] = [line.model_dump(exclude_none=True) for line in payload.lines]
    data["allowances"] = [a.model_dump(exclude_none=True) for a in payload.allowances]
    data["schedule"] = [row.model_dump(exclude_none=True) for row in payload.schedule]
    invoice = services.create_invoice(request.company, by=request.user, **data)
    return 201, reload(invoice)


@router.patch(
    "/{int:id}", response=responses({200: InvoiceOut}, WRITE, 404), summary="Modifier un brouillon"
)
def update_invoice(request, id: int, payload: InvoicePatch):
    invoice = get_or_404(Invoice.objects.filter(company=request.company), id, NOT_FOUND)
    data = payload.model_dump(exclude_unset=True, exclude={"lines", "allowances", "schedule"})
    lists = {
        name: [row.model_dump(exclude_none=True) for row in getattr(payload, name)]
        for name in ("lines", "allowances", "schedule")
        if getattr(payload, name) is not None
    }
    services.update_invoice(invoice, data, by=request.user, **lists)
    return reload(invoice)


@router.get(
    "/{int:id}", response=responses({200: InvoiceOut}, 404), summary="Une facture ou un avoir"
)
def get_invoice(request, id: int):
    return get_or_404(invoices_of(request.company), id, NOT_FOUND)


@router.post(
    "/{int:id}/issue",
    response=responses({200: InvoiceOut}, WRITE, 404),
    summary="Émettre un brouillon",
)
def issue_invoice(request, id: int, payload: IssueIn | None = None):
    invoice = get_or_404(Invoice.objects.filter(company=request.company), id, NOT_FOUND)
    on = payload.issue_date if payload is not None else None
    reason = (payload.override_reason if payload is not None else None) or ""
    return reload(services.issue_invoice(invoice, by=request.user, on=on, override_reason=reason))


@router.post(
    "/{int:id}/credit-note",
    response=responses({201: InvoiceOut}, WRITE, 404),
    summary="Créer (et émettre) un avoir sur une facture émise",
)
def create_credit_note(request, id: int, payload: CreditNoteIn):
    invoice = get_or_404(Invoice.objects.filter(company=request.company), id, NOT_FOUND)
    lines = [line.model_dump() for line in payload.lines or []]
    # One transaction: if issuing refuses, the draft credit note goes too.
    with transaction.atomic():
        note = services.create_credit_note(
            invoice,
            by=request.user,
            mode=payload.mode,
            lines=lines,
            amount=payload.amount,
            vat_rate=payload.vat_rate,
            reason=payload.reason,
        )
        if payload.issue:
            note = services.issue_invoice(note, by=request.user, on=payload.issue_date)
    return 201, reload(note)


# ---------------------------------------------------------------- archived documents


def _file_response(content_type: str, what: str) -> dict:
    return {
        "responses": {
            "200": {
                "description": f"{what}, tel qu'archivé à l'émission (octet pour octet).",
                "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


# The three files archived at issue: path, format, summary, what the 200 response is.
DOWNLOADS = [
    ("pdf", ArchiveFormat.PDF, "PDF Factur-X", "Le PDF/A-3 Factur-X"),
    (
        "facturx",
        ArchiveFormat.CII,
        "XML Factur-X (CII, EN 16931)",
        "Le XML CII embarqué dans le PDF",
    ),
    ("ubl", ArchiveFormat.UBL, "XML UBL 2.1", "Le XML UBL 2.1"),
]


def _download(format: str):
    def download(request, id: int):
        invoice = get_or_404(Invoice.objects.filter(company=request.company), id, NOT_FOUND)
        return attachment(archive.fetch(invoice, format))

    return download


for name, format, label, what in DOWNLOADS:
    router.get(
        f"/{{int:id}}/{name}",
        response=responses({}, 404, 409),
        summary=f"{label} d'une facture ou d'un avoir émis",
        description=(
            "Le fichier archivé à l'émission, octet pour octet. Il est produit par une tâche "
            "de fond dans les secondes qui suivent l'émission : d'ici là, la réponse est "
            "409 avec le code `document_not_ready` (réessayer un peu plus tard)."
        ),
        operation_id=f"encaisse_api_routers_invoices_invoice_{name}",
        openapi_extra=_file_response(archive.CONTENT_TYPES[format], what),
    )(_download(format))
