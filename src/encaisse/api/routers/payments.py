import datetime as dt

from django.db.models import Prefetch
from ninja import Query, Router

from encaisse.errors import ValidationFailed
from encaisse.receivables import selectors
from encaisse.receivables.models import Allocation, Installment
from encaisse.receivables.services.allocation import (
    allocate,
    available_credit,
    propose_allocation,
    undo_allocation,
)
from encaisse.receivables.services.payments import record_payment
from encaisse.sales.models import Invoice

from ..errors import READ, WRITE, responses
from ..pagination import page
from ..schemas.payments import (
    AllocateIn,
    AllocationOut,
    AllocationProposalOut,
    PaymentDetailOut,
    PaymentFilters,
    PaymentIn,
    PaymentPage,
    UndoIn,
)
from . import get_or_404

router = Router(tags=["règlements"])
allocations_router = Router(tags=["règlements"])
NOT_FOUND = "Règlement introuvable."


def payments_of(company):
    # dt.date.max: every allocation in force now, as the allocation service counts them.
    return selectors.payments_as_of(company, dt.date.max)


def detail(company, pk: int):
    allocations = Allocation.objects.select_related("installment__invoice").order_by(
        "allocated_on", "id"
    )
    payments = payments_of(company).prefetch_related(Prefetch("allocations", allocations))
    return get_or_404(payments, pk, NOT_FOUND)


@router.get("", response=responses({200: PaymentPage}, READ), summary="Liste des règlements reçus")
def list_payments(request, filters: Query[PaymentFilters]):
    payments = payments_of(request.company)
    if filters.customer:
        payments = payments.filter(customer_id=filters.customer)
    if filters.date_from:
        payments = payments.filter(date__gte=filters.date_from)
    if filters.date_to:
        payments = payments.filter(date__lte=filters.date_to)
    if filters.method:
        payments = payments.filter(method=filters.method)
    if filters.unallocated is not None:
        key = "unallocated__gt" if filters.unallocated else "unallocated__lte"
        payments = payments.filter(**{key: 0})
    if filters.reference:
        payments = payments.filter(reference__icontains=filters.reference.strip())
    return page(payments.order_by("-date", "-id"), filters)


@router.post(
    "", response=responses({201: PaymentDetailOut}, WRITE, 404), summary="Enregistrer un règlement"
)
def create_payment(request, payload: PaymentIn):
    payment = record_payment(request.company, payload.model_dump(), by=request.user)
    return 201, detail(request.company, payment.pk)


@router.get("/{int:id}", response=responses({200: PaymentDetailOut}, 404), summary="Un règlement")
def get_payment(request, id: int):
    return detail(request.company, id)


@router.get(
    "/{int:id}/proposal",
    response=responses({200: AllocationProposalOut}, 404),
    summary="Proposition de lettrage (factures citées, puis les plus anciennes)",
)
def get_proposal(request, id: int):
    payment = get_or_404(payments_of(request.company), id, NOT_FOUND)
    items = [
        {
            "installment": p.installment.pk,
            "invoice": p.installment.invoice_id,
            "invoice_number": p.installment.invoice.number,
            "due_date": p.installment.due_date,
            "open_amount": p.installment.open_amount,
            "amount": p.amount,
            "reason": p.reason,
        }
        for p in propose_allocation(payment)
    ]
    return {"payment": payment.pk, "available": available_credit(payment), "items": items}


def _installment_of(company, item, index: int):
    """The installment an item names, directly or through a one-installment invoice; what
    another company owns does not exist (404)."""
    field = f"items.{index}"
    if (item.installment is None) == (item.invoice is None):
        raise ValidationFailed(
            "installment_or_invoice", "Indiquez l'échéance ou la facture, pas les deux.", field
        )
    if item.installment is not None:
        installments = Installment.objects.filter(company=company)
        return get_or_404(installments, item.installment, "Échéance introuvable.").pk
    invoice = get_or_404(
        Invoice.objects.filter(company=company), item.invoice, "Facture introuvable."
    )
    pks = list(invoice.installments.values_list("pk", flat=True)[:2])
    if len(pks) != 1:
        raise ValidationFailed(
            "choose_installment",
            f"La facture {invoice.number or '(brouillon)'} n'a pas d'échéance à lettrer."
            if not pks
            else f"La facture {invoice.number} a plusieurs échéances : indiquez l'échéance.",
            f"{field}.invoice",
        )
    return pks[0]


@router.post(
    "/{int:id}/allocate",
    response=responses({200: PaymentDetailOut}, WRITE, 404),
    summary="Lettrer un règlement (à des échéances choisies, ou selon la proposition)",
)
def allocate_payment(request, id: int, payload: AllocateIn | None = None):
    payment = get_or_404(payments_of(request.company), id, NOT_FOUND)
    payload = payload or AllocateIn()
    if payload.items is None:
        items = [(p.installment, p.amount) for p in propose_allocation(payment)]
    else:
        items = [
            (_installment_of(request.company, item, index), item.amount)
            for index, item in enumerate(payload.items, start=1)
        ]
    allocate(payment, items, by=request.user, on=payload.allocated_on)
    return detail(request.company, payment.pk)


@allocations_router.post(
    "/{int:id}/undo",
    response=responses({200: AllocationOut}, WRITE, 404),
    summary="Défaire un lettrage",
)
def undo(request, id: int, payload: UndoIn):
    allocation = get_or_404(
        Allocation.objects.filter(company=request.company), id, "Lettrage introuvable."
    )
    allocation = undo_allocation(
        allocation, by=request.user, reason=payload.reason, on=payload.undone_on
    )
    return Allocation.objects.select_related("installment__invoice").get(pk=allocation.pk)
