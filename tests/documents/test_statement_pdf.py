"""PDFs rendered on demand: the customer statement and the cheque remittance slip.

Expected texts are written by hand with French typography (narrow no-break space between
thousands, no-break space before €). ENCAISSE_PDF_DUMP=/some/dir keeps the PDFs.
"""

import datetime as dt
import re

import pytest

from encaisse.documents.statements import remittance_slip_pdf, statement_pdf
from encaisse.receivables.models import Payment
from encaisse.receivables.services.allocation import allocate
from encaisse.receivables.services.payments import create_remittance_slip, record_payment

from .qr import qr_codes, qr_payloads
from .test_pdf import NBSP, dump, pages_text, pdfa_id

pytestmark = pytest.mark.django_db

NOV_29 = dt.date(2026, 11, 29)


def eur(text: str) -> str:
    """'1 840,00 €' typed with plain spaces -> its French typography."""
    amount, _, symbol = text.rpartition(" ")
    return amount.replace(" ", "\u202f") + NBSP + symbol


def flat(text: str) -> str:
    """pypdf breaks lines where the layout does: compare on one line (keeping the
    no-break spaces, which str.split() would count as spaces)."""
    return re.sub(r"[ \n]+", " ", text)


@pytest.fixture
def account(invoice_of, pay, admin):
    """FA2026-00001 (1 June, 390.00) fully paid; FA2026-00002 (1 Sept, 780.00, due 1 Oct)
    paid 300.00 out of a transfer of 500.00 received 10 Oct; FA2026-00003 (2 Nov,
    1 560.00, due 2 Dec) open."""
    paid = invoice_of(5, dt.date(2026, 6, 1))
    allocate(
        pay("390.00", dt.date(2026, 6, 20)),
        [(paid.installments.get(), "390")],
        by=admin,
        on=dt.date(2026, 6, 20),
    )
    late = invoice_of(10, dt.date(2026, 9, 1))
    transfer = pay("500.00", dt.date(2026, 10, 10))
    allocate(transfer, [(late.installments.get(), "300")], by=admin, on=dt.date(2026, 10, 10))
    current = invoice_of(20, dt.date(2026, 11, 2))
    return paid, late, current, transfer


def test_statement_lists_the_open_items_the_credit_and_the_balance(customer, account):
    paid, late, current, transfer = account
    pdf = statement_pdf(customer, NOV_29)
    dump("statement", pdf)
    assert pdf.startswith(b"%PDF-") and pdfa_id(pdf) == ("3", "B")
    pages = pages_text(pdf)
    assert len(pages) == 1
    text = flat(pages[0])
    assert "Relevé de compte au 29/11/2026" in text
    assert "Boulangerie Dupont SARL" in text and "3 place Bellecour" in text
    assert (paid.number, late.number, current.number) == (
        "FA2026-00001",
        "FA2026-00002",
        "FA2026-00003",
    )
    assert paid.number not in text  # settled: not listed
    # FA2026-00002: 780,00 due 01/10/2026, 480,00 left, 59 days late on 29 Nov
    # (30 days to 31 Oct, 29 in November).
    assert f"01/09/2026 FA2026-00002 01/10/2026 59 j {eur('780,00 €')} {eur('480,00 €')}" in text
    assert f"02/11/2026 FA2026-00003 02/12/2026 à échoir {eur('1 560,00 €')}" in text
    # The transfer's 200,00 not allocated is the customer's credit.
    assert f"Règlement {transfer.number} {eur('500,00 €')} {eur('-200,00 €')}" in text
    # 480 + 1 560 − 200 = 1 840; overdue: the 480 of FA2026-00002.
    assert f"Solde dû au 29/11/2026 {eur('1 840,00 €')}" in text
    assert f"dont échu {eur('480,00 €')}" in text
    # How to pay and the mentions.
    assert f"IBAN FR76{NBSP}3000{NBSP}6000{NBSP}0112{NBSP}3456{NBSP}7890{NBSP}189" in text
    assert "FA2026-00002, FA2026-00003" in text
    assert "des pénalités sont exigibles" in text
    assert "Indemnité forfaitaire pour frais de recouvrement" in text
    # The EPC QR code pays the balance due; two open invoices: their numbers as text.
    [code] = qr_payloads(pdf)
    assert code.split("\n")[4:] == [
        "AGRIFRPP",
        "Atelier Martin SAS",
        "FR7630006000011234567890189",
        "EUR1840.00",
        "",
        "",
        "Factures FA2026-00002 FA2026-00003",
    ]


def test_a_statement_with_one_open_invoice_gives_its_rf_reference(customer, account):
    """On 5 Oct only FA2026-00002 is open (780,00): the code carries its RF reference."""
    pdf = statement_pdf(customer, dt.date(2026, 10, 5))
    # FA202600002: ISO 7064 MOD 97-10 check digits 52.
    text = flat(pages_text(pdf)[0])
    assert (
        f"Référence à rappeler : RF52{NBSP}FA20{NBSP}2600{NBSP}002 (facture FA2026-00002)" in text
    )
    [code] = qr_payloads(pdf)
    assert code.split("\n")[7:] == ["EUR780.00", "", "RF52FA202600002"]


def test_statement_as_of_an_earlier_date_shows_that_date(customer, account):
    """On 5 Oct the transfer was not received and FA2026-00003 not issued yet."""
    text = flat(pages_text(statement_pdf(customer, dt.date(2026, 10, 5)))[0])
    assert "Relevé de compte au 05/10/2026" in text
    assert "FA2026-00003" not in text and "Règlement" not in text
    # 4 days late on 5 Oct, the whole 780,00 due.
    assert f"FA2026-00002 01/10/2026 4 j {eur('780,00 €')} {eur('780,00 €')}" in text
    assert f"Solde dû au 05/10/2026 {eur('780,00 €')}" in text


def test_statement_of_a_customer_in_credit_asks_for_nothing(customer, pay):
    pay("250.00", dt.date(2026, 11, 3))
    text = flat(pages_text(statement_pdf(customer, NOV_29))[0])
    assert "Aucune facture ouverte." in text
    assert f"Solde en votre faveur au 29/11/2026 {eur('250,00 €')}" in text
    assert "IBAN" not in text  # nothing to pay, no bank details
    assert qr_codes(statement_pdf(customer, NOV_29)) == []  # and no code


def test_statement_renders_the_same_bytes_twice(customer, account):
    assert statement_pdf(customer, NOV_29) == statement_pdf(customer, NOV_29)


def cheque(company, customer, admin, amount, on, reference, payer=""):
    data = {
        "customer": customer.pk,
        "amount": amount,
        "date": on,
        "method": "cheque",
        "reference": reference,
        "payer": payer,
    }
    return record_payment(company, data, by=admin)


def test_remittance_slip_lists_each_cheque_and_the_total(company, customer, admin):
    cheque(company, customer, admin, "1234.56", dt.date(2026, 11, 20), "CIC 0012345")
    cheque(
        company, customer, admin, "78.00", dt.date(2026, 11, 23), "LCL 7654321", "M. Jean Dupont"
    )
    cheque(company, customer, admin, "0.44", dt.date(2026, 11, 24), "BNP 1111111")
    slip = create_remittance_slip(
        company,
        list(Payment.objects.filter(company=company).values_list("pk", flat=True)),
        by=admin,
        on=dt.date(2026, 11, 25),
        bank_account=company.iban,
    )
    pdf = remittance_slip_pdf(slip)
    dump("remittance_slip", pdf)
    assert pdfa_id(pdf) == ("3", "B")
    text = flat(pages_text(pdf)[0])
    assert f"Bordereau n° {slip.number}" in text and "Date de remise 25/11/2026" in text
    assert f"FR76{NBSP}3000{NBSP}6000{NBSP}0112{NBSP}3456{NBSP}7890{NBSP}189" in text
    # Without a payer, the drawer is the customer.
    assert (
        f"1 Boulangerie Dupont SARL Boulangerie Dupont SARL CIC 0012345 20/11/2026 "
        f"{eur('1 234,56 €')}" in text
    )
    assert (
        f"2 M. Jean Dupont Boulangerie Dupont SARL LCL 7654321 23/11/2026 {eur('78,00 €')}" in text
    )
    assert f"BNP 1111111 24/11/2026 {eur('0,44 €')}" in text
    # 1 234,56 + 78,00 + 0,44 = 1 313,00
    assert "Nombre de chèques 3 chèques" in text
    assert f"Total de la remise {eur('1 313,00 €')}" in text
    assert "Signature du remettant".upper() in text


def test_a_long_statement_runs_onto_a_second_page_with_its_header(customer, invoice_of):
    for _ in range(45):
        invoice_of(1, dt.date(2026, 11, 3))  # 45 × 78,00 = 3 510,00, due 03/12/2026
    pdf = statement_pdf(customer, NOV_29)
    dump("statement_long", pdf)
    pages = [flat(text) for text in pages_text(pdf)]
    assert len(pages) == 2
    assert "RELEVÉ DE COMPTE au 29/11/2026 (suite)" in pages[1]
    assert "Date Facture Échéance Retard Montant TTC Reste dû" in pages[1]
    assert "FA2026-00001" in pages[0] and "FA2026-00045" in pages[1]
    assert f"Solde dû au 29/11/2026 {eur('3 510,00 €')}" in pages[1]
    # Too many to list: the statement asks for the numbers instead.
    assert "Merci de rappeler les numéros des factures réglées." in pages[1]
