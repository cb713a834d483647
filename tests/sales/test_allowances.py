"""Document-level allowances (remises de pied) and charges (frais)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from encaisse.errors import ValidationFailed
from encaisse.sales.models import Invoice
from encaisse.sales.services import create_credit_note, preview_totals
from tests.conftest import issue_on_day

DAY = dt.date(2026, 3, 3)


@pytest.fixture
def lines(product, service_product):
    # 10 × 18.90 = 189.00 at 5.5 % ; 4 h × 65 = 260.00 at 20 %
    return [
        {"product": product.pk, "quantity": "10"},
        {"product": service_product.pk, "quantity": "4"},
    ]


def test_allowance_and_charge_change_the_base_of_their_rate(make_invoice, lines):
    invoice = make_invoice(
        lines=lines,
        allowances=[
            {"amount": "26.00", "reason": "Remise fidélité", "vat_rate": "20", "reason_code": "95"},
            {"amount": "15.00", "reason": "Frais de port", "vat_rate": "5.5", "is_charge": True},
        ],
        issue_on=DAY,
    )
    # 20 %: 260 − 26 = 234.00, VAT 46.80 ; 5.5 %: 189 + 15 = 204.00, VAT 11.22
    # excl. 438.00, VAT 58.02, incl. 496.02
    assert (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat) == (
        Decimal("438.00"),
        Decimal("58.02"),
        Decimal("496.02"),
    )
    assert invoice.allowances.count() == 2


def test_allowance_larger_than_its_base_is_refused(company, lines):
    with pytest.raises(ValidationFailed) as error:
        preview_totals(company, lines, [{"amount": "261", "reason": "x", "vat_rate": "20"}])
    assert error.value.code == "allowance_exceeds_base"


@pytest.mark.parametrize(
    ("allowance", "code", "field"),
    [
        ({"amount": "5", "reason": ""}, "required", "allowances.1.reason"),
        ({"amount": "0", "reason": "x"}, "zero_amount", "allowances.1.amount"),
        ({"amount": "-3", "reason": "x"}, "negative", "allowances.1.amount"),
        (
            {"amount": "3", "reason": "x", "vat_rate": "7"},
            "invalid_vat_rate",
            "allowances.1.vat_rate",
        ),
    ],
)
def test_bad_allowances_are_refused(make_invoice, lines, allowance, code, field):
    with pytest.raises(ValidationFailed) as error:
        make_invoice(lines=lines, allowances=[allowance])
    assert (error.value.code, error.value.field) == (code, field)
    assert not Invoice.objects.exists()


def test_an_allowance_amount_error_agrees_with_its_noun(make_invoice, lines):
    with pytest.raises(ValidationFailed) as error:
        make_invoice(lines=lines, allowances=[{"amount": "-3", "reason": "x"}])
    assert error.value.message == "La remise 1 : le montant ne peut pas être négatif."
    with pytest.raises(ValidationFailed) as error:
        make_invoice(lines=lines, allowances=[{"amount": "", "reason": "x", "is_charge": True}])
    assert error.value.message == "Les frais 1 : le montant est obligatoire."


def test_full_credit_note_carries_the_allowances(make_invoice, lines, admin):
    invoice = make_invoice(
        lines=lines,
        issue_on=DAY,
        allowances=[{"amount": "26.00", "reason": "Remise fidélité", "vat_rate": "20"}],
    )
    note = issue_on_day(create_credit_note(invoice, by=admin), by=admin, on=DAY)
    assert note.total_incl_vat == invoice.total_incl_vat
    assert note.allowances.get().amount == Decimal("26.00")


def test_allowances_of_an_issued_invoice_are_frozen_in_sql(make_invoice, lines):
    invoice = make_invoice(
        lines=lines, issue_on=DAY, allowances=[{"amount": "1", "reason": "x", "vat_rate": "20"}]
    )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sales_invoiceallowance SET amount = 0 WHERE invoice_id = %s", [invoice.pk]
        )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM sales_invoiceallowance WHERE invoice_id = %s", [invoice.pk])
