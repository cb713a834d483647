"""Issuing a draft: the last checks, the snapshots, the number, the entry, the render job.

`issue_invoice` runs its named steps in one short transaction (all or nothing: a refusal
at any step leaves the database as it was and consumes no number):

1. `check`: the right, the status, the issue date, the terms, the mandatory mentions,
   what a credit note may still credit, the credit limit and the dunning block;
2. `freeze`: dates, schedule, totals, the seller's and buyer's snapshots, the mentions;
   then `check_printable` (documents): every text the documents will print can be
   rendered (stored before the input checks, it could hold a character no font draws);
3. `take_number`: the next number of the series, under the series row's lock, held to
   the commit;
4. `queue_render` (documents): the job `documents.render` queued, which renders the
   Factur-X PDF, CII and UBL after the commit, outside any lock, and archives them;
5. `open_receivable` then `post_invoice` (ledger): installments or the credit note's
   allocation, then the sales journal entry, whose journal-wide sequence lock is taken
   last and held the shortest time.

Issued = frozen in the database, at the commit; archived follows within seconds (see
documents/archive.py). Nothing is rendered under the locks.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from encaisse import clock
from encaisse.audit import services as audit
from encaisse.companies.models import Company, NumberSequence
from encaisse.companies.permissions import require
from encaisse.companies.sequences import lock_sequence
from encaisse.customers import credit
from encaisse.documents.jobs import queue_render
from encaisse.documents.printable import check_printable
from encaisse.errors import Conflict, ValidationFailed
from encaisse.ledger.periods import ensure_open
from encaisse.ledger.posting import post_invoice
from encaisse.money import format_eur
from encaisse.receivables.services.allocation import settle_credited_invoice
from encaisse.receivables.services.installments import create_installments

from .. import schedule as schedules
from ..kinds import Kind, prefix
from ..mentions import build_mentions, missing_mentions, operation_nature
from ..models import DocumentStatus, Invoice
from ..terms import check_terms, due_date
from ..totals import Totals, compute_totals
from . import credit_notes

ISSUE_DATE = "issue_date"


def format_number(prefix: str, year: int, number: int) -> str:
    return f"{prefix}{year}-{number:05d}"


def seller_snapshot(company: Company) -> dict:
    return {
        "legal_name": company.legal_name,
        "trade_name": company.trade_name,
        "legal_form": company.legal_form,
        "share_capital": str(company.share_capital) if company.share_capital is not None else "",
        "siren": company.siren,
        "siret": company.siret,
        "rcs_city": company.rcs_city,
        "vat_number": company.vat_number,
        "address_line1": company.address_line1,
        "address_line2": company.address_line2,
        "postal_code": company.postal_code,
        "city": company.city,
        "country": company.country,
        "email": company.email,
        "phone": company.phone,
        "iban": company.iban,
        "bic": company.bic,
        "einvoicing_address": company.einvoicing_address,
    }


def buyer_snapshot(customer) -> dict:
    return {
        "legal_name": customer.legal_name,
        "kind": customer.kind,
        "siren": customer.siren,
        "siret": customer.siret,
        "vat_number": customer.vat_number,
        "email": customer.email,
        "billing_address": customer.billing_address,
        "delivery_address": customer.delivery_address,
        "einvoicing_address": customer.einvoicing_address,
    }


# ---------------------------------------------------------------- the issue date


def check_issue_date(invoice: Invoice, on: dt.date, today: dt.date, original=None) -> None:
    """The rules of an issue date that need no lock; ValidationFailed on `issue_date`:
    not in the future, a credit note not before the invoice it corrects, at most
    `Company.backdating_days` before today, not in a closed fiscal year. (Not before the
    series' last document: checked under the series' lock, by `take_number`.)"""
    company = invoice.company
    if on > today:
        raise ValidationFailed(
            "future_date", "Un document ne peut pas être daté d'un jour à venir.", ISSUE_DATE
        )
    if original is not None and on < original.issue_date:
        raise ValidationFailed(
            "credit_note_before_invoice",
            f"L'avoir ne peut pas être antérieur à la facture {original.number} "
            f"du {original.issue_date:%d/%m/%Y}.",
            ISSUE_DATE,
        )
    days_back = (today - on).days
    if days_back > company.backdating_days:
        limit = company.backdating_days
        raise ValidationFailed(
            "issue_date_too_old",
            f"La date d'émission du {on:%d/%m/%Y} remonte à {days_back} jours : elle peut "
            f"remonter à {limit} jour{'s' if limit > 1 else ''} au plus (réglage « Antériorité "
            "maximale de la date d'émission » de la page Société).",
            ISSUE_DATE,
        )
    ensure_open(company, on, ISSUE_DATE)


def _before_last_document(on: dt.date, last: dt.date, kind: Kind) -> ValidationFailed:
    return ValidationFailed(
        "date_before_last_document",
        f"La date du {on:%d/%m/%Y} est antérieure à celle du dernier document de la "
        f"série des {kind.label.lower()}s ({last:%d/%m/%Y}) : la numérotation doit rester "
        "chronologique.",
        ISSUE_DATE,
    )


# ---------------------------------------------------------------- the steps


@dataclass
class Checked:
    """What `check` read and decided, for the steps after it."""

    lines: list
    allowances: list
    totals: Totals
    original: Invoice | None  # the invoice a credit note corrects
    credit_excess: object | None  # credit.Excess when issued over the limit
    blocked_level: int | None  # the dunning level overridden


def _load(invoice: Invoice) -> Invoice:
    """The document locked (of=self: issuers must not queue on the company row;
    numbering has its own lock), with its company, customer, lines and allowances read
    once, so that every later step reads them from memory."""
    loaded = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("company", "customer")
        .prefetch_related("lines", "allowances")
        .get(pk=invoice.pk)
    )
    if loaded.customer.company_id == loaded.company_id:
        loaded.customer.company = loaded.company  # read once, not again by each check
    return loaded


def check(invoice: Invoice, *, on: dt.date, today: dt.date, by, override_reason: str) -> Checked:
    """Everything that may refuse the issue before a number is taken.

    Raises Forbidden (the kind's issue right), Conflict `already_issued`,
    ValidationFailed (issue date, terms, missing mentions, credit note over what remains
    creditable), Conflict `credit_limit_exceeded` and the dunning block (invoices only,
    unless `override_reason` comes from a user with the right)."""
    company, customer, kind = invoice.company, invoice.customer, invoice.kind_spec
    require(by, company, kind.issue_right)
    if invoice.status == DocumentStatus.ISSUED:
        raise Conflict(
            "already_issued", f"{invoice} est déjà {invoice.issued_word} ; rien n'a changé."
        )
    original = None
    if kind.corrects_invoice:
        original = Invoice.objects.select_for_update().get(pk=invoice.credited_invoice_id)
    check_issue_date(invoice, on, today, original)
    lines = list(invoice.lines.all())
    allowances = list(invoice.allowances.all())
    check_terms(invoice.terms_kind, invoice.terms_days)
    missing = missing_mentions(company, customer, lines)
    if missing:
        raise ValidationFailed(
            "missing_mentions",
            "Mentions obligatoires manquantes : "
            + " ; ".join(item["message"] for item in missing)
            + ".",
            missing[0]["field"],
            details=missing,
        )
    if original is not None:
        credit_notes.check_creditable(original, lines, allowances)
    totals = compute_totals(lines, allowances)
    excess = blocked_level = None
    if kind.creates_receivable:  # a credit note lowers the exposure: never blocked
        from encaisse.dunning.scenarios import check_not_blocked  # dunning imports sales

        excess = credit.check_issue(
            customer, totals.incl_vat, by=by, override_reason=override_reason
        )
        blocked_level = check_not_blocked(customer, by=by, override_reason=override_reason)
    return Checked(lines, allowances, totals, original, excess, blocked_level)


def freeze(invoice: Invoice, checked: Checked, on: dt.date) -> None:
    """Dates, schedule, totals, snapshots and mentions set on the (unsaved) document as
    they are on `on`. Raises ValidationFailed when the schedule does not resolve for this
    date and total."""
    company, customer = invoice.company, invoice.customer
    totals = checked.totals
    invoice.issue_date = on
    invoice.delivery_date = invoice.delivery_date or on
    invoice.due_date = due_date(on, invoice.terms_kind, invoice.terms_days)
    # A schedule's days and percentages become dates and amounts now, checked again for
    # this issue date and final total; the invoice is due at its last installment.
    installments = schedules.resolve(
        invoice.schedule or [], totals.incl_vat, on, invoice.terms_kind
    )
    if installments:
        invoice.schedule = schedules.frozen(installments, invoice.schedule)
        invoice.due_date = installments[-1].due_date
    invoice.operation_nature = operation_nature(checked.lines)
    invoice.total_excl_vat = totals.excl_vat
    invoice.total_vat = totals.vat
    invoice.total_incl_vat = totals.incl_vat
    invoice.seller = seller_snapshot(company)
    invoice.buyer = buyer_snapshot(customer)
    if checked.original is not None:
        invoice.credited_invoice = checked.original  # as locked by `check`: not read again
    invoice.mentions = build_mentions(invoice, company, customer, checked.lines, installments)


def take_number(invoice: Invoice, on: dt.date, *, by) -> None:
    """The next number of the kind's series for `on`'s year, taken under the series
    row's lock (held until the commit), and the document saved as issued.

    Raises ValidationFailed `date_before_last_document` when `on` is before the last
    document of the kind: numbers follow the dates across the company's documents of
    that kind, so neither this year's series nor an earlier year's takes a date before
    a document already issued (a later year's document exists: going back into the
    earlier series is refused, so a past year's books do not change after the fact).
    The later years' rows are read without their lock: a later-year document issued at
    the same moment has a later date and number anyway, the order stays chronological.
    """
    company, kind = invoice.company, invoice.kind_spec
    sequence = lock_sequence(company, kind.code, on.year)
    later = None
    # A later year's series exists only when `on` is in an earlier year than today (no
    # document is dated in the future): one query less on nearly every issue.
    if on.year < clock.today().year:
        later = (
            NumberSequence.objects.filter(
                company=company,
                document_type=kind.code,
                year__gt=on.year,
                last_date__isnull=False,
            )
            .order_by("-last_date")
            .values_list("last_date", flat=True)
            .first()
        )
    for last in (sequence.last_date, later):
        if last and on < last:
            raise _before_last_document(on, last, kind)
    sequence.last_number += 1
    sequence.last_date = on
    sequence.save(update_fields=["last_number", "last_date"])

    invoice.status = DocumentStatus.ISSUED
    invoice.sequence_year = on.year
    invoice.sequence_number = sequence.last_number
    invoice.number = format_number(prefix(company, kind), on.year, sequence.last_number)
    invoice.issued_by = audit.actor(by)
    invoice.issued_at = clock.now()
    invoice.save()


def open_receivable(invoice: Invoice, *, by) -> None:
    """An invoice's installments (what the customer owes); a credit note settles what
    its invoice still owes, up to its amount."""
    if invoice.kind_spec.creates_receivable:
        create_installments(invoice)
    else:
        settle_credited_invoice(invoice, by=by)


def record_issue(invoice: Invoice, checked: Checked, *, by, override_reason: str) -> None:
    """The audit trail of the issue and of any override it needed."""
    audit.record(
        invoice.kind_spec.action_issued,
        invoice,
        by=by,
        changes={
            "number": invoice.number,
            "issue_date": invoice.issue_date,
            "total_incl_vat": format_eur(invoice.total_incl_vat),
        },
    )
    excess = checked.credit_excess
    if excess is not None:
        audit.record(
            "invoice.credit_override",
            invoice,
            by=by,
            changes={
                "reason": override_reason.strip(),
                "credit_limit": format_eur(excess.limit),
                "exposure": format_eur(excess.exposure),
                "over_by": format_eur(excess.over_by),
            },
        )
    if checked.blocked_level is not None:
        audit.record(
            "invoice.dunning_override",
            invoice,
            by=by,
            changes={"reason": override_reason.strip(), "dunning_level": checked.blocked_level},
        )


def issue_invoice(
    invoice: Invoice, *, by, on: dt.date | None = None, override_reason: str = ""
) -> Invoice:
    """Issue a draft invoice or credit note dated `on` (default: today, `clock.today()`).

    Refuses, changing nothing, what `check`, `freeze` and `take_number` refuse (see
    each). Otherwise the document gets the next number of its series, is frozen and
    posted, its receivable opened and its rendering queued, all in one transaction; its
    files are archived by that job once the transaction has committed."""
    today = clock.today()
    on = on or today
    with transaction.atomic():
        invoice = _load(invoice)
        checked = check(invoice, on=on, today=today, by=by, override_reason=override_reason)
        freeze(invoice, checked, on)
        # What the render job will print, checked now: never a number without its files.
        check_printable(invoice, checked.lines, checked.allowances)
        take_number(invoice, on, by=by)
        # Rendered and archived by a job after the commit: queued in this transaction, so
        # there is no issued document without its render job (and no job without it).
        queue_render(invoice)
        open_receivable(invoice, by=by)
        record_issue(invoice, checked, by=by, override_reason=override_reason)
        post_invoice(invoice)  # last: the journal's lock is held the shortest time
    return invoice
