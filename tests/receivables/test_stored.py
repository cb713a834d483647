"""The stored open amounts: kept by the services, checked and fixed by
`encaisse receivables check-open-amounts`, read for today, replayed for past dates."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from encaisse import clock
from encaisse.audit.models import AuditEntry
from encaisse.receivables import stored
from encaisse.receivables.models import CreditNoteCredit, Installment, Payment
from encaisse.receivables.selectors import (
    customer_balance,
    installments_as_of,
    payments_as_of,
    stored_is_current,
)
from encaisse.receivables.services.allocation import allocate, refund, undo_allocation, write_off
from encaisse.sales.services import create_credit_note
from tests.conftest import issue_on_day

JAN = dt.date(2026, 1, 10)
FEB = dt.date(2026, 2, 2)


def stored_of(row):
    row.refresh_from_db()
    return row.open_amount if isinstance(row, Installment) else row.unallocated_amount


def test_services_keep_the_stored_amounts(invoice_of, pay, admin, company):
    invoice = invoice_of(10, JAN)  # 780.00
    installment = invoice.installments.get()
    assert installment.open_amount == Decimal("780.00")
    payment = pay("500.00", JAN)
    assert payment.unallocated_amount == Decimal("500.00")
    (allocation,) = allocate(payment, [(installment, "450.00")], by=admin, on=JAN)
    assert (stored_of(installment), stored_of(payment)) == (Decimal("330.00"), Decimal("50.00"))
    with clock.at(FEB):
        undo_allocation(allocation, by=admin, reason="erreur", on=FEB)
    assert (stored_of(installment), stored_of(payment)) == (Decimal("780.00"), Decimal("500.00"))
    # A credit note settles its invoice up to its amount; the rest stays its credit.
    note = issue_on_day(
        create_credit_note(invoice, by=admin, mode="amount", amount="100", vat_rate="20"),
        by=admin,
        on=FEB,
    )  # 120.00 TTC
    credit = CreditNoteCredit.objects.get(credit_note=note)
    assert (credit.amount, credit.unallocated_amount) == (Decimal("120.00"), Decimal("0.00"))
    assert stored_of(installment) == Decimal("660.00")
    with clock.at(FEB):
        allocate(payment, [(installment, "499.50")], by=admin, on=FEB)
        write_off(installment, "0.50", by=admin, reason="Frais", on=FEB)
        assert stored_of(installment) == Decimal("160.00")
        refund(payment, "0.50", by=admin, on=FEB)
    assert stored_of(payment) == Decimal("0.00")
    installment.refresh_from_db()
    assert installment.settled_on is None
    assert stored.differences(company.pk) == []


def test_a_credit_note_beyond_its_invoice_keeps_the_rest_as_credit(invoice_of, pay, admin):
    invoice = invoice_of(1, JAN)  # 78.00
    payment = pay("50.00", JAN)
    allocate(payment, [(invoice.installments.get(), "50.00")], by=admin, on=JAN)
    note = issue_on_day(create_credit_note(invoice, by=admin), by=admin, on=JAN)  # 78.00
    assert note.stored_credit.unallocated_amount == Decimal("50.00")
    assert invoice.installments.get().open_amount == Decimal("0.00")
    with clock.at(JAN):
        refund(note, "20.00", by=admin, on=JAN)
    note.stored_credit.refresh_from_db()
    assert note.stored_credit.unallocated_amount == Decimal("30.00")


def test_today_reads_the_stored_amounts_and_a_past_date_replays(invoice_of, pay, admin, company):
    invoice = invoice_of(10, JAN)
    installment = invoice.installments.get()
    payment = pay("500.00", JAN)
    allocate(payment, [(installment, "500.00")], by=admin, on=FEB)
    assert stored_is_current(company, FEB) and stored_is_current(company, dt.date.max)
    assert not stored_is_current(company, FEB - dt.timedelta(days=1))
    # A stored amount altered behind the services' back shows today, not on a past day.
    Installment.objects.filter(pk=installment.pk).update(open_amount=Decimal("1.00"))
    assert installments_as_of(company, FEB).get().open_amount == Decimal("1.00")
    past = installments_as_of(company, JAN).get()
    assert (past.open_amount, past.allocated) == (Decimal("780.00"), Decimal("0.00"))
    assert installments_as_of(company, JAN).filter(open_amount__gt=779).count() == 1
    assert payments_as_of(company, JAN).get().unallocated == Decimal("500.00")
    assert payments_as_of(company, FEB).get().unallocated == Decimal("0.00")
    assert customer_balance(invoice.customer, JAN) == Decimal("280.00")
    assert customer_balance(invoice.customer, FEB) == Decimal("1.00")


def corrupt(invoice_of, pay, admin):
    """A small book, then three stored amounts altered behind the services' back."""
    invoice = invoice_of(10, JAN)  # 780.00
    payment = pay("500.00", JAN)
    allocate(payment, [(invoice.installments.get(), "300.00")], by=admin, on=JAN)
    note = issue_on_day(create_credit_note(invoice_of(1, JAN), by=admin), by=admin, on=JAN)
    Installment.objects.filter(invoice=invoice).update(open_amount=Decimal("780.00"))
    Payment.objects.filter(pk=payment.pk).update(unallocated_amount=Decimal("0.00"))
    CreditNoteCredit.objects.filter(pk=note.pk).delete()
    return invoice, payment, note


def test_check_command_reports_and_fixes_corrupted_rows(invoice_of, pay, admin, company, capsys):
    invoice, payment, note = corrupt(invoice_of, pay, admin)
    with pytest.raises(SystemExit) as exit:
        call_command("receivables", "check-open-amounts")
    assert exit.value.code == 1
    out = capsys.readouterr().out
    assert f"échéance {invoice.number}" in out
    assert "enregistré 780,00 €, recalculé 480,00 €" in out.replace("\xa0", " ")
    assert f"règlement {payment.number}" in out
    assert f"avoir {note.number}" in out and "enregistré aucun" in out
    assert Installment.objects.get(invoice=invoice).open_amount == Decimal("780.00")  # not fixed

    with pytest.raises(SystemExit):
        call_command("receivables", "check-open-amounts", "--fix", company=company.siren)
    assert "corrigés" in capsys.readouterr().out
    assert Installment.objects.get(invoice=invoice).open_amount == Decimal("480.00")
    assert Payment.objects.get(pk=payment.pk).unallocated_amount == Decimal("200.00")
    assert CreditNoteCredit.objects.get(pk=note.pk).unallocated_amount == Decimal("0.00")
    entry = AuditEntry.objects.get(action="receivables.open_amounts_fixed")
    assert entry.company == company and len(entry.changes["differences"]) == 3

    call_command("receivables", "check-open-amounts")  # no SystemExit: nothing left
    assert "Aucun écart" in capsys.readouterr().out


def test_check_command_of_another_company_sees_nothing(
    invoice_of, pay, admin, other_company, capsys
):
    corrupt(invoice_of, pay, admin)
    call_command("receivables", "check-open-amounts", company=other_company.siren)
    assert "Aucun écart" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("receivables", "check-open-amounts", company="000000000")
