"""The report with the matching services (h-match): a match made through them counts,
its undo cancels the payment it recorded without leaving outstanding items, and a
validated report closes its period for them.

One account, statement of October 2026: L1 +780.00 on 06/10 (invoice FA… of 10 h ×
78.00 issued 01/10), L2 −15.00 fee on 30/10; closing 765.00.
"""

import datetime as dt
from decimal import Decimal as D

import pytest

from encaisse.banking.reconciliation_report import reconciliation_report, validate_report
from encaisse.banking.services.matching import assign_line, match_line, unmatch_line
from encaisse.errors import Conflict
from tests.banking import factories_report as bank

pytestmark = pytest.mark.django_db
OCT = {d: dt.date(2026, 10, d) for d in range(1, 32)}
NOV_5 = dt.date(2026, 11, 5)


@pytest.fixture
def setup(company, invoice_of):
    invoice = invoice_of(10, OCT[1])
    account = bank.account(company)
    _, (l1, l2) = bank.statement(
        account,
        opening=(OCT[1], "0.00"),
        closing=(OCT[31], "765.00"),
        lines=[(OCT[6], "780.00", "VIR DUPONT"), (OCT[30], "-15.00", "FRAIS")],
    )
    return {"invoice": invoice, "account": account, "l1": l1, "l2": l2}


def test_matches_through_the_services(setup, admin):
    invoice, account = setup["invoice"], setup["account"]
    match_line(setup["l1"], [(invoice, "780.00")], customer=invoice.customer, by=admin, on=OCT[7])
    assign_line(setup["l2"], "627", "Frais bancaires", by=admin, on=OCT[31])
    report = reconciliation_report(account, OCT[31])
    # The match recorded a payment of 780.00 dated 06/10 (512), the assignment an entry
    # of −15.00 dated 30/10: both matched, nothing outstanding.
    assert report.book_balance == D("765.00") == report.bank.amount
    assert report.item_count == 0 and report.residual == D("0.00")
    # On 30/10 the assignment (made 31/10) does not count yet.
    on_30 = reconciliation_report(account, OCT[30])
    assert on_30.section("debits").total == D("-15.00")
    assert on_30.section("receipts").total == D("-15.00")  # its entry, dated 30/10
    assert on_30.residual == D("0.00")


def test_an_undo_leaves_the_line_outstanding_and_no_ghost_items(setup, admin):
    invoice, account = setup["invoice"], setup["account"]
    match_line(setup["l1"], [(invoice, "780.00")], customer=invoice.customer, by=admin, on=OCT[7])
    unmatch_line(setup["l1"], by=admin, reason="Mauvais client", on=OCT[20])
    report = reconciliation_report(account, OCT[31])
    # The payment (+780.00, 06/10) and its cancelling refund (−780.00, 20/10) net to
    # zero: no item; the line is an unidentified credit again.
    assert report.book_balance == D("0.00")
    assert report.section("receipts").count == 0 and report.section("issued").count == 0
    assert report.section("credits").total == D("780.00")
    assert report.residual == D("0.00")
    # Before the undo the payment stands, matched.
    assert reconciliation_report(account, OCT[19]).section("credits").count == 0


def test_a_validated_period_is_closed_to_the_services(setup, admin):
    invoice, account = setup["invoice"], setup["account"]
    match_line(setup["l1"], [(invoice, "780.00")], customer=invoice.customer, by=admin, on=OCT[7])
    validate_report(account, OCT[31], by=admin)
    with pytest.raises(Conflict) as refused:
        assign_line(setup["l2"], "627", "Frais bancaires", by=admin, on=OCT[31])
    assert "Période rapprochée au 31/10/2026" in refused.value.message
    with pytest.raises(Conflict):
        unmatch_line(setup["l1"], by=admin, reason="erreur", on=NOV_5)
    # The fee outstanding at the closing is assigned in November: allowed.
    assign_line(setup["l2"], "627", "Frais bancaires", by=admin, on=NOV_5)
    assert reconciliation_report(account, OCT[31]).section("debits").total == D("-15.00")
