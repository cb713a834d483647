"""Journal entries of the litigation cases: a doubtful debt (411 -> 416, provision
6817/491), its write-off (654 excl. VAT, VAT reclaimed per rate, provision reversed) or its
recovery (416 -> 411, provision reversed); every entry balances and the FEC still exports.

The case of tests/dunning/litigation_data.py, opened on 15 Mar 2025, still owes:
- A: 780.00 TTC (650.00 HT + 130.00 VAT at 20 %), all of it;
- B: 500.00 of 859.76 TTC (725.60 HT; VAT 130.00 at 20 % + 4.16 at 5.5 % = 134.16).
Excl. VAT of what is open, in each invoice's own proportions:
- A: VAT = 780.00 × 130.00 / 780.00 = 130.00 -> 650.00 HT;
- B: VAT = 500.00 × 134.16 / 859.76 = 78.0217 -> 78.02 -> 421.98 HT;
  20 %: 78.02 × 130.00 / 134.16 = 75.6007 -> 75.60; 5.5 %: 78.02 − 75.60 = 2.42.
So the provision may be up to 650.00 + 421.98 = 1 071.98.
"""

import datetime as dt
from decimal import Decimal as D

import pytest

from encaisse.dunning import litigation
from encaisse.dunning.models import CaseEvent
from encaisse.errors import ValidationFailed
from encaisse.ledger.fec import export_fec
from encaisse.ledger.models import JournalEntry, JournalLine
from encaisse.receivables.services.allocation import allocate
from tests.dunning.litigation_data import OPENED, make_debtor, make_invoices, remind

pytestmark = pytest.mark.django_db

DOUBTFUL_ON = dt.date(2025, 4, 1)
PAID_A = dt.date(2025, 5, 10)
LOST_ON = dt.date(2025, 6, 30)


@pytest.fixture
def debtor(company, admin):
    return make_debtor(company, admin)


@pytest.fixture
def case(company, admin, debtor, make_invoice, product, service_product, pay):
    make_invoices(debtor, make_invoice, product, service_product, pay, admin)
    remind(company, admin)
    return litigation.open_case(debtor, OPENED, by=admin)


def invoices_of(case):
    return sorted(case.invoices.all(), key=lambda i: i.number)


def lines_of(entry) -> list[tuple]:
    return [
        (line.account.number, line.debit, line.credit)
        for line in entry.lines.select_related("account").order_by("id")
    ]


def entry_of(case, status) -> JournalEntry:
    event = case.events.get(status=status)
    return JournalEntry.objects.get(source_type="dunning.caseevent", source_id=event.pk)


def balance(company, number, customer=None) -> D:
    qs = JournalLine.objects.filter(entry__company=company, account__number=number)
    if customer is not None:
        qs = qs.filter(customer=customer)
    return sum((line.debit - line.credit for line in qs), D("0.00"))


def assert_balanced(company):
    for entry in JournalEntry.objects.filter(company=company):
        lines = list(entry.lines.all())
        assert sum(x.debit for x in lines) == sum(x.credit for x in lines), entry


def test_provision_capped_at_the_amount_excl_vat(case, admin):
    with pytest.raises(ValidationFailed) as error:
        litigation.mark_doubtful(case, DOUBTFUL_ON, "1071.99", by=admin)
    assert error.value.field == "provision_amount"
    assert "1\u202f071,98" in error.value.message or "1 071,98" in error.value.message
    assert not JournalEntry.objects.filter(source_type="dunning.caseevent").exists()
    assert litigation.vat_free_total(case, DOUBTFUL_ON) == D("1071.98")


def test_doubtful_then_written_off(company, case, debtor, admin, pay):
    case = litigation.mark_doubtful(case, DOUBTFUL_ON, "800.00", by=admin)
    doubtful = entry_of(case, "doubtful")
    assert doubtful.journal == "OD"
    assert doubtful.piece_ref == f"DPC{case.pk}"
    # Open 780.00 + 500.00 = 1 280.00 moved to 416; provision 800.00 (<= 1 071.98).
    assert lines_of(doubtful) == [
        ("416", D("1280.00"), D("0.00")),
        ("411", D("0.00"), D("1280.00")),
        ("6817", D("800.00"), D("0.00")),
        ("491", D("0.00"), D("800.00")),
    ]

    # 200.00 paid on A after the transfer: booked 512/411 like any payment.
    a, _b = invoices_of(case)
    payment = pay("200.00", PAID_A, cust=debtor)
    allocate(payment, [(a.installments.get(), "200.00")], by=admin, on=PAID_A)

    case = litigation.write_off_irrecoverable(case, LOST_ON, by=admin)
    lost = entry_of(case, "irrecoverable")
    # Unpaid: A 580.00, B 500.00 = 1 080.00.
    # A: VAT 580.00 × 130.00 / 780.00 = 96.6667 -> 96.67, HT 483.33.
    # B: VAT 78.02 (75.60 at 20 %, 2.42 at 5.5 %), HT 421.98.
    # 654: 483.33 + 421.98 = 905.31; 445711: 96.67 + 75.60 = 172.27; 445713: 2.42.
    # 905.31 + 172.27 + 2.42 = 1 080.00.
    # 416 credited with all it holds (1 280.00); 411 debited with the 200.00 the payment
    # credited there (1 080.00 − 1 280.00 = −200.00). Provision reversed: 800.00.
    assert lines_of(lost) == [
        ("654", D("905.31"), D("0.00")),
        ("445711", D("172.27"), D("0.00")),
        ("445713", D("2.42"), D("0.00")),
        ("416", D("0.00"), D("1280.00")),
        ("411", D("200.00"), D("0.00")),
        ("491", D("800.00"), D("0.00")),
        ("7817", D("0.00"), D("800.00")),
    ]
    assert_balanced(company)
    # Nothing left for this customer in 411, 416 or 491:
    # 411: 780.00 + 859.76 − 359.76 − 1 280.00 − 200.00 + 200.00 = 0.
    assert balance(company, "411", debtor) == D("0.00")
    assert balance(company, "416", debtor) == D("0.00")
    assert balance(company, "491") == D("0.00")
    # Receivables agree: two write-offs of what was left open.
    assert sorted(w.amount for w in debtor.write_offs.all()) == [D("500.00"), D("580.00")]


def test_written_off_without_doubtful(company, case, admin):
    case = litigation.write_off_irrecoverable(case, LOST_ON, by=admin)
    # A: 650.00 HT + 130.00; B: 421.98 HT + 75.60 + 2.42; 411 credited 1 280.00.
    # 650.00 + 421.98 = 1 071.98; 130.00 + 75.60 = 205.60; 1 071.98 + 205.60 + 2.42 = 1 280.00.
    assert lines_of(entry_of(case, "irrecoverable")) == [
        ("654", D("1071.98"), D("0.00")),
        ("445711", D("205.60"), D("0.00")),
        ("445713", D("2.42"), D("0.00")),
        ("411", D("0.00"), D("1280.00")),
    ]
    assert balance(company, "411", case.customer) == D("0.00")
    assert_balanced(company)


def test_doubtful_then_recovered(company, case, debtor, admin, pay):
    case = litigation.mark_doubtful(case, DOUBTFUL_ON, "1071.98", by=admin)
    a, b = invoices_of(case)
    payment = pay("1280.00", PAID_A, cust=debtor)
    allocate(
        payment,
        [(a.installments.get(), "780.00"), (b.installments.get(), "500.00")],
        by=admin,
        on=PAID_A,
    )
    case = litigation.mark_recovered(case, PAID_A, by=admin)
    assert lines_of(entry_of(case, "recovered")) == [
        ("411", D("1280.00"), D("0.00")),
        ("416", D("0.00"), D("1280.00")),
        ("491", D("1071.98"), D("0.00")),
        ("7817", D("0.00"), D("1071.98")),
    ]
    assert balance(company, "411", debtor) == D("0.00")
    assert balance(company, "416", debtor) == D("0.00")
    assert_balanced(company)


def test_recovered_without_doubtful_posts_nothing(company, case, debtor, admin, pay):
    a, b = invoices_of(case)
    payment = pay("1280.00", PAID_A, cust=debtor)
    allocate(
        payment,
        [(a.installments.get(), "780.00"), (b.installments.get(), "500.00")],
        by=admin,
        on=PAID_A,
    )
    litigation.mark_recovered(case, PAID_A, by=admin)
    assert not JournalEntry.objects.filter(source_type="dunning.caseevent").exists()


def test_entries_are_numbered_and_the_fec_exports(company, case, debtor, admin):
    case = litigation.mark_doubtful(case, DOUBTFUL_ON, "800.00", by=admin)
    case = litigation.write_off_irrecoverable(case, LOST_ON, by=admin)
    numbers = list(
        JournalEntry.objects.filter(company=company, year=2025).values_list("number", flat=True)
    )
    assert numbers == list(range(1, len(numbers) + 1))  # continuous, no gap
    _name, content = export_fec(company, 2025)
    text = content.decode("iso-8859-15")
    rows = [row.split("\t") for row in text.split("\r\n")[1:] if row]
    assert all(len(row) == 18 for row in rows)
    accounts = {row[4]: row[5] for row in rows}
    assert accounts["416"] == "Clients douteux ou litigieux"
    assert accounts["491"] == "Dépréciations des comptes de clients"
    assert accounts["6817"] == "Dotations aux dépréciations des actifs circulants"
    assert accounts["7817"] == "Reprises sur dépréciations des actifs circulants"
    assert accounts["654"] == "Pertes sur créances irrécouvrables"
    # 411 and 416 lines carry the customer's subledger account (CompAuxNum), 491 not.
    aux = {row[4]: row[6] for row in rows}
    assert aux["411"] and aux["416"] == aux["411"] and aux["491"] == ""
    events = CaseEvent.objects.filter(case=case, status__in=["doubtful", "irrecoverable"])
    assert events.count() == 2
    # Σ debit = Σ credit over the file (fec_lines refuses an unbalanced year).
    debit = sum(D(row[11].replace(",", ".")) for row in rows)
    credit = sum(D(row[12].replace(",", ".")) for row in rows)
    assert debit == credit
