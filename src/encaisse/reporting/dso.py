"""DSO (délai moyen de règlement clients), two methods, with their workings shown.

- simple: receivables on D ÷ revenue incl. VAT of the period ending on D × days of the
  period;
- countback (épuisement du chiffre d'affaires): the receivables on D are absorbed by the
  revenue of each month going back from D; each month fully absorbed counts its days, the
  last one the fraction absorbed.
Receivables are the aged balance's total on D (invoices − credit notes − payments +
refunds − write-offs); revenue is invoices − credit notes issued in the period, incl. VAT.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Sum

from encaisse.errors import ValidationFailed
from encaisse.money import ZERO
from encaisse.sales.kinds import KINDS
from encaisse.sales.models import DocumentStatus, Invoice

from .aged_balance import aged_balance

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


def _revenue_by_month(company, periods, customer_ids=None) -> dict:
    """{(customer_id, month index): revenue incl. VAT}, invoices − credit notes."""
    first, last = periods[-1][0], periods[0][1]
    qs = Invoice.objects.filter(
        company=company, status=DocumentStatus.ISSUED, issue_date__range=(first, last)
    )
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    totals: dict = defaultdict(lambda: ZERO)
    rows = qs.values("customer_id", "issue_date", "kind").annotate(t=Sum("total_incl_vat"))
    for row in rows:
        index = next(
            i for i, (start, end) in enumerate(periods) if start <= row["issue_date"] <= end
        )
        sign = KINDS[row["kind"]].sign
        totals[(row["customer_id"], index)] += sign * row["t"]
    return totals


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


def dso(company, as_of: dt.date, months: int = 12, customer=None) -> Dso:
    if not 1 <= months <= 36:
        raise ValidationFailed("invalid_months", "La période va de 1 à 36 mois.", "months")
    periods = _months(as_of, months)
    ids = [customer.pk] if customer is not None else None
    balance = aged_balance(company, as_of, **({"customer": customer.pk} if customer else {}))
    revenue = _revenue_by_month(company, periods, ids)
    by_month = [
        Month(start, end, sum((v for (c, i), v in revenue.items() if i == index), ZERO))
        for index, (start, end) in enumerate(periods)
    ]
    return _compute(as_of, months, balance.balance, by_month)


def dso_by_customer(company, as_of: dt.date, months: int = 12) -> list[tuple]:
    """[(customer row of the aged balance, Dso)] for every customer with a balance."""
    periods = _months(as_of, months)
    balance = aged_balance(company, as_of)
    revenue = _revenue_by_month(company, periods, [r.customer_id for r in balance.rows])
    result = []
    for row in balance.rows:
        by_month = [
            Month(start, end, revenue.get((row.customer_id, index), ZERO))
            for index, (start, end) in enumerate(periods)
        ]
        result.append((row, _compute(as_of, months, row.balance, by_month)))
    return result


def dso_trend(company, as_of: dt.date, months: int = 3, points: int = 12) -> list[Dso]:
    """The DSO at the end of each of the last `points` months (and on `as_of`)."""
    dates = [as_of] + [
        (as_of.replace(day=1) - relativedelta(months=n)) + relativedelta(months=1) - ONE_DAY
        for n in range(1, points)
    ]
    return [dso(company, day, months) for day in sorted(dates)]
