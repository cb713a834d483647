"""The cash view on a small book, figures by hand.

Today is Monday 2 November 2026. Weeks: 1 = 02–08/11, 2 = 09–15/11, 3 = 16–22/11...
- invoice A, 10 h × 78.00 = 780.00 TTC issued 19/10 at 30 days: due 18/11, week 3;
- invoice B, 5 h × 78.00 = 390.00 TTC issued 15/09: due 15/10, « en retard »;
- the account: opening 1 000.00 on 01/10; +200.00 valued 20/10; −50.00 booked 30/10
  valued 04/11 (a debit the bank announced: week 1).
Balance by value date at the end of 02/11: 1 200.00. Week 1 closes at 1 150.00, week 2
the same, week 3 at 1 930.00.
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from freezegun import freeze_time

from encaisse.banking.cash import alert_line, forecast, value_date_balances, week_bounds
from encaisse.banking.models import BankLine
from tests.banking import factories_report as bank

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 2)


@pytest.fixture
def book(company, invoice_of):
    b = invoice_of(5, dt.date(2026, 9, 15))
    a = invoice_of(10, dt.date(2026, 10, 19))
    account = bank.account(company)
    _, (_, minus) = bank.statement(
        account,
        opening=(dt.date(2026, 10, 1), "1000.00"),
        closing=(dt.date(2026, 10, 31), "1150.00"),
        lines=[
            (dt.date(2026, 10, 20), "200.00", "VIR RECU"),
            (dt.date(2026, 10, 30), "-50.00", "PRLV ANNONCE"),
        ],
    )
    BankLine.objects.filter(pk=minus.pk).update(value_date=dt.date(2026, 11, 4))
    return {"a": a, "b": b, "account": account}


def test_weeks_start_today_then_on_mondays():
    bounds = week_bounds(dt.date(2026, 11, 4))  # a Wednesday
    assert bounds[0] == (dt.date(2026, 11, 4), dt.date(2026, 11, 8))
    assert bounds[1] == (dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    assert len(bounds) == 13 and bounds[-1][1] == dt.date(2027, 1, 31)  # 8/11 + 12 weeks


def test_the_forecast_puts_each_invoice_in_its_week(book):
    assert book["a"].installments.get().due_date == dt.date(2026, 11, 18)
    assert book["b"].installments.get().due_date == dt.date(2026, 10, 15)
    with freeze_time(TODAY):
        result = forecast(book["account"].company, TODAY)
    assert result.balance == D("1200.00")
    assert (result.overdue, result.overdue_count) == (D("390.00"), 1)
    weeks = [(w.opening, w.receipts, w.known, w.closing) for w in result.weeks[:4]]
    assert weeks == [
        (D("1200.00"), D("0.00"), D("-50.00"), D("1150.00")),
        (D("1150.00"), D("0.00"), D("0.00"), D("1150.00")),
        (D("1150.00"), D("780.00"), D("0.00"), D("1930.00")),
        (D("1930.00"), D("0.00"), D("0.00"), D("1930.00")),
    ]
    assert result.weeks[-1].closing == D("1930.00")
    assert result.expected == D("780.00") and result.later == D("0.00")
    assert not result.alert  # no threshold


def test_an_alert_below_the_threshold(book, company):
    company.cash_alert_threshold = D("1180.00")
    company.save(update_fields=["cash_alert_threshold"])
    with freeze_time(TODAY):
        result = forecast(company, TODAY)
        line = alert_line(company, TODAY)
    assert not result.below_now
    assert [w.number for w in result.weeks if w.below] == [1, 2]
    assert result.first_below.number == 1
    assert line == (
        "Trésorerie : le solde prévisionnel passe sous le seuil d'alerte de "
        "1\u202f180,00\u00a0€ la semaine du 02/11/2026 (1\u202f150,00\u00a0€)."
    )
    company.cash_alert_threshold = D("1500.00")
    assert forecast(company, TODAY).below_now
    company.cash_alert_threshold = D("1000.00")
    assert alert_line(company, TODAY) == ""


def test_balances_by_value_date(book, company):
    daily = value_date_balances(company, dt.date(2026, 10, 18), dt.date(2026, 10, 21))
    assert [b for _, b in daily[0].points] == [
        D("1000.00"),
        D("1000.00"),
        D("1200.00"),
        D("1200.00"),
    ]
    weekly = value_date_balances(company, dt.date(2026, 10, 1), dt.date(2026, 11, 4), step="week")
    assert weekly[0].points == [
        (dt.date(2026, 10, 4), D("1000.00")),
        (dt.date(2026, 10, 11), D("1000.00")),
        (dt.date(2026, 10, 18), D("1000.00")),
        (dt.date(2026, 10, 25), D("1200.00")),
        (dt.date(2026, 11, 1), D("1200.00")),
        (dt.date(2026, 11, 4), D("1150.00")),
    ]
