"""A validated reconciliation report closes its period for the matching services."""

import datetime as dt
from decimal import Decimal

import pytest

from encaisse.banking.models import LineStatus
from encaisse.banking.reconciliation_report import validate_report
from encaisse.banking.services.matching import match_line, match_payments, unmatch_line
from encaisse.errors import Conflict
from tests.banking.factories import bank_account, make_line

pytestmark = pytest.mark.django_db

OCT_10, OCT_20, OCT_31 = dt.date(2026, 10, 10), dt.date(2026, 10, 20), dt.date(2026, 10, 31)
NOV_5 = dt.date(2026, 11, 5)


def test_a_validated_period_refuses_matches_in_it_and_undoing_what_it_counted(
    company, admin, customer, pay, invoice_of, sg_account
):
    invoice = invoice_of(1, dt.date(2026, 10, 1))  # 78.00
    payment = pay("78.00", on=OCT_10)  # recorded by hand
    paid = make_line(company, "78.00", "VIR CLIENT", on=OCT_10, account=sg_account)
    match_payments(paid, [payment], by=admin, on=OCT_10)
    unknown = make_line(company, "78.00", "VIR SANS REFERENCE", on=OCT_20, account=sg_account)

    validate_report(sg_account, OCT_31, by=admin)

    with pytest.raises(Conflict) as refused:
        unmatch_line(paid, by=admin, reason="erreur", on=NOV_5)
    assert "Période rapprochée au 31/10/2026" in refused.value.message
    paid.refresh_from_db()
    assert paid.status == LineStatus.MATCHED

    with pytest.raises(Conflict):
        match_line(unknown, [(invoice, Decimal("78.00"))], customer=customer, by=admin, on=OCT_31)
    unknown.refresh_from_db()
    assert unknown.status != LineStatus.MATCHED

    # Outstanding at the closing, it is matched in the next period.
    match_line(unknown, [(invoice, Decimal("78.00"))], customer=customer, by=admin, on=NOV_5)
    unknown.refresh_from_db()
    assert unknown.status == LineStatus.MATCHED


def test_a_slip_credited_in_full_leaves_no_item_even_when_sqlite_sums_in_floats(
    company, admin, customer, pay
):
    """1 662.60 + 4 835.76 − 6 498.36 is 9.1e-13 in binary floating point (SQLite's SUM):
    the slip credited in one line must not stay « outstanding » for 0,00 €."""
    from encaisse.banking.reconciliation_report import reconciliation_report
    from encaisse.banking.services.matching import match_remittance
    from encaisse.receivables.services.payments import create_remittance_slip

    cheques = [pay(a, on=OCT_10, method="cheque") for a in ("1662.60", "4835.76")]
    slip = create_remittance_slip(company, [c.pk for c in cheques], by=admin, on=OCT_10)
    account = bank_account(company)  # on 512, where the payments are posted
    line = make_line(company, "6498.36", "REMISE CHEQUES", on=OCT_20, account=account)
    match_remittance(line, slip, by=admin, on=OCT_20)
    report = reconciliation_report(account, OCT_31, limit=None)
    assert report.section("cheques").items == []
    assert report.section("credits").items == []
