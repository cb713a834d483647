"""Credit notes: issued from an invoice, never crediting more than remains creditable."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from encaisse.audit import services as audit
from encaisse.companies.permissions import ISSUE_CREDIT_NOTES, require
from encaisse.errors import Conflict, ValidationFailed
from encaisse.money import ZERO, format_decimal, format_eur
from encaisse.validation import parse_decimal

from ..models import DocumentKind, DocumentStatus, Invoice, InvoiceAllowance, InvoiceLine
from ..terms import PaymentTermsKind
from ..totals import compute_totals
from . import drafts


class CreditMode:
    FULL = "full"
    LINES = "lines"
    AMOUNT = "amount"


@dataclass(frozen=True)
class Creditable:
    """What remains creditable on an invoice, after its issued credit notes."""

    incl_vat: Decimal
    base_by_rate: dict  # (category, rate) -> remaining base excl. VAT
    quantity_by_line: dict  # original line id -> remaining quantity
    has_amount_credits: bool


def creditable(invoice: Invoice) -> Creditable:
    credit_notes = invoice.credit_notes.filter(status=DocumentStatus.ISSUED)
    credited_lines = InvoiceLine.objects.filter(invoice__in=credit_notes)
    lines = list(invoice.lines.all())  # read once, used twice
    total = compute_totals(lines, invoice.allowances.all())
    credited = compute_totals(
        credited_lines, InvoiceAllowance.objects.filter(invoice__in=credit_notes)
    )
    base_by_rate = {(b.category, b.rate): b.base for b in total.breakdown}
    for b in credited.breakdown:
        base_by_rate[(b.category, b.rate)] = base_by_rate.get((b.category, b.rate), ZERO) - b.base
    quantities = dict(
        credited_lines.filter(credited_line__isnull=False)
        .values_list("credited_line")
        .annotate(q=Sum("quantity"))
    )
    return Creditable(
        incl_vat=invoice.total_incl_vat - sum((cn.total_incl_vat for cn in credit_notes), ZERO),
        base_by_rate=base_by_rate,
        quantity_by_line={line.pk: line.quantity - quantities.get(line.pk, ZERO) for line in lines},
        has_amount_credits=credited_lines.filter(credited_line__isnull=True).exists(),
    )


def check_creditable(invoice: Invoice, lines: list[InvoiceLine], allowances=()) -> None:
    """Refuse credit-note lines that credit more than what remains on `invoice`."""
    remaining = creditable(invoice)
    for line in lines:
        if line.credited_line_id is None:
            continue
        left = remaining.quantity_by_line.get(line.credited_line_id)
        if left is None:
            raise ValidationFailed(
                "foreign_line", "Une ligne de l'avoir ne vient pas de la facture corrigée.", "lines"
            )
        if line.quantity > left:
            raise ValidationFailed(
                "over_credit",
                f"« {line.description} » : {format_decimal(line.quantity)} à créditer, il en reste "
                f"{format_decimal(left)} à créditer sur la facture {invoice.number}.",
                "lines",
            )
    totals = compute_totals(lines, allowances)
    for b in totals.breakdown:
        left = remaining.base_by_rate.get((b.category, b.rate), ZERO)
        if b.base > left:
            raise ValidationFailed(
                "over_credit",
                f"L'avoir crédite {format_eur(b.base)} HT au taux {format_decimal(b.rate)} %, "
                f"il reste {format_eur(left)} HT à créditer à ce taux sur la facture "
                f"{invoice.number}.",
                "amount",
            )
    if totals.incl_vat > remaining.incl_vat:
        raise ValidationFailed(
            "over_credit",
            f"L'avoir ({format_eur(totals.incl_vat)} TTC) dépasse ce qui reste créditable sur la "
            f"facture {invoice.number} ({format_eur(remaining.incl_vat)} TTC).",
            "amount",
        )


def _line_copy(line: InvoiceLine, quantity: Decimal) -> dict:
    return {
        "product": line.product_id,
        "description": line.description,
        "item_kind": line.item_kind,
        "quantity": quantity,
        "unit": line.unit,
        "unit_price": line.unit_price,
        "discount_percent": line.discount_percent,
        "vat_rate": line.vat_rate,
        "vat_exemption": line.vat_exemption,
        "vat_exemption_reason": line.vat_exemption_reason,
        "credited_line": line,
    }


def _allowance_copy(allowance: InvoiceAllowance) -> dict:
    return {
        "is_charge": allowance.is_charge,
        "amount": allowance.amount,
        "reason": allowance.reason,
        "reason_code": allowance.reason_code,
        "vat_rate": allowance.vat_rate,
        "vat_exemption": allowance.vat_exemption,
        "vat_exemption_reason": allowance.vat_exemption_reason,
    }


def amount_credit_rate(invoice: Invoice, vat_rate, lines=None) -> Decimal:
    """The VAT rate of a credit by amount: the one given, else the invoice's only rate."""
    if vat_rate in (None, ""):
        lines = invoice.lines.all() if lines is None else lines
        rates = sorted({line.vat_rate for line in lines})
        if len(rates) > 1:
            raise ValidationFailed(
                "vat_rate_required",
                "La facture porte plusieurs taux de TVA : indiquez celui de l'avoir.",
                "vat_rate",
            )
        vat_rate = rates[0]
    return Decimal(str(vat_rate)).quantize(Decimal("0.01"))


def _amount_line(invoice: Invoice, amount, vat_rate) -> dict:
    amount = parse_decimal(amount, "amount", "Le montant HT à créditer", places=2)
    if amount <= 0:
        raise ValidationFailed("zero_amount", "Le montant à créditer doit être positif.", "amount")
    originals = list(invoice.lines.all())
    vat_rate = amount_credit_rate(invoice, vat_rate, originals)
    same_rate = [line for line in originals if line.vat_rate == vat_rate]
    if not same_rate:
        raise ValidationFailed(
            "vat_rate_not_on_invoice",
            f"La facture {invoice.number} n'a pas de ligne à {format_decimal(vat_rate)} %.",
            "vat_rate",
        )
    model = same_rate[0]
    return {
        "description": f"Avoir partiel sur la facture {invoice.number}",
        "item_kind": model.item_kind,
        "quantity": Decimal("1"),
        "unit": "LS",
        "unit_price": amount,
        "vat_rate": vat_rate,
        "vat_exemption": model.vat_exemption,
        "vat_exemption_reason": model.vat_exemption_reason,
    }


def create_credit_note(
    invoice: Invoice,
    *,
    by,
    mode: str = CreditMode.FULL,
    lines=None,
    amount=None,
    vat_rate=None,
    reason: str = "",
) -> Invoice:
    """A draft credit note on an issued invoice.

    mode "full": every line for what remains of it; "lines": [{"line": id, "quantity": q}];
    "amount": an amount excl. VAT at one of the invoice's rates.
    """
    require(by, invoice.company, ISSUE_CREDIT_NOTES)
    with transaction.atomic():
        # Lock the invoice row only (of=self), reading its company and customer with it.
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("company", "customer")
            .get(pk=invoice.pk)
        )
        if not invoice.kind_spec.creates_receivable or invoice.status != DocumentStatus.ISSUED:
            raise Conflict(
                "not_creditable",
                "Un avoir se fait sur une facture émise (pas un brouillon ni un avoir).",
            )
        remaining = creditable(invoice)
        originals = {line.pk: line for line in invoice.lines.all()}
        raw_allowances = []
        if mode == CreditMode.FULL:
            if remaining.has_amount_credits:
                raise ValidationFailed(
                    "full_credit_after_amount",
                    "Un avoir partiel en montant a déjà été émis sur cette facture : "
                    "faites un avoir par lignes ou en montant.",
                    "mode",
                )
            if not InvoiceAllowance.objects.filter(
                invoice__credited_invoice=invoice, invoice__status=DocumentStatus.ISSUED
            ).exists():
                raw_allowances = [_allowance_copy(a) for a in invoice.allowances.all()]
            raw = [
                _line_copy(line, remaining.quantity_by_line[pk])
                for pk, line in originals.items()
                if remaining.quantity_by_line[pk] > 0
            ]
        elif mode == CreditMode.LINES:
            raw = []
            for i, item in enumerate(lines or [], start=1):
                try:
                    original = originals[int(item.get("line"))]
                except (KeyError, TypeError, ValueError):
                    raise ValidationFailed(
                        "foreign_line",
                        f"La ligne {i} ne vient pas de la facture {invoice.number}.",
                        f"lines.{i}.line",
                    ) from None
                quantity = parse_decimal(
                    item.get("quantity"), f"lines.{i}.quantity", f"Ligne {i} : la quantité"
                )
                if quantity > 0:
                    raw.append(_line_copy(original, quantity))
        elif mode == CreditMode.AMOUNT:
            raw = [_amount_line(invoice, amount, vat_rate)]
        else:
            raise ValidationFailed("invalid_mode", "Type d'avoir inconnu.", "mode")
        if not raw:
            raise ValidationFailed(
                "nothing_to_credit",
                f"Il ne reste rien à créditer sur la facture {invoice.number}.",
                "lines",
            )
        clean = drafts.clean_lines(invoice.company, raw)
        clean_extra = drafts.clean_allowances(raw_allowances)
        check_creditable(invoice, clean, clean_extra)
        note = Invoice(
            company=invoice.company,
            customer=invoice.customer,
            kind=DocumentKind.CREDIT_NOTE,
            credited_invoice=invoice,
            credit_reason=(reason or "").strip()[:300],
            terms_kind=PaymentTermsKind.ON_RECEIPT,
            terms_days=None,
            customer_reference=invoice.customer_reference,
            created_by=audit.actor(by),
        )
        drafts.apply_totals(note, clean, clean_extra)
        note.save()
        drafts.save_lines(note, clean, clean_extra, new=True)
        audit.record(
            "credit_note.created",
            note,
            by=by,
            changes={
                "credited_invoice": invoice.number,
                "mode": mode,
                "total_incl_vat": note.total_incl_vat,
            },
        )
        audit.record(
            "invoice.credit_note_drafted",
            invoice,
            by=by,
            changes={"credit_note_draft": note.pk, "total_incl_vat": note.total_incl_vat},
        )
    return note
