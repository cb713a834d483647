"""Reconciling bank lines: a person's match (or the engine's, through the same
functions), a split, an assignment to an account, and their undo.

Each service checks RECONCILE_BANK, works in one transaction, records what it did on a
MatchOperation and in the audit log, and refuses with a domain error, changing nothing:
a line already matched, amounts that do not add up, an installment of another company,
a closed period, a debit line matched to invoices.

A match of a credit line to invoices records the Payment the bank received
(receivables.record_payment: dated the booking date, transfer or direct debit as the
line says, payer and IBAN from the line, the line's label as reference) and allocates
it (receivables.allocate, dated the day of the match; the money counts as received on
the payment's date). Undoing it undoes those allocations (undo_allocation), reverses the
write-offs it made (a reversing entry, 411 against 658, and the write-off's allocation
undone), and cancels the payment it recorded: payments and their entries are never
deleted (append-only books), so the payment's credit goes back through a Refund of the
same amount, « Annulation RG… », whose entry (411 against 512) reverses the payment's.
Both stay in the books, paired on the undo's MatchOperation (`recorded_payments` of the
operation undone, `refunds` of the undo): `cancelled_pairs` lists them for the
reconciliation report, which must not show them as outstanding items.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from encaisse import clock, identifiers
from encaisse.audit import services as audit
from encaisse.companies.permissions import RECONCILE_BANK, require
from encaisse.customers.models import Customer
from encaisse.errors import Conflict, NotFound, ValidationFailed
from encaisse.ledger.periods import ensure_open
from encaisse.money import ZERO, format_eur, q2
from encaisse.receivables.models import (
    Allocation,
    Installment,
    Payment,
    PaymentMethod,
    Refund,
    RemittanceSlip,
    WriteOff,
)
from encaisse.receivables.services.allocation import (
    allocate,
    refresh_settled,
    undo_allocation,
    write_off,
)
from encaisse.receivables.services.allocation import refund as refund_credit
from encaisse.receivables.services.payments import record_payment
from encaisse.sales.models import Invoice
from encaisse.validation import parse_decimal

from .. import posting
from ..matching.text import normalise_name, payer_from_label
from ..models import (
    BankLine,
    BankMatch,
    LineStatus,
    MatchOperation,
    MatchProposal,
    PayerMemory,
)
from ..reconciliation_report import check_can_match, check_can_unmatch

# Above this score the engine applies a match by itself (a constant, not yet a company
# setting: Company has no field for it; `threshold(company)` reads one if it comes).
AUTO_THRESHOLD = 85

DIRECT_DEBIT_WORDS = re.compile(r"\b(PRLV|PRELEVEMENT|PRÉLÈVEMENT|SDD)\b", re.I)


def threshold(company) -> int:
    return getattr(company, "bank_match_threshold", None) or AUTO_THRESHOLD


@dataclass
class Part:
    """One customer's share of a line: what it settles."""

    customer: Customer | None = None
    # [(Installment | Invoice (an invoice: its open installments by due date; a credit
    # note: its credit used) | installment id, amount)]
    allocations: list = field(default_factory=list)
    write_off: Decimal | None = None  # spread on the part's installments, in order
    amount: Decimal | None = None  # only for a payment on account (no allocations)


@dataclass
class _Resolved:
    customer: Customer
    amount: Decimal  # the payment to record
    payment_items: list  # [(Installment, amount)]
    note_items: list  # [(credit note Invoice, [(Installment, amount)])]
    write_offs: list  # [(Installment, amount)]


# ------------------------------------------------------------------ helpers


def _lock_line(line: BankLine) -> BankLine:
    line = BankLine.objects.select_for_update().select_related("account", "company").get(pk=line.pk)
    if (
        line.status in (LineStatus.MATCHED, LineStatus.ASSIGNED)
        or BankMatch.objects.filter(line=line, undone_on__isnull=True).exists()
    ):
        raise Conflict("already_matched", "Cette ligne de relevé est déjà rapprochée.")
    return line


def _check_dates(company, line, on) -> None:
    ensure_open(company, line.booking_date, "booking_date")
    ensure_open(company, on, "date")
    # A match dated in a period closed by a validated reconciliation report is refused
    # (the report lane's rule, reconciliation_report.check_can_match).
    check_can_match(line, on)


def _method(line) -> str:
    text = f"{line.transaction_code} {line.label}"
    return PaymentMethod.DIRECT_DEBIT if DIRECT_DEBIT_WORDS.search(text) else PaymentMethod.TRANSFER


def _iban_or_blank(value: str) -> str:
    if not value:
        return ""
    try:
        return identifiers.iban(value)
    except ValidationFailed:
        return ""


def _payer(line) -> str:
    return (line.counterparty_name or payer_from_label(line.label)).strip()


def _reference(line) -> str:
    return " ".join(
        x
        for x in (line.end_to_end_id if line.end_to_end_id != "NOTPROVIDED" else "", line.label)
        if x
    )[:140]


def _installment(company, item, index: int) -> Installment:
    pk = item.pk if isinstance(item, Installment) else item
    try:
        return Installment.objects.select_related("invoice").get(company=company, pk=int(pk))
    except (Installment.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed(
            "unknown_installment", "Échéance introuvable.", f"allocations.{index}"
        ) from None


def _resolve(company, part: Part, index: int) -> _Resolved:
    """Check one part and turn invoices into installments; nothing written."""
    debits: list[list] = []  # [[Installment, amount]]
    notes: list[tuple[Invoice, Decimal]] = []
    for position, (item, amount) in enumerate(part.allocations, start=1):
        where = f"parts.{index}.allocations.{position}" if index else f"allocations.{position}"
        amount = parse_decimal(amount, where, "Le montant", places=2)
        if amount <= 0:
            raise ValidationFailed("zero_amount", "Un montant doit être positif.", where)
        if isinstance(item, Invoice):
            if item.company_id != company.pk:
                raise ValidationFailed("unknown_installment", "Facture introuvable.", where)
            if not item.kind_spec.creates_receivable:
                notes.append((item, amount))
                continue
            owing = list(
                Installment.objects.select_related("invoice")
                .filter(company=company, invoice=item, open_amount__gt=0)
                .order_by("due_date", "position")
            )
            left = amount
            for installment in owing:
                take = min(left, installment.open_amount)
                if take > 0:
                    debits.append([installment, take])
                    left -= take
            if left > 0:
                raise ValidationFailed(
                    "over_allocation",
                    f"{format_eur(amount)} dépasse ce que doit encore la facture {item.number}.",
                    where,
                )
        else:
            debits.append([_installment(company, item, position), amount])
    customers = {i.customer_id for i, _ in debits} | {n.customer_id for n, _ in notes}
    customer = part.customer
    if customer is None:
        if len(customers) != 1:
            raise ValidationFailed("customer_required", "Choisissez le client.", "customer")
        customer = Customer.objects.get(pk=customers.pop())
    elif customer.company_id != company.pk:
        raise NotFound("Client introuvable.")
    elif customers - {customer.pk}:
        raise ValidationFailed(
            "other_customer", "Une facture choisie est celle d'un autre client.", "allocations"
        )
    # Credit notes first, on the debits in order; the payment takes what is left.
    note_items = []
    remaining = [[i, a] for i, a in debits]
    for note, amount in notes:
        items, left = [], amount
        for row in remaining:
            take = min(left, row[1])
            if take > 0:
                items.append((row[0], take))
                row[1] -= take
                left -= take
        if left > 0:
            raise ValidationFailed(
                "amounts_mismatch",
                f"L'avoir {note.number} dépasse les factures choisies.",
                "allocations",
            )
        note_items.append((note, items))
    payment_items = [(i, a) for i, a in remaining if a > 0]
    amount = sum((a for _, a in payment_items), ZERO)
    if not debits:
        if part.amount is None:
            raise ValidationFailed(
                "nothing_to_allocate", "Choisissez au moins une facture.", "allocations"
            )
        amount = parse_decimal(part.amount, "amount", "Le montant", places=2)
    write_offs = []
    if part.write_off:
        loss = parse_decimal(part.write_off, "write_off", "L'écart", places=2)
        if loss < 0 or loss > company.write_off_threshold:
            raise ValidationFailed(
                "write_off_over_threshold",
                "Un écart passé en pertes est au plus de "
                f"{format_eur(company.write_off_threshold)}.",
                "write_off",
            )
        settled: dict[int, Decimal] = {}
        for installment, a in debits:
            settled[installment.pk] = settled.get(installment.pk, ZERO) + a
        seen = set()
        for installment, _ in debits:
            if installment.pk in seen or loss <= 0:
                continue
            seen.add(installment.pk)
            room = installment.open_amount - settled[installment.pk]
            take = min(room, loss)
            if take > 0:
                write_offs.append((installment, take))
                loss -= take
        if loss > 0:
            raise ValidationFailed(
                "over_allocation", "L'écart dépasse ce que doivent les factures.", "write_off"
            )
    return _Resolved(customer, q2(amount), payment_items, note_items, write_offs)


def _learn(line, customer, by) -> None:
    """Remember the payer of a line a person matched: its IBAN, its name variant."""
    iban = _iban_or_blank(line.counterparty_iban)
    if iban:
        PayerMemory.objects.update_or_create(
            company=line.company, iban=iban, defaults={"customer": customer, "learned_from": line}
        )
    name = normalise_name(_payer(line))[:200]
    if name and name != normalise_name(customer.legal_name):
        PayerMemory.objects.get_or_create(
            company=line.company,
            customer=customer,
            name=name,
            iban="",
            defaults={"learned_from": line},
        )


def _finish(line, operation, matches, status, by, action, changes) -> None:
    operation.matches.set(matches)
    line.status = status
    line.save(update_fields=["status"])
    MatchProposal.objects.filter(line=line).delete()
    audit.record(action, line, by=by, changes=changes)


def _operation(line, kind, by, on, **fields) -> MatchOperation:
    return MatchOperation.objects.create(
        company=line.company, line=line, kind=kind, done_on=on, done_by=audit.actor(by), **fields
    )


def _bank_match(line, amount, by, on, automatic, score, explanation, **counterpart) -> BankMatch:
    return BankMatch.objects.create(
        company=line.company,
        line=line,
        amount=amount,
        automatic=automatic,
        score=score,
        explanation=(explanation or "")[:500],
        matched_on=on,
        matched_by=audit.actor(by),
        **counterpart,
    )


# ------------------------------------------------------------------ matching


def match_line(
    line: BankLine,
    allocations=(),
    *,
    customer: Customer | None = None,
    by,
    write_off=None,
    amount=None,
    automatic: bool = False,
    score: int | None = None,
    explanation: str = "",
    on: dt.date | None = None,
) -> MatchOperation:
    """Match a credit line to invoices/installments of one customer (see split_line).
    Without allocations but with a customer and no amount: the whole line on account."""
    part = Part(customer, list(allocations), write_off, amount)
    if not part.allocations and part.amount is None:
        part.amount = line.amount if customer is not None else None
    return split_line(
        line,
        [part],
        by=by,
        automatic=automatic,
        score=score,
        explanation=explanation,
        on=on,
    )


def split_line(
    line: BankLine,
    parts,
    *,
    by,
    automatic: bool = False,
    score: int | None = None,
    explanation: str = "",
    on: dt.date | None = None,
) -> MatchOperation:
    """Split a credit line across customers and invoices: one payment recorded per part
    (its customer), allocated to the part's installments; Σ parts = the line's amount."""
    company = line.company
    require(by, company, RECONCILE_BANK)
    on = on or clock.today()
    parts = [p if isinstance(p, Part) else Part(**p) for p in parts]
    if not parts:
        raise ValidationFailed("nothing_to_allocate", "Choisissez au moins une facture.", "parts")
    with transaction.atomic():
        line = _lock_line(line)
        _check_dates(company, line, on)
        if line.amount <= 0:
            raise ValidationFailed(
                "debit_line",
                "Une ligne au débit ne règle pas de factures : imputez-la ou rapprochez-la "
                "d'un remboursement.",
                "allocations",
            )
        resolved = [
            _resolve(company, part, index if len(parts) > 1 else 0)
            for index, part in enumerate(parts, start=1)
        ]
        total = sum((r.amount for r in resolved), ZERO)
        if total != line.amount:
            raise ValidationFailed(
                "amounts_mismatch",
                f"Les montants choisis ({format_eur(total)}) ne font pas le montant de la "
                f"ligne ({format_eur(line.amount)}).",
                "allocations",
            )
        operation = _operation(line, MatchOperation.Kind.MATCH, by, on)
        matches = []
        iban = _iban_or_blank(line.counterparty_iban)
        for r in resolved:
            payment = record_payment(
                company,
                {
                    "customer": r.customer.pk,
                    "amount": r.amount,
                    "date": line.booking_date,
                    "method": _method(line),
                    "payer": _payer(line) or r.customer.legal_name,
                    "reference": _reference(line),
                    "bank_account": iban,
                },
                by=by,
            )
            operation.recorded_payments.append(payment.pk)
            for note, items in r.note_items:
                operation.allocations += [
                    a.pk for a in allocate(note, items, by=by, on=max(on, note.issue_date))
                ]
            if r.payment_items:
                operation.allocations += [
                    a.pk for a in allocate(payment, r.payment_items, by=by, on=on)
                ]
            for installment, loss in r.write_offs:
                operation.write_offs.append(
                    write_off(
                        installment,
                        loss,
                        by=by,
                        reason=f"Écart de règlement (frais bancaires), relevé du "
                        f"{line.booking_date:%d/%m/%Y}",
                        on=on,
                    ).pk
                )
            matches.append(
                _bank_match(line, r.amount, by, on, automatic, score, explanation, payment=payment)
            )
            if not automatic:
                _learn(line, r.customer, by)
        operation.save(update_fields=["recorded_payments", "allocations", "write_offs"])
        _finish(
            line,
            operation,
            matches,
            LineStatus.MATCHED,
            by,
            "bank_line.matched",
            {
                "payments": [m.payment.number for m in matches],
                "automatic": automatic,
                "score": score,
                "explanation": explanation,
            },
        )
    return operation


def _check_free(model_field: str, obj, label: str) -> None:
    if BankMatch.objects.filter(undone_on__isnull=True, **{model_field: obj}).exists():
        raise Conflict("already_matched", f"{label} est déjà rapproché d'une ligne de relevé.")


def match_payments(
    line: BankLine,
    payments,
    *,
    by,
    automatic: bool = False,
    score: int | None = None,
    explanation: str = "",
    on: dt.date | None = None,
) -> MatchOperation:
    """Match a credit line to payments already recorded by hand (one, or a direct-debit
    batch): not yet matched to a line, not on a remittance slip, Σ = the line's amount."""
    company = line.company
    require(by, company, RECONCILE_BANK)
    on = on or clock.today()
    ids = [p.pk if isinstance(p, Payment) else int(p) for p in payments]
    if not ids:
        raise ValidationFailed("nothing_to_allocate", "Choisissez un règlement.", "payment")
    with transaction.atomic():
        line = _lock_line(line)
        _check_dates(company, line, on)
        found = list(
            Payment.objects.select_for_update().filter(company=company, pk__in=ids).order_by("pk")
        )
        if len(found) != len(set(ids)):
            raise NotFound("Règlement introuvable.")
        for payment in found:
            _check_free("payment", payment, f"Le règlement {payment.number}")
            if payment.remittance_id:
                raise ValidationFailed(
                    "remitted_cheque",
                    f"Le chèque {payment.number} est sur le {payment.remittance} : rapprochez "
                    "la ligne du bordereau.",
                    "payment",
                )
        total = sum((p.amount for p in found), ZERO)
        if total != line.amount:
            raise ValidationFailed(
                "amounts_mismatch",
                f"Le règlement ({format_eur(total)}) ne fait pas le montant de la ligne "
                f"({format_eur(line.amount)}).",
                "payment",
            )
        operation = _operation(line, MatchOperation.Kind.MATCH, by, on)
        matches = [
            _bank_match(line, p.amount, by, on, automatic, score, explanation, payment=p)
            for p in found
        ]
        if not automatic and len({p.customer_id for p in found}) == 1:
            _learn(line, found[0].customer, by)
        _finish(
            line,
            operation,
            matches,
            LineStatus.MATCHED,
            by,
            "bank_line.matched",
            {"payments": [p.number for p in found], "automatic": automatic, "score": score},
        )
    return operation


def match_remittance(
    line: BankLine,
    slip: RemittanceSlip,
    *,
    by,
    automatic: bool = False,
    score: int | None = None,
    explanation: str = "",
    on: dt.date | None = None,
) -> MatchOperation:
    """Match a credit line to a cheque remittance slip: the line's amount is the slip's
    total of cheques."""
    company = line.company
    require(by, company, RECONCILE_BANK)
    on = on or clock.today()
    if slip.company_id != company.pk:
        raise NotFound("Bordereau introuvable.")
    with transaction.atomic():
        line = _lock_line(line)
        _check_dates(company, line, on)
        _check_free("remittance", slip, str(slip))
        total = sum((p.amount for p in slip.payments.all()), ZERO)
        if total != line.amount:
            raise ValidationFailed(
                "amounts_mismatch",
                f"Le {slip} totalise {format_eur(total)}, la ligne {format_eur(line.amount)}.",
                "remittance",
            )
        operation = _operation(line, MatchOperation.Kind.MATCH, by, on)
        match = _bank_match(
            line, line.amount, by, on, automatic, score, explanation, remittance=slip
        )
        _finish(
            line,
            operation,
            [match],
            LineStatus.MATCHED,
            by,
            "bank_line.matched",
            {"remittance": slip.number, "automatic": automatic, "score": score},
        )
    return operation


def match_refund(
    line: BankLine,
    refund: Refund,
    *,
    by,
    automatic: bool = False,
    score: int | None = None,
    explanation: str = "",
    on: dt.date | None = None,
) -> MatchOperation:
    """Match a debit line to a refund paid to a customer (same amount)."""
    company = line.company
    require(by, company, RECONCILE_BANK)
    on = on or clock.today()
    if refund.company_id != company.pk:
        raise NotFound("Remboursement introuvable.")
    with transaction.atomic():
        line = _lock_line(line)
        _check_dates(company, line, on)
        _check_free("refund", refund, f"Le remboursement {refund.number}")
        if line.amount != -refund.amount:
            raise ValidationFailed(
                "amounts_mismatch",
                f"Le remboursement ({format_eur(refund.amount)}) ne correspond pas au débit "
                f"de la ligne ({format_eur(line.amount)}).",
                "refund",
            )
        operation = _operation(line, MatchOperation.Kind.MATCH, by, on)
        match = _bank_match(line, line.amount, by, on, automatic, score, explanation, refund=refund)
        _finish(
            line,
            operation,
            [match],
            LineStatus.MATCHED,
            by,
            "bank_line.matched",
            {"refund": refund.number, "automatic": automatic, "score": score},
        )
    return operation


ACCOUNT = re.compile(r"\d{3,10}")


def assign_line(
    line: BankLine,
    account: str,
    label: str,
    *,
    by,
    automatic: bool = False,
    score: int | None = None,
    explanation: str = "",
    on: dt.date | None = None,
) -> MatchOperation:
    """Assign a line to a ledger account (fees, interest, a transfer between own
    accounts): an entry on the bank journal, 512x against `account`."""
    company = line.company
    require(by, company, RECONCILE_BANK)
    on = on or clock.today()
    account = (account or "").strip()
    label = (label or "").strip()
    if not ACCOUNT.fullmatch(account):
        raise ValidationFailed(
            "invalid_account", "Le compte est un numéro de 3 à 10 chiffres (627, 661…).", "account"
        )
    if account.startswith("411"):
        raise ValidationFailed(
            "customer_account",
            "Un règlement client se rapproche de ses factures, pas du compte 411.",
            "account",
        )
    if not label:
        raise ValidationFailed("required", "Le libellé de l'écriture est obligatoire.", "label")
    with transaction.atomic():
        line = _lock_line(line)
        _check_dates(company, line, on)
        if account == (line.account.ledger_account or "512"):
            raise ValidationFailed(
                "same_account", "C'est le compte de la banque elle-même.", "account"
            )
        operation = _operation(
            line, MatchOperation.Kind.ASSIGN, by, on, account=account, label=label[:200]
        )
        entry = posting.post_assignment(operation, line, account, label)
        match = _bank_match(line, line.amount, by, on, automatic, score, explanation, entry=entry)
        _finish(
            line,
            operation,
            [match],
            LineStatus.ASSIGNED,
            by,
            "bank_line.assigned",
            {"account": account, "label": label, "automatic": automatic},
        )
    return operation


# ------------------------------------------------------------------ undo


def unmatch_line(line: BankLine, *, by, reason: str, on: dt.date | None = None) -> MatchOperation:
    """Undo what the line's match or assignment did (see the module's docstring); the
    line is to be matched again. Dated `on` (today)."""
    company = line.company
    require(by, company, RECONCILE_BANK)
    on = on or clock.today()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("required", "Le motif de l'annulation est obligatoire.", "reason")
    with transaction.atomic():
        line = BankLine.objects.select_for_update().select_related("company").get(pk=line.pk)
        done = (
            MatchOperation.objects.filter(line=line, undone_on__isnull=True)
            .exclude(kind=MatchOperation.Kind.UNDO)
            .order_by("-pk")
            .first()
        )
        if done is None or line.status not in (LineStatus.MATCHED, LineStatus.ASSIGNED):
            raise Conflict("not_matched", "Cette ligne n'est pas rapprochée.")
        ensure_open(company, on, "date")
        # What a validated reconciliation report counted stays reconciled.
        for match in done.matches.select_related("line__account"):
            check_can_unmatch(match, on)
        if on < done.done_on:
            raise ValidationFailed(
                "undo_before_match", "Une annulation ne précède pas le rapprochement.", "date"
            )
        undo = _operation(line, MatchOperation.Kind.UNDO, by, on, undo_of=done, reason=reason)
        # The write-offs it made: their allocation undone, their loss reversed.
        losses = list(WriteOff.objects.filter(pk__in=done.write_offs).select_related("customer"))
        if losses:
            rows = list(
                Allocation.objects.select_for_update().filter(
                    write_off__in=losses, undone_on__isnull=True
                )
            )
            for row in rows:
                ensure_open(company, row.allocated_on, "date")
            Allocation.objects.filter(pk__in=[r.pk for r in rows]).update(
                undone_on=on, undo_reason=reason[:200], undone_by=audit.actor(by)
            )
            refresh_settled(installments=[r.installment_id for r in rows], reopened=True)
            posting.post_write_offs_reversal(undo, losses, on)
        # The allocations it made, and any made since on the payments it recorded.
        recorded = list(Payment.objects.filter(pk__in=done.recorded_payments).order_by("pk"))
        live = Allocation.objects.filter(undone_on__isnull=True).filter(
            Q(pk__in=list(done.allocations)) | Q(payment__in=[p.pk for p in recorded])
        )
        for allocation in live.order_by("pk"):
            if allocation.refund_id:
                raise Conflict(
                    "refunded",
                    "Une partie du règlement a été remboursée : l'annulation est impossible.",
                )
            undo_allocation(allocation, by=by, reason=reason, on=on)
        # The payments it recorded, cancelled by a refund of the same amount.
        for payment in recorded:
            cancel = refund_credit(
                payment,
                payment.amount,
                by=by,
                method=payment.method,
                reference=f"Annulation {payment.number} (rapprochement défait)",
                on=on,
            )
            undo.refunds.append(cancel.pk)
        # An assignment's entry, reversed.
        for match in done.matches.filter(entry__isnull=False).select_related("entry"):
            posting.post_assignment_reversal(undo, match.entry, on)
        undo.save(update_fields=["refunds"])
        done.matches.filter(undone_on__isnull=True).update(undone_on=on, undone_by=audit.actor(by))
        done.undone_on = on
        done.save(update_fields=["undone_on"])
        line.status = LineStatus.UNMATCHED
        line.save(update_fields=["status"])
        audit.record(
            "bank_line.unmatched",
            line,
            by=by,
            changes={
                "reason": reason,
                "payments_cancelled": [p.number for p in recorded],
                "write_offs_reversed": [w.number for w in losses],
            },
        )
    return undo


def cancelled_pairs(company) -> list[tuple[int, int]]:
    """[(payment id, refund id)] of the payments an undone match recorded and the
    refunds that cancelled them: no money moved, not outstanding items."""
    pairs = []
    for undo in MatchOperation.objects.filter(
        company=company, kind=MatchOperation.Kind.UNDO
    ).select_related("undo_of"):
        pairs += list(zip(undo.undo_of.recorded_payments, undo.refunds, strict=False))
    return pairs
