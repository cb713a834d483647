import datetime as dt
from decimal import Decimal as D

import pytest

from encaisse.errors import ValidationFailed
from encaisse.reporting.dso import dso, dso_by_customer, dso_trend
from encaisse.sales.services import create_credit_note
from tests.conftest import issue_on_day


@pytest.fixture
def quarter(invoice_of, pay, admin):
    """April 780.00 (10 h), May 1,560.00 (20 h), June 390.00 (5 h) less a credit note of
    50 HT = 60.00 TTC: June revenue 330.00. A payment of 780.00 on 20 May."""
    invoice_of(10, dt.date(2026, 4, 10))
    invoice_of(20, dt.date(2026, 5, 12))
    june = invoice_of(5, dt.date(2026, 6, 5))
    issue_on_day(
        create_credit_note(june, by=admin, mode="amount", amount="50"),
        by=admin,
        on=dt.date(2026, 6, 20),
    )
    pay("780.00", dt.date(2026, 5, 20))


def test_dso_by_hand(company, quarter):
    result = dso(company, dt.date(2026, 6, 30), months=3)
    # Receivables: 780 + 1560 + 390 − 60 − 780 = 1,890.00
    # Revenue: 780 + 1560 + 330 = 2,670.00 over 30 + 31 + 30 = 91 days
    assert (result.receivables, result.revenue, result.period_days) == (
        D("1890.00"),
        D("2670.00"),
        91,
    )
    # Simple: 1890 / 2670 × 91 = 64.4157... -> 64.4 days
    assert result.simple == D("64.4")
    # Countback: June's 330 absorbed whole (30 d), leaves 1560 = all of May (31 d): 61 days
    assert result.countback == D("61.0")
    assert [(s.month.start, s.absorbed, s.days) for s in result.steps] == [
        (dt.date(2026, 6, 1), D("330.00"), D("30.0")),
        (dt.date(2026, 5, 1), D("1560.00"), D("31.0")),
    ]


def test_countback_fraction_of_a_month(company, quarter, pay):
    pay("1000.00", dt.date(2026, 6, 25))
    result = dso(company, dt.date(2026, 6, 30), months=3)
    # Receivables 890: June 330 (30 d), then 560 of May's 1560: 560 / 1560 × 31 = 11.128
    assert result.countback == D("41.1")


def test_per_customer_and_trend(company, quarter, customer):
    ((row, per_customer),) = dso_by_customer(company, dt.date(2026, 6, 30), months=3)
    assert row.customer_id == customer.pk
    assert per_customer.simple == D("64.4")
    trend = dso_trend(company, dt.date(2026, 6, 30), months=3, points=3)
    assert [t.as_of for t in trend] == [
        dt.date(2026, 4, 30),
        dt.date(2026, 5, 31),
        dt.date(2026, 6, 30),
    ]
    # 30 April: receivables 780, revenue 780 over Feb–Apr (28 + 31 + 30 = 89 d): 89.0
    assert trend[0].simple == D("89.0")


def test_no_revenue_gives_no_simple_dso(company):
    result = dso(company, dt.date(2026, 6, 30))
    assert (result.simple, result.countback) == (None, D("0"))


def test_months_out_of_range(company):
    with pytest.raises(ValidationFailed):
        dso(company, dt.date(2026, 6, 30), months=0)
