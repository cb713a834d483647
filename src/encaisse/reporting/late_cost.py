"""Cost of late payment: what financing the overdue receivables costs the company.

Per customer, Σ over its overdue installments of open amount × days late × the company's
financing rate / 365, as of a date. An installment is late from the day after its due
date; its open amount is net of the allocations in force on that date (a partial payment
lowers it). This is the cost of what is overdue now, carried since its due date: a
simplification that ignores the days already paid for by earlier partial payments, and
what the late invoices already paid cost while they were late.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from encaisse.money import HUNDRED, ZERO, q2
from encaisse.receivables.selectors import open_installments

DAYS_A_YEAR = Decimal(365)


@dataclass
class LateCostRow:
    customer_id: int
    customer_name: str
    overdue: Decimal = ZERO  # Σ open amounts past due
    amount_days: Decimal = ZERO  # Σ open amount × days late
    rate: Decimal | None = None

    @property
    def average_days_late(self) -> Decimal:
        """Days late weighted by amount: what one day of financing is multiplied by."""
        return (self.amount_days / self.overdue).quantize(Decimal("0.1")) if self.overdue else ZERO

    @property
    def cost(self) -> Decimal | None:
        """Rounded per customer; None while the company's rate is unknown."""
        if self.rate is None:
            return None
        return q2(self.amount_days * self.rate / HUNDRED / DAYS_A_YEAR)


@dataclass
class LateCost:
    as_of: dt.date
    rate: Decimal | None
    rows: list[LateCostRow] = field(default_factory=list)

    @property
    def overdue(self) -> Decimal:
        return sum((r.overdue for r in self.rows), ZERO)

    @property
    def cost(self) -> Decimal | None:
        """The sum of the customers' rounded costs, so that the total is the sum of the
        lines shown."""
        if self.rate is None:
            return None
        return sum((r.cost for r in self.rows), ZERO)


def late_cost(company, as_of: dt.date, customer=None) -> LateCost:
    """The cost of late payment of `company` (or of one `customer`) on `as_of`.

    One query: the open installments due before `as_of` with their open amount; days
    differ per installment, so the products are summed here rather than in SQL (date
    arithmetic is not the same on SQLite and PostgreSQL).
    """
    rate = company.financing_rate
    items = (
        # Today the stored open amounts; a past date skips the rows settled by then
        # before summing allocations (receivables.selectors.open_installments).
        open_installments(company, as_of, customer)
        .filter(due_date__lt=as_of)
        .order_by()
        .values_list("customer_id", "customer__legal_name", "due_date", "open_amount")
    )
    rows: dict[int, LateCostRow] = {}
    for customer_id, name, due, open_amount in items:
        row = rows.get(customer_id)
        if row is None:
            row = rows[customer_id] = LateCostRow(customer_id, name, rate=rate)
        open_amount = q2(open_amount)
        row.overdue += open_amount
        row.amount_days += open_amount * (as_of - due).days
    return LateCost(
        as_of, rate, sorted(rows.values(), key=lambda r: (-r.amount_days, r.customer_name))
    )
