"""Aged balance on three dates, every bucket written by hand (see the scenario)."""

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from encaisse.customers.services import create_customer, update_customer
from encaisse.errors import ValidationFailed
from encaisse.receivables.models import Allocation
from encaisse.receivables.selectors import customer_balance
from encaisse.receivables.services.allocation import allocate, undo_allocation
from encaisse.reporting.aged_balance import aged_balance, bucket_items, make_buckets
from encaisse.reporting.exports import aged_balance_csv, aged_balance_xlsx
from encaisse.sales.services import create_credit_note
from tests.conftest import CUSTOMER, issue_on_day

# A second professional customer (SIREN and SIRET of a real company, checksums valid).
SECOND_CUSTOMER = {
    **CUSTOMER,
    "legal_name": "Épicerie Martin SAS",
    "siren": "443061841",
    "siret": "44306184100047",
}

ZERO = D("0.00")


@pytest.fixture
def scenario(invoice_of, pay, admin):
    """Hours at 65.00 HT + 20 % = 78.00 TTC each; 30 days net.

    I1 5 Jan, 10 h = 780.00 due 4 Feb ; I2 10 Feb, 5 h = 390.00 due 12 Mar ;
    I3 1 Mar, 2 h = 156.00 due 31 Mar.
    P1 20 Feb 500.00 -> I1 (20 Feb). Credit note on I2 5 Mar: 100 HT = 120.00 TTC,
    settles I2 on 5 Mar. P2 10 Mar 280.00 -> I1 (10 Mar), undone on 20 Mar.
    """
    i1 = invoice_of(10, dt.date(2026, 1, 5))
    i2 = invoice_of(5, dt.date(2026, 2, 10))
    p1 = pay("500.00", dt.date(2026, 2, 20))
    allocate(p1, [(i1.installments.get(), "500.00")], by=admin, on=dt.date(2026, 2, 20))
    i3 = invoice_of(2, dt.date(2026, 3, 1))
    note = create_credit_note(i2, by=admin, mode="amount", amount="100", vat_rate="20")
    issue_on_day(note, by=admin, on=dt.date(2026, 3, 5))
    p2 = pay("280.00", dt.date(2026, 3, 10))
    (wrong,) = allocate(p2, [(i1.installments.get(), "280.00")], by=admin, on=dt.date(2026, 3, 10))
    undo_allocation(wrong, by=admin, reason="Règlement d'un autre dossier", on=dt.date(2026, 3, 20))
    return i1, i2, i3


def _row(company, as_of):
    (row,) = aged_balance(company, as_of).rows
    return row


def test_buckets_on_28_february(company, scenario):
    row = _row(company, dt.date(2026, 2, 28))
    # I2 390.00 not due; I1 780 − 500 = 280.00, 24 days late.
    assert row.amounts == [D("390.00"), D("280.00"), ZERO, ZERO, ZERO]
    assert (row.unapplied, row.balance) == (ZERO, D("670.00"))


def test_buckets_on_15_march(company, scenario):
    row = _row(company, dt.date(2026, 3, 15))
    # I1 settled (500 + 280, the undo comes later); I2 390 − 120 = 270.00, 3 days late;
    # I3 156.00 not due.
    assert row.amounts == [D("156.00"), D("270.00"), ZERO, ZERO, ZERO]
    assert (row.unapplied, row.balance) == (ZERO, D("426.00"))


def test_buckets_on_10_april(company, scenario, customer):
    row = _row(company, dt.date(2026, 4, 10))
    # Undone on 20 Mar: I1 280.00 open again, 65 days late (61–90); I2 270.00 29 days and
    # I3 156.00 10 days (1–30: 426.00); P2 280.00 unapplied.
    assert row.amounts == [ZERO, D("426.00"), ZERO, D("280.00"), ZERO]
    assert (row.unapplied, row.balance) == (D("280.00"), D("426.00"))
    assert row.balance == customer_balance(customer, dt.date(2026, 4, 10))


def test_a_past_date_gives_the_same_figures_after_later_events(company, scenario, pay, admin):
    before = _row(company, dt.date(2026, 3, 15))
    i1 = scenario[0]
    allocate(
        pay("280.00", dt.date(2026, 4, 1)),
        [(i1.installments.get(), "280.00")],
        by=admin,
        on=dt.date(2026, 4, 2),
    )
    assert _row(company, dt.date(2026, 3, 15)) == before


def test_total_equals_the_sum_of_customer_balances(company, scenario, admin, invoice_of):
    create_customer(company, {"legal_name": "Mairie de Bron", "segment": "public"}, by=admin)
    result = aged_balance(company, dt.date(2026, 4, 10))
    total = sum((r.balance for r in result.rows), ZERO)
    assert result.balance == total == D("426.00")
    assert sum(result.totals, ZERO) - result.unapplied == total


def test_filters_and_drill_down(company, scenario, customer, admin):
    update_customer(customer, {"segment": "risky"}, by=admin)
    assert aged_balance(company, dt.date(2026, 4, 10), segment="public").rows == []
    assert len(aged_balance(company, dt.date(2026, 4, 10), segment="risky").rows) == 1
    items = bucket_items(company, dt.date(2026, 4, 10), customer, 1)
    assert [(i.invoice, i.open_amount) for i in items] == [
        (scenario[1], D("270.00")),
        (scenario[2], D("156.00")),
    ]


def test_custom_buckets(company, scenario):
    result = aged_balance(company, dt.date(2026, 4, 10), bounds=[15, 45])
    assert [b.label for b in result.buckets] == ["Non échu", "1–15 j", "16–45 j", "+ 45 j"]
    # I3 10 days; I2 29 days; I1 65 days.
    assert result.rows[0].amounts == [ZERO, D("156.00"), D("270.00"), D("280.00")]


@pytest.mark.parametrize("bounds", [[60, 30], [0, 30], ["a"], []])
def test_bad_buckets_are_refused(bounds):
    with pytest.raises(ValidationFailed):
        make_buckets(bounds)


def test_undone_allocation_row_is_kept(scenario):
    assert Allocation.objects.filter(undone_on=dt.date(2026, 3, 20)).count() == 1


def test_xlsx_holds_numbers_and_formulas_and_csv(company, scenario):
    result = aged_balance(company, dt.date(2026, 4, 10))
    sheet = load_workbook(io.BytesIO(aged_balance_xlsx(result))).active
    assert [c.value for c in sheet[2]][:3] == ["Client", "Non échu", "1–30 j"]
    assert sheet["C3"].value == 426  # a number, not text
    assert sheet["E3"].value == 280
    assert sheet["H3"].value == "=SUM(B3:F3)-G3"
    assert sheet["H4"].value == "=SUM(H3:H3)"
    csv_text = aged_balance_csv(result)
    assert csv_text.splitlines()[1] == (
        "Boulangerie Dupont SARL;0,00;426,00;0,00;280,00;0,00;280,00;426,00"
    )


def test_today_from_the_stored_amounts_equals_the_replay(
    company, scenario, customer, admin, invoice_of, pay, monkeypatch
):
    """Today's aged balance reads the stored open amounts; forced to replay the dated
    allocations for the same day it gives the same rows, with filters, other buckets and
    the drill-down too, on a book with partial payments, an undo, credit notes (one
    settling its invoice, one left as credit), a write-off, a refund, a payment on
    account and a second customer."""
    from encaisse import clock
    from encaisse.receivables import selectors
    from encaisse.receivables.services.allocation import refund, write_off
    from encaisse.reporting import aged_balance as aging

    other = create_customer(company, SECOND_CUSTOMER, by=admin)
    update_customer(other, {"segment": "risky"}, by=admin)
    day = dt.date(2026, 4, 20)
    late = invoice_of(3, dt.date(2026, 4, 1), cust=other)  # 234.00
    paid = pay("300.00", dt.date(2026, 4, 10), cust=other)
    allocate(paid, [(late.installments.get(), "233.50")], by=admin, on=dt.date(2026, 4, 10))
    with clock.at(day):
        write_off(late.installments.get(), "0.50", by=admin, reason="Frais", on=day)
        refund(paid, "16.50", by=admin, on=day)
    issue_on_day(create_credit_note(invoice_of(1, day, cust=other), by=admin), by=admin, on=day)
    # On an invoice already settled: its 120.00 stay the customer's credit.
    credit = create_credit_note(late, by=admin, mode="amount", amount="100", vat_rate="20")
    issue_on_day(credit, by=admin, on=day)
    pay("42.00", day)  # on account
    today = clock.today()
    assert selectors.stored_is_current(company, today)

    def figures():
        results = []
        for bounds, filters in ((None, {}), ([15, 45], {}), (None, {"segment": "risky"})):
            book = aged_balance(company, today, bounds, **filters)
            results.append([(r.customer_id, r.amounts, r.unapplied) for r in book.rows])
        results.append(
            list(bucket_items(company, today, customer, 4).values_list("pk", "open_amount"))
        )
        results.append(customer_balance(customer, today))
        totals = aging.aged_totals(company, today)
        results.append((totals.totals, totals.unapplied, totals.balance, totals.overdue))
        return results

    stored = figures()
    for module in (selectors, aging):
        monkeypatch.setattr(module, "stored_is_current", lambda company, as_of: False)
    assert figures() == stored
    book = aged_balance(company, today)
    assert stored[-1] == (book.totals, book.unapplied, book.balance, book.overdue)
    past = aging.aged_totals(company, dt.date(2026, 3, 15))
    assert past.totals == aged_balance(company, dt.date(2026, 3, 15)).totals
    assert stored[0] and stored[1] != stored[0]
