"""Draft invoices: header, lines, totals. Drafts change freely until they are issued."""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from encaisse import clock
from encaisse.audit import services as audit
from encaisse.catalog.models import ItemKind, Product, Unit
from encaisse.catalog.vat import clean_vat
from encaisse.companies.models import Company
from encaisse.companies.permissions import EDIT_INVOICES, require
from encaisse.customers.models import Customer
from encaisse.errors import NotFound, ValidationFailed
from encaisse.money import format_decimal
from encaisse.validation import clean_column, clean_model_texts, parse_decimal

from .. import schedule as schedules
from ..models import DocumentKind, Invoice, InvoiceAllowance, InvoiceLine, IssuedDocumentError
from ..terms import check_terms, due_date
from ..totals import Totals, compute_totals, line_amounts
from . import credit_notes

HEADER_FIELDS = ["terms_kind", "terms_days", "customer_reference", "notes", "delivery_date"]
MAX_DISCOUNT = Decimal("100")
# Where a line takes its default when the user leaves a field blank.
PRODUCT_FIELD_OF_LINE = {"description": "label", "item_kind": "kind"}


def _customer(company: Company, customer) -> Customer:
    if isinstance(customer, Customer):
        if customer.company_id != company.pk:
            raise NotFound("Client introuvable.")
        return customer
    try:
        return Customer.objects.get(company=company, pk=customer)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed("unknown_customer", "Client introuvable.", "customer") from None


def _product_key(product) -> int | None:
    """The id a line names its product by, or None when it cannot be one."""
    try:
        return int(product)
    except (ValueError, TypeError):
        return None


def _products(company: Company, raw_lines) -> dict[int, Product]:
    """The company's products the lines name by id, in one query (not one per line)."""
    keys = {
        _product_key(raw.get("product"))
        for raw in raw_lines
        if raw.get("product") not in (None, "") and not isinstance(raw.get("product"), Product)
    }
    keys.discard(None)
    if not keys:
        return {}
    return {p.pk: p for p in Product.objects.filter(company=company, pk__in=keys)}


def _product(
    company: Company, product, field: str, known: dict[int, Product] | None = None
) -> Product | None:
    if product in (None, ""):
        return None
    if isinstance(product, Product):
        if product.company_id != company.pk:
            raise ValidationFailed("unknown_product", "Article introuvable.", field)
        return product
    if known is not None:
        found = known.get(_product_key(product))
        if found is None:
            raise ValidationFailed("unknown_product", "Article introuvable.", field)
        return found
    try:
        return Product.objects.get(company=company, pk=product)
    except (Product.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed("unknown_product", "Article introuvable.", field) from None


def clean_line(
    company: Company, raw: dict, index: int, products: dict[int, Product] | None = None
) -> InvoiceLine:
    """An unsaved InvoiceLine from what the user typed; catalog values fill the blanks.

    `products`: the company's products by id, read beforehand for all the lines
    (`_products`); without it the line's product is read here.
    """
    prefix = f"lines.{index}."
    product = _product(company, raw.get("product"), prefix + "product", products)

    def pick(key, default=None):
        value = raw.get(key)
        if value in (None, "") and product is not None:
            return getattr(product, PRODUCT_FIELD_OF_LINE.get(key, key))
        return default if value in (None, "") else value

    description = (pick("description", "") or "").strip()
    if not description:
        raise ValidationFailed(
            "required", f"Ligne {index} : la désignation est obligatoire.", prefix + "description"
        )
    description = clean_column(
        InvoiceLine,
        "description",
        description,
        field=prefix + "description",
        label=f"Ligne {index}, désignation",
    )
    item_kind = pick("item_kind")
    if item_kind not in ItemKind.values:
        raise ValidationFailed(
            "required",
            f"Ligne {index} : indiquez s'il s'agit d'un bien ou d'un service.",
            prefix + "item_kind",
        )
    unit = pick("unit", Unit.PIECE)
    if unit not in Unit.values:
        raise ValidationFailed("invalid_unit", f"Ligne {index} : unité inconnue.", prefix + "unit")
    quantity = parse_decimal(
        raw.get("quantity"), prefix + "quantity", f"Ligne {index} : la quantité"
    )
    if quantity == 0:
        raise ValidationFailed(
            "zero_quantity", f"Ligne {index} : la quantité est nulle.", prefix + "quantity"
        )
    unit_price = parse_decimal(
        pick("unit_price"), prefix + "unit_price", f"Ligne {index} : le prix unitaire"
    )
    discount = parse_decimal(
        raw.get("discount_percent") or "0",
        prefix + "discount_percent",
        f"Ligne {index} : la remise",
        places=2,
    )
    if discount > MAX_DISCOUNT:
        raise ValidationFailed(
            "invalid_discount",
            f"Ligne {index} : la remise ne peut dépasser 100 %.",
            prefix + "discount_percent",
        )
    rate, exemption, reason = clean_vat(
        pick("vat_rate", "20"),
        pick("vat_exemption", ""),
        pick("vat_exemption_reason", ""),
        field_prefix=prefix,
    )
    amounts = line_amounts(quantity, unit_price, discount)
    return InvoiceLine(
        position=index,
        product=product,
        description=description,
        item_kind=item_kind,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        discount_percent=discount,
        vat_rate=rate,
        vat_exemption=exemption,
        vat_exemption_reason=reason,
        gross_amount=amounts.gross,
        discount_amount=amounts.discount,
        net_amount=amounts.net,
        credited_line=raw.get("credited_line"),
    )


def clean_lines(company: Company, raw_lines) -> list[InvoiceLine]:
    raw_lines = list(raw_lines or [])
    products = _products(company, raw_lines)
    return [clean_line(company, raw, i, products) for i, raw in enumerate(raw_lines, start=1)]


def clean_allowance(raw: dict, index: int) -> InvoiceAllowance:
    """An unsaved document-level allowance (or charge, with is_charge) from user input."""
    prefix = f"allowances.{index}."
    is_charge = raw.get("is_charge") in (True, "true", "1", "on", "charge")
    what = "Les frais" if is_charge else "La remise"
    amount = parse_decimal(
        raw.get("amount"), prefix + "amount", f"{what} {index} : le montant", places=2
    )
    if amount == 0:
        raise ValidationFailed(
            "zero_amount", f"{what} {index} : le montant est nul.", prefix + "amount"
        )
    reason = (raw.get("reason") or "").strip()
    if not reason:
        raise ValidationFailed(
            "required", f"{what} {index} : le motif est obligatoire.", prefix + "reason"
        )
    reason = clean_column(
        InvoiceAllowance, "reason", reason, field=prefix + "reason", label=f"{what} {index}, motif"
    )
    rate, exemption, exemption_reason = clean_vat(
        raw.get("vat_rate") or "20",
        raw.get("vat_exemption", ""),
        raw.get("vat_exemption_reason", ""),
        field_prefix=prefix,
    )
    return InvoiceAllowance(
        position=index,
        is_charge=is_charge,
        amount=amount,
        reason=reason,
        reason_code=(raw.get("reason_code") or "")[:3],
        vat_rate=rate,
        vat_exemption=exemption,
        vat_exemption_reason=exemption_reason,
    )


def clean_allowances(raw_allowances) -> list[InvoiceAllowance]:
    return [clean_allowance(raw, i) for i, raw in enumerate(raw_allowances or [], start=1)]


def checked_totals(lines, allowances) -> Totals:
    """The totals, refusing allowances that take a VAT base below zero."""
    totals = compute_totals(lines, allowances)
    for b in totals.breakdown:
        if b.base < 0:
            raise ValidationFailed(
                "allowance_exceeds_base",
                f"Les remises au taux {format_decimal(b.rate)} % dépassent le montant des "
                "lignes à ce taux.",
                "allowances",
            )
    return totals


def preview_totals(company: Company, raw_lines, raw_allowances=()) -> Totals:
    """Totals of lines being typed, without saving anything (the htmx form)."""
    return checked_totals(clean_lines(company, raw_lines), clean_allowances(raw_allowances))


def preview_lines(company: Company, raw_lines: dict[int, dict]) -> dict:
    """Lines being typed, by their number on the form: each cleaned as the save would
    (its amounts computed: `net_amount` is BT-131), or the ValidationFailed refusing it.
    Nothing saved (the htmx form shows each line's total and each line's error)."""
    products = _products(company, raw_lines.values())
    previews = {}
    for index, raw in raw_lines.items():
        try:
            previews[index] = clean_line(company, raw, index, products)
        except ValidationFailed as exc:
            previews[index] = exc
    return previews


def _clean_header(company: Company, customer: Customer, data: dict) -> dict:
    header = {k: data[k] for k in HEADER_FIELDS if k in data}
    if not header.get("terms_kind"):
        header["terms_kind"] = customer.terms_kind or company.default_terms_kind
        if header.get("terms_days") in (None, ""):
            header["terms_days"] = (
                customer.terms_days if customer.terms_kind else company.default_terms_days
            )
    if header.get("terms_days") in ("",):
        header["terms_days"] = None
    check_terms(header["terms_kind"], header.get("terms_days"))
    header.update(
        clean_model_texts(
            Invoice,
            {key: (header.get(key) or "").strip() for key in ("customer_reference", "notes")},
        )
    )
    delivery = header.get("delivery_date")
    if isinstance(delivery, str):
        try:
            header["delivery_date"] = dt.date.fromisoformat(delivery) if delivery else None
        except ValueError:
            raise ValidationFailed(
                "invalid_date", "Date de livraison invalide (AAAA-MM-JJ).", "delivery_date"
            ) from None
    return header


def apply_totals(invoice: Invoice, lines: list[InvoiceLine], allowances=()) -> None:
    totals = checked_totals(lines, allowances)
    invoice.total_excl_vat = totals.excl_vat
    invoice.total_vat = totals.vat
    invoice.total_incl_vat = totals.incl_vat
    # A draft shows the due date it would have if issued today: with a schedule, its last
    # installment's, checked (order, sum, legal cap) as if issued today.
    today = clock.today()
    installments = schedules.resolve(
        invoice.schedule or [], invoice.total_incl_vat, today, invoice.terms_kind
    )
    if installments:
        invoice.due_date = installments[-1].due_date
    else:
        invoice.due_date = due_date(today, invoice.terms_kind, invoice.terms_days)


def save_lines(invoice: Invoice, lines: list[InvoiceLine], allowances=None, *, new=False) -> None:
    """Replace the draft's lines (and its allowances, when given). `new`: the draft was
    just inserted, so it has nothing to delete."""
    if not new:
        invoice.lines.all().delete()
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    if allowances is not None:
        if not new:
            invoice.allowances.all().delete()
        for allowance in allowances:
            allowance.invoice = invoice
        InvoiceAllowance.objects.bulk_create(allowances)


def create_invoice(
    company: Company, *, customer, lines, by, allowances=(), schedule=None, **header
) -> Invoice:
    """A draft invoice for `customer` with `lines` (dicts: product or free text),
    document-level `allowances` (dicts: amount, reason, vat_rate, is_charge) and an
    optional installment `schedule` (dicts: due_date or days, amount or percent)."""
    require(by, company, EDIT_INVOICES)
    customer = _customer(company, customer)
    with transaction.atomic():
        header = _clean_header(company, customer, header)
        clean = clean_lines(company, lines)
        clean_extra = clean_allowances(allowances)
        invoice = Invoice(
            company=company,
            customer=customer,
            kind=DocumentKind.INVOICE,
            created_by=audit.actor(by),
            schedule=schedules.parse(schedule) or None,
            **header,
        )
        apply_totals(invoice, clean, clean_extra)
        invoice.save()
        save_lines(invoice, clean, clean_extra, new=True)
        audit.record(
            "invoice.created",
            invoice,
            by=by,
            changes={
                "customer": customer.legal_name,
                "lines": len(clean),
                "total_incl_vat": invoice.total_incl_vat,
                "schedule": len(invoice.schedule or []),
            },
        )
    return invoice


def update_invoice(
    invoice: Invoice, data: dict, *, by, lines=None, allowances=None, schedule=None
) -> Invoice:
    """Change a draft's header, and its lines, allowances or schedule when they are given
    (an empty schedule removes it). A kept schedule is checked again against the new
    total."""
    require(by, invoice.company, EDIT_INVOICES)
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update()
            .select_related("company", "customer")
            .get(pk=invoice.pk)
        )
        if invoice.is_issued:
            raise IssuedDocumentError(invoice.number)
        before = audit.snapshot(invoice, [*HEADER_FIELDS, "customer", "total_incl_vat"])
        kind = invoice.kind_spec
        if "customer" in data and data["customer"] not in (None, ""):
            if kind.corrects_invoice:
                raise ValidationFailed(
                    "credit_note_customer",
                    "Le client d'un avoir est celui de la facture corrigée.",
                    "customer",
                )
            invoice.customer = _customer(invoice.company, data["customer"])
        merged = {**{k: getattr(invoice, k) for k in HEADER_FIELDS}, **data}
        for key, value in _clean_header(invoice.company, invoice.customer, merged).items():
            setattr(invoice, key, value)
        clean = (
            clean_lines(invoice.company, lines) if lines is not None else list(invoice.lines.all())
        )
        clean_extra = (
            clean_allowances(allowances)
            if allowances is not None
            else list(invoice.allowances.all())
        )
        if kind.corrects_invoice:
            credit_notes.check_creditable(invoice.credited_invoice, clean, clean_extra)
        before_schedule = invoice.schedule
        if schedule is not None:
            if not kind.creates_receivable and schedule:
                raise ValidationFailed(
                    "credit_note_schedule", "Un avoir n'a pas d'échéancier.", "schedule"
                )
            invoice.schedule = schedules.parse(schedule) or None
        apply_totals(invoice, clean, clean_extra)
        if lines is not None or allowances is not None:
            save_lines(invoice, clean, clean_extra)
        invoice.save()
        changes = audit.diff(
            before, audit.snapshot(invoice, [*HEADER_FIELDS, "customer", "total_incl_vat"])
        )
        if lines is not None:
            changes["lines"] = len(clean)
        if allowances is not None:
            changes["allowances"] = len(clean_extra)
        if invoice.schedule != before_schedule:
            changes["schedule"] = len(invoice.schedule or [])
        if changes:
            audit.record("invoice.updated", invoice, by=by, changes=changes)
    return invoice


def delete_draft(invoice: Invoice, *, by) -> None:
    require(by, invoice.company, EDIT_INVOICES)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.is_issued:
            raise IssuedDocumentError(invoice.number)
        audit.record(
            "invoice.draft_deleted",
            invoice,
            by=by,
            changes={"customer": invoice.customer.legal_name},
        )
        invoice.delete()
