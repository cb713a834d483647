"""Properties of the penalty engine whatever the payments and the days they are matched.

Two identical invoices A and B (10 000,00 € TTC, issued 15 Apr 2025, due 15 May 2025) are
paid by the same payments (same days, same amounts); B's are matched on the day they
were received, A's some days later. Then, on any day D:
- once A's payments are all matched (by D), A owes exactly what B owes: the day of the
  matching never matters once it is in force;
- before that, A owes at least what B owes: a payment not matched yet counts for
  nothing, never for more;
- B's figure is the day-by-day sum of base × rate / 365 (computed here independently,
  without periods), give or take half a cent per rounded period.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from encaisse.catalog.services import create_product
from encaisse.collection.penalties import penalties
from encaisse.companies.services import create_company
from encaisse.customers.services import create_customer
from encaisse.receivables.services.allocation import allocate
from encaisse.receivables.services.payments import record_payment
from encaisse.sales.services import create_invoice
from tests.conftest import CUSTOMER, SELLER, issue_on_day

ISSUED = dt.date(2025, 4, 15)
DUE = dt.date(2025, 5, 15)
DAY = dt.timedelta(days=1)
# ECB rate + 10 points (collection 0001): 3.15 % on 1 Jan 2025, 2.15 % on 1 Jul 2025 and
# on 1 Jan 2026.
RATES = {(2025, 1): Decimal("13.15"), (2025, 2): Decimal("12.15"), (2026, 1): Decimal("12.15")}

payments = st.lists(
    st.tuples(
        st.integers(-25, 200),  # received, days after the due date (the issue is 30 before)
        st.integers(1, 2500),  # euros (four at most: never more than the 10 000 owed)
        st.integers(0, 90),  # days between receipt and A's matching
    ),
    max_size=4,
)


def _rate(day: dt.date) -> Decimal:
    return RATES[(day.year, 1 if day.month <= 6 else 2)]


def _by_hand(received: list[tuple[dt.date, Decimal]], as_of: dt.date) -> Decimal:
    """Σ over each late day of base × rate / 100 / 365, unrounded: the base on day X is
    10 000 less what was received before X."""
    total = Decimal(0)
    day = DUE + DAY
    while day <= as_of:
        base = Decimal("10000") - sum((a for on, a in received if on < day), Decimal(0))
        total += base * _rate(day) / 100 / 365
        day += DAY
    return total


class TestPenaltyProperties(TestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(payments, st.integers(0, 290))
    def test_matching_late_never_changes_what_is_owed(self, paid, as_of_days):
        user = get_user_model().objects.create_user("p")
        company = create_company(SELLER, owner=user)
        customer = create_customer(company, CUSTOMER, by=user)
        oven = create_product(
            company,
            {"reference": "F", "label": "Four", "kind": "goods", "unit_price": "8333.33",
             "vat_rate": "20"},
            by=user,
        )  # fmt: skip
        a, b = (
            issue_on_day(
                create_invoice(
                    company,
                    customer=customer,
                    lines=[{"product": oven.pk, "quantity": "1"}],
                    by=user,
                ),
                by=user,
                on=ISSUED,
            )
            for _ in range(2)
        )
        assert a.total_incl_vat == b.total_incl_vat == Decimal("10000.00")
        received, matched = [], []
        for offset, euros, delay in paid:
            on, amount = DUE + dt.timedelta(days=offset), Decimal(euros)
            for invoice, match_on in ((b, on), (a, on + dt.timedelta(days=delay))):
                payment = record_payment(
                    company,
                    {"customer": customer.pk, "amount": amount, "date": on, "method": "transfer"},
                    by=user,
                )
                allocate(payment, [(invoice.installments.get(), amount)], by=user, on=match_on)
            received.append((on, amount))
            matched.append(on + dt.timedelta(days=delay))
        as_of = DUE + dt.timedelta(days=as_of_days)
        late, on_time = penalties(a, as_of), penalties(b, as_of)
        if all(day <= as_of for day in matched):
            assert late == on_time
        else:
            assert late.penalties >= on_time.penalties
        assert late.recovery_fee >= on_time.recovery_fee
        # B against the day-by-day sum, with B's payments received by as_of in force.
        by_hand = _by_hand([(on, amt) for on, amt in received if on <= as_of], as_of)
        assert abs(on_time.penalties - by_hand) <= Decimal("0.005") * len(on_time.periods)
        assert sum(p.days for p in on_time.periods) <= max(0, (as_of - DUE).days)
