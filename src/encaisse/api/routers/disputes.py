"""Disputes (litiges) and promises to pay: list, open, resolve; list and record."""

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema

from encaisse.collection import disputes as services
from encaisse.collection.models import (
    Department,
    Dispute,
    DisputeCategory,
    DisputeStatus,
    PromiseChannel,
    PromiseToPay,
)
from encaisse.collection.promises import PromiseStatus, promises_as_of, record_promise

from ..errors import READ, WRITE, responses
from ..fields import DateIn, DecimalIn, DecimalOut, Id, TextOf, VatRateIn
from ..pagination import PageParams, page
from ..schemas.common import Input, PageOut
from ..schemas.payments import MoneyOut
from . import as_of_date, get_or_404

router = Router(tags=["litiges"])
promises_router = Router(tags=["promesses de paiement"])

Category = Literal[tuple(DisputeCategory.values)]
DepartmentIn = Literal[tuple(Department.values)]
Status = Literal[tuple(DisputeStatus.values)]
OutcomeIn = Literal[services.Outcome.ALL]
Channel = Literal[tuple(PromiseChannel.values)]


# ---------------------------------------------------------------- schemas


class DisputeIn(Input):
    invoice: Id
    amount: DecimalIn | None = Field(
        None, description="Montant contesté TTC ; défaut : tout ce que la facture doit encore."
    )
    category: Category = Field(description=", ".join(DisputeCategory.values))
    customer_words: TextOf(Dispute.customer_words, max_length=5000) = Field(
        description="Ce que le client conteste, avec ses mots."
    )
    owner: Id = Field(description="Id de l'utilisateur responsable (membre de la société).")
    department: DepartmentIn = Field(description="sales, logistics ou accounting.")
    target_date: DateIn
    opened_on: DateIn | None = Field(None, description="Défaut : aujourd'hui.")


class ResolveIn(Input):
    outcome: OutcomeIn = Field(
        description="resolved_credit_note (avoir émis), resolved_correction ou rejected."
    )
    reason: TextOf(Dispute.resolution_reason, max_length=2000) = Field(
        "", description="Obligatoire pour une correction ou un rejet."
    )
    resolved_on: DateIn | None = Field(None, description="Défaut : aujourd'hui.")
    amount: DecimalIn | None = Field(
        None, description="Avoir : montant TTC ; défaut : le montant contesté."
    )
    vat_rate: VatRateIn | None = Field(None, description="Avoir : taux, si plusieurs.")


class DisputeOut(Schema):
    id: int
    invoice: int = Field(validation_alias="invoice_id")
    invoice_number: str = Field(validation_alias="invoice.number")
    customer: int = Field(validation_alias="customer_id")
    amount: DecimalOut
    category: str
    customer_words: str
    owner: int = Field(validation_alias="owner_id")
    department: str
    target_date: dt.date
    status: str
    opened_on: dt.date
    escalated_on: dt.date | None
    escalated_to: str
    resolved_on: dt.date | None
    resolution_reason: str
    credit_note: int | None = Field(None, validation_alias="credit_note_id")


class DisputeFilters(PageParams):
    status: Status | None = None
    category: Category | None = None
    owner: Id | None = None
    customer: Id | None = None
    invoice: Id | None = None


class DisputePage(PageOut):
    items: list[DisputeOut]


class PromiseIn(Input):
    customer: Id
    invoices: list[Id] = Field(max_length=1000, description="Factures émises du client.")
    amount: DecimalIn
    promised_on: DateIn
    promised_by: TextOf(PromiseToPay.promised_by) = Field(
        description="Qui a promis (nom de l'interlocuteur)."
    )
    channel: Channel = Field(description="phone, email, letter ou visit.")
    tolerance_days: int = Field(3, ge=0, le=30, description="Jours de tolérance (défaut 3).")
    recorded_on: DateIn | None = Field(None, description="Défaut : aujourd'hui.")
    note: TextOf(PromiseToPay.note, max_length=2000) = ""


class PromiseOut(Schema):
    id: int
    customer: int = Field(validation_alias="customer_id")
    invoices: list[int]
    amount: DecimalOut
    promised_on: dt.date
    tolerance_days: int
    due_by: dt.date = Field(description="Date promise + tolérance.")
    promised_by: str
    channel: str
    recorded_on: dt.date
    note: str
    received: MoneyOut = Field(description="Règlements reçus comptés pour la promesse.")
    status: str = Field(description="pending, kept ou broken à la date as_of.")


class PromiseFilters(PageParams):
    as_of: DateIn | None = Field(None, description="Date de situation ; défaut : aujourd'hui.")
    customer: Id | None = None
    status: Literal[PromiseStatus.PENDING, PromiseStatus.KEPT, PromiseStatus.BROKEN] | None = None


class PromisePage(PageOut):
    items: list[PromiseOut]


# ---------------------------------------------------------------- disputes


def _dispute_out(company, pk: int):
    return get_or_404(services.disputes(company), pk, "Litige introuvable.")


@router.get(
    "", response=responses({200: DisputePage}, READ), summary="Litiges (les plus anciens d'abord)"
)
def list_disputes(request, filters: Query[DisputeFilters]):
    disputes = services.disputes(
        request.company, status=filters.status, category=filters.category, owner=filters.owner
    )
    if filters.customer:
        disputes = disputes.filter(customer_id=filters.customer)
    if filters.invoice:
        disputes = disputes.filter(invoice_id=filters.invoice)
    return page(disputes, filters)


@router.post(
    "",
    response=responses({201: DisputeOut}, WRITE, 404),
    summary="Ouvrir un litige sur une facture",
)
def open_dispute(request, payload: DisputeIn):
    dispute = services.open_dispute(request.company, payload.model_dump(), by=request.user)
    return 201, _dispute_out(request.company, dispute.pk)


@router.get("/{int:id}", response=responses({200: DisputeOut}, 404), summary="Un litige")
def get_dispute(request, id: int):
    return _dispute_out(request.company, id)


@router.post(
    "/{int:id}/resolve",
    response=responses({200: DisputeOut}, WRITE, 404),
    summary="Résoudre un litige (avoir émis, correction ou rejet)",
)
def resolve(request, id: int, payload: ResolveIn):
    dispute = _dispute_out(request.company, id)
    services.resolve_dispute(
        dispute,
        payload.outcome,
        reason=payload.reason,
        by=request.user,
        on=payload.resolved_on,
        amount=payload.amount,
        vat_rate=payload.vat_rate,
    )
    return _dispute_out(request.company, id)


# ---------------------------------------------------------------- promises


def _promise_row(promise) -> dict:
    row = {
        f: getattr(promise, f) for f in PromiseOut.model_fields if f not in ("customer", "invoices")
    }
    return {
        **row,
        "customer_id": promise.customer_id,
        "invoices": sorted(i.pk for i in promise.invoices.all()),
    }


@promises_router.get(
    "", response=responses({200: PromisePage}, READ), summary="Promesses de paiement et leur statut"
)
def list_promises(request, filters: Query[PromiseFilters]):
    as_of = as_of_date(filters.as_of)
    promises = promises_as_of(request.company, as_of).prefetch_related("invoices")
    if filters.customer:
        promises = promises.filter(customer_id=filters.customer)
    if filters.status:
        promises = promises.filter(status=filters.status)
    result = page(promises.order_by("promised_on", "pk"), filters)
    result["items"] = [_promise_row(p) for p in result["items"]]
    return result


@promises_router.post(
    "",
    response=responses({201: PromiseOut}, WRITE, 404),
    summary="Enregistrer une promesse de paiement",
)
def create_promise(request, payload: PromiseIn):
    promise = record_promise(request.company, payload.model_dump(), by=request.user)
    rows = promises_as_of(request.company, as_of_date(None)).prefetch_related("invoices")
    return 201, _promise_row(rows.get(pk=promise.pk))
