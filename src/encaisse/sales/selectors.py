"""Read queries on invoices and credit notes shared by the web UI and its exports."""

import datetime as dt

from django.db.models import Count, F, Q, QuerySet, Sum

from encaisse import clock
from encaisse.catalog.models import Product
from encaisse.companies.models import Company
from encaisse.customers.models import Customer
from encaisse.errors import DomainError
from encaisse.money import ZERO

from . import schedule as schedules
from .kinds import KINDS, DocumentKind
from .mentions import build_mentions
from .models import DocumentStatus, Invoice
from .services.issuing import buyer_snapshot, seller_snapshot
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
    aggregates = {}
    for code in KINDS:  # draft_invoices, issued_credit_notes_excl_vat...
        of_kind = Q(kind=code)
        aggregates[f"draft_{code}s"] = Count("pk", filter=of_kind & Q(status="draft"))
        aggregates[f"issued_{code}s"] = Count("pk", filter=issued_year & of_kind)
        aggregates[f"issued_{code}s_excl_vat"] = Sum("total_excl_vat", filter=issued_year & of_kind)
    figures = docs.aggregate(**aggregates)
    figures["net_revenue_excl_vat"] = ZERO
    for code, kind in KINDS.items():
        figures[f"issued_{code}s_excl_vat"] = figures[f"issued_{code}s_excl_vat"] or ZERO
        figures["net_revenue_excl_vat"] += kind.sign * figures[f"issued_{code}s_excl_vat"]
    figures["customers"] = Customer.objects.filter(company=company).count()
    figures["products"] = Product.objects.filter(company=company, is_active=True).count()
    figures["year"] = year
    return figures


def document_totals(invoice: Invoice) -> Totals:
    return compute_totals(invoice.lines.all(), invoice.allowances.all())


def printable(invoice: Invoice) -> dict:
    """Seller, buyer and mentions as printed: frozen snapshots once issued, and for a
    draft what issuing it today would freeze (live company and customer, the same
    builder as the issue, `sales.mentions.build_mentions`)."""
    if invoice.is_issued:
        return {"seller": invoice.seller, "buyer": invoice.buyer, "mentions": invoice.mentions}
    company, customer = invoice.company, invoice.customer
    lines = list(invoice.lines.all())
    try:
        installments = schedules.resolve(
            invoice.schedule or [], invoice.total_incl_vat, clock.today(), invoice.terms_kind
        )
    except DomainError:  # a schedule that cannot be issued today: the page says why
        installments = []
    return {
        "seller": seller_snapshot(company),
        "buyer": buyer_snapshot(customer),
        "mentions": build_mentions(invoice, company, customer, lines, installments),
    }
