"""A person's matches: match_line, split_line, match_payments/remittance/refund,
assign_line and unmatch_line, with their refusals."""

import datetime as dt
from decimal import Decimal

import pytest

from encaisse.banking.models import BankMatch, LineStatus, MatchOperation, PayerMemory
from encaisse.banking.services.matching import (
    assign_line,
    match_line,
    match_payments,
    match_refund,
    match_remittance,
    split_line,
    unmatch_line,
)
from encaisse.companies.models import Role
from encaisse.customers.services import create_customer
from encaisse.errors import Conflict, Forbidden, NotFound, ValidationFailed
from encaisse.ledger.models import JournalEntry
from encaisse.ledger.periods import close_fiscal_year, open_fiscal_year
from encaisse.receivables import stored
from encaisse.receivables.models import Allocation, Installment, Payment, Refund, WriteOff
from encaisse.receivables.services.allocation import refund
from encaisse.receivables.services.payments import create_remittance_slip, record_payment
from encaisse.sales.services import create_credit_note
from tests.banking.factories import make_line
from tests.conftest import CUSTOMER, issue_on_day

JAN = dt.date(2026, 1, 10)
FEB = dt.date(2026, 2, 12)
IBAN = "FR1420041010050500013M02606"
OTHER_BUYER = {"legal_name": "Dupont Fils SARL", "siren": "443061841", "siret": "44306184100047"}


def open_of(invoice) -> Decimal:
    return sum((i.open_amount for i in Installment.objects.filter(invoice=invoice)), Decimal(0))


def test_match_one_invoice_records_and_allocates_the_payment(company, admin, invoice_of):
    invoice = invoice_of(2, JAN)  # 156.00
    line = make_line(
        company,
        "156.00",
        f"VIR SEPA RECU /DE BOULANGERIE DUPONT /MOTIF {invoice.number}",
        on=FEB,
        counterparty_name="BOULANGERIE DUPONT",
        counterparty_iban=IBAN,
        end_to_end_id="E2E-1",
    )
    operation = match_line(line, [(invoice, "156.00")], customer=invoice.customer, by=admin)
    payment = Payment.objects.get()
    assert (payment.amount, payment.date, payment.method, payment.bank_account) == (
        Decimal("156.00"),
        FEB,
        "transfer",
        IBAN,
    )
    assert payment.payer == "BOULANGERIE DUPONT"
    assert payment.reference.startswith("E2E-1 VIR SEPA RECU")
    assert open_of(invoice) == 0
    assert payment.received_on == FEB
    line.refresh_from_db()
    assert line.status == LineStatus.MATCHED
    match = BankMatch.objects.get(line=line)
    assert (match.payment, match.amount, match.automatic) == (payment, Decimal("156.00"), False)
    assert operation.recorded_payments == [payment.pk]
    # The payer is remembered: IBAN, and the name variant differing from the customer's.
    assert PayerMemory.objects.get(iban=IBAN).customer == invoice.customer
    assert stored.differences(company.pk) == []


def test_refusals_change_nothing(company, admin, invoice_of, make_user):
    invoice = invoice_of(2, JAN)
    line = make_line(company, "156.00", "VIR", on=FEB)
    with pytest.raises(ValidationFailed) as error:
        match_line(line, [(invoice, "150.00")], customer=invoice.customer, by=admin)
    assert error.value.code == "amounts_mismatch"
    with pytest.raises(ValidationFailed) as error:
        match_line(line, [(invoice, "200.00")], customer=invoice.customer, by=admin)
    assert error.value.code == "over_allocation"
    debit = make_line(company, "-156.00", "PRLV", on=FEB)
    with pytest.raises(ValidationFailed) as error:
        match_line(debit, [(invoice, "156.00")], customer=invoice.customer, by=admin)
    assert error.value.code == "debit_line"
    seller = make_user("vendeur", company, Role.SALES)
    with pytest.raises(Forbidden):
        match_line(line, [(invoice, "156.00")], customer=invoice.customer, by=seller)
    assert Payment.objects.count() == 0 and BankMatch.objects.count() == 0
    assert MatchOperation.objects.count() == 0
    match_line(line, [(invoice, "156.00")], customer=invoice.customer, by=admin)
    with pytest.raises(Conflict):
        match_line(line, [(invoice, "156.00")], customer=invoice.customer, by=admin)
    assert Payment.objects.count() == 1


def test_an_installment_of_another_company_is_refused(
    company, admin, invoice_of, other_company, make_user
):
    invoice = invoice_of(2, JAN)
    theirs = make_user("leur-admin", other_company)
    line = make_line(other_company, "156.00", "VIR", on=FEB)
    with pytest.raises(ValidationFailed) as error:
        match_line(line, [(invoice.installments.get(), "156.00")], by=theirs)
    assert error.value.code == "unknown_installment"
    with pytest.raises(NotFound):  # not a member of the line's company
        match_line(line, [(invoice.installments.get(), "156.00")], by=admin)
    assert Payment.objects.count() == 0


def test_a_line_of_a_closed_year_is_refused(company, admin, invoice_of):
    invoice = invoice_of(2, dt.date(2025, 3, 1))
    year = open_fiscal_year(company, dt.date(2025, 1, 1), dt.date(2025, 12, 31), by=admin)
    close_fiscal_year(year, by=admin)
    line = make_line(company, "156.00", "VIR", on=dt.date(2025, 4, 1))
    with pytest.raises(ValidationFailed) as error:
        match_line(line, [(invoice, "156.00")], customer=invoice.customer, by=admin)
    assert error.value.code == "closed_period"
    assert Payment.objects.count() == 0


def test_fee_within_tolerance_is_written_off_and_the_undo_restores_everything(
    company, admin, invoice_of
):
    invoice = invoice_of(2, JAN)  # 156.00
    before = {i.pk: i.open_amount for i in Installment.objects.all()}
    line = make_line(company, "155.50", f"VIR {invoice.number}", on=FEB)
    match_line(line, [(invoice, "155.50")], customer=invoice.customer, by=admin, write_off="0.50")
    assert open_of(invoice) == 0
    loss = WriteOff.objects.get()
    assert loss.amount == Decimal("0.50")
    with pytest.raises(ValidationFailed):  # over the threshold (5.00)
        match_line(
            make_line(company, "150.00", "VIR", on=FEB),
            [(invoice, "150.00")],
            customer=invoice.customer,
            by=admin,
            write_off="6.00",
        )
    undo = unmatch_line(line, by=admin, reason="Mauvais client")
    assert {i.pk: i.open_amount for i in Installment.objects.all()} == before
    assert stored.differences(company.pk) == []
    line.refresh_from_db()
    assert line.status == LineStatus.UNMATCHED
    assert BankMatch.objects.get(line=line).undone_on is not None
    payment = Payment.objects.get()
    cancel = Refund.objects.get()
    assert (cancel.amount, undo.refunds) == (payment.amount, [cancel.pk])
    assert payment.unallocated_amount == 0  # refunded: no credit left with the customer
    assert Allocation.objects.get(write_off=loss).undone_on is not None
    # The books: payment 512/411, refund 411/512, write-off 658/411 and its reversal.
    labels = list(JournalEntry.objects.filter(journal="OD").values_list("label", flat=True))
    assert len(labels) == 2 and labels[1].startswith("Annulation")
    # The line can be matched again.
    match_line(line, [(invoice, "155.50")], customer=invoice.customer, by=admin, write_off="0.50")
    assert open_of(invoice) == 0


def test_partial_payment_and_invoice_minus_credit_note(company, admin, invoice_of, pay):
    a = invoice_of(10, JAN)  # 780.00
    b = invoice_of(2, JAN)  # 156.00
    paid = pay("156.00", JAN)
    from encaisse.receivables.services.allocation import allocate

    allocate(paid, [(b.installments.get(), "156.00")], by=admin)
    note = issue_on_day(create_credit_note(b, by=admin), by=admin, on=JAN)  # 156 credit left
    line = make_line(company, "624.00", f"{a.number} moins {note.number}", on=FEB)
    match_line(line, [(a, "780.00"), (note, "156.00")], customer=a.customer, by=admin)
    assert open_of(a) == 0
    assert Payment.objects.get(amount="624.00").unallocated_amount == 0
    assert stored.differences(company.pk) == []
    partial = invoice_of(5, JAN)  # 390.00
    line2 = make_line(company, "100.00", f"ACOMPTE {partial.number}", on=FEB)
    match_line(line2, [(partial, "100.00")], by=admin)
    assert open_of(partial) == Decimal("290.00")
    unmatch_line(line, by=admin, reason="Erreur")
    assert open_of(a) == Decimal("780.00")
    assert stored.differences(company.pk) == []


def test_split_across_two_customers(company, admin, invoice_of, make_invoice, service_product):
    other = create_customer(company, {**CUSTOMER, **OTHER_BUYER}, by=admin)
    a = invoice_of(1, JAN)  # 78.00
    b = make_invoice(
        lines=[{"product": service_product.pk, "quantity": "2"}], issue_on=JAN, cust=other
    )  # 156.00
    line = make_line(company, "234.00", "VIR GROUPE DUPONT", on=FEB)
    with pytest.raises(ValidationFailed) as error:
        split_line(line, [{"allocations": [(a, "78.00")]}], by=admin)
    assert error.value.code == "amounts_mismatch"
    split_line(line, [{"allocations": [(a, "78.00")]}, {"allocations": [(b, "156.00")]}], by=admin)
    assert sorted(p.customer_id for p in Payment.objects.all()) == sorted([a.customer_id, other.pk])
    assert BankMatch.objects.filter(line=line).count() == 2
    assert open_of(a) == 0 and open_of(b) == 0


def test_existing_payment_batch_remittance_and_refund(company, admin, customer, invoice_of):
    def payment(amount, method="transfer", on=JAN):
        return record_payment(
            company,
            {"customer": customer.pk, "amount": amount, "date": on, "method": method},
            by=admin,
        )

    by_hand = payment("78.00")
    line = make_line(company, "78.00", "VIR DUPONT", on=JAN)
    with pytest.raises(ValidationFailed):
        match_payments(make_line(company, "79.00", "VIR", on=JAN), [by_hand], by=admin)
    match_payments(line, [by_hand], by=admin)
    with pytest.raises(Conflict):  # already matched to a line
        match_payments(make_line(company, "78.00", "VIR", on=JAN), [by_hand], by=admin)
    batch = [payment("10.00", "direct_debit"), payment("20.50", "direct_debit")]
    batch_line = make_line(company, "30.50", "REMISE PRLV SEPA", on=JAN)
    match_payments(batch_line, batch, by=admin)
    assert BankMatch.objects.filter(line=batch_line).count() == 2
    cheques = [payment("100.00", "cheque"), payment("50.00", "cheque")]
    slip = create_remittance_slip(company, [c.pk for c in cheques], by=admin, on=JAN)
    with pytest.raises(ValidationFailed):
        match_remittance(make_line(company, "100.00", "REMISE", on=JAN), slip, by=admin)
    remit_line = make_line(company, "150.00", f"REMISE CHEQUES {slip.number}", on=JAN)
    match_remittance(remit_line, slip, by=admin)
    assert BankMatch.objects.get(line=remit_line).remittance == slip
    money_back = refund(payment("40.00"), "40.00", by=admin, on=JAN)
    with pytest.raises(ValidationFailed):
        match_refund(make_line(company, "40.00", "VIR", on=JAN), money_back, by=admin)
    debit = make_line(company, "-40.00", "VIR EMIS DUPONT", on=JAN)
    match_refund(debit, money_back, by=admin)
    # Undoing a match to existing records only unlinks them.
    unmatch_line(remit_line, by=admin, reason="Erreur")
    assert Refund.objects.count() == 1
    assert not BankMatch.objects.filter(remittance=slip, undone_on__isnull=True).exists()


def test_assign_line_posts_the_entry_and_undo_reverses_it(company, admin):
    line = make_line(company, "-12.40", "FRAIS TENUE DE COMPTE", on=FEB)
    with pytest.raises(ValidationFailed):
        assign_line(line, "41", "Frais", by=admin)
    with pytest.raises(ValidationFailed):
        assign_line(line, "627", "", by=admin)
    assign_line(line, "627", "Frais bancaires", by=admin)
    line.refresh_from_db()
    assert line.status == LineStatus.ASSIGNED
    entry = BankMatch.objects.get(line=line).entry
    lines = {(jl.account.number, jl.debit, jl.credit) for jl in entry.lines.all()}
    assert lines == {("627", Decimal("12.40"), 0), ("512", 0, Decimal("12.40"))}
    unmatch_line(line, by=admin, reason="Pas des frais")
    reversal = JournalEntry.objects.filter(journal="BQ").order_by("pk").last()
    lines = {(jl.account.number, jl.debit, jl.credit) for jl in reversal.lines.all()}
    assert lines == {("627", 0, Decimal("12.40")), ("512", Decimal("12.40"), 0)}
    with pytest.raises(Conflict):
        unmatch_line(line, by=admin, reason="Encore")
