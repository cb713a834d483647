"""The reconciliation engine run over a company's lines: rules first, then scoring
(banking/matching/engine.py); what scores above the threshold is applied through the
matching services (automatic=True, with its score and explanation), the rest waits as a
proposal for a person.

Set-based: the company's open items (stored open amounts), credit notes' credits,
customers' names, known IBANs, payments, slips and refunds not yet matched are read once
into the engine's in-memory indexes; no query per line per candidate. Each applied match
then runs the services (one transaction per line: a line that fails is left as a
proposal with the error, the others go on).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone

from encaisse.audit import services as audit
from encaisse.companies.permissions import RECONCILE_BANK, require
from encaisse.customers.models import Customer
from encaisse.errors import DomainError
from encaisse.receivables.models import (
    CreditNoteCredit,
    Installment,
    Payment,
    Refund,
    RemittanceSlip,
)
from encaisse.sales.models import Invoice

from ..matching.engine import (
    Book,
    Candidate,
    HandPayment,
    Item,
    LineIn,
    NoteCredit,
    RefundRow,
    Rule,
    Slip,
    cents,
    euros,
)
from ..matching.text import fold
from ..models import (
    BankAccount,
    BankLine,
    BankMatch,
    LineStatus,
    MatchOperation,
    MatchProposal,
    MatchRule,
    PayerMemory,
)
from . import bulk, matching

CHUNK = 1000  # engine matches applied per transaction
BULK_KINDS = ("installments", "rule", "payment", "payments", "remittance", "refund")
WINDOW = dt.timedelta(days=20)  # records this far from the lines' dates are candidates


@dataclass
class Report:
    lines: int = 0
    matched: int = 0  # applied automatically (matches and assignments)
    assigned: int = 0  # of which assigned by a rule
    proposed: int = 0
    left: int = 0
    errors: list = field(default_factory=list)
    decisions: dict = field(default_factory=dict)  # line id -> (Decision, applied)

    def summary(self) -> str:
        return (
            f"{self.lines} ligne(s) : {self.matched} rapprochée(s) automatiquement "
            f"(dont {self.assigned} imputée(s) par une règle), {self.proposed} proposée(s), "
            f"{self.left} sans candidat"
        )

    def counts(self) -> dict:
        return {
            "lines": self.lines,
            "matched": self.matched,
            "assigned": self.assigned,
            "proposed": self.proposed,
            "left": self.left,
        }


def line_in(line: BankLine, account_iban: str = "") -> LineIn:
    return LineIn(
        id=line.pk,
        amount=cents(line.amount),
        booking_date=line.booking_date,
        label=line.label,
        remittance=line.remittance_info,
        end_to_end=line.end_to_end_id if line.end_to_end_id != "NOTPROVIDED" else "",
        creditor_reference=line.creditor_reference,
        counterparty_name=line.counterparty_name,
        counterparty_iban=matching._iban_or_blank(line.counterparty_iban),
        account_iban=account_iban,
    )


def load_book(company, first: dt.date, last: dt.date) -> Book:
    """The company's book, read once (a handful of queries whatever its size)."""
    items = [
        Item(pk, customer, invoice, number, due, cents(open_amount), position)
        for pk, customer, invoice, number, due, open_amount, position in Installment.objects.filter(
            company=company, open_amount__gt=0
        )
        .order_by()
        .values_list(
            "pk",
            "customer_id",
            "invoice_id",
            "invoice__number",
            "due_date",
            "open_amount",
            "position",
        )
    ]
    notes = [
        NoteCredit(pk, customer, number, cents(left))
        for pk, customer, number, left in CreditNoteCredit.objects.filter(
            company=company, unallocated_amount__gt=0
        )
        .order_by()
        .values_list("credit_note_id", "customer_id", "credit_note__number", "unallocated_amount")
    ]
    customers = dict(Customer.objects.filter(company=company).values_list("pk", "legal_name"))
    ibans = set(
        Payment.objects.filter(company=company)
        .exclude(bank_account="")
        .order_by()
        .values_list("bank_account", "customer_id")
        .distinct()
    )
    memory = list(
        PayerMemory.objects.filter(company=company).values_list("iban", "name", "customer_id")
    )
    ibans |= {(iban, customer) for iban, _, customer in memory if iban}
    names = [(name, customer) for iban, name, customer in memory if not iban and name]
    undone = MatchOperation.objects.filter(company=company, kind=MatchOperation.Kind.UNDO)
    cancelled_payments, cancel_refunds = set(), set()
    for recorded, refunds in undone.values_list("undo_of__recorded_payments", "refunds"):
        cancelled_payments |= set(recorded or ())
        cancel_refunds |= set(refunds or ())
    live = BankMatch.objects.filter(company=company, undone_on__isnull=True)
    payments = [
        HandPayment(pk, customer, cents(amount), date, method, reference)
        for pk, customer, amount, date, method, reference in Payment.objects.filter(
            company=company,
            remittance__isnull=True,
            date__gte=first - WINDOW,
            date__lte=last + WINDOW,
        )
        .exclude(pk__in=live.filter(payment__isnull=False).values("payment_id"))
        .order_by()
        .values_list("pk", "customer_id", "amount", "date", "method", "reference")
        if pk not in cancelled_payments
    ]
    slips = [
        Slip(pk, number, date, cents(total or 0))
        for pk, number, date, total in RemittanceSlip.objects.filter(
            company=company, date__gte=first - WINDOW, date__lte=last
        )
        .exclude(pk__in=live.filter(remittance__isnull=False).values("remittance_id"))
        .annotate(total=Sum("payments__amount"))
        .values_list("pk", "number", "date", "total")
    ]
    refunds = [
        RefundRow(pk, customer, cents(amount), date)
        for pk, customer, amount, date in Refund.objects.filter(
            company=company, date__gte=first - WINDOW, date__lte=last + WINDOW
        )
        .exclude(pk__in=live.filter(refund__isnull=False).values("refund_id"))
        .values_list("pk", "customer_id", "amount", "date")
        if pk not in cancel_refunds
    ]
    rules = [
        Rule(
            r.pk,
            fold(r.label_contains),
            r.direction,
            cents(r.min_amount) if r.min_amount is not None else None,
            cents(r.max_amount) if r.max_amount is not None else None,
            r.account,
            r.entry_label,
        )
        for r in MatchRule.objects.filter(company=company, active=True)
    ]
    rf = {}
    if any(f.name == "payment_reference" for f in Invoice._meta.get_fields()):
        invoices = {i.invoice for i in items}
        rf = {
            ref.replace(" ", "").upper(): pk
            for ref, pk in Invoice.objects.filter(pk__in=invoices)
            .exclude(payment_reference="")
            .values_list("payment_reference", "pk")
        }
    own = list(BankAccount.objects.filter(company=company).values_list("iban", flat=True))
    return Book(
        items=items,
        notes=notes,
        customers=customers,
        ibans=ibans,
        name_memory=names,
        payments=payments,
        slips=slips,
        refunds=refunds,
        rules=rules,
        own_ibans=own,
        rf=rf,
        tolerance=cents(company.write_off_threshold),
        threshold=matching.threshold(company),
        prefixes=(company.invoice_prefix.upper(), company.credit_note_prefix.upper()),
    )


def serialise(book: Book, candidate: Candidate) -> dict:
    """A candidate as the review screen shows it (JSON)."""
    items = [
        {
            "installment": pk,
            "invoice": book.items[pk].invoice,
            "number": book.items[pk].number,
            "position": book.items[pk].position,
            "amount": f"{amount / 100:.2f}",
        }
        for pk, amount in candidate.items
    ]
    return {
        "kind": candidate.kind,
        "customer": candidate.customer,
        "customer_name": book.customers.get(candidate.customer, ""),
        "items": items,
        "credit_notes": [
            {"credit_note": pk, "number": book.notes[pk].number, "amount": f"{a / 100:.2f}"}
            for pk, a in candidate.notes
        ],
        "write_off": f"{candidate.write_off / 100:.2f}",
        "payments": candidate.payments,
        "remittance": candidate.remittance,
        "refund": candidate.refund,
        "account": candidate.account,
        "label": candidate.label,
        "score": candidate.score,
        "reasons": candidate.reasons,
        "explanation": candidate.explanation,
    }


def apply(line: BankLine, book: Book, candidate: Candidate, *, by, on=None):
    """Apply an engine's candidate through the matching services."""
    common = dict(
        by=by, automatic=True, score=candidate.score, explanation=candidate.explanation, on=on
    )
    if candidate.kind == "rule":
        return matching.assign_line(line, candidate.account, candidate.label, **common)
    if candidate.kind in ("payment", "payments"):
        return matching.match_payments(line, candidate.payments, **common)
    if candidate.kind == "remittance":
        slip = RemittanceSlip.objects.get(pk=candidate.remittance)
        return matching.match_remittance(line, slip, **common)
    if candidate.kind == "refund":
        return matching.match_refund(line, Refund.objects.get(pk=candidate.refund), **common)
    notes = {n.pk: n for n in Invoice.objects.filter(pk__in=[pk for pk, _ in candidate.notes])}
    allocations = [(pk, f"{amount / 100:.2f}") for pk, amount in candidate.items]
    allocations += [(notes[pk], f"{amount / 100:.2f}") for pk, amount in candidate.notes]
    part = matching.Part(
        allocations=allocations,
        write_off=f"{candidate.write_off / 100:.2f}" if candidate.write_off else None,
    )
    return matching.split_line(line, [part], **common)


def reconcile(company, lines=None, *, by, progress=None, keep_decisions: bool = False) -> Report:
    """Run the engine over `lines` (default: the company's lines to do: unmatched or
    proposed), apply what it decides alone, store proposals for the rest."""
    require(by, company, RECONCILE_BANK)
    if lines is None:
        lines = BankLine.objects.filter(
            company=company, status__in=[LineStatus.UNMATCHED, LineStatus.PROPOSED]
        )
    else:
        lines = BankLine.objects.filter(
            company=company,
            pk__in=[getattr(x, "pk", x) for x in lines],
            status__in=[LineStatus.UNMATCHED, LineStatus.PROPOSED],
        )
    lines = list(lines.select_related("account", "company").order_by("booking_date", "pk"))
    report = Report(lines=len(lines))
    if not lines:
        return report
    span = BankLine.objects.filter(pk__in=[x.pk for x in lines]).aggregate(
        first=Min("booking_date"), last=Max("booking_date")
    )
    book = load_book(company, span["first"], span["last"])
    proposals, proposed_ids, left_ids, pending = [], [], [], []

    def propose(line, decision):
        if decision.candidates:
            proposed_ids.append(line.pk)
            proposals.append(
                MatchProposal(
                    company=company,
                    line=line,
                    score=decision.candidates[0].score,
                    candidates=[serialise(book, c) for c in decision.candidates],
                )
            )
        else:
            left_ids.append(line.pk)

    def applied(line, decision):
        report.matched += 1
        report.assigned += decision.auto.kind == "rule"
        if keep_decisions:
            report.decisions[line.pk] = (decision, True)

    def refused(line, decision, error):
        report.errors.append((line.pk, error.message))
        decision.blocked = error.message
        propose(line, decision)
        if keep_decisions:
            report.decisions[line.pk] = (decision, False)

    def flush():
        """The chunk's matches in one transaction: those to invoices and the rules'
        set-based (bulk.apply_many), line by line through the services if the chunk does
        not go through as a whole; the others (payments, slips, refunds) through the
        services, each in its savepoint."""
        if not pending:
            return
        many = [(line, d) for line, d in pending if d.auto.kind in BULK_KINDS]
        one_by_one = [(line, d) for line, d in pending if d.auto.kind not in BULK_KINDS]
        with transaction.atomic():
            if many:
                try:
                    bulk.apply_many(company, book, [(line, d.auto) for line, d in many], by=by)
                except DomainError:
                    one_by_one = many + one_by_one
                else:
                    for line, decision in many:
                        applied(line, decision)
            for line, decision in one_by_one:
                try:
                    with transaction.atomic():
                        apply(line, book, decision.auto, by=by)
                except DomainError as error:
                    refused(line, decision, error)
                else:
                    applied(line, decision)
        pending.clear()

    for done, line in enumerate(lines, start=1):
        decision = book.decide(line_in(line, line.account.iban))
        if decision.auto is not None:
            pending.append((line, decision))
            book.consume(decision.auto)
            if len(pending) >= CHUNK:
                flush()
        else:
            propose(line, decision)
            if keep_decisions:
                report.decisions[line.pk] = (decision, False)
        if progress and (done % 200 == 0 or done == len(lines)):
            progress(done, len(lines))
    flush()
    with transaction.atomic():
        # Only the lines still to do (a person, or another run, may have matched one
        # meanwhile): their proposals replaced, their status set.
        to_do = set(
            BankLine.objects.select_for_update()
            .filter(
                pk__in=proposed_ids + left_ids,
                status__in=[LineStatus.UNMATCHED, LineStatus.PROPOSED],
            )
            .values_list("pk", flat=True)
        )
        proposed_ids = [pk for pk in proposed_ids if pk in to_do]
        left_ids = [pk for pk in left_ids if pk in to_do]
        MatchProposal.objects.filter(line_id__in=to_do).delete()
        MatchProposal.objects.bulk_create(
            [p for p in proposals if p.line_id in to_do], batch_size=1000
        )
        BankLine.objects.filter(pk__in=proposed_ids).update(status=LineStatus.PROPOSED)
        BankLine.objects.filter(pk__in=left_ids).update(status=LineStatus.UNMATCHED)
    report.proposed, report.left = len(proposed_ids), len(left_ids)
    audit.record(
        "bank.reconciled",
        company,
        by=by,
        company=company,
        changes={**report.counts(), "at": timezone.now().isoformat(timespec="seconds")},
    )
    return report


__all__ = ["Report", "euros", "load_book", "reconcile"]
