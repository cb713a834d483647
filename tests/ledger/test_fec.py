"""A small year built by hand, exported as FEC and compared line by line with
expected_fec_2025.txt, written from LPF art. A.47 A-1 (18 columns, tab, AAAAMMJJ dates,
comma amounts)."""

import datetime as dt
from pathlib import Path

import pytest
from freezegun import freeze_time

from encaisse.ledger.chart import customer_account_code
from encaisse.ledger.fec import export_fec
from encaisse.ledger.models import JournalLine
from encaisse.receivables.services.allocation import allocate, refund
from encaisse.sales.services import create_credit_note
from tests.conftest import issue_on_day

EXPECTED = Path(__file__).with_name("expected_fec_2025.txt")


@pytest.fixture
def year_2025(make_invoice, product, service_product, pay, admin):
    # 10 h × 65.00 = 650.00 at 20 % (VAT 130.00) ; 4 × 18.90 = 75.60 at 5.5 %
    # (VAT 4.158 -> 4.16): TTC 859.76.
    with freeze_time("2025-03-10"):
        invoice = make_invoice(
            lines=[
                {"product": service_product.pk, "quantity": "10"},
                {"product": product.pk, "quantity": "4"},
            ],
            issue_on=dt.date(2025, 3, 10),
        )
    with freeze_time("2025-04-15"):
        payment = pay("859.76", dt.date(2025, 4, 15), reference="VIR FA2025-00001")
        allocate(payment, [(invoice.installments.get(), "859.76")], by=admin)
    with freeze_time("2025-05-02"):  # 100 HT + 20 % = 120.00, the invoice being paid
        note = issue_on_day(
            create_credit_note(invoice, by=admin, mode="amount", amount="100", vat_rate="20"),
            by=admin,
            on=dt.date(2025, 5, 2),
        )
    with freeze_time("2025-06-01"):
        refund(note, "120.00", by=admin, on=dt.date(2025, 6, 1))
    return invoice


def test_fec_matches_the_hand_written_file(company, customer, year_2025):
    name, content = export_fec(company, 2025)
    assert name == "732829320FEC20251231.txt"
    expected = EXPECTED.read_text(encoding="utf-8").format(aux=customer_account_code(customer))
    actual = content.decode("iso-8859-15")
    assert actual.split("\r\n") == expected.split("\n")


def test_every_entry_balances(company, year_2025):
    entries = {}
    for line in JournalLine.objects.all():
        debit, credit = entries.get(line.entry_id, (0, 0))
        entries[line.entry_id] = (debit + line.debit, credit + line.credit)
    assert len(entries) == 4
    assert all(debit == credit for debit, credit in entries.values())


def test_empty_year_has_only_the_header(company):
    _name, content = export_fec(company, 2024)
    assert content.decode("iso-8859-15").count("\r\n") == 1
