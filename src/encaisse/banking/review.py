"""The review screen's one seam to the reconciliation: what it reads (candidates of a line,
the best proposal of each line of a page, a bounded search) and what it does (accept,
split, assign, ignore, undo, bulk accept).

Every view of web/views/bank_review.py calls exactly one function of this module, and
this module is the only place that knows how the matching services are called. Until the
matching lane's services (`banking.services.matching`: match_line, split_line,
assign_line, unmatch_line and its stored proposals) are merged, the functions marked
INTERIM do the work with the receivables services (record_payment, allocate, write_off,
undo_allocation) and a small batched scorer; wiring the real services replaces their
bodies and nothing else.

A candidate is what a credit line could settle: one customer's installments (one or
several, with amounts), a small remainder written off, a score (0-100) and its reasons
in French. Its `key` is what the screen posts back to accept it: the server recomputes
the candidates (or reads the searched installment) and never trusts posted amounts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from encaisse import clock
from encaisse.audit import services as audit
from encaisse.companies.permissions import RECONCILE_BANK, require
from encaisse.errors import NotFound, ValidationFailed
from encaisse.jobs.runner import enqueue, job, progress
from encaisse.ledger import posting
from encaisse.ledger.models import Journal
from encaisse.money import ZERO, format_eur
from encaisse.receivables.models import Allocation, Installment, Payment, PaymentMethod
from encaisse.receivables.services.allocation import allocate, undo_allocation, write_off
from encaisse.receivables.services.payments import record_payment
from encaisse.validation import parse_decimal

from .models import BankLine, BankMatch, LineStatus

OPEN = (LineStatus.UNMATCHED, LineStatus.PROPOSED)
MAX_CANDIDATES = 9  # keys 1-9 pick one
SEARCH_LIMIT = 20  # a search of another candidate: at most this many installments
ACCOUNT_RE = re.compile(r"^[1-7]\d{2,9}$")


@dataclass
class Item:
    installment: Installment
    amount: Decimal


@dataclass
class Candidate:
    key: str
    customer: object
    items: list[Item] = field(default_factory=list)
    write_off: Decimal = ZERO
    score: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def explanation(self) -> str:
        return ", ".join(self.reasons)

    @property
    def total(self) -> Decimal:
        return sum((i.amount for i in self.items), ZERO)

    @property
    def numbers(self) -> str:
        return ", ".join(i.installment.invoice.number for i in self.items)


# ---------------------------------------------------------------- reading


def _text(line: BankLine) -> str:
    return " ".join(
        [
            line.label,
            line.remittance_info,
            line.details,
            line.creditor_reference,
            line.end_to_end_id,
        ]
    ).upper()


TOKEN = re.compile(r"([A-Z]{1,4})?[ ._/-]?(\d{4})[ ._/-]?(\d{3,6})")


def _numbers_in(text: str, prefix: str) -> set[str]:
    """Invoice numbers the text may name (INTERIM: the matching lane reads mangled ones)."""
    found = set()
    for letters, year, seq in TOKEN.findall(text):
        for head in {letters, prefix} - {""}:
            found.add(f"{head}{year}-{seq}")
    return found


def _candidate(line, installment, reasons, score, threshold) -> Candidate:
    amount = min(line.amount, installment.open_amount)
    rest = installment.open_amount - amount
    return Candidate(
        key=f"i{installment.pk}",
        customer=installment.customer,
        items=[Item(installment, amount)],
        write_off=rest if ZERO < rest <= threshold else ZERO,
        score=score,
        reasons=reasons,
    )


def propose(company, lines) -> dict[int, list[Candidate]]:
    """The candidates of each line, best first, in a fixed number of queries whatever the
    number of lines (INTERIM scorer: invoice number in the texts 60, amount equal 30,
    payer's IBAN known 10)."""
    credits = [line for line in lines if line.amount > 0 and line.status in OPEN]
    result: dict[int, list[Candidate]] = {line.pk: [] for line in lines}
    if not credits:
        return result
    prefix = (company.invoice_prefix or "").upper()
    wanted = {line.pk: _numbers_in(_text(line), prefix) for line in credits}
    numbers = set().union(*wanted.values())
    amounts = {line.amount for line in credits}
    ibans = {line.counterparty_iban for line in credits if line.counterparty_iban}
    found = list(
        Installment.objects.filter(company=company, open_amount__gt=0)
        .filter(Q(invoice__number__in=numbers) | Q(open_amount__in=amounts))
        .select_related("invoice", "customer")
        .order_by("due_date", "pk")[:500]
    )
    known = dict(
        Payment.objects.filter(company=company, bank_account__in=ibans)
        .values_list("bank_account", "customer_id")
        .distinct()
    )
    threshold = company.write_off_threshold
    for line in credits:
        scored = []
        for item in found:
            reasons, score = [], 0
            if item.invoice.number.upper() in wanted[line.pk]:
                reasons.append(f"n° {item.invoice.number} dans le libellé")
                score += 60
            if item.open_amount == line.amount:
                reasons.append("montant égal")
                score += 30
            elif reasons and ZERO < item.open_amount - line.amount <= threshold:
                reasons.append(f"écart de {format_eur(item.open_amount - line.amount)}")
                score += 20
            if not reasons:
                continue
            if known.get(line.counterparty_iban) == item.customer_id:
                reasons.append("IBAN connu")
                score += 10
            scored.append(_candidate(line, item, reasons, min(score, 100), threshold))
        scored.sort(key=lambda c: (-c.score, c.items[0].installment.due_date))
        result[line.pk] = scored[:MAX_CANDIDATES]
    return result


def candidates(line: BankLine) -> list[Candidate]:
    return propose(line.company, [line])[line.pk]


def best(company, lines) -> dict[int, Candidate | None]:
    """The best proposal of each line of a page (for the list)."""
    return {pk: (found[0] if found else None) for pk, found in propose(company, lines).items()}


def search_installments(company, text: str):
    """Open installments by invoice number, amount or customer name, as a queryset the
    caller slices (at most SEARCH_LIMIT shown: never the whole book)."""
    text = (text or "").strip()[:100]
    qs = Installment.objects.filter(company=company, open_amount__gt=0)
    if not text:
        return qs.none()
    condition = Q(invoice__number__iexact=text) | Q(invoice__number__istartswith=text)
    cleaned = text.replace("€", "").replace("\u202f", "").replace(" ", "")
    if re.fullmatch(r"\d+([.,]\d{1,2})?", cleaned):
        amount = Decimal(cleaned.replace(",", "."))
        condition |= Q(open_amount=amount) | Q(amount=amount)
    if len(text) >= 2:
        condition |= Q(customer__legal_name__icontains=text)
    return qs.filter(condition).select_related("invoice", "customer").order_by("due_date", "pk")


def active_matches(line: BankLine):
    return (
        line.matches.filter(undone_on__isnull=True)
        .select_related("payment__customer", "entry", "matched_by")
        .order_by("pk")
    )


# ---------------------------------------------------------------- acting


def _lock(line: BankLine, statuses=OPEN) -> BankLine:
    line = BankLine.objects.select_for_update().select_related("company").get(pk=line.pk)
    if line.status not in statuses:
        raise ValidationFailed(
            "line_not_open",
            f"Cette ligne est déjà traitée ({line.get_status_display().lower()}).",
            "line",
        )
    return line


def _resolve(line: BankLine, key: str) -> Candidate:
    """The candidate `key` names: one of the line's, or an installment searched (i<pk>)."""
    for candidate in candidates(line):
        if candidate.key == key:
            return candidate
    if key and key[0] == "i" and key[1:].isdigit():
        installment = (
            Installment.objects.filter(company=line.company, pk=int(key[1:]), open_amount__gt=0)
            .select_related("invoice", "customer")
            .first()
        )
        if installment is not None:
            return _candidate(
                line, installment, ["choisie à la main"], 0, line.company.write_off_threshold
            )
    raise NotFound("Proposition introuvable : elle a peut-être déjà été traitée.")


def _settle(line, by, groups, *, automatic=False, score=None, explanation=""):
    """INTERIM (matching lane: match_line / split_line): one payment per customer,
    allocated to its installments, a BankMatch for each; the line is matched."""
    for customer, items, writes in groups:
        total = sum((amount for _, amount in items), ZERO)
        payment = record_payment(
            line.company,
            {
                "customer": customer.pk,
                "amount": total,
                "date": line.booking_date,
                "method": PaymentMethod.TRANSFER,
                "payer": line.counterparty_name,
                "reference": line.label[:140],
                "bank_account": line.counterparty_iban,
            },
            by=by,
        )
        wanted = [(i.pk, amount) for i, amount in items if i is not None and amount > 0]
        if wanted:
            allocate(payment, wanted, by=by, on=line.booking_date)
        for installment, amount in writes:
            write_off(installment, amount, by=by, reason="Écart de règlement", on=line.booking_date)
        BankMatch.objects.create(
            company=line.company,
            line=line,
            amount=total,
            payment=payment,
            automatic=automatic,
            score=score,
            explanation=explanation[:500],
            matched_on=clock.today(),
            matched_by=audit.actor(by),
        )
    line.status = LineStatus.MATCHED
    line.save(update_fields=["status"])


def accept(line: BankLine, key: str, *, by) -> BankLine:
    """Match the line with its candidate `key` (INTERIM for match_line)."""
    require(by, line.company, RECONCILE_BANK)
    with transaction.atomic():
        line = _lock(line)
        if line.amount <= 0:
            raise ValidationFailed(
                "not_a_credit", "Un débit s'impute à un compte ou s'ignore.", "line"
            )
        candidate = _resolve(line, key)
        items = [(i.installment, i.amount) for i in candidate.items]
        rest = line.amount - candidate.total
        if rest > 0:  # more than owed: the rest stays unallocated on the payment
            items.append((None, rest))
        writes = (
            [(candidate.items[0].installment, candidate.write_off)] if candidate.write_off else []
        )
        _settle(
            line,
            by,
            [(candidate.customer, items, writes)],
            score=candidate.score or None,
            explanation=candidate.explanation,
        )
        audit.record(
            "bank_line.matched",
            line,
            by=by,
            changes={"invoices": candidate.numbers, "explanation": candidate.explanation},
        )
    return line


def split(line: BankLine, rows: list[tuple[str, str]], *, by) -> BankLine:
    """Spread the line over several invoices or customers. `rows`: (what, amount) with
    `what` an invoice number (that installment) or « client:<pk> » (on account). Refused,
    changing nothing, unless the amounts add up to the line's (INTERIM for split_line)."""
    require(by, line.company, RECONCILE_BANK)
    from encaisse.customers.models import Customer

    rows = [(what.strip(), amount) for what, amount in rows if what.strip() or amount.strip()]
    if len(rows) < 2:
        raise ValidationFailed("split_rows", "Une répartition compte au moins deux lignes.", "rows")
    groups: dict[int, tuple] = {}
    total = ZERO
    errors = []
    for n, (what, raw) in enumerate(rows, start=1):
        try:
            amount = parse_decimal(raw, f"rows.{n}.amount", "Le montant", places=2)
            if amount <= 0:
                raise ValidationFailed(
                    "zero_amount", "Le montant doit être positif.", f"rows.{n}.amount"
                )
        except ValidationFailed as exc:
            errors.append({"field": f"rows.{n}.amount", "message": exc.message})
            continue
        total += amount
        installment = customer = None
        if what.lower().startswith("client:") and what[7:].isdigit():
            customer = Customer.objects.filter(company=line.company, pk=int(what[7:])).first()
        else:
            installment = (
                Installment.objects.filter(
                    company=line.company, invoice__number__iexact=what, open_amount__gt=0
                )
                .select_related("customer", "invoice")
                .order_by("due_date", "pk")
                .first()
            )
            customer = installment.customer if installment else None
        if customer is None:
            errors.append(
                {
                    "field": f"rows.{n}.what",
                    "message": f"« {what[:40]} » : ni une facture ouverte ni un client.",
                }
            )
            continue
        if installment is not None and amount > installment.open_amount:
            errors.append(
                {
                    "field": f"rows.{n}.amount",
                    "message": f"{installment.invoice.number} ne doit plus que "
                    f"{format_eur(installment.open_amount)}.",
                }
            )
            continue
        groups.setdefault(customer.pk, (customer, [], []))[1].append((installment, amount))
    if errors:
        raise ValidationFailed("split_invalid", "La répartition est à corriger.", details=errors)
    if total != line.amount:
        raise ValidationFailed(
            "split_total",
            f"La répartition fait {format_eur(total)} pour une ligne de "
            f"{format_eur(line.amount)} : écart de {format_eur(line.amount - total)}.",
            "rows",
        )
    with transaction.atomic():
        line = _lock(line)
        if line.amount <= 0:
            raise ValidationFailed("not_a_credit", "Seul un crédit se répartit.", "rows")
        _settle(line, by, list(groups.values()), explanation="répartie à la main")
        audit.record("bank_line.split", line, by=by, changes={"rows": len(rows)})
    return line


def assign(line: BankLine, account: str, label: str, *, by, rule: str = "") -> BankLine:
    """Post the line to a ledger account (fees, interest, an own transfer). `rule`: a text
    the label contains, to remember « libellé contient X → compte Y » (INTERIM: the rule
    is recorded in the audit trail until the matching lane's rules are merged)."""
    require(by, line.company, RECONCILE_BANK)
    account = (account or "").strip().replace(" ", "")
    label = (label or "").strip()
    if not ACCOUNT_RE.match(account):
        raise ValidationFailed(
            "invalid_account",
            "Numéro de compte invalide (3 à 10 chiffres, classes 1 à 7, ex. 627).",
            "account",
        )
    if account.startswith("512"):
        raise ValidationFailed(
            "bank_account", "La contrepartie ne peut pas être le compte de banque.", "account"
        )
    if not label:
        raise ValidationFailed("required", "Le libellé est obligatoire.", "label")
    rule = (rule or "").strip()
    if rule and rule.upper() not in line.label.upper():
        raise ValidationFailed(
            "rule_not_in_label", f"Le libellé de la ligne ne contient pas « {rule[:40]} ».", "rule"
        )
    with transaction.atomic():
        line = _lock(line)
        amount = abs(line.amount)
        bank = line.account.ledger_account or "512"
        lines = (
            [(bank, None, amount, ZERO), (account, None, ZERO, amount)]
            if line.amount > 0
            else [(account, None, amount, ZERO), (bank, None, ZERO, amount)]
        )
        entry = posting._post(
            line.company,
            Journal.BANK,
            date=line.booking_date,
            label=label[:200],
            piece_ref=(line.bank_reference or f"BQ-{line.pk}")[:50],
            piece_date=line.booking_date,
            source=line,
            lines=lines,
        )
        BankMatch.objects.create(
            company=line.company,
            line=line,
            amount=line.amount,
            entry=entry,
            explanation=f"imputée au compte {account}"[:500],
            matched_on=clock.today(),
            matched_by=audit.actor(by),
        )
        line.status = LineStatus.ASSIGNED
        line.save(update_fields=["status"])
        audit.record(
            "bank_line.assigned",
            line,
            by=by,
            changes={"account": account, "label": label, "rule": rule},
        )
    return line


def ignore(line: BankLine, reason: str, *, by) -> BankLine:
    require(by, line.company, RECONCILE_BANK)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("required", "Le motif est obligatoire.", "reason")
    with transaction.atomic():
        line = _lock(line)
        line.status = LineStatus.IGNORED
        line.save(update_fields=["status"])
        audit.record("bank_line.ignored", line, by=by, changes={"reason": reason[:200]})
    return line


def undo(line: BankLine, *, by, reason: str = "Rapprochement annulé") -> BankLine:
    """Undo what was done with the line; it is to be reviewed again (INTERIM for
    unmatch_line: the payments recorded stay, their allocations undone; an assignment's
    entry is reversed by the matching lane's service, here only the match is undone)."""
    require(by, line.company, RECONCILE_BANK)
    with transaction.atomic():
        line = _lock(line, (LineStatus.MATCHED, LineStatus.ASSIGNED, LineStatus.IGNORED))
        today = clock.today()
        for match in line.matches.filter(undone_on__isnull=True):
            if match.payment_id:
                for allocation in Allocation.objects.filter(
                    payment_id=match.payment_id, undone_on__isnull=True
                ):
                    undo_allocation(allocation, by=by, reason=reason, on=today)
            match.undone_on = today
            match.undone_by = audit.actor(by)
            match.save(update_fields=["undone_on", "undone_by"])
        line.status = LineStatus.UNMATCHED
        line.save(update_fields=["status"])
        audit.record("bank_line.unmatched", line, by=by, changes={"reason": reason})
    return line


def bulk_accept(company, line_ids, min_score: int, *, by, on_progress=None) -> tuple[int, int]:
    """Accept the best proposal of each line whose score is at least `min_score`, each
    line in its own transaction; (accepted, refused)."""
    require(by, company, RECONCILE_BANK)
    accepted = refused = 0
    ids = list(line_ids)
    for start in range(0, len(ids), 100):
        chunk = list(
            BankLine.objects.filter(
                company=company, pk__in=ids[start : start + 100], status__in=OPEN
            )
        )
        proposals = best(company, chunk)
        for line in chunk:
            candidate = proposals.get(line.pk)
            if candidate is None or candidate.score < min_score:
                continue
            try:
                accept(line, candidate.key, by=by)
                accepted += 1
            except (ValidationFailed, NotFound):
                refused += 1
        if on_progress:
            on_progress(min(start + 100, len(ids)), len(ids))
    return accepted, refused


BULK_JOB = "banking.review_bulk_accept"
BULK_AT_ONCE = 200  # more lines than this: a job with its progress bar


def bulk_candidates(company, filters: Q, min_score: int) -> list[int]:
    """The ids of the open lines (of the list's filters) that a bulk accept would try."""
    return list(
        BankLine.objects.filter(company=company, status__in=OPEN, amount__gt=0)
        .filter(filters)
        .order_by("booking_date", "pk")
        .values_list("pk", flat=True)[:20_000]
    )


def start_bulk_accept(company, line_ids: list[int], min_score: int, *, by):
    """Accept now (few lines: returns (accepted, refused)) or queue a job (returns it)."""
    require(by, company, RECONCILE_BANK)
    if len(line_ids) <= BULK_AT_ONCE:
        return bulk_accept(company, line_ids, min_score, by=by)
    return enqueue(
        BULK_JOB,
        company=company,
        by=by,
        label=f"Acceptation des propositions ≥ {min_score} ({len(line_ids)} lignes)",
        line_ids=line_ids,
        min_score=min_score,
    )


@job(BULK_JOB, "Acceptation des propositions")
def bulk_accept_job(job_, line_ids: list[int], min_score: int):
    progress(job_, 0, len(line_ids))
    accepted, refused = bulk_accept(
        job_.company,
        line_ids,
        min_score,
        by=job_.created_by,
        on_progress=lambda done, total: progress(job_, done, total),
    )
    text = f"{accepted} ligne{'s' if accepted > 1 else ''} rapprochée{'s' if accepted > 1 else ''}"
    return text + (f", {refused} refusée{'s' if refused > 1 else ''}." if refused else ".")


def parse_score(value) -> int:
    try:
        score = int(str(value).strip())
    except ValueError:
        raise ValidationFailed(
            "invalid_score", "Le score est un entier de 0 à 100.", "score"
        ) from None
    if not 0 <= score <= 100:
        raise ValidationFailed("invalid_score", "Le score est un entier de 0 à 100.", "score")
    return score


def today() -> dt.date:
    return clock.today()
