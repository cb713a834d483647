"""The review screen's one seam to the reconciliation: what it reads (a line's candidates,
the best proposal of each line of a page, a bounded search of another invoice) and what it
does (accept, split, assign, ignore, undo, bulk accept).

Every view of web/views/bank_review.py calls exactly one function of this module, and
this module is the only place that knows how the matching services
(`banking.services.matching`: match_line, split_line, match_payments, match_remittance,
match_refund, assign_line, unmatch_line) and the engine's stored proposals
(`MatchProposal.candidates`, written by `reconcile`) are called.

A candidate is what the engine proposed for a line (see reconcile.serialise): a
customer's installments (and credit notes) with amounts, a small remainder written off,
payments already recorded, a remittance slip, a refund, or a rule's account; a score
(0-100) and its reasons in French. Its `key` is what the screen posts back: « p<n> »,
the n-th candidate of the line's stored proposal, or « i<pk> », an installment searched
by hand. The server reads the candidate again and never trusts posted amounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from encaisse.audit import services as audit
from encaisse.companies.permissions import RECONCILE_BANK, require
from encaisse.customers.models import Customer
from encaisse.errors import Conflict, DomainError, NotFound, ValidationFailed
from encaisse.jobs.runner import enqueue, job, progress
from encaisse.money import ZERO, format_eur
from encaisse.receivables.models import Installment, Refund, RemittanceSlip
from encaisse.sales.models import Invoice
from encaisse.validation import parse_decimal

from .models import BankLine, LineStatus, MatchProposal, MatchRule
from .services import matching

OPEN = (LineStatus.UNMATCHED, LineStatus.PROPOSED)
MAX_CANDIDATES = 9  # keys 1-9 pick one
SEARCH_LIMIT = 20  # a search of another candidate: at most this many installments
UNDO_REASON = "Rapprochement annulé depuis l'écran de rapprochement"


@dataclass
class Item:
    number: str
    amount: Decimal
    invoice: int | None = None
    credit_note: bool = False


@dataclass
class Candidate:
    key: str
    kind: str
    customer_name: str = ""
    items: list[Item] = field(default_factory=list)
    write_off: Decimal = ZERO
    score: int = 0
    explanation: str = ""
    account: str = ""  # a rule's
    label: str = ""
    data: dict = field(default_factory=dict)  # as stored (reconcile.serialise)

    @property
    def numbers(self) -> str:
        return ", ".join(i.number for i in self.items)

    @property
    def what(self) -> str:
        """A short description, for the list and the kinds without invoices."""
        if self.kind == "rule":
            return f"compte {self.account}"
        if self.kind in ("payment", "payments"):
            n = len(self.data.get("payments") or [])
            return f"{n} règlement{'s' if n > 1 else ''} déjà saisi{'s' if n > 1 else ''}"
        if self.kind == "remittance":
            return "remise de chèques"
        if self.kind == "refund":
            return "remboursement"
        return self.numbers


def _candidates_of(proposal: MatchProposal | None) -> list[Candidate]:
    if proposal is None:
        return []
    found = []
    for n, data in enumerate(proposal.candidates[:MAX_CANDIDATES]):
        items = [
            Item(i.get("number", ""), Decimal(i["amount"]), i.get("invoice"))
            for i in data.get("items") or []
        ] + [
            Item(i.get("number", ""), Decimal(i["amount"]), i.get("credit_note"), True)
            for i in data.get("credit_notes") or []
        ]
        found.append(
            Candidate(
                key=f"p{n}",
                kind=data.get("kind", ""),
                customer_name=data.get("customer_name", ""),
                items=items,
                write_off=Decimal(data.get("write_off") or "0"),
                score=int(data.get("score") or 0),
                explanation=data.get("explanation") or ", ".join(data.get("reasons") or []),
                account=data.get("account") or "",
                label=data.get("label") or "",
                data=data,
            )
        )
    return found


def _proposal(line: BankLine) -> MatchProposal | None:
    """The line's stored proposal (select_related("proposal") saves the query)."""
    try:
        return line.proposal
    except MatchProposal.DoesNotExist:
        return None


def candidates(line: BankLine) -> list[Candidate]:
    """The engine's candidates of the line, best first (none once it is handled)."""
    if line.status not in OPEN:
        return []
    return _candidates_of(_proposal(line))


def best(company, lines) -> dict[int, Candidate | None]:
    """The best proposal of each line of a page: read with the lines
    (`select_related("proposal")`), no query per line."""
    result = {}
    for line in lines:
        found = candidates(line)[:1]
        result[line.pk] = found[0] if found else None
    return result


def search_installments(company, text: str):
    """Open installments by invoice number, amount or customer name, as a queryset the
    caller slices (at most SEARCH_LIMIT shown: never the whole book)."""
    text = (text or "").strip()[:100]
    qs = Installment.objects.filter(company=company, open_amount__gt=0)
    if not text:
        return qs.none()
    condition = Q(invoice__number__iexact=text) | Q(invoice__number__istartswith=text)
    cleaned = text.replace("€", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if re.fullmatch(r"\d+([.,]\d{1,2})?", cleaned):
        amount = Decimal(cleaned.replace(",", "."))
        condition |= Q(open_amount=amount) | Q(amount=amount)
    if len(text) >= 2:
        condition |= Q(customer__legal_name__icontains=text)
    return qs.filter(condition).select_related("invoice", "customer").order_by("due_date", "pk")


def active_matches(line: BankLine):
    return (
        line.matches.filter(undone_on__isnull=True)
        .select_related("payment__customer", "entry", "matched_by", "remittance", "refund")
        .order_by("pk")
    )


# ---------------------------------------------------------------- acting


def _apply(line: BankLine, candidate: Candidate, *, by):
    """A stored candidate through the matching service of its kind (as reconcile.apply,
    from the stored JSON), as a person's decision (not automatic)."""
    common = dict(by=by, score=candidate.score, explanation=candidate.explanation)
    data = candidate.data
    if candidate.kind == "rule":
        return matching.assign_line(line, candidate.account, candidate.label, **common)
    if candidate.kind in ("payment", "payments"):
        return matching.match_payments(line, data.get("payments") or [], **common)
    if candidate.kind == "remittance":
        slip = RemittanceSlip.objects.filter(company=line.company, pk=data.get("remittance"))
        if not slip.exists():
            raise NotFound("Remise de chèques introuvable.")
        return matching.match_remittance(line, slip.get(), **common)
    if candidate.kind == "refund":
        refund = Refund.objects.filter(company=line.company, pk=data.get("refund")).first()
        if refund is None:
            raise NotFound("Remboursement introuvable.")
        return matching.match_refund(line, refund, **common)
    allocations = [(i["installment"], i["amount"]) for i in data.get("items") or []]
    notes = {
        n.pk: n
        for n in Invoice.objects.filter(
            company=line.company, pk__in=[c["credit_note"] for c in data.get("credit_notes") or []]
        )
    }
    allocations += [(notes[c["credit_note"]], c["amount"]) for c in data.get("credit_notes") or []]
    write_off = data.get("write_off")
    part = matching.Part(
        allocations=allocations, write_off=write_off if write_off and Decimal(write_off) else None
    )
    return matching.split_line(line, [part], **common)


def _still_open(line: BankLine) -> None:
    """The services refuse a matched or assigned line; an ignored one is refused here."""
    if line.status not in OPEN:
        raise Conflict("already_matched", "Cette ligne de relevé est déjà traitée.")


def accept(line: BankLine, key: str, *, by):
    """Match the line with its candidate `key`: « p<n> » a stored candidate, « i<pk> »
    an open installment searched by hand (the whole line on it, at most what it owes)."""
    require(by, line.company, RECONCILE_BANK)
    _still_open(line)
    key = (key or "").strip()
    if key[:1] == "p" and key[1:].isdigit():
        found = candidates(line)
        n = int(key[1:])
        if n >= len(found):
            raise NotFound("Proposition introuvable : elle a peut-être été recalculée.")
        return _apply(line, found[n], by=by)
    if key[:1] == "i" and key[1:].isdigit():
        installment = (
            Installment.objects.filter(company=line.company, pk=int(key[1:]), open_amount__gt=0)
            .select_related("invoice")
            .first()
        )
        if installment is None:
            raise NotFound("Facture introuvable ou déjà réglée.")
        if line.amount > installment.open_amount:
            raise ValidationFailed(
                "amounts_mismatch",
                f"La ligne ({format_eur(line.amount)}) dépasse ce que doit encore "
                f"{installment.invoice.number} ({format_eur(installment.open_amount)}) : "
                "répartissez-la (s).",
                "candidate",
            )
        return matching.match_line(
            line,
            [(installment, line.amount)],
            by=by,
            explanation=f"choisie à la main : {installment.invoice.number}",
        )
    raise NotFound("Proposition introuvable.")


def split(line: BankLine, rows: list[tuple[str, str]], *, by):
    """Spread the line over several invoices or customers. `rows`: (what, amount), `what`
    an invoice or credit-note number, or a customer's name (a payment on account).
    The rows are read here (errors on their row: « rows.<n>.what/amount »); the sum and
    everything else is split_line's, which refuses, changing nothing."""
    require(by, line.company, RECONCILE_BANK)
    _still_open(line)
    rows = [(what.strip(), amount) for what, amount in rows if what.strip() or amount.strip()]
    if not rows:
        raise ValidationFailed("split_rows", "Saisissez au moins une ligne de répartition.", "rows")
    parts: dict[int, matching.Part] = {}
    errors = []
    for n, (what, raw) in enumerate(rows, start=1):
        amount = None
        try:
            amount = parse_decimal(raw, f"rows.{n}.amount", "Le montant", places=2)
        except ValidationFailed as exc:
            errors.append({"field": f"rows.{n}.amount", "message": exc.message})
        invoice = (
            Invoice.objects.filter(company=line.company, number__iexact=what)
            .select_related("customer")
            .first()
            if what
            else None
        )
        customer = invoice.customer if invoice else None
        if invoice is None and len(what) >= 2:
            named = list(Customer.objects.filter(company=line.company, legal_name__iexact=what)[:2])
            customer = named[0] if len(named) == 1 else None
        if customer is None:
            errors.append(
                {
                    "field": f"rows.{n}.what",
                    "message": f"« {what[:40]} » n'est ni un n° de facture ni un client.",
                }
            )
        if customer is None or amount is None:
            continue
        part = parts.setdefault(customer.pk, matching.Part(customer=customer))
        if invoice is not None:
            part.allocations.append((invoice, amount))
        else:
            part.amount = (part.amount or ZERO) + amount
    if errors:
        raise ValidationFailed("split_invalid", "La répartition est à corriger.", details=errors)
    for part in parts.values():
        if part.allocations and part.amount:
            raise ValidationFailed(
                "split_mixed",
                f"{part.customer.legal_name} : une somme en acompte et des factures à la fois : "
                "répartissez le tout sur ses factures.",
                "rows",
            )
    return matching.split_line(line, list(parts.values()), by=by, explanation="répartie à la main")


def assign(line: BankLine, account: str, label: str, *, by, rule: str = ""):
    """Post the line to a ledger account; with `rule` (a text its label contains), also
    remember « libellé contient X → compte Y » for the engine's next runs. One transaction:
    a rule that cannot be made undoes the assignment."""
    require(by, line.company, RECONCILE_BANK)
    _still_open(line)
    rule = (rule or "").strip()
    if rule and rule.upper() not in line.label.upper():
        raise ValidationFailed(
            "rule_not_in_label", f"Le libellé de la ligne ne contient pas « {rule[:40]} ».", "rule"
        )
    with transaction.atomic():
        operation = matching.assign_line(line, (account or "").strip(), label, by=by)
        if rule:
            created = MatchRule.objects.create(
                company=line.company,
                label_contains=rule[:100],
                account=operation.account,
                entry_label=operation.label[:100],
                position=(
                    MatchRule.objects.filter(company=line.company).order_by("-position").first()
                    or MatchRule(position=0)
                ).position
                + 1,
            )
            audit.record(
                "bank_rule.created",
                created,
                by=by,
                changes={"label_contains": rule, "account": operation.account},
            )
    return operation


def ignore(line: BankLine, reason: str, *, by) -> BankLine:
    """Set a line aside (a transfer between own accounts already booked, a duplicate...)
    with a reason kept in the audit trail; undone by `undo`."""
    require(by, line.company, RECONCILE_BANK)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("required", "Le motif est obligatoire.", "reason")
    with transaction.atomic():
        line = BankLine.objects.select_for_update().get(pk=line.pk)
        _still_open(line)
        line.status = LineStatus.IGNORED
        line.save(update_fields=["status"])
        audit.record("bank_line.ignored", line, by=by, changes={"reason": reason[:200]})
    return line


def undo(line: BankLine, *, by, reason: str = UNDO_REASON):
    """Undo a match or an assignment (unmatch_line), or stop ignoring a line: it is to
    be handled again (with its proposal, if the engine stored one)."""
    require(by, line.company, RECONCILE_BANK)
    if line.status != LineStatus.IGNORED:
        return matching.unmatch_line(line, by=by, reason=reason)
    with transaction.atomic():
        line = BankLine.objects.select_for_update().get(pk=line.pk)
        if line.status != LineStatus.IGNORED:
            raise Conflict("not_matched", "Cette ligne n'est plus ignorée.")
        has_proposal = MatchProposal.objects.filter(line=line).exists()
        line.status = LineStatus.PROPOSED if has_proposal else LineStatus.UNMATCHED
        line.save(update_fields=["status"])
        audit.record("bank_line.unignored", line, by=by, changes={"reason": reason})
    return line


def bulk_accept(company, line_ids, min_score: int, *, by, on_progress=None) -> tuple[int, int]:
    """Accept the best proposal of each line whose score is at least `min_score`, each
    line in its own transaction (one refused does not stop the others); (accepted,
    refused)."""
    require(by, company, RECONCILE_BANK)
    accepted = refused = 0
    ids = list(line_ids)
    for start in range(0, len(ids), 100):
        chunk = BankLine.objects.filter(
            company=company, pk__in=ids[start : start + 100], status__in=OPEN
        ).select_related("proposal", "account", "company")
        for line in chunk.order_by("booking_date", "pk"):
            found = candidates(line)
            if not found or found[0].score < min_score:
                continue
            try:
                _apply(line, found[0], by=by)
                accepted += 1
            except DomainError:
                refused += 1
        if on_progress:
            on_progress(min(start + 100, len(ids)), len(ids))
    return accepted, refused


BULK_JOB = "banking.review_bulk_accept"
BULK_AT_ONCE = 200  # more lines than this: a job with its progress bar


def bulk_candidates(company, filters: Q, min_score: int) -> list[int]:
    """The ids of the open lines (of the list's filters) whose best proposal scores at
    least `min_score` (the proposals' score index)."""
    return list(
        BankLine.objects.filter(company=company, status__in=OPEN, proposal__score__gte=min_score)
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


def start_engine(company, *, by):
    """Run the reconciliation engine again over the lines to do (its job: matches what it
    may decide alone, stores proposals for the rest)."""
    from .jobs import start_reconcile

    require(by, company, RECONCILE_BANK)
    return start_reconcile(company, by=by)


ENGINE_JOB = "banking.reconcile"


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
