"""The set-based DSO gives the figures of the former implementation (kept below as the
oracle: one aged balance per date, revenue looped in Python) on a book with payments,
credit notes, an undone allocation, a refund and a write-off, on every date around them."""

import datetime as dt
from collections import defaultdict

import pytest
from django.db.models import Sum

from encaisse.customers.services import create_customer
from encaisse.money import ZERO
from encaisse.receivables.services.allocation import allocate, refund, undo_allocation, write_off
from encaisse.reporting import dso as set_based
from encaisse.reporting.aged_balance import aged_balance
from encaisse.reporting.dso import Month, _compute, _months, receivables_on
from encaisse.sales.kinds import KINDS
from encaisse.sales.models import DocumentStatus, Invoice
from encaisse.sales.services import create_credit_note
from tests.conftest import CUSTOMER, issue_on_day

# ------------------------------------------------------------------ the oracle


def _old_revenue_by_month(company, periods, customer_ids=None) -> dict:
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
        totals[(row["customer_id"], index)] += KINDS[row["kind"]].sign * row["t"]
    return totals


def old_dso(company, as_of, months=12, customer=None):
    periods = _months(as_of, months)
    ids = [customer.pk] if customer is not None else None
    balance = aged_balance(company, as_of, **({"customer": customer.pk} if customer else {}))
    revenue = _old_revenue_by_month(company, periods, ids)
    by_month = [
        Month(start, end, sum((v for (c, i), v in revenue.items() if i == index), ZERO))
        for index, (start, end) in enumerate(periods)
    ]
    return _compute(as_of, months, balance.balance, by_month)


def old_dso_by_customer(company, as_of, months=12):
    periods = _months(as_of, months)
    balance = aged_balance(company, as_of)
    revenue = _old_revenue_by_month(company, periods, [r.customer_id for r in balance.rows])
    result = []
    for row in balance.rows:
        by_month = [
            Month(start, end, revenue.get((row.customer_id, index), ZERO))
            for index, (start, end) in enumerate(periods)
        ]
        result.append((row, _compute(as_of, months, row.balance, by_month)))
    return result


# ------------------------------------------------------------------ the book


@pytest.fixture
def book(company, admin, customer, invoice_of, pay):
    """Two customers over the first half of 2026: invoices every month, partial and full
    payments, a credit note, an allocation undone, an overpayment refunded, a write-off."""
    other = create_customer(
        company,
        {**CUSTOMER, "legal_name": "Épicerie Martin", "siren": "443061841", "siret": ""},
        by=admin,
    )
    invoices = []
    for month in range(1, 7):
        invoices.append(invoice_of(month + 2, dt.date(2026, month, 3)))
        invoices.append(invoice_of(2 * month, dt.date(2026, month, 17), cust=other))
    jan, jan_other, feb, *_ = invoices
    p1 = pay("234.00", dt.date(2026, 2, 1))  # jan: 3 h = 234.00, paid in full
    allocate(p1, [(jan.installments.get(), "234.00")], by=admin, on=dt.date(2026, 2, 1))
    p2 = pay("100.00", dt.date(2026, 2, 20), cust=other)  # on account for a while
    allocate(p2, [(jan_other.installments.get(), "100.00")], by=admin, on=dt.date(2026, 3, 2))
    p3 = pay("300.00", dt.date(2026, 3, 10))  # feb: 312.00, wrongly matched then undone
    (wrong,) = allocate(p3, [(feb.installments.get(), "300.00")], by=admin, on=dt.date(2026, 3, 10))
    undo_allocation(wrong, by=admin, reason="Autre dossier", on=dt.date(2026, 3, 25))
    write_off(feb.installments.get(), "2.00", by=admin, reason="Frais", on=dt.date(2026, 4, 2))
    note = create_credit_note(invoices[5], by=admin, mode="amount", amount="50", vat_rate="20")
    issue_on_day(note, by=admin, on=dt.date(2026, 4, 20))
    p4 = pay("500.00", dt.date(2026, 5, 5), cust=other)  # overpaid, then part refunded
    refund(p4, "120.00", by=admin, on=dt.date(2026, 5, 28))
    return customer, other


DAYS = "2025-12-31 2026-01-03 2026-02-01 2026-02-28 2026-03-15 2026-03-25 2026-03-31"
DATES = [dt.date.fromisoformat(d) for d in (DAYS + " 2026-04-02 2026-04-30 2026-05-28").split()]
DATES += [dt.date(2026, 5, 31), dt.date(2026, 6, 30), dt.date(2026, 8, 12)]


def test_receivables_equal_the_aged_balance_total_on_every_date(company, book):
    found = receivables_on(company, DATES)
    assert found == {day: aged_balance(company, day).balance for day in DATES}
    for customer in book:
        mine = receivables_on(company, DATES, customer)
        assert mine == {
            day: aged_balance(company, day, customer=customer.pk).balance for day in DATES
        }


@pytest.mark.parametrize("months", [1, 3, 12])
def test_same_figures_as_before(company, book, months):
    for day in DATES:
        assert set_based.dso(company, day, months) == old_dso(company, day, months)
        for customer in book:
            assert set_based.dso(company, day, months, customer) == old_dso(
                company, day, months, customer
            )
        assert set_based.dso_by_customer(company, day, months) == old_dso_by_customer(
            company, day, months
        )


def test_trend_is_the_dso_at_each_month_end(company, book):
    trend = set_based.dso_trend(company, dt.date(2026, 6, 30), months=3, points=8)
    assert [t.as_of for t in trend] == [
        dt.date(2025, 11, 30),
        *DATES[:1],
        *[dt.date(2026, m, d) for m, d in ((1, 31), (2, 28), (3, 31), (4, 30), (5, 31), (6, 30))],
    ]
    assert trend == [old_dso(company, t.as_of, 3) for t in trend]


def test_a_page_of_customers(company, book):
    rows = aged_balance(company, dt.date(2026, 6, 30)).rows
    page = set_based.dso_by_customer(company, dt.date(2026, 6, 30), 12, rows[1:])
    assert page == old_dso_by_customer(company, dt.date(2026, 6, 30))[1:]


def test_queries_do_not_grow_with_dates(company, book, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        set_based.dso_trend(company, dt.date(2026, 6, 30), months=12, points=24)
