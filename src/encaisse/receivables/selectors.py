"""Read queries on receivables, as of a date, set-based.

An allocation counts on day D when allocated_on <= D and (undone_on is null or
undone_on > D); an installment exists from its invoice's issue date, a payment from its
date. So every figure here for a past date is the same whenever it is asked for.

Today's figures come from the stored amounts (Installment.open_amount,
Payment.unallocated_amount, CreditNoteCredit.unallocated_amount: amount − Σ allocations
not undone) whenever they are the figures of the date asked: when nothing of the company
is dated after it (stored_is_current), which is the case of today since no date may be in
the future. Other dates are replayed from the dated allocations. Either way the querysets
carry the same names (`allocated`, `open_amount`, `unallocated`), so callers need not know.
"""

import datetime as dt
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round

from encaisse.money import ZERO
from encaisse.sales.kinds import codes
from encaisse.sales.models import DocumentStatus, Invoice

from .models import Allocation, CreditNoteCredit, Installment, Payment, Refund, WriteOff

MONEY = DecimalField(max_digits=16, decimal_places=2)


def active_on(as_of: dt.date, prefix: str = "") -> Q:
    """Allocations in force on `as_of`."""
    return Q(**{f"{prefix}allocated_on__lte": as_of}) & (
        Q(**{f"{prefix}undone_on__isnull": True}) | Q(**{f"{prefix}undone_on__gt": as_of})
    )


def payment_received_on(prefix: str = "") -> Coalesce:
    """Payment.received_on in SQL: the remittance slip's date of a remitted cheque, else
    the payment's date."""
    return Coalesce(F(f"{prefix}remittance__date"), F(f"{prefix}date"))


def _difference(total: str) -> Round:
    """`total` − allocated, in cents. SQLite keeps decimals as binary floats, so 780.00 −
    779.60 comes back as 0.399999999999977 and would fail `amount <= open_amount`;
    rounding in SQL gives exact cents to comparisons and filters on both databases."""
    return Round(F(total) - F("allocated"), 2, output_field=MONEY)


def _allocated(as_of: dt.date, **link) -> Subquery:
    """Σ allocations in force on `as_of` for the row named by `link` (an OuterRef)."""
    rows = (
        Allocation.objects.filter(active_on(as_of), **link)
        .order_by()
        .values(*link.keys())
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=MONEY), Value(ZERO), output_field=MONEY)


# The latest date of anything that moves a company's receivables: an invoice or credit
# note issued, a payment received, an allocation made or undone (refunds and write-offs
# come with an allocation of their day). Each is one probe of an index's end.
LATEST_SQL = """SELECT
    (SELECT MAX(issue_date) FROM receivables_installment WHERE company_id = %(c)s),
    (SELECT MAX(issue_date) FROM receivables_creditnotecredit WHERE company_id = %(c)s),
    (SELECT MAX(date) FROM receivables_payment WHERE company_id = %(c)s),
    (SELECT MAX(allocated_on) FROM receivables_allocation WHERE company_id = %(c)s),
    (SELECT MAX(undone_on) FROM receivables_allocation
     WHERE company_id = %(c)s AND undone_on IS NOT NULL)"""


_answers: ContextVar[dict | None] = ContextVar("stored_is_current", default=None)


@contextmanager
def one_reading():
    """Within the block, stored_is_current asks the database once per company and date:
    for a report that reads several selectors in a row and writes nothing (the
    statement)."""
    token = _answers.set({})
    try:
        yield
    finally:
        _answers.reset(token)


def stored_is_current(company, as_of: dt.date) -> bool:
    """Whether the stored amounts are the figures of `as_of`: nothing of the company is
    dated after it (so every allocation made counts, every undo has happened). True for
    today, since the services refuse dates in the future; a date before the latest
    movement is replayed."""
    if as_of == dt.date.max:
        return True
    key = (getattr(company, "pk", company), as_of)
    answers = _answers.get()
    if answers is not None and key in answers:
        return answers[key]
    with connection.cursor() as cursor:
        cursor.execute(LATEST_SQL, {"c": key[0]})
        latest = [day for day in cursor.fetchone() if day is not None]
    # SQLite returns the dates as text (no column type on an aggregate).
    current = all(
        (day if isinstance(day, dt.date) else dt.date.fromisoformat(day)) <= as_of for day in latest
    )
    if answers is not None:
        answers[key] = current
    return current


def _replayed(qs, name: str, expression):
    """`qs` annotated with `expression` under the name of a stored column, which it then
    replaces in filters, values() and on the instances. Django's annotate() refuses a
    field's name; the query's own add_annotation() takes it, which lets a past date's
    queryset read exactly like today's."""
    qs = qs.all()
    qs.query.add_annotation(expression, name)
    return qs


def _stored(expression) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=MONEY)


def installments_as_of(company, as_of: dt.date, customer=None):
    """Installments issued by `as_of`, annotated with `allocated` and `open_amount`."""
    return _installments(company, as_of, customer)


def open_installments(company, as_of: dt.date, customer=None):
    """Installments owing something on `as_of` (open_amount > 0)."""
    return _installments(company, as_of, customer, owing=True)


def _installments(company, as_of: dt.date, customer=None, owing: bool = False):
    qs = Installment.objects.filter(company=company)
    if customer is not None:
        qs = qs.filter(customer=customer)
    if stored_is_current(company, as_of):
        qs = qs.annotate(allocated=_stored(F("amount") - F("open_amount")))
        return qs.filter(open_amount__gt=0) if owing else qs
    qs = qs.filter(issue_date__lte=as_of)
    if owing:
        # A row settled by as_of and never reopened is closed that day (see
        # Installment.settled_on): only the others get their allocations summed.
        qs = qs.filter(Q(settled_on__isnull=True) | Q(settled_on__gt=as_of) | Q(reopened=True))
    qs = qs.annotate(allocated=_allocated(as_of, installment=OuterRef("pk")))
    qs = _replayed(qs, "open_amount", _difference("amount"))
    return qs.filter(open_amount__gt=0) if owing else qs


def payments_as_of(company, as_of: dt.date, customer=None):
    """Payments received by `as_of` with their `unallocated` part on that date."""
    qs = Payment.objects.filter(company=company)
    if customer is not None:
        qs = qs.filter(customer=customer)
    if stored_is_current(company, as_of):
        return qs.annotate(
            allocated=_stored(F("amount") - F("unallocated_amount")),
            unallocated=F("unallocated_amount"),
        )
    return (
        qs.filter(date__lte=as_of)
        .annotate(allocated=_allocated(as_of, payment=OuterRef("pk")))
        .annotate(unallocated=_difference("amount"))
    )


def credit_notes_as_of(company, as_of: dt.date, customer=None):
    """Credit notes issued by `as_of` with their `unallocated` part on that date."""
    qs = Invoice.objects.filter(
        company=company,
        kind__in=codes(creates_receivable=False),
        status=DocumentStatus.ISSUED,
    )
    if customer is not None:
        qs = qs.filter(customer=customer)
    if stored_is_current(company, as_of):
        stored = F("stored_credit__unallocated_amount")
        return qs.annotate(
            allocated=_stored(F("total_incl_vat") - stored), unallocated=_stored(stored)
        )
    return (
        qs.filter(issue_date__lte=as_of)
        .annotate(allocated=_allocated(as_of, credit_note=OuterRef("pk")))
        .annotate(unallocated=_difference("total_incl_vat"))
    )


def _total(qs, field: str) -> Coalesce:
    """Σ `field` over `qs` (rows of one customer) as a scalar subquery."""
    rows = qs.order_by().values("customer_id").annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(rows, output_field=MONEY), Value(ZERO), output_field=MONEY)


def customer_balance(customer, as_of: dt.date) -> Decimal:
    """What the customer owes on `as_of`: invoices − credit notes − payments + refunds
    − write-offs. Allocations only say which credit settles which debit, so today it is
    also its open installments − what its payments and credit notes still hold (refunds
    and write-offs are allocated in full when made): three sums over the rows still open,
    from the stored amounts' partial indexes. One statement of subqueries either way,
    not one round trip each (the statement's budget is 50 ms)."""
    mine = {"customer_id": customer.pk}
    if stored_is_current(customer.company_id, as_of):
        mine["company_id"] = customer.company_id  # the partial indexes' first column
        owing, held, noted = (
            type(customer)
            .objects.filter(pk=customer.pk)
            .values_list(
                _total(Installment.objects.filter(open_amount__gt=0, **mine), "open_amount"),
                _total(
                    Payment.objects.filter(unallocated_amount__gt=0, **mine),
                    "unallocated_amount",
                ),
                _total(
                    CreditNoteCredit.objects.filter(unallocated_amount__gt=0, **mine),
                    "unallocated_amount",
                ),
            )
            .get()
        )
        return owing - held - noted
    totals = (
        type(customer)
        .objects.filter(pk=customer.pk)
        .values_list(
            _total(Installment.objects.filter(issue_date__lte=as_of, **mine), "amount"),
            _total(
                Invoice.objects.filter(
                    kind__in=codes(creates_receivable=False),
                    status=DocumentStatus.ISSUED,
                    issue_date__lte=as_of,
                    company_id=customer.company_id,
                    **mine,
                ),
                "total_incl_vat",
            ),
            _total(Payment.objects.filter(date__lte=as_of, **mine), "amount"),
            _total(Refund.objects.filter(date__lte=as_of, **mine), "amount"),
            _total(WriteOff.objects.filter(date__lte=as_of, **mine), "amount"),
        )
        .get()
    )
    invoiced, credited, paid, refunded, written_off = totals
    return invoiced - credited - paid + refunded - written_off


class InvoiceStatus:
    OPEN = "open"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    OVERDUE = "overdue"

    LABELS = {
        OPEN: "À régler",
        PARTLY_PAID: "Partiellement réglée",
        PAID: "Réglée",
        OVERDUE: "En retard",
    }


def invoice_status(invoice: Invoice, as_of: dt.date) -> str:
    """Open, partly paid, paid or overdue on `as_of`: derived, never stored."""
    rows = list(
        installments_as_of(invoice.company, as_of)
        .filter(invoice=invoice)
        .values("due_date", "amount", "open_amount")
    )
    open_total = sum((r["open_amount"] for r in rows), ZERO)
    if rows and open_total == 0:
        return InvoiceStatus.PAID
    if any(r["open_amount"] > 0 and r["due_date"] < as_of for r in rows):
        return InvoiceStatus.OVERDUE
    if open_total < sum((r["amount"] for r in rows), ZERO):
        return InvoiceStatus.PARTLY_PAID
    return InvoiceStatus.OPEN
