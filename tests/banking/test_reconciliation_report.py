"""The état de rapprochement on a small book whose every figure is computed by hand.

October 2026, one account (ledger 512), one customer:
- P1 transfer 1 200.00 received 05/10, credited on line L1 (06/10), matched on 07/10;
- P2 transfer 450.00 received 20/10, not on the bank yet;
- cheques C1 300.00 (10/10) and C2 200.00 (12/10) on slip S1 of 15/10, not credited;
- R1 refund of 80.00 paid by transfer 25/10 out of P1, not debited yet;
- L2 −15.00 bank fee booked 30/10, not booked; L3 +99.00 credit 28/10, not identified.
Statement: opening 0.00 on 01/10, closing 1 284.00 on 31/10 (1 200 − 15 + 99).

On 31/10: book = 1 200 + 450 + 300 + 200 − 80 = 2 070.00; (a) 500.00, (b) −80.00,
(c) 450.00, (d) −15.00, (e) 99.00; 2 070 + (−15 + 99) − (500 − 80 + 450) = 1 284.00.
"""

import datetime as dt
from decimal import Decimal as D

import pytest

from encaisse.banking.models import ReconciliationReport
from encaisse.banking.reconciliation_report import (
    check_can_match,
    check_can_unmatch,
    reconciliation_report,
    validate_report,
)
from encaisse.companies.models import Role
from encaisse.errors import Conflict, Forbidden, ValidationFailed
from encaisse.receivables.services.allocation import refund
from encaisse.receivables.services.payments import create_remittance_slip
from tests.banking import factories_report as bank

pytestmark = pytest.mark.django_db

OCT = {d: dt.date(2026, 10, d) for d in range(1, 32)}


@pytest.fixture
def book(company, admin, pay):
    account = bank.account(company)
    p1 = pay("1200.00", OCT[5], reference="FA2026-00001")
    p2 = pay("450.00", OCT[20], reference="FA2026-00002")
    c1 = pay("300.00", OCT[10], method="cheque")
    c2 = pay("200.00", OCT[12], method="cheque")
    slip = create_remittance_slip(company, [c1.pk, c2.pk], by=admin, on=OCT[15])
    r1 = refund(p1, "80.00", by=admin, on=OCT[25])
    _, (l1, l2, l3) = bank.statement(
        account,
        opening=(OCT[1], "0.00"),
        closing=(OCT[31], "1284.00"),
        lines=[
            (OCT[6], "1200.00", "VIR BOULANGERIE DUPONT FA2026-00001"),
            (OCT[30], "-15.00", "FRAIS TENUE DE COMPTE"),
            (OCT[28], "99.00", "VIR INCONNU"),
        ],
    )
    m1 = bank.match(l1, payment=p1, on=OCT[7])
    return {
        "account": account,
        "p1": p1,
        "p2": p2,
        "slip": slip,
        "r1": r1,
        "lines": (l1, l2, l3),
        "m1": m1,
    }


def figures(report):
    return {
        s.key: (s.count, s.total, [(i.kind, i.amount, i.date) for i in s.items])
        for s in report.sections
    }


def test_each_section_on_31_october(book):
    report = reconciliation_report(book["account"], OCT[31])
    _, l2, l3 = book["lines"]
    assert report.bank.amount == D("1284.00")
    assert report.book_balance == D("2070.00")
    assert figures(report) == {
        "cheques": (1, D("500.00"), [("slip", D("500.00"), OCT[15])]),
        "issued": (1, D("-80.00"), [("entry", D("-80.00"), OCT[25])]),
        "receipts": (1, D("450.00"), [("entry", D("450.00"), OCT[20])]),
        "debits": (1, D("-15.00"), [("line", D("-15.00"), OCT[30])]),
        "credits": (1, D("99.00"), [("line", D("99.00"), OCT[28])]),
    }
    assert report.book_items == D("870.00")
    assert report.bank_items == D("84.00")
    # book + (d + e) − (a + b + c) = bank
    assert report.adjusted_book == D("2070.00") + D("84.00") - D("870.00") == D("1284.00")
    assert report.residual == D("0.00")
    # Who and what each item is.
    cheques = report.section("cheques").items[0]
    assert (cheques.ref, cheques.detail) == (book["slip"].pk, "2 chèques")
    assert report.section("receipts").items[0].reference == book["p2"].number
    assert report.section("receipts").items[0].source_id == book["p2"].pk
    assert report.section("issued").items[0].reference == book["r1"].number
    assert report.section("debits").items[0].ref == l2.pk
    assert report.section("credits").items[0].ref == l3.pk
    assert [i.age for s in report.sections for i in s.items] == [16, 6, 11, 1, 3]
    assert report.old_count == 0


def test_a_match_made_after_the_date_does_not_count(book):
    """On 06/10 L1 is booked but matched only on 07/10: P1 and L1 are both outstanding.
    No statement closed by 06/10: the bank balance is the opening (0.00) + L1."""
    l1 = book["lines"][0]
    report = reconciliation_report(book["account"], OCT[6])
    assert report.bank.amount == D("1200.00")
    assert report.bank.from_opening
    assert report.book_balance == D("1200.00")  # P1 only: the cheques come later
    assert figures(report) == {
        "cheques": (0, D("0.00"), []),
        "issued": (0, D("0.00"), []),
        "receipts": (1, D("1200.00"), [("entry", D("1200.00"), OCT[5])]),
        "debits": (0, D("0.00"), []),
        "credits": (1, D("1200.00"), [("line", D("1200.00"), OCT[6])]),
    }
    assert report.section("credits").items[0].ref == l1.pk
    assert report.residual == D("0.00")
    # On 07/10 the match counts: nothing outstanding.
    on_7 = reconciliation_report(book["account"], OCT[7])
    assert on_7.item_count == 0 and on_7.residual == D("0.00")


def test_an_undone_match_counts_until_its_undo(book):
    bank.undo(book["m1"], on=OCT[20])
    before = reconciliation_report(book["account"], OCT[19])
    after = reconciliation_report(book["account"], OCT[20])
    assert before.section("credits").count == 0
    assert after.section("credits").total == D("1200.00")
    assert after.section("receipts").total == D("1650.00")  # P1 and P2
    assert after.residual == D("0.00")


def test_a_slip_credited_in_one_line_clears_its_cheques(book):
    """The bank credits the slip on 02/11 (a November statement): on 31/10 the slip is
    outstanding, on 02/11 it is not."""
    _, (credit,) = bank.statement(
        book["account"],
        opening=(dt.date(2026, 11, 1), "1284.00"),
        closing=(dt.date(2026, 11, 30), "1784.00"),
        lines=[(dt.date(2026, 11, 2), "500.00", "REMISE CHEQUES 1")],
    )
    bank.match(credit, remittance=book["slip"], on=dt.date(2026, 11, 3))
    assert reconciliation_report(book["account"], OCT[31]).section("cheques").total == D("500.00")
    nov_3 = reconciliation_report(book["account"], dt.date(2026, 11, 3))
    # No statement closed by 03/11: 1 284.00 (closed 31/10) + 500.00 booked on 02/11.
    assert nov_3.bank.amount == D("1784.00")
    assert nov_3.bank.lines_after == D("500.00")
    assert nov_3.section("cheques").count == 0
    assert nov_3.residual == D("0.00")


def test_a_partial_match_leaves_the_rest_outstanding(book):
    """L3 (99.00) is matched to P2 (450.00) for 99.00: P2 stays outstanding for 351.00."""
    bank.match(book["lines"][2], payment=book["p2"], on=OCT[29])
    report = reconciliation_report(book["account"], OCT[31])
    assert report.section("receipts").total == D("351.00")
    assert report.section("credits").count == 0
    assert report.residual == D("0.00")


def test_old_items_are_flagged_after_the_company_setting(book, company):
    company.bank_item_age_days = 10
    company.save(update_fields=["bank_item_age_days"])
    report = reconciliation_report(book["account"], OCT[31])
    old = {s.key: [i.old for i in s.items] for s in report.sections}
    # Older than 10 days on 31/10: before 21/10: the slip (15/10) and P2 (20/10).
    assert old == {
        "cheques": [True],
        "issued": [False],
        "receipts": [True],
        "debits": [False],
        "credits": [False],
    }
    assert report.old_count == 2


def test_the_residual_is_shown_and_explained(book, company):
    """The bank's history before encaisse: an account opened at 1 000.00."""
    other = bank.account(company, name="Autre", iban="FR7610107001011234567890129")
    bank.statement(
        other,
        opening=(OCT[1], "1000.00"),
        closing=(OCT[31], "990.00"),
        lines=[(OCT[30], "-10.00", "FRAIS")],
    )
    report = reconciliation_report(other, OCT[31])
    # The whole book (2 070.00 on 512) is outstanding on this account: nothing matched.
    assert report.book_balance == D("2070.00")
    assert report.book_items == D("2070.00")
    assert report.bank_items == D("-10.00")
    assert report.residual == D("1000.00") == report.unimported


def test_paging_keeps_the_totals(book, pay):
    for day in (21, 22, 23):
        pay("10.00", OCT[day])
    report = reconciliation_report(book["account"], OCT[31], limit=2, offsets={"receipts": 2})
    receipts = report.section("receipts")
    assert receipts.count == 4 and receipts.total == D("480.00")
    assert [i.amount for i in receipts.items] == [D("10.00"), D("10.00")]  # 3rd and 4th
    # Each section has its own page: the others show their first rows.
    assert [i.amount for i in report.section("debits").items] == [D("-15.00")]
    past = reconciliation_report(book["account"], OCT[31], limit=2, offsets={"debits": 5})
    assert past.section("debits").items == [] and past.section("debits").total == D("-15.00")
    assert len(past.section("receipts").items) == 2


def test_an_account_without_statements_has_no_bank_balance(company, book):
    empty = bank.account(company, name="Vide", iban="FR7610107001011234567890129")
    report = reconciliation_report(empty, OCT[31])
    assert report.bank.amount is None and report.residual is None


# ---------------------------------------------------------------- validation, closing


def test_validation_freezes_the_report(book, admin):
    frozen = validate_report(book["account"], OCT[31], by=admin)
    assert frozen.validated_by == admin
    assert frozen.bank_balance == D("1284.00") and frozen.residual == D("0.00")
    assert frozen.item_count == 5
    assert frozen.snapshot["sections"][0]["items"][0]["amount"] == "500.00"
    # What happens later does not change it.
    bank.match(book["lines"][2], payment=book["p2"], on=dt.date(2026, 11, 2), amount="99.00")
    frozen.refresh_from_db()
    assert frozen.snapshot["sections"][4]["total"] == "99.00"
    frozen.book_balance = D("0")
    with pytest.raises(RuntimeError):
        frozen.save()
    with pytest.raises(RuntimeError):
        frozen.delete()
    assert ReconciliationReport.objects.get().book_balance == D("2070.00")


def test_validation_goes_forward_and_needs_the_right(book, admin, make_user, company):
    reader = make_user("lecteur", company, Role.READ_ONLY)
    with pytest.raises(Forbidden):
        validate_report(book["account"], OCT[31], by=reader)
    validate_report(book["account"], OCT[31], by=admin)
    with pytest.raises(Conflict) as refused:
        validate_report(book["account"], OCT[30], by=admin)
    assert refused.value.field == "as_of"
    with pytest.raises(ValidationFailed):
        validate_report(book["account"], dt.date(2099, 1, 1), by=admin)
    assert ReconciliationReport.objects.count() == 1


def test_matching_in_a_closed_period_is_refused(book, admin):
    l3 = book["lines"][2]
    validate_report(book["account"], OCT[31], by=admin)
    # A match dated in the closed period.
    with pytest.raises(Conflict) as refused:
        check_can_match(l3, OCT[31])
    assert "Période rapprochée au 31/10/2026" in refused.value.message
    # Undoing a match the validated report counted, even today.
    with pytest.raises(Conflict):
        check_can_unmatch(book["m1"], dt.date(2026, 11, 5))
    # An item outstanding at the closing is matched in the next period: allowed, and the
    # validated report is unchanged.
    check_can_match(l3, dt.date(2026, 11, 5))
    later = bank.match(l3, payment=book["p2"], on=dt.date(2026, 11, 5), amount="99.00")
    check_can_unmatch(later, dt.date(2026, 11, 6))
    assert reconciliation_report(book["account"], OCT[31]).section("credits").total == D("99.00")


def test_a_statement_gap_shows_in_the_residual(book):
    """A November statement whose opening (1 300.00) is not October's closing (1 284.00):
    the import recorded a chain gap of 16.00, the residual is 16.00 and says so."""
    bank.statement(
        book["account"],
        opening=(dt.date(2026, 11, 1), "1300.00"),
        closing=(dt.date(2026, 11, 30), "1300.00"),
        lines=[],
        chain_gap="16.00",
    )
    from encaisse.banking.reconciliation_report import residual_explanation

    report = reconciliation_report(book["account"], dt.date(2026, 11, 30))
    assert report.bank.amount == D("1300.00")
    assert report.residual == D("16.00")
    assert [g.chain_gap for g in report.bank.gaps] == [D("16.00")]
    assert (
        residual_explanation(report) == "16,00\u00a0€ d'écarts dans les relevés (voir ci-dessous)"
    )
