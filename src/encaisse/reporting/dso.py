"""DSO (délai moyen de règlement clients), two methods, with their workings shown.

- simple: receivables on D ÷ revenue incl. VAT of the period ending on D × days of the
  period;
- countback (épuisement du chiffre d'affaires): the receivables on D are absorbed by the
  revenue of each month going back from D; each month fully absorbed counts its days, the
  last one the fraction absorbed.
Receivables are the aged balance's total on D (invoices − credit notes − payments +
refunds − write-offs); revenue is invoices − credit notes issued in the period, incl. VAT.

Set-based: the company's (or a customer's) receivables on any number of dates come from
one pass over the documents grouped by day (`receivables_on`: what each day added to or
took from the receivables, summed up to each date), and the revenue of any number of
months from one query grouped by day (`_daily_revenue`), never from an aged balance per
date nor a loop over invoices. The per-customer figures are computed for the rows asked
(a page of them), the receivables of each taken from the aged balance's rows.
"""

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from dateutil.relativedelta import relativedelta
from django.db.models import Q, Sum

from encaisse.errors import ValidationFailed
from encaisse.money import ZERO
from encaisse.receivables.models import Allocation, Installment, Payment
from encaisse.sales.kinds import KINDS, codes
from encaisse.sales.models import DocumentStatus, Invoice

from .aged_balance import AgedRow, aged_balance, sql_money

ONE_DAY = dt.timedelta(days=1)
DAYS_PLACES = Decimal("0.1")


@dataclass(frozen=True)
class Month:
    start: dt.date  # first day counted
    end: dt.date  # last day counted
    revenue: Decimal

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class CountbackStep:
    month: Month
    absorbed: Decimal
    days: Decimal


@dataclass
class Dso:
    as_of: dt.date
    months: int
    receivables: Decimal
    revenue: Decimal  # over the period
    period_days: int
    simple: Decimal | None  # None when there was no revenue
    countback: Decimal | None
    steps: list[CountbackStep] = field(default_factory=list)


def _months(as_of: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """The `count` month-long periods ending on `as_of`, newest first: (start, end).
    Counted back from the day after `as_of`, so a month-end date gives calendar months."""
    periods = []
    end = as_of
    for n in range(1, count + 1):
        start = as_of + ONE_DAY - relativedelta(months=n)
        periods.append((start, end))
        end = start - ONE_DAY
    return periods


def _compute(as_of, months, receivables, revenues: list[Month]) -> Dso:
    revenue = sum((m.revenue for m in revenues), ZERO)
    period_days = sum(m.days for m in revenues)
    simple = (receivables / revenue * period_days).quantize(DAYS_PLACES) if revenue > 0 else None
    steps, left, days = [], receivables, Decimal(0)
    if receivables <= 0:
        countback = Decimal(0)
    else:
        for month in revenues:
            if left <= 0:
                break
            if month.revenue <= 0:
                steps.append(CountbackStep(month, ZERO, Decimal(month.days)))
                days += month.days
                continue
            absorbed = min(left, month.revenue)
            part = (
                Decimal(month.days)
                if absorbed == month.revenue
                else (absorbed / month.revenue * month.days)
            )
            steps.append(CountbackStep(month, absorbed, part.quantize(DAYS_PLACES)))
            days += part
            left -= absorbed
        # Receivables beyond the months looked at: the DSO is at least the whole period.
        countback = days.quantize(DAYS_PLACES) if left <= 0 else None
    return Dso(as_of, months, receivables, revenue, period_days, simple, countback, steps)


class _Daily:
    """Amounts per day, summed over any range of days in O(log n)."""

    def __init__(self, amounts: dict):
        self.days = sorted(amounts)
        self.totals = [ZERO, *accumulate(amounts[d] for d in self.days)]

    def up_to(self, day: dt.date) -> Decimal:
        return self.totals[bisect_right(self.days, day)]

    def between(self, start: dt.date, end: dt.date) -> Decimal:
        return self.up_to(end) - self.totals[bisect_left(self.days, start)]


def _by_day(queryset, day: str, **sums) -> list[dict]:
    return list(queryset.order_by().values(day).annotate(**sums))


def receivables_on(company, dates, customer=None) -> dict[dt.date, Decimal]:
    """{date: what the customers (or `customer`) owe on it}: installments − credit notes −
    payments + refunds − write-offs, each counted from its day (an allocation to a refund
    or a write-off while in force). The aged balance's total on each date (tested
    against it), from one query per kind of document grouped by day."""
    last = max(dates)
    scope = {"company": company} | ({"customer": customer} if customer is not None else {})
    flows: dict = defaultdict(lambda: ZERO)

    def add(rows, day, column, sign):
        for row in rows:
            flows[row[day]] += sign * sql_money(row[column])

    add(
        _by_day(
            Installment.objects.filter(**scope, issue_date__lte=last), "issue_date", t=Sum("amount")
        ),
        "issue_date",
        "t",
        1,
    )
    notes = Invoice.objects.filter(
        **scope,
        kind__in=codes(creates_receivable=False),
        status=DocumentStatus.ISSUED,
        issue_date__lte=last,
    )
    add(_by_day(notes, "issue_date", t=Sum("total_incl_vat")), "issue_date", "t", -1)
    payments = Payment.objects.filter(**scope, date__lte=last)
    add(_by_day(payments, "date", t=Sum("amount")), "date", "t", -1)
    # Refunds and write-offs count through their allocations, from the day they were made
    # until the day one is undone, as the aged balance counts them.
    moves = Allocation.objects.filter(**scope).filter(
        Q(refund__isnull=False) | Q(write_off__isnull=False)
    )
    sums = {
        "refunds": Sum("amount", filter=Q(refund__isnull=False)),
        "losses": Sum("amount", filter=Q(write_off__isnull=False)),
    }
    for day, sign in (("allocated_on", 1), ("undone_on", -1)):
        rows = _by_day(moves.filter(**{f"{day}__lte": last}), day, **sums)
        add(rows, day, "refunds", sign)
        add(rows, day, "losses", -sign)
    daily = _Daily(flows)
    return {day: daily.up_to(day) for day in dates}


def _daily_revenue(company, first: dt.date, last: dt.date, customer_ids=None) -> dict:
    """{customer id (None: all): _Daily revenue incl. VAT}, invoices − credit notes."""
    qs = Invoice.objects.filter(
        company=company, status=DocumentStatus.ISSUED, issue_date__range=(first, last)
    )
    group = ["issue_date", "kind"]
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
        group.append("customer_id")
    amounts: dict = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in qs.order_by().values(*group).annotate(t=Sum("total_incl_vat")):
        amounts[row.get("customer_id")][row["issue_date"]] += KINDS[row["kind"]].sign * sql_money(
            row["t"]
        )
    return defaultdict(lambda: _Daily({}), {c: _Daily(a) for c, a in amounts.items()})


def _check_months(months: int) -> None:
    if not 1 <= months <= 36:
        raise ValidationFailed("invalid_months", "La période va de 1 à 36 mois.", "months")


def _dso_on(dates, months: int, receivables: dict, revenue: _Daily) -> list[Dso]:
    result = []
    for day in dates:
        by_month = [
            Month(start, end, revenue.between(start, end)) for start, end in _months(day, months)
        ]
        result.append(_compute(day, months, receivables[day], by_month))
    return result


def dso_at(company, dates, months: int = 12, customer=None) -> list[Dso]:
    """The DSO on each of `dates` (in that order), set-based: one pass for the
    receivables of all dates, one for the revenue of all their months."""
    _check_months(months)
    dates = list(dates)
    receivables = receivables_on(company, dates, customer)
    first = min(_months(day, months)[-1][0] for day in dates)
    ids = [customer.pk] if customer is not None else None
    revenue = _daily_revenue(company, first, max(dates), ids)
    return _dso_on(dates, months, receivables, revenue[customer.pk if customer else None])


def dso(company, as_of: dt.date, months: int = 12, customer=None) -> Dso:
    return dso_at(company, [as_of], months, customer)[0]


def dso_by_customer(
    company, as_of: dt.date, months: int = 12, rows: list[AgedRow] | None = None
) -> list[tuple]:
    """[(customer row of the aged balance, Dso)] for `rows` (a page of the aged balance
    on `as_of`; default: every customer with a balance): their receivables are the rows'
    balances, their revenue one query for them all."""
    _check_months(months)
    if rows is None:
        rows = aged_balance(company, as_of).rows
    periods = _months(as_of, months)
    revenue = _daily_revenue(company, periods[-1][0], as_of, [r.customer_id for r in rows])
    return [
        (row, _dso_on([as_of], months, {as_of: row.balance}, revenue[row.customer_id])[0])
        for row in rows
    ]


def trend_dates(as_of: dt.date, points: int = 12) -> list[dt.date]:
    """The ends of the `points` − 1 months before `as_of`, and `as_of`, oldest first."""
    dates = [as_of] + [
        (as_of.replace(day=1) - relativedelta(months=n)) + relativedelta(months=1) - ONE_DAY
        for n in range(1, points)
    ]
    return sorted(dates)


def dso_trend(company, as_of: dt.date, months: int = 3, points: int = 12) -> list[Dso]:
    """The DSO at the end of each of the last `points` months (and on `as_of`)."""
    return dso_at(company, trend_dates(as_of, points), months)
