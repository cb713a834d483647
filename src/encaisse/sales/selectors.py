"""Read queries on invoices and credit notes shared by the web UI and its exports."""

import datetime as dt

from django.db.models import Count, F, Q, QuerySet, Sum

from encaisse.catalog.models import Product
from encaisse.companies.models import Company
from encaisse.customers.models import Customer
from encaisse.money import ZERO

from .models import DocumentKind, DocumentStatus, Invoice
from .services.issuing import (
    RECOVERY_FEE_MENTION,
    VAT_ON_DEBITS_MENTION,
    buyer_snapshot,
    seller_snapshot,
)
from .terms import describe
from .totals import Totals, compute_totals


def invoices(
    company: Company,
    *,
    kind: str | None = None,
    status: str | None = None,
    customer=None,
    issued_from: dt.date | None = None,
    issued_to: dt.date | None = None,
    q: str = "",
) -> QuerySet[Invoice]:
    """Invoices and credit notes of `company`, drafts first, then newest issued first.

    `kind` is "invoice", "credit_note" or None/"all" for both; `q` matches the number.
    """
    qs = Invoice.objects.filter(company=company).select_related("customer", "credited_invoice")
    if kind in DocumentKind.values:
        qs = qs.filter(kind=kind)
    if status in DocumentStatus.values:
        qs = qs.filter(status=status)
    if customer not in (None, ""):
        qs = qs.filter(customer_id=customer)
    if issued_from:
        qs = qs.filter(issue_date__gte=issued_from)
    if issued_to:
        qs = qs.filter(issue_date__lte=issued_to)
    q = (q or "").strip()
    if q:
        qs = qs.filter(number__icontains=q)
    # Drafts have no issue date: list them first on every database (NULLS FIRST).
    return qs.order_by(
        F("issue_date").desc(nulls_first=True), F("sequence_number").desc(nulls_first=True), "-id"
    )


def products(company: Company, q: str = "") -> QuerySet[Product]:
    qs = Product.objects.filter(company=company)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(reference__icontains=q) | Q(label__icontains=q))
    return qs.order_by("reference")


def key_figures(company: Company, year: int) -> dict:
    """The counts of the home page: a few aggregate queries, no loop over rows."""
    docs = Invoice.objects.filter(company=company)
    issued_year = Q(status=DocumentStatus.ISSUED, sequence_year=year)
    figures = docs.aggregate(
        draft_invoices=Count("pk", filter=Q(kind=DocumentKind.INVOICE, status="draft")),
        draft_credit_notes=Count("pk", filter=Q(kind=DocumentKind.CREDIT_NOTE, status="draft")),
        issued_invoices=Count("pk", filter=issued_year & Q(kind=DocumentKind.INVOICE)),
        issued_invoices_excl_vat=Sum(
            "total_excl_vat", filter=issued_year & Q(kind=DocumentKind.INVOICE)
        ),
        issued_credit_notes=Count("pk", filter=issued_year & Q(kind=DocumentKind.CREDIT_NOTE)),
        issued_credit_notes_excl_vat=Sum(
            "total_excl_vat", filter=issued_year & Q(kind=DocumentKind.CREDIT_NOTE)
        ),
    )
    for key in ("issued_invoices_excl_vat", "issued_credit_notes_excl_vat"):
        figures[key] = figures[key] or ZERO
    figures["net_revenue_excl_vat"] = (
        figures["issued_invoices_excl_vat"] - figures["issued_credit_notes_excl_vat"]
    )
    figures["customers"] = Customer.objects.filter(company=company).count()
    figures["products"] = Product.objects.filter(company=company, is_active=True).count()
    figures["year"] = year
    return figures


def document_totals(invoice: Invoice) -> Totals:
    return compute_totals(invoice.lines.all(), invoice.allowances.all())


def printable(invoice: Invoice) -> dict:
    """Seller, buyer and mentions as printed: frozen snapshots once issued, and for a
    draft what issuing would freeze today (live company and customer)."""
    if invoice.is_issued:
        return {"seller": invoice.seller, "buyer": invoice.buyer, "mentions": invoice.mentions}
    company, customer = invoice.company, invoice.customer
    mentions = {
        "payment_terms": describe(invoice.terms_kind, invoice.terms_days),
        "late_penalty_clause": company.late_penalty_clause,
        "early_payment_discount_clause": company.early_payment_discount_clause,
        "recovery_fee": RECOVERY_FEE_MENTION if customer.is_professional else "",
        "vat_on_debits": VAT_ON_DEBITS_MENTION if company.vat_on_debits else "",
    }
    if invoice.credited_invoice_id:
        original = invoice.credited_invoice
        mentions["credited_invoice"] = {
            "number": original.number,
            "issue_date": original.issue_date.isoformat() if original.issue_date else "",
        }
    return {
        "seller": seller_snapshot(company),
        "buyer": buyer_snapshot(customer),
        "mentions": mentions,
    }
