"""For random books, the report's arithmetic holds on every date:

    book balance + (d + e) − (a + b + c) + the bank's unimported opening = bank balance

with the book balance equal to the payments less the refunds dated by then (computed
here from what was recorded), the bank balance equal to the opening plus the lines booked
by then, and every item in the section its sign and kind say.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from encaisse.banking.reconciliation_report import reconciliation_report
from encaisse.receivables.services.allocation import refund
from encaisse.receivables.services.payments import create_remittance_slip
from tests.banking import factories_report as bank

pytestmark = pytest.mark.django_db

START = dt.date(2026, 9, 1)
cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)
day = st.integers(min_value=0, max_value=40)

payment = st.fixed_dictionaries(
    {
        "day": day,
        "amount": cents,
        "method": st.sampled_from(["transfer", "cheque", "card"]),
        # None: never on the bank; else days after receipt, then days to match it
        "credited_after": st.none() | st.integers(0, 10),
        "matched_after": st.none() | st.integers(0, 10),
        "undone_after": st.none() | st.integers(0, 10),
        "refund": st.none() | st.integers(1, 100),  # % of the amount paid back
    }
)
extra_line = st.tuples(day, cents, st.booleans())  # day, amount, debit?


@given(
    payments=st.lists(payment, max_size=6),
    extra=st.lists(extra_line, max_size=4),
    opening=st.integers(-100_000, 100_000).map(lambda c: Decimal(c) / 100),
    remit=st.booleans(),
    dates=st.lists(st.integers(0, 60), min_size=1, max_size=4),
)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_identity_holds_for_random_books(
    company, admin, pay, payments, extra, opening, remit, dates
):
    with transaction.atomic():
        account = bank.account(company)
        recorded, lines, refunds = [], [], []
        for spec in payments:
            made = pay(
                str(spec["amount"]), START + dt.timedelta(spec["day"]), method=spec["method"]
            )
            recorded.append((spec, made))
        cheques = [(s, p) for s, p in recorded if s["method"] == "cheque"]
        slip = None
        if remit and cheques:
            slip_day = max(p.date for _, p in cheques) + dt.timedelta(days=1)
            slip = create_remittance_slip(
                company, [p.pk for _, p in cheques], by=admin, on=slip_day
            )
        for spec, made in recorded:
            if spec["refund"] is not None and spec["method"] != "cheque":
                amount = max(
                    Decimal("0.01"), (made.amount * spec["refund"] / 100).quantize(Decimal("0.01"))
                )
                refunds.append(refund(made, amount, by=admin, on=made.date + dt.timedelta(days=2)))
        # The bank's side: a line per credited payment (the slip's cheques in one line),
        # refunds debited, extra lines, in one statement.
        wanted = []  # (booking day, amount, label, counterpart, matched_after, undone_after)
        for spec, made in recorded:
            if spec["credited_after"] is None or (slip and made.remittance_id):
                continue
            wanted.append(
                (
                    made.date + dt.timedelta(spec["credited_after"]),
                    made.amount,
                    "VIR",
                    {"payment": made},
                    spec["matched_after"],
                    spec["undone_after"],
                )
            )
        if slip is not None:
            total = sum((p.amount for _, p in cheques), Decimal("0"))
            wanted.append(
                (slip.date + dt.timedelta(2), total, "REMISE", {"remittance": slip}, 1, None)
            )
        for money_back in refunds:
            wanted.append(
                (
                    money_back.date + dt.timedelta(1),
                    -money_back.amount,
                    "VIR EMIS",
                    {"refund": money_back},
                    0,
                    None,
                )
            )
        for offset, amount, debit in extra:
            wanted.append(
                (
                    START + dt.timedelta(offset),
                    -amount if debit else amount,
                    "DIVERS",
                    None,
                    None,
                    None,
                )
            )
        last = max([w[0] for w in wanted], default=START)
        _, made_lines = bank.statement(
            account,
            opening=(START, str(opening)),
            closing=(last, str(opening + sum((w[1] for w in wanted), Decimal("0")))),
            lines=[(w[0], str(w[1]), w[2]) for w in wanted],
        )
        for line, (_, _, _, counterpart, matched_after, undone_after) in zip(
            made_lines, wanted, strict=True
        ):
            if counterpart is None or matched_after is None:
                continue
            made = bank.match(
                line, on=line.booking_date + dt.timedelta(matched_after), **counterpart
            )
            if undone_after is not None:
                bank.undo(made, on=made.matched_on + dt.timedelta(undone_after))
            lines.append(line)

        for offset in dates:
            as_of = START + dt.timedelta(offset)
            report = reconciliation_report(account, as_of, limit=None)
            paid = sum((p.amount for _, p in recorded if p.date <= as_of), Decimal("0"))
            paid_back = sum((r.amount for r in refunds if r.date <= as_of), Decimal("0"))
            assert report.book_balance == paid - paid_back
            booked = sum((w[1] for w in wanted if w[0] <= as_of), Decimal("0"))
            assert report.bank.amount == opening + booked
            assert report.residual == opening == report.unimported
            assert (
                report.book_balance + report.bank_items - report.book_items + opening
                == report.bank.amount
            )
            for section in report.sections:
                assert section.total == sum((i.amount for i in section.items), Decimal("0"))
                assert section.count == len(section.items)
                for item in section.items:
                    assert item.date <= as_of and item.age == (as_of - item.date).days
                    if section.key == "debits":
                        assert item.kind == "line" and item.amount < 0
                    if section.key == "credits":
                        assert item.kind == "line" and item.amount > 0
                    if section.key == "cheques":
                        assert item.kind == "slip"
        transaction.set_rollback(True)
