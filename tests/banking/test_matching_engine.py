"""The engine over a small book: exact expected allocations for each kind of line, and
the traps (two customers alike, mangled and wrong numbers)."""

import datetime as dt
from decimal import Decimal

import pytest

from encaisse.audit.models import AuditEntry
from encaisse.banking.models import BankMatch, LineStatus, MatchProposal, MatchRule
from encaisse.banking.services.reconcile import reconcile
from encaisse.customers.services import create_customer
from encaisse.ledger.models import JournalEntry
from encaisse.receivables import stored
from encaisse.receivables.models import Allocation, Installment, Payment, WriteOff
from encaisse.receivables.services.allocation import allocate
from encaisse.receivables.services.payments import create_remittance_slip, record_payment
from encaisse.sales.services import create_credit_note
from tests.banking.factories import bank_account, make_line
from tests.conftest import CUSTOMER, issue_on_day

JAN = dt.date(2026, 1, 10)
FEB = dt.date(2026, 2, 12)
DUPONT = "BOULANGERIE DUPONT"


def allocations_of(line) -> list[tuple[str, Decimal]]:
    """[(invoice number, amount)] allocated by the payment(s) the line's match recorded."""
    payments = [m.payment_id for m in BankMatch.objects.filter(line=line, undone_on=None)]
    rows = Allocation.objects.filter(payment__in=payments, undone_on=None).select_related(
        "installment__invoice"
    )
    return sorted((a.installment.invoice.number, a.amount) for a in rows)


def matched(line) -> BankMatch:
    line.refresh_from_db()
    assert line.status == LineStatus.MATCHED, (
        getattr(line, "proposal", None) and line.proposal.candidates
    )
    return BankMatch.objects.get(line=line, undone_on=None)


@pytest.fixture
def run(company, admin):
    def run(*lines):
        return reconcile(company, lines or None, by=admin, keep_decisions=True)

    return run


def test_one_invoice_by_number(company, invoice_of, run):
    invoice = invoice_of(2, JAN)  # 156.00
    line = make_line(
        company, "156.00", f"VIR SEPA RECU /DE PARENT HOLDING /MOTIF FACT {invoice.number}", on=FEB
    )
    report = run(line)
    assert report.matched == 1
    match = matched(line)
    assert match.automatic and match.score >= 85
    assert f"n° {invoice.number} dans le libellé" in match.explanation
    assert "montant égal" in match.explanation
    assert allocations_of(line) == [(invoice.number, Decimal("156.00"))]
    assert stored.differences(company.pk) == []
    # What the services would have written, written set-based: the payment's entry and
    # the audit trail of the payment, its customer and the line.
    payment = match.payment
    entry = JournalEntry.objects.get(source_type="receivables.payment", source_id=payment.pk)
    assert {(jl.account.number, jl.debit, jl.credit) for jl in entry.lines.all()} == {
        ("512", Decimal("156.00"), 0),
        ("411", 0, Decimal("156.00")),
    }
    assert payment.number.startswith("RG2026-") and payment.date == FEB
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "payment.recorded",
        "customer.payment_recorded",
        "payment.allocated",
        "bank_line.matched",
        "bank.reconciled",
    } <= actions


def test_several_invoices_of_one_customer(company, invoice_of, run):
    a, b, c = invoice_of(1, JAN), invoice_of(2, JAN), invoice_of(3, JAN)
    line = make_line(company, "312.00", f"VIR {DUPONT} FACT {a.number} {c.number}", on=FEB)
    run(line)
    matched(line)
    assert allocations_of(line) == [(a.number, Decimal("78.00")), (c.number, Decimal("234.00"))]
    assert b.installments.get().open_amount == Decimal("156.00")


def test_invoice_minus_credit_note(company, admin, invoice_of, pay, run):
    a = invoice_of(10, JAN)  # 780.00
    b = invoice_of(2, JAN)
    allocate(pay("156.00", JAN), [(b.installments.get(), "156.00")], by=admin)
    note = issue_on_day(create_credit_note(b, by=admin), by=admin, on=JAN)  # 156 left
    line = make_line(company, "624.00", f"VIR {DUPONT} {a.number} - {note.number}", on=FEB)
    run(line)
    matched(line)
    assert allocations_of(line) == [(a.number, Decimal("624.00"))]
    assert Allocation.objects.get(credit_note=note).amount == Decimal("156.00")
    assert a.installments.get().open_amount == 0


def test_partial_payment(company, invoice_of, run):
    invoice = invoice_of(5, JAN)  # 390.00
    line = make_line(
        company, "100.00", f"ACOMPTE {invoice.number}", on=FEB, counterparty_name=DUPONT
    )
    run(line)
    matched(line)
    assert allocations_of(line) == [(invoice.number, Decimal("100.00"))]
    assert invoice.installments.get().open_amount == Decimal("290.00")


def test_an_installment_of_a_schedule(company, make_invoice, service_product, run):
    invoice = make_invoice(
        lines=[{"product": service_product.pk, "quantity": "10"}],  # 780.00
        issue_on=JAN,
        schedule=[{"days": 30, "amount": "300.00"}, {"days": 60, "amount": "480.00"}],
    )
    line = make_line(company, "480.00", f"VIR {DUPONT} {invoice.number}", on=FEB)
    run(line)
    matched(line)
    first, second = invoice.installments.order_by("position")
    assert (first.open_amount, second.open_amount) == (Decimal("300.00"), 0)


def test_a_remittance_slip_already_recorded(company, admin, customer, run):
    cheques = [
        record_payment(
            company,
            {"customer": customer.pk, "amount": a, "date": JAN, "method": "cheque"},
            by=admin,
        )
        for a in ("120.00", "80.50")
    ]
    slip = create_remittance_slip(company, [c.pk for c in cheques], by=admin, on=JAN)
    line = make_line(company, "200.50", f"REMISE CHEQUES N {slip.number}", on=JAN)
    run(line)
    assert matched(line).remittance == slip


def test_a_payment_recorded_by_hand(company, admin, customer, invoice_of, run):
    invoice_of(2, JAN)  # 156.00, also a candidate by amount and name
    payment = record_payment(
        company,
        {"customer": customer.pk, "amount": "156.00", "date": FEB, "method": "transfer"},
        by=admin,
    )
    line = make_line(company, "156.00", f"VIR SEPA RECU /DE {DUPONT}", on=FEB)
    run(line)
    assert matched(line).payment == payment
    assert Payment.objects.count() == 1  # none recorded twice


def test_a_direct_debit_batch(company, admin, customer, run):
    batch = [
        record_payment(
            company,
            {"customer": customer.pk, "amount": a, "date": FEB, "method": "direct_debit"},
            by=admin,
        )
        for a in ("10.00", "20.00", "33.33")
    ]
    line = make_line(company, "63.33", "REMISE PRLV SEPA 12 OPERATIONS", on=FEB)
    run(line)
    line.refresh_from_db()
    assert line.status == LineStatus.MATCHED
    assert {m.payment for m in BankMatch.objects.filter(line=line)} == set(batch)


def test_a_fee_within_tolerance_is_written_off(company, invoice_of, run):
    invoice = invoice_of(2, JAN)  # 156.00
    line = make_line(company, "155.50", f"VIR {invoice.number}", on=FEB, counterparty_name=DUPONT)
    run(line)
    assert "écart de 0,50 €" in matched(line).explanation
    assert allocations_of(line) == [(invoice.number, Decimal("155.50"))]
    assert WriteOff.objects.get().amount == Decimal("0.50")
    assert invoice.installments.get().open_amount == 0


def test_a_fee_above_tolerance_is_proposed(company, invoice_of, run):
    invoice = invoice_of(2, JAN)  # 156.00; 6.00 short, over the 5.00 threshold
    line = make_line(company, "150.00", f"VIR {invoice.number}", on=FEB, counterparty_name=DUPONT)
    report = run(line)
    assert report.proposed == 1
    line.refresh_from_db()
    assert line.status == LineStatus.PROPOSED
    best = line.proposal.candidates[0]
    assert best["items"][0]["number"] == invoice.number and best["write_off"] == "0.00"
    assert Payment.objects.count() == 0


def test_two_customers_alike_with_equal_amounts_stay_unmatched(
    company, admin, make_invoice, service_product, run
):
    dupond = create_customer(
        company,
        {
            **CUSTOMER,
            "legal_name": "Boulangerie Dupond SAS",
            "siren": "443061841",
            "siret": "44306184100047",
        },
        by=admin,
    )
    lines = [{"product": service_product.pk, "quantity": "2"}]
    one = make_invoice(lines=lines, issue_on=JAN)
    two = make_invoice(lines=lines, issue_on=JAN, cust=dupond)
    line = make_line(company, "156.00", "VIR SEPA RECU /DE BOULANGERIE DUPON", on=FEB)
    report = run(line)
    assert report.matched == 0 and report.proposed == 1
    proposal = MatchProposal.objects.get(line=line)
    assert {c["customer"] for c in proposal.candidates} == {one.customer_id, two.customer_id}
    assert Payment.objects.count() == 0


def test_mangled_numbers(company, invoice_of, run):
    invoices = [invoice_of(n, JAN) for n in (1, 2, 3, 4)]
    year = invoices[0].number[2:6]

    def seq(invoice):
        return int(invoice.number.split("-")[1])

    texts = [
        f"VIR FA {year} {seq(invoices[0])}",
        f"VIR {year}-{seq(invoices[1]):05d}",
        f"VIR FA{year}{seq(invoices[2]):05d}",
        f"VIR FA{year}-{seq(invoices[3]):04d}",
    ]
    lines = [
        make_line(company, str(inv.total_incl_vat), text, on=FEB)
        for inv, text in zip(invoices, texts, strict=True)
    ]
    run(*lines)
    for line, invoice in zip(lines, invoices, strict=True):
        matched(line)
        assert allocations_of(line) == [(invoice.number, invoice.total_incl_vat)]


def test_a_wrong_number_with_the_right_amount_is_only_proposed(company, invoice_of, run):
    small = invoice_of(2, JAN)  # 156.00
    big = invoice_of(10, JAN)  # 780.00, its number typed instead
    line = make_line(company, "156.00", f"VIR {big.number}", on=FEB, counterparty_name=DUPONT)
    run(line)
    line.refresh_from_db()
    assert line.status == LineStatus.PROPOSED
    numbers = {c["items"][0]["number"] for c in line.proposal.candidates if c["items"]}
    assert small.number in numbers
    assert Installment.objects.filter(open_amount=0).count() == 0


def test_rules_and_own_transfers(company, admin, run):
    MatchRule.objects.create(
        company=company,
        label_contains="frais tenue",
        direction="debit",
        account="627",
        entry_label="Frais bancaires",
    )
    savings = bank_account(company, "FR7630004000031234567890143", "Livret")
    fees = make_line(company, "-12.40", "FRAIS TENUE DE COMPTE", on=FEB)
    transfer = make_line(company, "-1000.00", "VIR INTERNE", on=FEB, counterparty_iban=savings.iban)
    report = run(fees, transfer)
    assert (report.matched, report.assigned) == (2, 2)
    assert BankMatch.objects.get(line=fees).explanation.startswith("règle")
    accounts = {jl.account.number for jl in BankMatch.objects.get(line=transfer).entry.lines.all()}
    assert accounts == {"512", "580"}


def test_an_rf_creditor_reference(company, invoice_of, run):
    from encaisse.banking.matching.text import rf_reference

    invoice = invoice_of(3, JAN)  # 234.00
    reference = rf_reference(invoice.number.replace("-", ""))
    line = make_line(company, "234.00", "VIR SEPA RECU /DE X", on=FEB, creditor_reference=reference)
    run(line)
    assert allocations_of(line) == [(invoice.number, Decimal("234.00"))]
    assert matched(line).explanation.startswith(f"référence {reference} de {invoice.number}")
