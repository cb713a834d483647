"""A customer's account as of a date: open items, credits, allocations, balance, and how
the customer pays (average days late). The relevé de compte prints from this."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max, Sum

from encaisse.money import ZERO
from encaisse.receivables.models import Allocation
from encaisse.receivables.selectors import (
    active_on,
    credit_notes_as_of,
    customer_balance,
    one_reading,
    open_installments,
    payments_as_of,
)

DAYS_PLACES = Decimal("0.1")


@dataclass(frozen=True)
class OpenItem:
    kind: str  # "payment", or the document's kind ("invoice", "credit_note": sales.kinds)
    reference: str
    date: dt.date
    due_date: dt.date | None
    amount: Decimal
    open_amount: Decimal  # positive: owed by the customer; negative: a credit
    days_overdue: int


@dataclass
class PaymentBehaviour:
    settled: int  # installments fully settled (last 12 months)
    average_days_late: Decimal | None
    paid_late_share: Decimal | None  # share of those settled after their due date, in %


@dataclass
class Statement:
    customer: object
    as_of: dt.date
    items: list[OpenItem] = field(default_factory=list)
    allocations: list = field(default_factory=list)
    balance: Decimal = ZERO
    behaviour: PaymentBehaviour | None = None

    @property
    def overdue(self) -> Decimal:
        return sum((i.open_amount for i in self.items if i.days_overdue > 0), ZERO)


def payment_behaviour(customer, as_of: dt.date, months: int = 12) -> PaymentBehaviour:
    """Over the installments settled in the last `months` months before `as_of`: the
    average days between due date and settlement (0 when paid on time) and the share
    paid late. An installment is settled when the allocations in force on `as_of` cover
    it, on the day the last of their money came in (Allocation.paid_on), not the day it
    was matched: matching late does not make a customer look late."""
    since = as_of - dt.timedelta(days=round(months * 30.44))
    rows = (
        Allocation.objects.filter(
            active_on(as_of), customer=customer, installment__isnull=False, paid_on__lte=as_of
        )
        .values("installment_id", "installment__amount", "installment__due_date")
        .annotate(total=Sum("amount"), settled_on=Max("paid_on"))
    )
    delays = [
        max(0, (r["settled_on"] - r["installment__due_date"]).days)
        for r in rows
        if r["total"] == r["installment__amount"] and r["settled_on"] >= since
    ]
    if not delays:
        return PaymentBehaviour(0, None, None)
    average = (Decimal(sum(delays)) / len(delays)).quantize(DAYS_PLACES)
    late = (Decimal(sum(1 for d in delays if d > 0)) * 100 / len(delays)).quantize(DAYS_PLACES)
    return PaymentBehaviour(len(delays), average, late)


def statement(customer, as_of: dt.date) -> Statement:
    with one_reading():  # today: the stored amounts, asked once whether they are current
        return _statement(customer, as_of)


def _statement(customer, as_of: dt.date) -> Statement:
    company = customer.company
    items = [
        OpenItem(
            i.invoice.kind,
            i.invoice.number,
            i.issue_date,
            i.due_date,
            i.amount,
            i.open_amount,
            max(0, (as_of - i.due_date).days),
        )
        for i in open_installments(company, as_of, customer)
        .select_related("invoice")
        .order_by("due_date", "pk")
    ]
    items += [
        OpenItem("payment", p.number or p.reference, p.date, None, p.amount, -p.unallocated, 0)
        for p in payments_as_of(company, as_of, customer).filter(unallocated__gt=0)
    ]
    items += [
        OpenItem(n.kind, n.number, n.issue_date, None, n.total_incl_vat, -n.unallocated, 0)
        for n in credit_notes_as_of(company, as_of, customer).filter(unallocated__gt=0)
    ]
    items.sort(key=lambda i: (i.date, i.reference))
    allocations = list(
        Allocation.objects.filter(customer=customer, allocated_on__lte=as_of)
        .select_related("installment__invoice", "payment", "credit_note", "write_off", "refund")
        .order_by("-allocated_on", "-pk")
    )
    return Statement(
        customer,
        as_of,
        items,
        allocations,
        customer_balance(customer, as_of),
        payment_behaviour(customer, as_of),
    )
