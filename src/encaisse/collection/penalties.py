"""Late-payment penalties and the recovery fee of an invoice on a date (C. com. L.441-10,
D.441-5).

Penalties run from the day after each installment's due date, on the amount still unpaid
that day, until it is paid (the day of payment counts: days late = payment date − due
date) or until `as_of`. The rate is the invoice's contractual rate (snapshotted in its
mentions at issue) or else the ECB rate in force on 1 January (for January–June) or
1 July (for July–December) plus 10 points. Periods are split at 1 January and 1 July and
wherever the unpaid base changes; each period's amount is base × rate × days / day count
(365 by default, 360 if the company chose it), rounded to the cent per period, and the
total is the sum of the rounded periods (the figure a letter shows line by line adds up).

Penalties and the 40 EUR fee are damages, not the price of a supply: outside the scope of
VAT, so no VAT is ever computed on them here.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from encaisse.errors import Conflict
from encaisse.money import HUNDRED, ZERO, format_decimal, q2
from encaisse.sales.models import DocumentKind, DocumentStatus

from .models import ReferenceRate
from .rates import half_year_end, half_year_start, rate_on

LEGAL_MARGIN = Decimal("10")  # points over the ECB rate (L.441-10)
RECOVERY_FEE = Decimal("40.00")  # per invoice, professional customers only (D.441-5)
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    installment: int  # position of the installment in the invoice's schedule
    start: dt.date
    end: dt.date  # inclusive
    days: int
    base: Decimal
    rate: Decimal  # percent a year
    amount: Decimal
    source: str


@dataclass(frozen=True)
class PenaltyTable:
    as_of: dt.date
    day_count: int
    periods: list[Period]
    penalties: Decimal
    recovery_fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.penalties + self.recovery_fee


def penalties(invoice, as_of: dt.date) -> PenaltyTable:
    """The penalty table of an issued invoice on `as_of` (see the module docstring)."""
    if invoice.kind != DocumentKind.INVOICE or invoice.status != DocumentStatus.ISSUED:
        raise Conflict("not_an_issued_invoice", "Les pénalités se calculent sur une facture émise.")
    day_count = invoice.company.penalty_day_count
    rate_of = _rate_function(invoice)
    periods: list[Period] = []
    for installment in invoice.installments.order_by("position"):
        periods += _installment_periods(installment, as_of, day_count, rate_of)
    total = sum((p.amount for p in periods), ZERO)
    late = bool(periods)  # some day after a due date was left unpaid
    fee = RECOVERY_FEE if late and invoice.customer.is_professional else ZERO
    return PenaltyTable(as_of, day_count, periods, total, fee)


def _rate_function(invoice):
    """day -> (rate, source) for this invoice."""
    contractual = (invoice.mentions or {}).get("late_penalty_rate") or ""
    if contractual:
        rate = Decimal(contractual)
        source = "Taux contractuel figurant sur la facture"
        return lambda day: (rate, source)

    def legal(day):
        start = half_year_start(day)
        ecb, source = rate_on(ReferenceRate.Kind.ECB_MRO, start, invoice.company)
        return (
            ecb + LEGAL_MARGIN,
            f"Taux BCE au {start:%d/%m/%Y} ({format_decimal(ecb)} %) + 10 points — {source}",
        )

    return legal


def _tidy(rate: Decimal) -> Decimal:
    """12.150 (as stored, 3 places) -> 12.15; 7.865 stays 7.865."""
    cents = rate.quantize(Decimal("0.01"))
    return cents if cents == rate else rate


def _installment_periods(installment, as_of, day_count, rate_of) -> list[Period]:
    first = installment.due_date + DAY
    if as_of < first:
        return []
    allocations = list(installment.allocations.values_list("amount", "allocated_on", "undone_on"))

    def base_on(day):
        # Paid on D: D still counts, the base falls from D + 1 (same rule as active_on,
        # applied to the eve of `day`).
        eve = day - DAY
        paid = sum(
            (
                amount
                for amount, on, undone in allocations
                if on <= eve and (undone is None or undone > eve)
            ),
            ZERO,
        )
        return installment.amount - paid

    # Days where the base may change: the day after an allocation and after its undoing.
    changes = {on + DAY for _, on, _ in allocations} | {
        undone + DAY for _, _, undone in allocations if undone is not None
    }
    periods = []
    start = first
    while start <= as_of:
        end = min(as_of, half_year_end(start))
        later = [day for day in changes if start < day <= end]
        if later:
            end = min(later) - DAY
        base = base_on(start)
        if base > 0:
            rate, source = rate_of(start)
            rate = _tidy(rate)
            days = (end - start).days + 1
            amount = q2(base * rate / HUNDRED * days / day_count)
            periods.append(
                Period(installment.position, start, end, days, base, rate, amount, source)
            )
        start = end + DAY
    return periods
