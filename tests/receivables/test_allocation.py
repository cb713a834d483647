import datetime as dt
from decimal import Decimal

import pytest

from encaisse.companies.models import Role
from encaisse.customers.services import create_customer
from encaisse.errors import Conflict, Forbidden, ValidationFailed
from encaisse.receivables.models import Allocation
from encaisse.receivables.selectors import InvoiceStatus, customer_balance, invoice_status
from encaisse.receivables.services.allocation import (
    allocate,
    available_credit,
    propose_allocation,
    refund,
    undo_allocation,
    write_off,
)
from encaisse.receivables.services.payments import create_remittance_slip, record_payment
from encaisse.sales.services import create_credit_note
from tests.conftest import issue_on_day

JAN = dt.date(2026, 1, 10)


def test_issue_creates_one_installment_at_the_due_date(invoice_of):
    invoice = invoice_of(10, JAN)  # 650 HT + 130 VAT = 780 TTC
    installment = invoice.installments.get()
    assert (installment.amount, installment.due_date) == (Decimal("780.00"), dt.date(2026, 2, 9))


def test_proposal_takes_named_invoices_first_then_the_oldest(invoice_of, pay):
    oldest = invoice_of(1, JAN)  # 78.00
    middle = invoice_of(2, JAN + dt.timedelta(days=1))  # 156.00
    named = invoice_of(3, JAN + dt.timedelta(days=2))  # 234.00
    payment = pay("300.00", dt.date(2026, 2, 1), reference=f"Règlement {named.number}")
    proposals = propose_allocation(payment)
    # 300 = 234 (named) + 66 of the oldest (78 due); nothing left for the middle one.
    assert [(p.installment.invoice, p.amount, p.reason) for p in proposals] == [
        (named, Decimal("234.00"), "référence"),
        (oldest, Decimal("66.00"), "plus ancienne"),
    ]
    assert middle.installments.exists()


def test_allocate_then_status_and_balance_as_of_dates(invoice_of, pay, admin):
    invoice = invoice_of(10, JAN)  # 780.00 due 9 Feb
    payment = pay("500.00", dt.date(2026, 2, 1))
    allocate(payment, [(invoice.installments.get(), "500.00")], by=admin, on=dt.date(2026, 2, 2))
    assert invoice_status(invoice, dt.date(2026, 1, 31)) == InvoiceStatus.OPEN
    assert invoice_status(invoice, dt.date(2026, 2, 2)) == InvoiceStatus.PARTLY_PAID
    assert invoice_status(invoice, dt.date(2026, 2, 10)) == InvoiceStatus.OVERDUE
    assert customer_balance(invoice.customer, dt.date(2026, 1, 9)) == Decimal("0.00")
    assert customer_balance(invoice.customer, dt.date(2026, 1, 31)) == Decimal("780.00")
    assert customer_balance(invoice.customer, dt.date(2026, 2, 1)) == Decimal("280.00")
    assert available_credit(payment) == Decimal("0.00")


def test_over_allocation_is_refused_and_changes_nothing(invoice_of, pay, admin):
    invoice = invoice_of(1, JAN)  # 78.00
    payment = pay("100.00", JAN)
    installment = invoice.installments.get()
    with pytest.raises(ValidationFailed) as error:
        allocate(payment, [(installment, "78.01")], by=admin, on=JAN)
    assert error.value.code == "over_allocation"
    other = invoice_of(1, JAN)
    with pytest.raises(ValidationFailed, match="100,00"):
        allocate(payment, [(installment, "78"), (other.installments.get(), "23")], by=admin, on=JAN)
    assert not Allocation.objects.exists()


def test_allocation_to_another_customers_invoice_is_refused(invoice_of, pay, admin, company):
    invoice = invoice_of(1, JAN)
    stranger = create_customer(company, {"legal_name": "Autre client"}, by=admin)
    payment = pay("78.00", JAN, cust=stranger)
    with pytest.raises(ValidationFailed, match="autre client"):
        allocate(payment, [(invoice.installments.get(), "78")], by=admin, on=JAN)


def test_undo_keeps_the_trace_and_frees_both_sides(invoice_of, pay, admin):
    invoice = invoice_of(1, JAN)
    payment = pay("78.00", JAN)
    (allocation,) = allocate(payment, [(invoice.installments.get(), "78")], by=admin, on=JAN)
    with pytest.raises(ValidationFailed):
        undo_allocation(allocation, by=admin, reason="")
    undo_allocation(allocation, by=admin, reason="Mauvaise facture", on=dt.date(2026, 1, 20))
    allocation.refresh_from_db()
    assert (allocation.undone_on, allocation.undone_by) == (dt.date(2026, 1, 20), admin)
    assert invoice_status(invoice, dt.date(2026, 1, 15)) == InvoiceStatus.PAID
    assert invoice_status(invoice, dt.date(2026, 1, 20)) == InvoiceStatus.OPEN
    assert available_credit(payment) == Decimal("78.00")
    with pytest.raises(Conflict):
        undo_allocation(allocation, by=admin, reason="encore")


def test_credit_note_settles_its_invoice_when_issued(invoice_of, admin):
    invoice = invoice_of(10, JAN)  # 780.00
    note = issue_on_day(
        create_credit_note(invoice, by=admin, mode="amount", amount="100", vat_rate="20"),
        by=admin,
        on=JAN,
    )  # 120.00 TTC
    allocation = Allocation.objects.get(credit_note=note)
    assert (allocation.amount, allocation.installment.invoice) == (Decimal("120.00"), invoice)
    assert customer_balance(invoice.customer, JAN) == Decimal("660.00")


def test_credit_note_of_a_paid_invoice_stays_as_credit_and_can_be_refunded(invoice_of, pay, admin):
    invoice = invoice_of(1, JAN)
    payment = pay("78.00", JAN)
    allocate(payment, [(invoice.installments.get(), "78")], by=admin, on=JAN)
    note = issue_on_day(create_credit_note(invoice, by=admin), by=admin, on=JAN)
    assert available_credit(note) == Decimal("78.00")
    assert customer_balance(invoice.customer, JAN) == Decimal("-78.00")
    with pytest.raises(ValidationFailed):
        refund(note, "78.01", by=admin, on=JAN)
    money_back = refund(note, "78.00", by=admin, on=JAN)
    assert customer_balance(invoice.customer, JAN) == Decimal("0.00")
    assert available_credit(note) == Decimal("0.00")
    with pytest.raises(Conflict):
        undo_allocation(money_back.allocations.get(), by=admin, reason="erreur")


def test_write_off_under_the_threshold_only(invoice_of, pay, admin):
    invoice = invoice_of(1, JAN)  # 78.00
    payment = pay("77.50", JAN)
    installment = invoice.installments.get()
    allocate(payment, [(installment, "77.50")], by=admin, on=JAN)
    with pytest.raises(ValidationFailed):
        write_off(installment, "5.01", by=admin, reason="frais", on=JAN)
    with pytest.raises(ValidationFailed):
        write_off(installment, "0.51", by=admin, reason="frais", on=JAN)
    write_off(installment, "0.50", by=admin, reason="Frais bancaires", on=JAN)
    assert invoice_status(invoice, JAN) == InvoiceStatus.PAID
    assert customer_balance(invoice.customer, JAN) == Decimal("0.00")


def test_payment_on_account_before_the_invoice(invoice_of, pay, admin):
    payment = pay("78.00", JAN)  # received before any invoice
    assert customer_balance(payment.customer, JAN) == Decimal("-78.00")
    invoice = invoice_of(1, JAN + dt.timedelta(days=3))
    (proposal,) = propose_allocation(payment)
    assert (proposal.installment.invoice, proposal.amount) == (invoice, Decimal("78.00"))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"amount": "0"}, "zero_amount"),
        ({"amount": "-5"}, "negative"),
        ({"amount": "1.001"}, "too_many_decimals"),
        ({"method": "bitcoin"}, "invalid_method"),
        ({"date": "2090-01-01"}, "future_date"),
        ({"date": "2999-01-01"}, "date_out_of_range"),
        ({"date": "31/01/2026"}, "invalid_date"),
        ({"bank_account": "FR76 0000"}, "invalid_iban"),
    ],
)
def test_bad_payments_are_refused(company, customer, admin, data, code):
    with pytest.raises(ValidationFailed) as error:
        record_payment(
            company,
            {
                "customer": customer.pk,
                "amount": "10",
                "date": "2026-01-10",
                "method": "transfer",
                **data,
            },
            by=admin,
        )
    assert error.value.code == code


def test_sales_role_cannot_record_payments(company, customer, make_user):
    seller = make_user("vendeur", company, Role.SALES)
    with pytest.raises(Forbidden):
        record_payment(
            company, {"customer": customer.pk, "amount": "10", "method": "cheque"}, by=seller
        )


def test_remittance_slip_numbers_and_refusals(company, pay, admin):
    cheques = [pay("10.00", JAN, method="cheque"), pay("20.00", JAN, method="cheque")]
    transfer = pay("5.00", JAN)
    with pytest.raises(ValidationFailed, match="n'est pas un chèque"):
        create_remittance_slip(company, [cheques[0].pk, transfer.pk], by=admin, on=JAN)
    slip = create_remittance_slip(company, [c.pk for c in cheques], by=admin, on=JAN)
    assert slip.number == 1 and slip.payments.count() == 2
    with pytest.raises(ValidationFailed, match="déjà sur le Bordereau n° 1"):
        create_remittance_slip(company, [cheques[0].pk], by=admin, on=JAN)


def test_each_allocation_keeps_the_day_its_money_came_in(invoice_of, pay, admin, company):
    """Allocation.paid_on: the credit's own date, whatever the day of the matching."""
    one, two, three = invoice_of(1, JAN), invoice_of(2, JAN), invoice_of(3, JAN)
    transfer = pay("78.00", dt.date(2026, 1, 20))
    allocate(transfer, [(one.installments.get(), "78.00")], by=admin, on=dt.date(2026, 2, 3))
    cheque = pay("156.00", dt.date(2026, 1, 21), method="cheque")
    allocate(cheque, [(two.installments.get(), "152.00")], by=admin, on=dt.date(2026, 1, 22))
    write_off(two.installments.get(), "4.00", by=admin, reason="Frais", on=dt.date(2026, 2, 4))
    note = issue_on_day(
        create_credit_note(three, by=admin, mode="full", reason="Annulation"),
        by=admin,
        on=dt.date(2026, 1, 25),
    )
    money_back = refund(cheque, "4.00", by=admin, on=dt.date(2026, 2, 5))
    dates = {
        (a.payment_id, a.write_off_id, a.credit_note_id, a.refund_id): (a.allocated_on, a.paid_on)
        for a in Allocation.objects.all()
    }
    loss = two.installments.get().allocations.get(write_off__isnull=False).write_off_id
    assert dates == {
        # matched on 3 Feb, received on 20 Jan
        (transfer.pk, None, None, None): (dt.date(2026, 2, 3), dt.date(2026, 1, 20)),
        # a cheque not yet remitted: the day it was received
        (cheque.pk, None, None, None): (dt.date(2026, 1, 22), dt.date(2026, 1, 21)),
        (None, loss, None, None): (dt.date(2026, 2, 4), dt.date(2026, 2, 4)),
        (None, None, note.pk, None): (dt.date(2026, 1, 25), dt.date(2026, 1, 25)),
        (cheque.pk, None, None, money_back.pk): (dt.date(2026, 2, 5), dt.date(2026, 1, 21)),
    }
    # The slip moves the cheque's day on every allocation of it, the matching's does not
    # move; the transfer's allocation is left alone.
    create_remittance_slip(company, [cheque.pk], by=admin, on=dt.date(2026, 2, 6))
    assert sorted(
        Allocation.objects.filter(payment=cheque).values_list("allocated_on", "paid_on")
    ) == [
        (dt.date(2026, 1, 22), dt.date(2026, 2, 6)),
        (dt.date(2026, 2, 5), dt.date(2026, 2, 6)),
    ]
    assert Allocation.objects.get(payment=transfer).paid_on == dt.date(2026, 1, 20)
    cheque.refresh_from_db()
    assert (cheque.date, cheque.received_on) == (dt.date(2026, 1, 21), dt.date(2026, 2, 6))
