"""A validated reconciliation report closes its period for the matching services."""

import datetime as dt
from decimal import Decimal

import pytest

from encaisse.banking.models import LineStatus
from encaisse.banking.reconciliation_report import validate_report
from encaisse.banking.services.matching import match_line, match_payments, unmatch_line
from encaisse.errors import Conflict
from tests.banking.factories import make_line

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
