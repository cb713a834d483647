"""Dunning: the run, its proposals (reminders) and sending them."""

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema

from encaisse.companies.permissions import COLLECT, require
from encaisse.dunning import actions
from encaisse.dunning.models import Reminder, ReminderStatus
from encaisse.dunning.run import run_dunning

from ..errors import READ, WRITE, responses
from ..fields import DateIn, DecimalOut, Id, Text, TextOf
from ..pagination import PageParams, page
from ..schemas.common import Input, PageOut
from . import as_of_date, get_or_404

router = Router(tags=["relances"])

Status = Literal[tuple(ReminderStatus.values)]


class ReminderItemOut(Schema):
    installment: int = Field(validation_alias="installment_id")
    invoice: int = Field(validation_alias="invoice_id")
    invoice_number: str = Field(validation_alias="invoice.number")
    due_date: dt.date
    days_late: int
    level: int = Field(description="Niveau de la ligne dans cette relance.")
    advances: bool = Field(description="Vrai : cette relance porte la ligne à ce niveau.")
    open_amount: DecimalOut
    held_amount: DecimalOut = Field(description="Part suspendue (litige, promesse, exclusion).")
    hold_reason: str
    penalties: DecimalOut = Field(description="Pénalités au jour de l'envoi (niveau 2 et +).")
    recovery_fee: DecimalOut


class ReminderOut(Schema):
    id: int
    customer: int = Field(validation_alias="customer_id")
    customer_name: str = Field(validation_alias="customer.legal_name")
    level: int
    channel: str
    template: str
    status: str
    needs_validation: bool
    proposed_on: dt.date
    postponed_until: dt.date | None
    hold_reason: str
    principal: DecimalOut
    penalties: DecimalOut
    recovery_fees: DecimalOut
    deadline: dt.date | None
    sent_on: dt.date | None
    registered_mail_ref: str
    items: list[ReminderItemOut]


class ReminderFilters(PageParams):
    as_of: DateIn | None = Field(
        None, description="Date du passage des relances ; défaut : aujourd'hui."
    )
    status: Status | None = None
    level: int | None = Field(None, ge=0, le=4)
    customer: Id | None = None


class ReminderPage(PageOut):
    items: list[ReminderOut]


class RunIn(Input):
    as_of: DateIn | None = Field(None, description="Défaut : aujourd'hui.")


class RunOut(Schema):
    as_of: dt.date
    proposed: int
    updated: int
    held: int
    cancelled: int
    sent: int
    failed: int


class SendIn(Input):
    to: list[Text(254)] | None = Field(
        None, max_length=20, description="Destinataires ; défaut : ceux du client."
    )
    registered_mail_ref: TextOf(Reminder.registered_mail_ref) = Field(
        "",
        description="N° de la lettre recommandée : obligatoire pour une lettre recommandée "
        "(canal recommandé, mise en demeure).",
    )


def _proposals(company):
    return actions.reminders(company).prefetch_related("items__invoice", "items__reminder")


@router.get(
    "/proposals",
    response=responses({200: ReminderPage}, READ),
    summary="Relances proposées (ou envoyées) par le passage des relances d'une date",
)
def list_proposals(request, filters: Query[ReminderFilters]):
    reminders = _proposals(request.company).filter(proposed_on=as_of_date(filters.as_of))
    if filters.status:
        reminders = reminders.filter(status=filters.status)
    if filters.level is not None:
        reminders = reminders.filter(level=filters.level)
    if filters.customer:
        reminders = reminders.filter(customer_id=filters.customer)
    return page(reminders.order_by("customer__legal_name", "pk"), filters)


@router.post(
    "/run",
    response=responses({200: RunOut}, WRITE),
    summary="Passer les relances d'une date (idempotent)",
)
def run(request, payload: RunIn):
    require(request.user, request.company, COLLECT)
    report = run_dunning(request.company, as_of_date(payload.as_of), by=request.user)
    return {
        "as_of": report.as_of,
        **{
            name: len(getattr(report, name))
            for name in ("proposed", "updated", "held", "cancelled", "sent", "failed")
        },
    }


@router.post(
    "/proposals/{int:id}/send",
    response=responses({200: ReminderOut}, WRITE, 404),
    summary="Valider et envoyer une relance proposée",
)
def send(request, id: int, payload: SendIn):
    reminder = get_or_404(_proposals(request.company), id, "Relance introuvable.")
    actions.send_reminder(
        reminder,
        by=request.user,
        to=payload.to,
        registered_mail_ref=payload.registered_mail_ref,
    )
    return get_or_404(_proposals(request.company), id, "Relance introuvable.")
