"""Lettrage: settling installments with payments, credit notes and small write-offs.

Nothing is ever allocated beyond what a credit holds or an installment still owes: the
rows of both sides are locked (SELECT ... FOR UPDATE) before the amounts are checked, in
one transaction. An undone allocation stays, with its undo date, reason and author.
"""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Sum

from encaisse import clock
from encaisse.audit import services as audit
from encaisse.companies.permissions import ALLOCATE, require
from encaisse.einvoicing.services import collect_paid
from encaisse.errors import Conflict, ValidationFailed
from encaisse.ledger.periods import ensure_open
from encaisse.ledger.posting import post_refund, post_write_off
from encaisse.money import ZERO, format_eur, q2
from encaisse.sales.models import DocumentStatus, Invoice
from encaisse.validation import parse_decimal

from .. import selectors
from ..models import (
    Allocation,
    CreditNoteCredit,
    Installment,
    Payment,
    PaymentMethod,
    Refund,
    WriteOff,
)
from .payments import next_number, not_in_future, parse_date

# An invoice number as our series print it: prefix, year, dash, five digits.
NUMBER_PATTERN = re.compile(r"[A-Za-z0-9+_/]*\d{4}-\d{5}")


# What the services store on a row, derived from its allocations not undone:
# (model, Allocation's link to it, its stored amount, whether it has settled_on/reopened).
STORED = (
    (Payment, "payment", "unallocated_amount", True),
    (CreditNoteCredit, "credit_note", "unallocated_amount", False),
    (Installment, "installment", "open_amount", True),
)


def refresh_settled(
    *, installments=(), payments=(), credit_notes=(), reopened: bool = False
) -> None:
    """Recompute, from their allocations not undone, what is stored on the rows an
    allocation, undo, write-off, refund or credit note touched, in the caller's
    transaction: the stored amount (Installment.open_amount, Payment.unallocated_amount,
    CreditNoteCredit.unallocated_amount: amount − Σ allocations), and on installments and
    payments settled_on (the date of the allocation that made the row fully allocated,
    else null) and reopened. Recomputed, never incremented: exact whatever happened
    before. The rows are locked first (credits, then installments in id order, the order
    `allocate` takes), so two services never store from a stale sum. A sum beyond the
    amount fails the rows' check constraints: nothing is ever over-allocated.
    An invoice whose installments are then all settled gets its e-invoicing status
    "encaissée" when it needs one (einvoicing.services.collect_paid)."""
    settled_invoices = set()
    for model, key, column, dated in STORED:
        ids = {"payment": payments, "credit_note": credit_notes, "installment": installments}[key]
        ids = sorted({i for i in ids if i})
        if not ids:
            continue
        rows = list(model.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        done = {
            r[key]: r
            for r in Allocation.objects.filter(undone_on__isnull=True, **{f"{key}__in": ids})
            .order_by()
            .values(key)
            .annotate(total=Sum("amount"), last=Max("allocated_on"))
        }
        for row in rows:
            allocated = done.get(row.pk, {}).get("total") or ZERO
            changes = {column: q2(row.amount - allocated)}
            if dated:
                changes["settled_on"] = done[row.pk]["last"] if changes[column] == 0 else None
                changes["reopened"] = row.reopened or reopened
            if any(getattr(row, name) != value for name, value in changes.items()):
                model.objects.filter(pk=row.pk).update(**changes)
            if model is Installment and changes["settled_on"] is not None:
                settled_invoices.add(row.invoice_id)
    if settled_invoices:
        collect_paid(settled_invoices)


@dataclass(frozen=True)
class Proposal:
    installment: Installment
    amount: Decimal
    reason: str  # "référence" when named by the payer, else "plus ancienne"


def _credit_kind(credit) -> str:
    if isinstance(credit, Payment):
        return "payment"
    if isinstance(credit, Invoice) and not credit.kind_spec.creates_receivable:
        if credit.status != DocumentStatus.ISSUED:
            raise Conflict("credit_note_not_issued", "L'avoir doit être émis pour être lettré.")
        return "credit_note"
    raise ValidationFailed(
        "invalid_credit", "Seuls un règlement ou un avoir se lettrent.", "credit"
    )


def _credit_date(credit) -> dt.date:
    """The day a credit exists from (nothing is matched with it before)."""
    return credit.date if isinstance(credit, Payment) else credit.issue_date


def _held(credit, kind: str) -> Decimal:
    """What a credit locked by the caller holds now: its stored unallocated amount."""
    if kind == "payment":
        return credit.unallocated_amount
    return CreditNoteCredit.objects.get(pk=credit.pk).unallocated_amount


def _credit_rows(kind: str, credit) -> dict:
    """refresh_settled's argument naming the credit's stored row."""
    return {"payments" if kind == "payment" else "credit_notes": [credit.pk]}


def paid_on(credit) -> dt.date:
    """The day a credit's money counts as received, for Allocation.paid_on: a payment's
    received_on (a remitted cheque: its slip's date), a credit note's issue date, a
    write-off's date. Penalties stop on this day, not on the day of the matching (C. com.
    L.441-10: payment is made when the funds are at the creditor's disposal)."""
    if isinstance(credit, Payment):
        return credit.received_on
    if isinstance(credit, WriteOff):
        return credit.date
    return credit.issue_date


def available_credit(credit, as_of: dt.date | None = None) -> Decimal:
    """What a payment or a credit note still holds, unallocated, on `as_of` (today)."""
    as_of = as_of or clock.today()
    kind = _credit_kind(credit)
    qs = (
        selectors.payments_as_of(credit.company, as_of)
        if kind == "payment"
        else selectors.credit_notes_as_of(credit.company, as_of)
    )
    row = qs.filter(pk=credit.pk).values("unallocated").first()
    return row["unallocated"] if row else ZERO


def propose_allocation(credit, as_of: dt.date | None = None) -> list[Proposal]:
    """Open installments of the credit's customer that it could settle: first those of
    the invoices its reference names, then the oldest due first."""
    as_of = as_of or clock.today()
    left = available_credit(credit, as_of)
    named = set(NUMBER_PATTERN.findall(getattr(credit, "reference", "") or ""))
    if isinstance(credit, Invoice) and credit.credited_invoice_id:
        named.add(credit.credited_invoice.number)
    candidates = list(
        selectors.open_installments(credit.company, as_of, credit.customer)
        .select_related("invoice")
        .order_by("due_date", "issue_date", "id")
    )
    candidates.sort(key=lambda inst: inst.invoice.number not in named)  # stable: named first
    proposals = []
    for installment in candidates:
        if left <= 0:
            break
        amount = min(left, installment.open_amount)
        proposals.append(
            Proposal(
                installment,
                amount,
                "référence" if installment.invoice.number in named else "plus ancienne",
            )
        )
        left -= amount
    return proposals


def allocate(credit, items, *, by, on: dt.date | None = None) -> list[Allocation]:
    """Allocate `credit` (a payment or an issued credit note) to installments.

    `items`: [(installment or its id, amount)]. Refused, changing nothing, when an amount
    exceeds what the installment still owes or the total exceeds what the credit holds.
    """
    require(by, credit.company, ALLOCATE)
    kind = _credit_kind(credit)
    on = not_in_future(
        parse_date(on or clock.today(), "allocated_on", "La date de lettrage"),
        "allocated_on",
    )
    ensure_open(credit.company, on, "allocated_on")
    if not items:
        raise ValidationFailed("nothing_to_allocate", "Choisissez au moins une échéance.", "items")
    with transaction.atomic():
        # Lock the credit, then the installments in id order (no deadlock between two
        # allocations touching the same rows).
        credit = type(credit).objects.select_for_update().get(pk=credit.pk)
        wanted: dict[int, Decimal] = {}
        for index, (installment, amount) in enumerate(items, start=1):
            pk = installment.pk if isinstance(installment, Installment) else int(installment)
            amount = parse_decimal(
                amount, f"items.{index}.amount", f"Le montant lettré {index}", places=2
            )
            if amount <= 0:
                raise ValidationFailed(
                    "zero_amount", "Un montant lettré doit être positif.", f"items.{index}.amount"
                )
            wanted[pk] = wanted.get(pk, ZERO) + amount
        installments = {
            i.pk: i
            for i in Installment.objects.select_for_update()
            .filter(company=credit.company, pk__in=sorted(wanted))
            .order_by("pk")
        }
        if set(installments) != set(wanted):
            raise ValidationFailed("unknown_installment", "Échéance introuvable.", "items")
        # The stored amounts of the rows locked above: what they owe now.
        open_amounts = {pk: i.open_amount for pk, i in installments.items()}
        for pk, amount in wanted.items():
            installment = installments[pk]
            if installment.customer_id != credit.customer_id:
                raise ValidationFailed(
                    "other_customer",
                    f"{installment.invoice.number} est la facture d'un autre client.",
                    "items",
                )
            if installment.issue_date > on or _credit_date(credit) > on:
                raise ValidationFailed(
                    "allocation_before_items",
                    "Le lettrage ne peut pas précéder la facture ni le règlement.",
                    "allocated_on",
                )
            if amount > open_amounts[pk]:
                raise ValidationFailed(
                    "over_allocation",
                    f"{format_eur(amount)} dépasse ce que doit encore la facture "
                    f"{installment.invoice.number} ({format_eur(open_amounts[pk])}).",
                    "items",
                )
        available = _held(credit, kind)
        total = sum(wanted.values(), ZERO)
        if total > available:
            raise ValidationFailed(
                "over_allocation",
                f"{format_eur(total)} à lettrer, le {'règlement' if kind == 'payment' else 'avoir'}"
                f" n'a plus que {format_eur(available)} disponibles.",
                "items",
            )
        allocations = [
            Allocation.objects.create(
                company=credit.company,
                customer_id=credit.customer_id,
                installment=installments[pk],
                amount=amount,
                allocated_on=on,
                paid_on=paid_on(credit),
                created_by=audit.actor(by),
                **{kind: credit},
            )
            for pk, amount in wanted.items()
        ]
        refresh_settled(installments=list(wanted), **_credit_rows(kind, credit))
        audit.record(
            f"{kind}.allocated",
            credit,
            by=by,
            changes={
                "allocations": [
                    f"{installments[pk].invoice.number}: {format_eur(a)}"
                    for pk, a in wanted.items()
                ],
                "date": on,
            },
        )
    return allocations


def undo_allocation(
    allocation: Allocation, *, by, reason: str, on: dt.date | None = None
) -> Allocation:
    """Undo an allocation from `on` (today): it stops counting from that date; the row
    stays as the trace of what was allocated, when, and who undid it why."""
    require(by, allocation.company, ALLOCATE)
    on = not_in_future(
        parse_date(on or clock.today(), "undone_on", "La date de délettrage"), "undone_on"
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("required", "Le motif du délettrage est obligatoire.", "reason")
    with transaction.atomic():
        allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
        # Its credit, then its installment, locked in allocate's order before the stored
        # amounts are recomputed (refresh_settled).
        if allocation.payment_id:
            Payment.objects.select_for_update().filter(pk=allocation.payment_id).first()
        if allocation.credit_note_id:
            Invoice.objects.select_for_update().filter(pk=allocation.credit_note_id).first()
        if allocation.undone_on is not None:
            raise Conflict("already_undone", "Ce lettrage est déjà défait.")
        if allocation.refund_id or allocation.write_off_id:
            # The money went back, or the loss was booked: the allocation is the record of
            # it, and undoing it would leave a refund or a loss settling nothing.
            raise Conflict(
                "allocation_not_undoable",
                "Le lettrage d'un remboursement ou d'un écart passé en pertes ne se défait pas.",
            )
        ensure_open(allocation.company, allocation.allocated_on, "undone_on")
        ensure_open(allocation.company, on, "undone_on")
        if on < allocation.allocated_on:
            raise ValidationFailed(
                "undo_before_allocation",
                "Un lettrage ne se défait pas avant la date où il a été fait.",
                "undone_on",
            )
        allocation.undone_on = on
        allocation.undo_reason = reason[:200]
        allocation.undone_by = audit.actor(by)
        allocation.save(update_fields=["undone_on", "undo_reason", "undone_by"])
        refresh_settled(
            installments=[allocation.installment_id],
            payments=[allocation.payment_id],
            credit_notes=[allocation.credit_note_id],
            reopened=True,
        )
        audit.record(
            "allocation.undone",
            allocation,
            by=by,
            changes={"amount": format_eur(allocation.amount), "reason": reason, "date": on},
        )
    return allocation


def write_off(
    installment: Installment, amount, *, by, reason: str, on: dt.date | None = None
) -> WriteOff:
    """Settle a small remainder (bank fees, rounding) under the company's threshold."""
    require(by, installment.company, ALLOCATE)
    on = not_in_future(parse_date(on or clock.today(), "date", "La date"), "date")
    amount = parse_decimal(amount, "amount", "Le montant de l'écart", places=2)
    ensure_open(installment.company, on)
    threshold = installment.company.write_off_threshold
    if amount <= 0 or amount > threshold:
        raise ValidationFailed(
            "write_off_over_threshold",
            f"Un écart passé en pertes doit être positif et au plus de {format_eur(threshold)}.",
            "amount",
        )
    with transaction.atomic():
        installment = Installment.objects.select_for_update().get(pk=installment.pk)
        open_amount = installment.open_amount  # stored, of the row locked above
        if amount > open_amount:
            raise ValidationFailed(
                "over_allocation",
                f"La facture ne doit plus que {format_eur(open_amount)}.",
                "amount",
            )
        loss = WriteOff.objects.create(
            number=next_number(installment.company, "write_off", on),
            company=installment.company,
            customer_id=installment.customer_id,
            date=on,
            amount=amount,
            reason=(reason or "Écart de règlement").strip()[:200],
            created_by=audit.actor(by),
        )
        Allocation.objects.create(
            company=installment.company,
            customer_id=installment.customer_id,
            installment=installment,
            write_off=loss,
            amount=amount,
            allocated_on=on,
            paid_on=paid_on(loss),
            created_by=loss.created_by,
        )
        refresh_settled(installments=[installment.pk])
        post_write_off(loss)
        audit.record(
            "write_off.recorded",
            loss,
            by=by,
            changes={"invoice": installment.invoice.number, "amount": format_eur(amount)},
        )
    return loss


def refund(
    credit,
    amount,
    *,
    by,
    method: str = PaymentMethod.TRANSFER,
    reference: str = "",
    on: dt.date | None = None,
) -> Refund:
    """Pay back (part of) what a payment or a credit note still holds."""
    require(by, credit.company, ALLOCATE)
    kind = _credit_kind(credit)
    on = not_in_future(parse_date(on or clock.today(), "date", "La date"), "date")
    amount = parse_decimal(amount, "amount", "Le montant remboursé", places=2)
    if amount <= 0:
        raise ValidationFailed("zero_amount", "Le montant doit être positif.", "amount")
    if method not in PaymentMethod.values:
        raise ValidationFailed("invalid_method", "Mode de remboursement inconnu.", "method")
    ensure_open(credit.company, on)
    with transaction.atomic():
        credit = type(credit).objects.select_for_update().get(pk=credit.pk)
        available = _held(credit, kind)
        if amount > available:
            raise ValidationFailed(
                "over_refund", f"Il ne reste que {format_eur(available)} à rembourser.", "amount"
            )
        money_back = Refund.objects.create(
            number=next_number(credit.company, "refund", on),
            company=credit.company,
            customer_id=credit.customer_id,
            date=on,
            amount=amount,
            method=method,
            reference=reference[:140],
            created_by=audit.actor(by),
        )
        Allocation.objects.create(
            company=credit.company,
            customer_id=credit.customer_id,
            refund=money_back,
            amount=amount,
            allocated_on=on,
            paid_on=paid_on(credit),
            created_by=money_back.created_by,
            **{kind: credit},
        )
        refresh_settled(**_credit_rows(kind, credit))
        post_refund(money_back)
        audit.record(
            "refund.recorded",
            money_back,
            by=by,
            changes={"amount": format_eur(amount), kind: str(credit)},
        )
    return money_back


def settle_credited_invoice(note: Invoice, *, by) -> list[Allocation]:
    """Called when a credit note is issued: it settles what its invoice still owes, up to
    its own amount (what is left stays as the customer's credit)."""
    CreditNoteCredit.objects.create(
        credit_note_id=note.pk,  # no cached reverse relation left stale on `note`
        company_id=note.company_id,
        customer_id=note.customer_id,
        issue_date=note.issue_date,
        amount=note.total_incl_vat,
        unallocated_amount=note.total_incl_vat,
    )
    left = note.total_incl_vat
    allocations = []
    # Locked as allocate locks them (a payment matched to the invoice at the same moment
    # waits), then read with their stored open amounts.
    owing = Installment.objects.select_for_update().filter(
        invoice_id=note.credited_invoice_id, open_amount__gt=0
    )
    for installment in sorted(owing.order_by("pk"), key=lambda i: (i.due_date, i.pk)):
        if left <= 0:
            break
        amount = min(left, installment.open_amount)
        allocations.append(
            Allocation.objects.create(
                company=note.company,
                customer_id=note.customer_id,
                installment=installment,
                credit_note=note,
                amount=amount,
                allocated_on=note.issue_date,
                paid_on=paid_on(note),
                created_by=audit.actor(by),
            )
        )
        left -= amount
    refresh_settled(installments=[a.installment_id for a in allocations], credit_notes=[note.pk])
    if allocations:
        audit.record(
            "credit_note.allocated",
            note,
            by=by,
            changes={
                "invoice": note.mentions["credited_invoice"]["number"],
                "amount": format_eur(note.total_incl_vat - left),
            },
        )
    return allocations
