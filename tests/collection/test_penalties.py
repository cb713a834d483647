"""Late-payment penalties, with every expected figure worked out by hand.

Reference rates (shipped by collection 0001): ECB rate in force on 1 Jan 2025 = 3.15 %,
on 1 Jul 2025 = 2.15 %, so the legal default is 13.15 % for Jan–Jun 2025 and 12.15 % for
Jul–Dec 2025. Invoices are issued on 15 Apr 2025 with 30 days net: due 15 May 2025.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from freezegun import freeze_time

from encaisse.catalog.services import create_product
from encaisse.collection.penalties import penalties
from encaisse.companies.services import update_company
from encaisse.errors import Conflict, ValidationFailed
from encaisse.legal import LatePaymentRegime
from encaisse.money import ZERO
from encaisse.receivables.services.allocation import allocate, undo_allocation
from encaisse.receivables.services.payments import create_remittance_slip
from encaisse.sales.services import create_credit_note
from tests.conftest import issue_on_day
from tests.documents.test_reminder_letters import send_up_to

ISSUED = dt.date(2025, 4, 15)
DUE = dt.date(2025, 5, 15)
JUN30 = dt.date(2025, 6, 30)
SEP30 = dt.date(2025, 9, 30)


@pytest.fixture
def ten_thousand(company, admin, make_invoice):
    """An invoice of 10 000,00 € TTC (8 333,33 HT + 1 666,67 VAT at 20 %), due 15 May."""
    big = create_product(
        company,
        {
            "reference": "FOUR-01",
            "label": "Four à sole",
            "kind": "goods",
            "unit_price": "8333.33",
            "vat_rate": "20",
        },
        by=admin,
    )

    def make(cust=None, issue_on=ISSUED, **header):
        invoice = make_invoice(
            lines=[{"product": big.pk, "quantity": "1"}], issue_on=issue_on, cust=cust, **header
        )
        assert invoice.total_incl_vat == Decimal("10000.00")
        if issue_on == ISSUED:
            assert invoice.installments.first().due_date == DUE
        return invoice

    return make


def settle(invoice, pay, admin, amount, on, cust=None):
    payment = pay(amount, on, cust=cust)
    allocate(payment, [(invoice.installments.get(), amount)], by=admin, on=on)


def rows(table):
    return [(p.start, p.end, p.days, p.base, p.rate, p.amount) for p in table.periods]


def test_paid_late_at_the_legal_rate_split_at_1_july(ten_thousand, pay, admin):
    invoice = ten_thousand()
    settle(invoice, pay, admin, "10000.00", SEP30)
    table = penalties(invoice, dt.date(2025, 10, 31))
    # 16 May–30 Jun: 16 + 30 = 46 days at 13.15 %:
    #   10 000 × 13.15 % × 46 / 365 = 60 490 / 365 = 165.726… → 165.73
    # 1 Jul–30 Sep (the day of payment counts): 31 + 31 + 30 = 92 days at 12.15 %:
    #   10 000 × 12.15 % × 92 / 365 = 111 780 / 365 = 306.246… → 306.25
    assert rows(table) == [
        (DUE + dt.timedelta(days=1), dt.date(2025, 6, 30), 46, Decimal("10000.00"),
         Decimal("13.15"), Decimal("165.73")),
        (dt.date(2025, 7, 1), SEP30, 92, Decimal("10000.00"), Decimal("12.15"),
         Decimal("306.25")),
    ]  # fmt: skip
    assert "Taux BCE au 01/01/2025 (3,15 %) + 10 points" in table.periods[0].source
    assert "Taux BCE au 01/07/2025 (2,15 %) + 10 points" in table.periods[1].source
    # 165.73 + 306.25 = 471.98; + 40 € recovery fee (professional) = 511.98
    assert table.penalties == Decimal("471.98")
    assert table.recovery_fee == Decimal("40.00")
    assert table.total == Decimal("511.98")


def test_a_partial_payment_lowers_the_base_from_the_next_day(ten_thousand, pay, admin):
    invoice = ten_thousand()
    settle(invoice, pay, admin, "4000.00", dt.date(2025, 7, 15))
    settle(invoice, pay, admin, "6000.00", SEP30)
    table = penalties(invoice, SEP30)
    # 16 May–30 Jun: 46 days, 10 000 at 13.15 %: 165.73 (as above)
    # 1 Jul–15 Jul: 15 days, 10 000 at 12.15 %: 1 215 × 15 / 365 = 49.931… → 49.93
    # 16 Jul–30 Sep: 16 + 31 + 30 = 77 days, 6 000 at 12.15 %:
    #   729 × 77 / 365 = 56 133 / 365 = 153.789… → 153.79
    assert rows(table) == [
        (dt.date(2025, 5, 16), dt.date(2025, 6, 30), 46, Decimal("10000.00"),
         Decimal("13.15"), Decimal("165.73")),
        (dt.date(2025, 7, 1), dt.date(2025, 7, 15), 15, Decimal("10000.00"),
         Decimal("12.15"), Decimal("49.93")),
        (dt.date(2025, 7, 16), SEP30, 77, Decimal("6000.00"), Decimal("12.15"),
         Decimal("153.79")),
    ]  # fmt: skip
    # 165.73 + 49.93 + 153.79 = 369.45
    assert table.penalties == Decimal("369.45")
    assert table.total == Decimal("409.45")


def test_as_of_before_payment_stops_at_as_of(ten_thousand, pay, admin):
    invoice = ten_thousand()
    settle(invoice, pay, admin, "10000.00", SEP30)
    table = penalties(invoice, dt.date(2025, 6, 10))
    # 16 May–10 Jun: 16 + 10 = 26 days: 1 315 × 26 / 365 = 34 190 / 365 = 93.671… → 93.67
    assert rows(table) == [
        (dt.date(2025, 5, 16), dt.date(2025, 6, 10), 26, Decimal("10000.00"),
         Decimal("13.15"), Decimal("93.67")),
    ]  # fmt: skip
    assert penalties(invoice, DUE).periods == []  # not late yet on its due date


def test_contractual_rate_and_360_day_count(company, admin, ten_thousand, pay):
    # Set up on 1 Apr 2025: legal interest 3.71 %, so at least 3 × 3.71 = 11.13 %.
    with freeze_time("2025-04-01"):
        update_company(company, {"late_penalty_rate": "15", "penalty_day_count": 360}, by=admin)
    invoice = ten_thousand()
    assert invoice.mentions["late_penalty_rate"] == "15.000"
    settle(invoice, pay, admin, "10000.00", SEP30)
    table = penalties(invoice, SEP30)
    # 15 % all along, still split at 1 July; day count 360:
    #   46 days: 1 500 × 46 / 360 = 69 000 / 360 = 191.666… → 191.67
    #   92 days: 1 500 × 92 / 360 = 138 000 / 360 = 383.333… → 383.33
    assert [(p.days, p.rate, p.amount) for p in table.periods] == [
        (46, Decimal("15.000"), Decimal("191.67")),
        (92, Decimal("15.000"), Decimal("383.33")),
    ]
    assert table.penalties == Decimal("575.00")
    assert "contractuel" in table.periods[0].source


def test_the_snapshot_wins_over_a_later_company_change(company, admin, ten_thousand, pay):
    invoice = ten_thousand()  # issued under the legal default
    with freeze_time("2025-04-01"):
        update_company(company, {"late_penalty_rate": "20"}, by=admin)
    table = penalties(invoice, dt.date(2025, 6, 30))
    assert [p.rate for p in table.periods] == [Decimal("13.15")]


def test_a_consumer_owes_nothing_before_a_formal_notice(consumer, admin, ten_thousand, pay):
    invoice = ten_thousand(cust=consumer)
    settle(invoice, pay, admin, "10000.00", SEP30, cust=consumer)
    table = penalties(invoice, SEP30)
    # Paid 138 days late, but no formal notice was sent: no L.441-10 penalty, no fee,
    # and legal interest only runs from a formal notice (C. civ. 1231-6, 1344-1).
    assert (table.regime, table.late, table.formal_notice_on) == (
        LatePaymentRegime.CONSUMER,
        True,
        None,
    )
    assert (table.periods, table.penalties, table.recovery_fee) == ([], ZERO, ZERO)


def test_paid_on_its_due_date_owes_nothing(ten_thousand, pay, admin):
    invoice = ten_thousand()
    settle(invoice, pay, admin, "10000.00", DUE)
    table = penalties(invoice, SEP30)
    assert (table.periods, table.penalties, table.recovery_fee, table.total) == (
        [],
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )


def test_a_half_year_without_a_known_ecb_rate_is_an_error_not_zero(ten_thousand):
    invoice = ten_thousand()  # never paid
    # The table ships the ECB rate in force on 1 Jan 2026, none yet for 1 Jul 2026.
    assert penalties(invoice, dt.date(2026, 6, 30)).penalties > 0
    with pytest.raises(ValidationFailed) as error:
        penalties(invoice, dt.date(2026, 7, 1))
    assert error.value.message == (
        "Aucun taux BCE connu au 01/07/2026 : complétez la table des taux."
    )


def test_a_draft_has_no_penalties(make_invoice):
    with pytest.raises(Conflict):
        penalties(make_invoice(), SEP30)


def test_a_contractual_rate_below_three_times_legal_interest_is_refused(company, admin):
    # 1 Sep 2025: legal interest ("autres cas") 2.76 %, three times = 8.28 %.
    with freeze_time("2025-09-01"):
        with pytest.raises(ValidationFailed) as error:
            update_company(company, {"late_penalty_rate": "8.27"}, by=admin)
        assert error.value.field == "late_penalty_rate"
        assert "8,27 %" in error.value.message
        assert "2,76 %" in error.value.message and "8,28 %" in error.value.message
        company.refresh_from_db()
        assert company.late_penalty_rate is None
        update_company(company, {"late_penalty_rate": "8.28"}, by=admin)
    company.refresh_from_db()
    assert company.late_penalty_rate == Decimal("8.28")


def test_a_contractual_rate_cannot_be_checked_without_the_legal_rate(company, admin):
    with freeze_time("2022-06-01"), pytest.raises(ValidationFailed) as error:
        update_company(company, {"late_penalty_rate": "12"}, by=admin)
    assert "01/06/2022" in error.value.message


def test_day_count_is_365_or_360(company, admin):
    with pytest.raises(ValidationFailed) as error:
        update_company(company, {"penalty_day_count": 366}, by=admin)
    assert error.value.field == "penalty_day_count"


@freeze_time("2025-10-15")
def test_detail_page_shows_the_penalty_table(client, admin, ten_thousand, pay):
    invoice = ten_thousand()
    settle(invoice, pay, admin, "10000.00", SEP30)
    client.force_login(admin)
    html = client.get(reverse("web:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Pénalités de retard" in html
    # the two periods worked out above and the totals (French formatting)
    for text in ("165,73", "306,25", "471,98", "40,00", "511,98", "13,15 %", "12,15 %"):
        assert text in html, text


@freeze_time("2026-07-02")
def test_detail_page_says_which_rate_is_missing(client, admin, ten_thousand):
    invoice = ten_thousand()  # unpaid, runs into H2 2026: no ECB rate known for 1 Jul 2026
    client.force_login(admin)
    html = client.get(reverse("web:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Aucun taux BCE connu au 01/07/2026 : complétez la table des taux." in html


def test_detail_page_of_an_invoice_paid_on_time_has_no_block(client, admin, ten_thousand, pay):
    invoice = ten_thousand()
    settle(invoice, pay, admin, "10000.00", DUE)
    client.force_login(admin)
    assert (
        'id="penalties"'
        not in client.get(reverse("web:invoice_detail", args=[invoice.pk])).content.decode()
    )


def test_the_admin_form_keeps_the_floor_too(company):
    company.late_penalty_rate = Decimal("8.27")
    with freeze_time("2025-09-01"), pytest.raises(ValidationError) as error:
        company.full_clean()
    assert "8,28 %" in error.value.message_dict["late_penalty_rate"][0]
    company.late_penalty_rate = Decimal("8.28")
    with freeze_time("2025-09-01"):
        company.full_clean()  # no error


def test_each_installment_runs_from_its_own_due_date(ten_thousand):
    invoice = ten_thousand(
        schedule=[{"days": 30, "amount": "4000.00"}, {"days": 60, "amount": "6000.00"}]
    )  # due 15 May 2025 (4 000) and 14 Jun 2025 (6 000); nothing paid
    table = penalties(invoice, dt.date(2025, 6, 30))
    # 1: 16 May–30 Jun, 46 days, 4 000 at 13.15 %: 526 × 46 / 365 = 24 196 / 365 = 66.29
    # 2: 15 Jun–30 Jun, 16 days, 6 000 at 13.15 %: 789 × 16 / 365 = 12 624 / 365 = 34.59
    assert [(p.installment, p.start, p.days, p.base, p.amount) for p in table.periods] == [
        (1, dt.date(2025, 5, 16), 46, Decimal("4000.00"), Decimal("66.29")),
        (2, dt.date(2025, 6, 15), 16, Decimal("6000.00"), Decimal("34.59")),
    ]
    # 66.29 + 34.59 = 100.88; one 40 € fee for the invoice, not per installment
    assert (table.penalties, table.recovery_fee) == (Decimal("100.88"), Decimal("40.00"))


def test_an_undone_allocation_never_paid_the_invoice(ten_thousand, pay, admin):
    invoice = ten_thousand()
    payment = pay("10000.00", dt.date(2025, 6, 30))
    [allocation] = allocate(
        payment, [(invoice.installments.get(), "10000.00")], by=admin, on=dt.date(2025, 6, 30)
    )
    undo_allocation(allocation, by=admin, reason="Mauvais client", on=dt.date(2025, 7, 15))
    # As of 10 July the allocation is in force: the base falls from 1 July, 165.73 as
    # above, and that figure stays whatever happened after 10 July.
    assert penalties(invoice, dt.date(2025, 7, 10)).penalties == Decimal("165.73")
    # As of 31 July it is undone: that payment was never this invoice's, so nothing was
    # paid. 16 May–30 Jun: 165.73; 1–31 Jul: 31 days, 10 000 at 12.15 %:
    #   1 215 × 31 / 365 = 37 665 / 365 = 103.191… → 103.19
    table = penalties(invoice, dt.date(2025, 7, 31))
    assert [(p.start, p.end, p.amount) for p in table.periods] == [
        (dt.date(2025, 5, 16), dt.date(2025, 6, 30), Decimal("165.73")),
        (dt.date(2025, 7, 1), dt.date(2025, 7, 31), Decimal("103.19")),
    ]


# ---------------------------------------------------------------- the day the money came in


def test_the_issue_example_penalties_stop_when_the_money_arrived(ten_thousand, pay, admin):
    """Received on 10 January, matched on 31 January: the penalties stop on 10 January."""
    invoice = ten_thousand(issue_on=dt.date(2025, 12, 1))
    assert invoice.installments.get().due_date == dt.date(2025, 12, 31)  # 30 days net
    payment = pay("10000.00", dt.date(2026, 1, 10))
    # Before the matching, as of 20 January, the payment counts for nothing yet:
    # 1–20 Jan, 20 days, 10 000 at 12.15 % (ECB 2.15 % on 1 Jan 2026 + 10):
    #   1 215 × 20 / 365 = 24 300 / 365 = 66.575… → 66.58
    assert penalties(invoice, dt.date(2026, 1, 20)).penalties == Decimal("66.58")
    allocate(payment, [(invoice.installments.get(), "10000.00")], by=admin, on=dt.date(2026, 1, 31))
    table = penalties(invoice, dt.date(2026, 2, 28))
    # 1–10 Jan (the day of payment counts), 10 days: 1 215 × 10 / 365 = 33.287… → 33.29,
    # not 1–31 Jan (31 days: 1 215 × 31 / 365 = 103.19) as when the matching stopped them.
    assert rows(table) == [
        (dt.date(2026, 1, 1), dt.date(2026, 1, 10), 10, Decimal("10000.00"), Decimal("12.15"),
         Decimal("33.29")),
    ]  # fmt: skip
    assert (table.penalties, table.recovery_fee) == (Decimal("33.29"), Decimal("40.00"))
    # A past day's figure does not move: on 20 January the payment was not matched yet.
    assert penalties(invoice, dt.date(2026, 1, 20)).penalties == Decimal("66.58")


def test_a_partial_payment_matched_late_counts_from_its_own_day(ten_thousand, pay, admin):
    invoice = ten_thousand()
    first = pay("4000.00", dt.date(2025, 7, 15))
    second = pay("6000.00", SEP30)
    allocate(first, [(invoice.installments.get(), "4000.00")], by=admin, on=dt.date(2025, 8, 31))
    allocate(second, [(invoice.installments.get(), "6000.00")], by=admin, on=dt.date(2025, 10, 6))
    # The same periods as when each was matched on its day (see
    # test_a_partial_payment_lowers_the_base_from_the_next_day): 165.73 + 49.93 + 153.79.
    table = penalties(invoice, dt.date(2025, 10, 31))
    assert [(p.start, p.end, p.base, p.amount) for p in table.periods] == [
        (dt.date(2025, 5, 16), dt.date(2025, 6, 30), Decimal("10000.00"), Decimal("165.73")),
        (dt.date(2025, 7, 1), dt.date(2025, 7, 15), Decimal("10000.00"), Decimal("49.93")),
        (dt.date(2025, 7, 16), SEP30, Decimal("6000.00"), Decimal("153.79")),
    ]
    assert table.penalties == Decimal("369.45")
    # As of 31 August only the first is matched: 16 Jul–31 Aug, 47 days, on 6 000:
    #   729 × 47 / 365 = 34 263 / 365 = 93.871… → 93.87; 165.73 + 49.93 + 93.87 = 309.53
    assert penalties(invoice, dt.date(2025, 8, 31)).penalties == Decimal("309.53")


def test_a_credit_note_counts_from_its_issue_date(company, ten_thousand, pay, admin):
    late, paid = ten_thousand(), ten_thousand()
    settle(paid, pay, admin, "10000.00", DUE)
    # A credit note of 2 500,00 HT + 20 % = 3 000,00 TTC on the invoice paid on time,
    # issued on 30 June: nothing left to settle there, it stays the customer's credit...
    note = issue_on_day(
        create_credit_note(paid, by=admin, mode="amount", amount="2500.00", vat_rate="20",
                           reason="Remise commerciale"),
        by=admin,
        on=JUN30,
    )  # fmt: skip
    assert note.total_incl_vat == Decimal("3000.00")
    # ... until it is matched with the late one on 31 July.
    allocate(note, [(late.installments.get(), "3000.00")], by=admin, on=dt.date(2025, 7, 31))
    table = penalties(late, dt.date(2025, 7, 31))
    # 16 May–30 Jun: 165.73 (46 days on 10 000 at 13.15 %); from 1 July, the day after
    # the note's issue, on 7 000: 31 days at 12.15 %: 850.5 × 31 / 365 = 72.234… → 72.23
    assert [(p.start, p.end, p.base, p.amount) for p in table.periods] == [
        (dt.date(2025, 5, 16), JUN30, Decimal("10000.00"), Decimal("165.73")),
        (dt.date(2025, 7, 1), dt.date(2025, 7, 31), Decimal("7000.00"), Decimal("72.23")),
    ]
    assert late.installments.get().allocations.get().paid_on == JUN30


def test_a_cheque_counts_from_its_remittance_even_when_remitted_after_matching(
    company, ten_thousand, pay, admin
):
    invoice = ten_thousand()
    cheque = pay("10000.00", dt.date(2025, 6, 10), method="cheque")
    allocate(cheque, [(invoice.installments.get(), "10000.00")], by=admin, on=dt.date(2025, 6, 12))
    # In hand, not remitted yet: counted from the day it was received.
    # 16 May–10 Jun, 26 days at 13.15 %: 1 315 × 26 / 365 = 34 190 / 365 = 93.671… → 93.67
    assert penalties(invoice, JUN30).penalties == Decimal("93.67")
    create_remittance_slip(company, [cheque.pk], by=admin, on=dt.date(2025, 6, 20))
    # Remitted on 20 June: the money counts from then, the matching follows.
    # 16 May–20 Jun, 36 days: 1 315 × 36 / 365 = 47 340 / 365 = 129.698… → 129.70
    assert penalties(invoice, JUN30).penalties == Decimal("129.70")
    assert invoice.installments.get().allocations.get().paid_on == dt.date(2025, 6, 20)


def test_a_cheque_remitted_before_its_matching_counts_from_the_slip(
    company, ten_thousand, pay, admin
):
    invoice = ten_thousand()
    cheque = pay("10000.00", dt.date(2025, 6, 10), method="cheque")
    create_remittance_slip(company, [cheque.pk], by=admin, on=dt.date(2025, 6, 20))
    allocate(cheque, [(invoice.installments.get(), "10000.00")], by=admin, on=dt.date(2025, 6, 25))
    assert penalties(invoice, JUN30).penalties == Decimal("129.70")  # as just above


# ---------------------------------------------------------------- consumers


def test_a_consumer_owes_legal_interest_from_the_day_after_the_formal_notice(
    company, consumer, ten_thousand, pay, admin
):
    invoice = ten_thousand(cust=consumer)
    notice = send_up_to(company, consumer, admin, 3)  # levels 1, 2 and 3 (15 July)
    assert (notice.template, notice.sent_on) == ("formal_notice", dt.date(2025, 7, 15))
    assert notice.penalties == notice.recovery_fees == 0  # nothing ran before it
    table = penalties(invoice, dt.date(2025, 7, 31))
    # 16–31 Jul, 16 days, at the legal interest rate of H2 2025 (creditor not a private
    # person, 2.76 %), 365 days: 10 000 × 2.76 % × 16 / 365 = 4 416 / 365 = 12.098… → 12.10
    assert rows(table) == [
        (dt.date(2025, 7, 16), dt.date(2025, 7, 31), 16, Decimal("10000.00"), Decimal("2.76"),
         Decimal("12.10")),
    ]  # fmt: skip
    assert table.periods[0].source.startswith(
        "Taux de l'intérêt légal au 01/07/2025 (créancier professionnel) — Arrêté du 19 juin 2025"
    )
    assert (table.formal_notice_on, table.day_count) == (dt.date(2025, 7, 15), 365)
    assert (table.penalties, table.recovery_fee) == (Decimal("12.10"), ZERO)
    # 4 000 received on 25 July, matched on 5 August; the rate of H1 2026 is 2.62 %.
    payment = pay("4000.00", dt.date(2025, 7, 25), cust=consumer)
    allocate(payment, [(invoice.installments.get(), "4000.00")], by=admin, on=dt.date(2025, 8, 5))
    table = penalties(invoice, dt.date(2026, 1, 10))
    # 16–25 Jul, 10 d on 10 000 at 2.76 %: 2 760 / 365 = 7.561… → 7.56
    # 26 Jul–31 Dec, 6 + 31 + 30 + 31 + 30 + 31 = 159 d on 6 000 at 2.76 %:
    #   165.6 × 159 / 365 = 26 330.4 / 365 = 72.138… → 72.14
    # 1–10 Jan 2026, 10 d on 6 000 at 2.62 %: 157.2 × 10 / 365 = 4.306… → 4.31
    assert [(p.start, p.end, p.days, p.rate, p.amount) for p in table.periods] == [
        (dt.date(2025, 7, 16), dt.date(2025, 7, 25), 10, Decimal("2.76"), Decimal("7.56")),
        (dt.date(2025, 7, 26), dt.date(2025, 12, 31), 159, Decimal("2.76"), Decimal("72.14")),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 10), 10, Decimal("2.62"), Decimal("4.31")),
    ]
    assert table.total == Decimal("84.01")  # 7.56 + 72.14 + 4.31, no fee


def test_a_consumer_ignores_the_contractual_rate(company, consumer, admin, ten_thousand):
    with freeze_time("2025-04-01"):
        update_company(company, {"late_penalty_rate": "15", "penalty_day_count": 360}, by=admin)
    invoice = ten_thousand(cust=consumer)
    send_up_to(company, consumer, admin, 3)
    # The legal rate over 365 days, not the 15 % over 360 of the company's B2B terms.
    assert [(p.rate, p.amount) for p in penalties(invoice, dt.date(2025, 7, 31)).periods] == [
        (Decimal("2.76"), Decimal("12.10"))
    ]


def test_each_installment_of_a_consumer_runs_from_its_own_notice(
    consumer, ten_thousand, monkeypatch
):
    invoice = ten_thousand(
        cust=consumer,
        schedule=[{"days": 30, "amount": "4000.00"}, {"days": 60, "amount": "6000.00"}],
    )  # due 15 May (4 000) and 14 Jun (6 000)
    first, second = invoice.installments.order_by("position")
    # The first was named by a notice sent on 10 June, the second by one of 20 July
    # (dunning's lookup replaced: this test is about the engine's arithmetic).
    monkeypatch.setattr(
        "encaisse.collection.penalties._formal_notices",
        lambda inv, as_of: {first.pk: dt.date(2025, 6, 10), second.pk: dt.date(2025, 7, 20)},
    )
    table = penalties(invoice, dt.date(2025, 7, 31))
    # 1: 11–30 Jun, 20 d, 4 000 at 3.71 % (H1 2025): 148.4 × 20 / 365 = 8.131… → 8.13
    #    1–31 Jul, 31 d, 4 000 at 2.76 %: 110.4 × 31 / 365 = 9.376… → 9.38
    # 2: 21–31 Jul, 11 d, 6 000 at 2.76 %: 165.6 × 11 / 365 = 4.990… → 4.99
    assert [(p.installment, p.start, p.days, p.amount) for p in table.periods] == [
        (1, dt.date(2025, 6, 11), 20, Decimal("8.13")),
        (1, dt.date(2025, 7, 1), 31, Decimal("9.38")),
        (2, dt.date(2025, 7, 21), 11, Decimal("4.99")),
    ]
    assert table.formal_notice_on == dt.date(2025, 6, 10)
