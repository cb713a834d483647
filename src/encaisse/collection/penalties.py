"""What lateness costs an invoice's customer on a date, under the regime
`legal.late_payment_regime` decides for the invoice.

Commercial (a professional buyer, C. com. L.441-10, D.441-5): penalties run from the day
after each installment's due date, no reminder needed, at the invoice's contractual rate
(snapshotted in its mentions at issue) or else the ECB rate in force on 1 January (for
January–June) or 1 July (for July–December) plus 10 points; and a 40 EUR recovery fee
per invoice paid late.

Consumer (C. civ. 1231-6, 1344-1): interest at the legal rate (the rate of creditors who
are not private persons, fixed per half-year) only from the day after the first formal
notice naming the installment was sent; no fee. Formal notices are dunning's records:
dunning registers the lookup (`register_formal_notices`), so this app never imports it.

Either way, the base on a day is the amount still unpaid that day: the allocations in
force on `as_of` (receivables.selectors.active_on) each reduce it from the day after
their credit's date (Allocation.paid_on: the day the bank credited the payment, a
cheque's remittance, a credit note's issue), whatever the day they were matched on. So
matching a payment late never costs the customer more, and a figure for a past date is
the same whenever it is asked for. The day of payment counts: days late = payment date −
due date. Periods are split at 1 January and 1 July and wherever the base changes; each
period's amount is base × rate × days / day count (365, or 360 if the company chose it
for its penalties), rounded to the cent per period, and the total is the sum of the
rounded periods (the figure a letter shows line by line adds up).

Penalties, interest and the fee are damages, not the price of a supply: outside the
scope of VAT, so no VAT is ever computed on them here.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from encaisse.errors import Conflict
from encaisse.legal import (
    LEGAL_INTEREST_DAY_COUNT,
    LEGAL_MARGIN,
    RECOVERY_FEE,
    LatePaymentRegime,
    late_payment_regime,
)
from encaisse.money import HUNDRED, ZERO, format_decimal, q2
from encaisse.receivables.models import Allocation
from encaisse.receivables.selectors import active_on
from encaisse.sales.models import DocumentStatus

from .models import ReferenceRate
from .rates import half_year_end, half_year_start, rate_on

DAY = dt.timedelta(days=1)

# (invoice, as_of) -> {installment id: the day the first formal notice naming it was
# sent, among those sent by as_of}. Set by dunning at start-up; none known until then.
FormalNotices = Callable[[object, dt.date], dict[int, dt.date]]
_formal_notices: FormalNotices = lambda invoice, as_of: {}  # noqa: E731


def register_formal_notices(lookup: FormalNotices) -> None:
    """Called once by the app that keeps the formal notices (dunning.apps)."""
    global _formal_notices
    _formal_notices = lookup


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
    penalties: Decimal  # L.441-10 penalties, or a consumer's legal interest
    recovery_fee: Decimal
    regime: LatePaymentRegime
    late: bool  # some installment was left unpaid after its due date
    # Consumer: the first formal notice sent (by as_of) for an installment; None before.
    formal_notice_on: dt.date | None = None

    @property
    def total(self) -> Decimal:
        return self.penalties + self.recovery_fee

    @property
    def is_consumer(self) -> bool:
        return self.regime is LatePaymentRegime.CONSUMER


def penalties(invoice, as_of: dt.date) -> PenaltyTable:
    """The penalty table of an issued invoice on `as_of` (see the module docstring)."""
    if not invoice.kind_spec.creates_receivable or invoice.status != DocumentStatus.ISSUED:
        raise Conflict("not_an_issued_invoice", "Les pénalités se calculent sur une facture émise.")
    regime = late_payment_regime(invoice)
    consumer = regime is LatePaymentRegime.CONSUMER
    installments = list(invoice.installments.order_by("position"))
    paid = defaultdict(list)  # installment id -> [(paid_on, amount)] in force on as_of
    for pk, paid_on, amount in Allocation.objects.filter(
        active_on(as_of), installment__in=installments
    ).values_list("installment_id", "paid_on", "amount"):
        paid[pk].append((paid_on, amount))
    notices = _formal_notices(invoice, as_of) if consumer else {}
    day_count = LEGAL_INTEREST_DAY_COUNT if consumer else invoice.company.penalty_day_count
    rate_of = _rate_function(invoice, regime)
    periods: list[Period] = []
    late = False
    for installment in installments:
        first = installment.due_date + DAY
        late = late or (first <= as_of and _base(installment, paid[installment.pk], first) > 0)
        if consumer:
            notice = notices.get(installment.pk)
            if notice is None:
                continue
            first = max(first, notice + DAY)
        periods += _periods(installment, paid[installment.pk], first, as_of, day_count, rate_of)
    total = sum((p.amount for p in periods), ZERO)
    fee = RECOVERY_FEE if late and not consumer else ZERO
    notice_on = min(notices.values(), default=None)
    return PenaltyTable(as_of, day_count, periods, total, fee, regime, late, notice_on)


def _rate_function(invoice, regime: LatePaymentRegime):
    """day -> (rate, source) for this invoice: the one place that reads reference rates."""
    if regime is LatePaymentRegime.CONSUMER:
        kind, margin = ReferenceRate.Kind.LEGAL_INTEREST_PRO, ZERO
    else:
        contractual = (invoice.mentions or {}).get("late_penalty_rate") or ""
        if contractual:
            rate = Decimal(contractual)
            source = "Taux contractuel figurant sur la facture"
            return lambda day: (rate, source)
        kind, margin = ReferenceRate.Kind.ECB_MRO, LEGAL_MARGIN

    def published(day):
        start = half_year_start(day)
        rate, source = rate_on(kind, start, invoice.company)
        if kind == ReferenceRate.Kind.ECB_MRO:
            label = f"Taux BCE au {start:%d/%m/%Y} ({format_decimal(rate)} %) + 10 points"
        else:
            label = f"Taux de l'intérêt légal au {start:%d/%m/%Y} (créancier professionnel)"
        return rate + margin, f"{label} — {source}"

    return published


def _tidy(rate: Decimal) -> Decimal:
    """12.150 (as stored, 3 places) -> 12.15; 7.865 stays 7.865."""
    cents = rate.quantize(Decimal("0.01"))
    return cents if cents == rate else rate


def _base(installment, paid, day: dt.date) -> Decimal:
    """What `installment` still owed on `day`: a payment reduces it from the day after
    the money came in (paid on D: D still counts)."""
    return installment.amount - sum((amount for on, amount in paid if on < day), ZERO)


def _periods(installment, paid, first, as_of, day_count, rate_of) -> list[Period]:
    changes = {on + DAY for on, _ in paid}  # the days the base may fall
    periods = []
    start = first
    while start <= as_of:
        end = min(as_of, half_year_end(start))
        later = [day for day in changes if start < day <= end]
        if later:
            end = min(later) - DAY
        base = _base(installment, paid, start)
        if base <= 0:
            break  # paid in full: the base never rises again (only allocations in force)
        rate, source = rate_of(start)
        rate = _tidy(rate)
        days = (end - start).days + 1
        amount = q2(base * rate / HUNDRED * days / day_count)
        periods.append(Period(installment.position, start, end, days, base, rate, amount, source))
        start = end + DAY
    return periods
