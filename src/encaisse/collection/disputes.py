"""Disputes (litiges): opened on an invoice, escalated past their target date, resolved
by a credit note issued from the dispute, a correction or a rejection.

The amount of a dispute is held back from the dunning while it is open: the dunning
asks `disputed_amount(invoice, as_of)`, which reads the dispute dates, so the answer for
a past day does not change when a dispute is resolved later.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q, Sum

from encaisse import clock
from encaisse.audit import services as audit
from encaisse.companies.permissions import COLLECT, EDIT_CUSTOMERS, require
from encaisse.errors import Conflict, NotFound, ValidationFailed
from encaisse.money import HUNDRED, ZERO, format_decimal, format_eur, percent_of, q2
from encaisse.receivables.selectors import installments_as_of
from encaisse.receivables.services.payments import not_in_future, parse_date
from encaisse.sales.kinds import codes
from encaisse.sales.models import DocumentStatus, Invoice
from encaisse.sales.services import create_credit_note, creditable, issue_invoice
from encaisse.sales.services.credit_notes import CreditMode, amount_credit_rate
from encaisse.validation import clean_column, parse_decimal

from .models import (
    OPEN_DISPUTE_STATUSES,
    Department,
    Dispute,
    DisputeCategory,
    DisputeStatus,
)


class Outcome:
    CREDIT_NOTE = DisputeStatus.RESOLVED_CREDIT_NOTE
    CORRECTION = DisputeStatus.RESOLVED_CORRECTION
    REJECTION = DisputeStatus.REJECTED

    ALL = (CREDIT_NOTE, CORRECTION, REJECTION)


def open_in_force(as_of: dt.date, prefix: str = "") -> Q:
    """Disputes that hold their amount back on `as_of`: opened by then, not yet resolved."""
    return Q(**{f"{prefix}opened_on__lte": as_of}) & (
        Q(**{f"{prefix}resolved_on__isnull": True}) | Q(**{f"{prefix}resolved_on__gt": as_of})
    )


def invoice_open_amount(invoice: Invoice, as_of: dt.date) -> Decimal:
    """What the invoice still owes on `as_of` (its installments' open amounts)."""
    rows = installments_as_of(invoice.company, as_of).filter(invoice=invoice)
    return sum((r for r in rows.values_list("open_amount", flat=True)), ZERO)


def disputed_amount(invoice: Invoice, as_of: dt.date) -> Decimal:
    """The amount of `invoice` under dispute on `as_of` (sum of the disputes in force)."""
    total = Dispute.objects.filter(open_in_force(as_of), invoice=invoice).aggregate(
        total=Sum("amount")
    )["total"]
    return q2(total or ZERO)


def _member(company, user, field: str = "owner"):
    """A user of `company`; anyone else is refused as if they did not exist."""
    pk = getattr(user, "pk", user)
    found = None
    if str(pk or "").isdigit():
        found = get_user_model().objects.filter(pk=pk, memberships__company=company).first()
    if found is None:
        raise ValidationFailed(
            "unknown_owner", "Le responsable doit être un utilisateur de la société.", field
        )
    return found


def _choice(value, choices, code: str, message: str, field: str) -> str:
    if value not in choices.values:
        raise ValidationFailed(code, message, field)
    return value


def open_dispute(company, data: dict, *, by) -> Dispute:
    """Open a dispute on an issued invoice of `company`.

    data: invoice (id), amount (TTC; default: all that the invoice still owes and is not
    already disputed), category, customer_words, owner (user id), department,
    target_date, opened_on (default today).
    """
    # Whoever hears the customer complain records it (a salesperson often does); the
    # collection roles resolve it.
    require(by, company, EDIT_CUSTOMERS)
    invoice = Invoice.objects.filter(
        company=company, pk=data.get("invoice") if str(data.get("invoice", "")).isdigit() else None
    ).first()
    if invoice is None:
        raise NotFound("Facture introuvable.")
    if not invoice.kind_spec.creates_receivable or invoice.status != DocumentStatus.ISSUED:
        raise Conflict(
            "not_disputable",
            "Un litige s'ouvre sur une facture émise (pas un brouillon ni un avoir).",
        )
    category = _choice(
        data.get("category"),
        DisputeCategory,
        "invalid_category",
        "Motif de litige inconnu.",
        "category",
    )
    department = _choice(
        data.get("department"), Department, "invalid_department", "Service inconnu.", "department"
    )
    words = clean_column(Dispute, "customer_words", (data.get("customer_words") or "").strip())
    if not words:
        raise ValidationFailed(
            "required", "Notez ce que le client conteste, avec ses mots.", "customer_words"
        )
    owner = _member(company, data.get("owner"))
    opened_on = not_in_future(
        parse_date(data.get("opened_on") or clock.today(), "opened_on", "La date d'ouverture"),
        "opened_on",
    )
    if opened_on < invoice.issue_date:
        raise ValidationFailed(
            "before_invoice",
            f"Le litige ne peut pas précéder la facture {invoice.number} "
            f"du {invoice.issue_date:%d/%m/%Y}.",
            "opened_on",
        )
    if not data.get("target_date"):
        raise ValidationFailed("required", "La date cible est obligatoire.", "target_date")
    target = parse_date(data["target_date"], "target_date", "La date cible")
    if target < opened_on:
        raise ValidationFailed(
            "target_before_opening",
            "La date cible ne peut pas précéder l'ouverture du litige.",
            "target_date",
        )
    with transaction.atomic():
        # The invoice row lock makes two disputes opened at once on one invoice queue, so
        # together they never exceed what it owes.
        invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
        available = invoice_open_amount(invoice, opened_on) - disputed_amount(invoice, opened_on)
        raw = data.get("amount")
        amount = (
            available
            if raw in (None, "")
            else parse_decimal(raw, "amount", "Le montant contesté", places=2)
        )
        if amount <= 0:
            raise ValidationFailed(
                "nothing_to_dispute",
                f"Rien à contester sur la facture {invoice.number} au {opened_on:%d/%m/%Y} : "
                "elle est réglée ou déjà entièrement en litige."
                if raw in (None, "")
                else "Le montant contesté doit être positif.",
                "amount",
            )
        if amount > available:
            raise ValidationFailed(
                "above_open_amount",
                f"Le montant contesté ({format_eur(amount)}) dépasse ce qui reste dû et non "
                f"déjà contesté sur la facture {invoice.number} au {opened_on:%d/%m/%Y} "
                f"({format_eur(available)}).",
                "amount",
            )
        dispute = Dispute.objects.create(
            company=company,
            customer_id=invoice.customer_id,
            invoice=invoice,
            amount=amount,
            category=category,
            customer_words=words,
            owner=owner,
            department=department,
            target_date=target,
            opened_on=opened_on,
            opened_by=audit.actor(by),
        )
        audit.record(
            "dispute.opened",
            dispute,
            by=by,
            changes={
                "invoice": invoice.number,
                "amount": format_eur(amount),
                "category": dispute.get_category_display(),
                "owner": owner.get_username(),
                "target_date": target,
            },
        )
    return dispute


def escalate_overdue_disputes(company, as_of: dt.date, *, by=None) -> list[Dispute]:
    """Mark escalated every open dispute of `company` whose target date is before `as_of`.

    "To the owner's manager": the data model has no hierarchy, so the dispute records
    the day and, in words, that it is for the owner's manager; the collector's desk and
    the dispute page show it. Idempotent: an escalated dispute is not escalated again.
    """
    escalated = []
    with transaction.atomic():
        for dispute in (
            Dispute.objects.select_for_update(of=("self",))
            .select_related("owner")
            .filter(company=company, status=DisputeStatus.OPEN, target_date__lt=as_of)
            .filter(opened_on__lte=as_of)
        ):
            owner = dispute.owner.get_full_name() or dispute.owner.get_username()
            dispute.status = DisputeStatus.ESCALATED
            dispute.escalated_on = as_of
            dispute.escalated_to = f"Responsable hiérarchique de {owner}"[:200]
            dispute.save(update_fields=["status", "escalated_on", "escalated_to"])
            audit.record(
                "dispute.escalated",
                dispute,
                by=by,
                changes={"target_date": dispute.target_date, "escalated_to": dispute.escalated_to},
            )
            escalated.append(dispute)
    return escalated


def _amount_excl_vat(invoice: Invoice, incl_vat: Decimal, vat_rate) -> tuple[Decimal, Decimal]:
    """The base excl. VAT and the rate whose one-line credit note totals `incl_vat`.

    VAT is rounded once on the base (EN 16931), so not every TTC amount has a base: at
    20 %, no base gives 0.03 TTC. Then the nearest amounts that do are suggested.
    """
    rate = amount_credit_rate(invoice, vat_rate)
    estimate = q2(incl_vat * HUNDRED / (HUNDRED + rate))
    candidates = [
        estimate + step
        for step in (Decimal("-0.02"), Decimal("-0.01"), ZERO, Decimal("0.01"), Decimal("0.02"))
    ]
    for base in candidates:
        if base > 0 and base + percent_of(base, rate) == incl_vat:
            return base, rate
    near = sorted({base + percent_of(base, rate) for base in candidates if base > 0})
    raise ValidationFailed(
        "amount_not_reachable",
        f"Aucun montant HT au taux de {format_decimal(rate)} % ne donne exactement "
        f"{format_eur(incl_vat)} TTC ; montants possibles : "
        + ", ".join(format_eur(a) for a in near)
        + ".",
        "amount",
    )


def resolve_dispute(
    dispute: Dispute,
    outcome: str,
    *,
    reason: str = "",
    by,
    on: dt.date | None = None,
    amount=None,
    vat_rate=None,
    lines=None,
) -> Dispute:
    """Close a dispute.

    credit note: a credit note on the invoice is created and issued now, dated `on`, and
    linked to the dispute; by default of the disputed amount TTC (the whole invoice's
    remainder as a full credit note when that is what is disputed), or of `amount` TTC,
    or of `lines` ([{"line": id, "quantity": q}]). Correction and rejection need a reason.
    """
    require(by, dispute.company, COLLECT)
    if outcome not in Outcome.ALL:
        raise ValidationFailed("invalid_outcome", "Issue de litige inconnue.", "outcome")
    reason = clean_column(
        Dispute, "resolution_reason", (reason or "").strip(), field="reason", label="Le motif"
    )
    if outcome != Outcome.CREDIT_NOTE and not reason:
        raise ValidationFailed(
            "reason_required",
            "Indiquez le motif de la correction."
            if outcome == Outcome.CORRECTION
            else "Indiquez le motif du rejet.",
            "reason",
        )
    on = not_in_future(
        parse_date(on or clock.today(), "resolved_on", "La date de résolution"),
        "resolved_on",
    )
    with transaction.atomic():
        dispute = (
            Dispute.objects.select_for_update(of=("self",))
            .select_related("invoice", "company")
            .get(pk=dispute.pk)
        )
        if dispute.status not in OPEN_DISPUTE_STATUSES:
            raise Conflict(
                "already_resolved",
                f"{dispute} est déjà clos ({dispute.get_status_display().lower()}) ; "
                "rien n'a changé.",
            )
        if on < dispute.opened_on:
            raise ValidationFailed(
                "before_opening",
                "La résolution ne peut pas précéder l'ouverture du litige "
                f"({dispute.opened_on:%d/%m/%Y}).",
                "resolved_on",
            )
        changes = {"outcome": DisputeStatus(outcome).label, "reason": reason}
        if outcome == Outcome.CREDIT_NOTE:
            dispute.credit_note = _credit_note(dispute, by, on, reason, amount, vat_rate, lines)
            changes["credit_note"] = dispute.credit_note.number
            changes["credit_note_amount"] = format_eur(dispute.credit_note.total_incl_vat)
        dispute.status = outcome
        dispute.resolution_reason = reason
        dispute.resolved_on = on
        dispute.resolved_by = audit.actor(by)
        dispute.save(
            update_fields=[
                "status",
                "resolution_reason",
                "resolved_on",
                "resolved_by",
                "credit_note",
            ]
        )
        audit.record("dispute.resolved", dispute, by=by, changes=changes)
    return dispute


def _credit_note(dispute: Dispute, by, on, reason, amount, vat_rate, lines) -> Invoice:
    invoice = dispute.invoice
    why = reason or f"Litige n° {dispute.pk} : {dispute.get_category_display().lower()}"
    if lines:
        note = create_credit_note(invoice, by=by, mode=CreditMode.LINES, lines=lines, reason=why)
    else:
        incl_vat = (
            dispute.amount
            if amount in (None, "")
            else parse_decimal(amount, "amount", "Le montant de l'avoir", places=2)
        )
        if incl_vat <= 0:
            raise ValidationFailed(
                "zero_amount", "Le montant de l'avoir doit être positif.", "amount"
            )
        remaining = creditable(invoice)
        if incl_vat == remaining.incl_vat and not remaining.has_amount_credits:
            # The whole remainder: a full credit note repeats the invoice's lines, which
            # says more to the customer than one line "partial credit".
            note = create_credit_note(invoice, by=by, mode=CreditMode.FULL, reason=why)
        else:
            base, rate = _amount_excl_vat(invoice, incl_vat, vat_rate)
            note = create_credit_note(
                invoice, by=by, mode=CreditMode.AMOUNT, amount=base, vat_rate=rate, reason=why
            )
    try:
        return issue_invoice(note, by=by, on=on)
    except ValidationFailed as exc:
        if exc.field != "issue_date":
            raise
        # The credit note is dated the day of the resolution: say so where it was typed.
        raise ValidationFailed(exc.code, exc.message, "resolved_on", exc.details) from None


# ---------------------------------------------------------------- lists and figures


def disputes(company, *, status=None, category=None, owner=None, open_only=False):
    """The disputes of `company`, oldest first, filtered as the list page asks."""
    qs = Dispute.objects.filter(company=company).select_related("customer", "invoice", "owner")
    if open_only:
        qs = qs.filter(status__in=OPEN_DISPUTE_STATUSES)
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if owner:
        qs = qs.filter(owner_id=owner)
    return qs.order_by("opened_on", "pk")


def dispute_rate(company, start: dt.date, end: dt.date) -> dict:
    """Of the invoices issued from `start` to `end`, how many were disputed (at any time)
    and for how much: counts, amounts and both rates in percent (None without invoices).
    """
    issued = Invoice.objects.filter(
        company=company,
        kind__in=codes(creates_receivable=True),
        status=DocumentStatus.ISSUED,
        issue_date__gte=start,
        issue_date__lte=end,
    )
    totals = issued.aggregate(count=Count("pk"), amount=Sum("total_incl_vat"))
    disputed = Dispute.objects.filter(invoice__in=issued).aggregate(
        count=Count("invoice", distinct=True), amount=Sum("amount")
    )
    invoices, amount = totals["count"], q2(totals["amount"] or ZERO)
    disputed_count, disputed_sum = disputed["count"], q2(disputed["amount"] or ZERO)
    return {
        "invoices": invoices,
        "amount": amount,
        "disputed_invoices": disputed_count,
        "disputed_amount": disputed_sum,
        "count_rate": q2(HUNDRED * disputed_count / invoices) if invoices else None,
        "amount_rate": q2(HUNDRED * disputed_sum / amount) if amount else None,
    }


def average_resolution_days(company, start: dt.date, end: dt.date) -> Decimal | None:
    """Mean days from opening to resolution of the disputes resolved from `start` to
    `end`, to one decimal; None when none was."""
    spans = [
        (resolved - opened).days
        for opened, resolved in Dispute.objects.filter(
            company=company, resolved_on__gte=start, resolved_on__lte=end
        ).values_list("opened_on", "resolved_on")
    ]
    if not spans:
        return None
    return (Decimal(sum(spans)) / len(spans)).quantize(Decimal("0.1"))


def get_dispute(company, pk) -> Dispute:
    dispute = (
        Dispute.objects.filter(company=company, pk=pk)
        .select_related("customer", "invoice", "owner", "credit_note", "opened_by", "resolved_by")
        .first()
    )
    if dispute is None:
        raise NotFound("Litige introuvable.")
    return dispute
