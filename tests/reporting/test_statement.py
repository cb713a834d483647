import datetime as dt
from decimal import Decimal as D

from encaisse.receivables.services.allocation import allocate
from encaisse.receivables.services.payments import create_remittance_slip
from encaisse.reporting.statement import statement


def test_statement_items_balance_and_behaviour(invoice_of, pay, admin, customer):
    # I1 5 Jan 780.00 due 4 Feb, paid 14 Feb (10 days late);
    # I2 1 Mar 156.00 due 31 Mar, paid on 31 Mar (on time);
    # I3 1 Apr 390.00 due 1 May, open; a payment of 100.00 on 20 Apr not allocated.
    i1 = invoice_of(10, dt.date(2026, 1, 5))
    allocate(
        pay("780.00", dt.date(2026, 2, 14)),
        [(i1.installments.get(), "780")],
        by=admin,
        on=dt.date(2026, 2, 14),
    )
    i2 = invoice_of(2, dt.date(2026, 3, 1))
    allocate(
        pay("156.00", dt.date(2026, 3, 31)),
        [(i2.installments.get(), "156")],
        by=admin,
        on=dt.date(2026, 3, 31),
    )
    i3 = invoice_of(5, dt.date(2026, 4, 1))
    pay("100.00", dt.date(2026, 4, 20))

    result = statement(customer, dt.date(2026, 5, 11))
    assert [(i.kind, i.reference, i.open_amount, i.days_overdue) for i in result.items] == [
        ("invoice", i3.number, D("390.00"), 10),
        ("payment", "RG2026-00003", D("-100.00"), 0),
    ]
    assert result.balance == D("290.00")  # 390 − 100
    assert result.overdue == D("390.00")
    # Average days late over I1 (10) and I2 (0): 5.0; half paid late.
    assert (
        result.behaviour.settled,
        result.behaviour.average_days_late,
        result.behaviour.paid_late_share,
    ) == (2, D("5.0"), D("50.0"))
    assert len(result.allocations) == 2


def test_statement_before_anything(customer):
    result = statement(customer, dt.date(2020, 1, 1))
    assert (result.items, result.balance, result.behaviour.average_days_late) == (
        [],
        D("0.00"),
        None,
    )


def test_behaviour_counts_the_day_the_money_came_in_not_the_matching(
    invoice_of, pay, admin, customer, company
):
    # I1 5 Jan 780.00 due 4 Feb, received 30 Jan (on time) but matched on 20 Feb;
    # I2 5 Jan 156.00 due 4 Feb, a cheque received 2 Feb, matched 3 Feb, remitted 9 Feb
    # (5 days late: the money counts from the remittance).
    i1, i2 = invoice_of(10, dt.date(2026, 1, 5)), invoice_of(2, dt.date(2026, 1, 5))
    on_time = pay("780.00", dt.date(2026, 1, 30))
    allocate(on_time, [(i1.installments.get(), "780")], by=admin, on=dt.date(2026, 2, 20))
    cheque = pay("156.00", dt.date(2026, 2, 2), method="cheque")
    allocate(cheque, [(i2.installments.get(), "156")], by=admin, on=dt.date(2026, 2, 3))
    behaviour = statement(customer, dt.date(2026, 2, 20)).behaviour
    # I1 on time (0), I2 not remitted yet, received 2 Feb (0): nobody late.
    assert (behaviour.settled, behaviour.average_days_late, behaviour.paid_late_share) == (
        2,
        D("0.0"),
        D("0.0"),
    )
    create_remittance_slip(company, [cheque.pk], by=admin, on=dt.date(2026, 2, 9))
    behaviour = statement(customer, dt.date(2026, 2, 20)).behaviour
    # I2: 9 Feb − 4 Feb = 5 days; average (0 + 5) / 2 = 2.5; one of two late.
    assert (behaviour.settled, behaviour.average_days_late, behaviour.paid_late_share) == (
        2,
        D("2.5"),
        D("50.0"),
    )
    # On 8 Feb the cheque's money was not in yet (remitted the 9th): I1 is not matched
    # yet either (20 Feb), so nothing is settled on that day.
    assert statement(customer, dt.date(2026, 2, 8)).behaviour.settled == 0
