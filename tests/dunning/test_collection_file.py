"""The collection file of a customer, hand-computed on one history.

Company financing rate 5 %. Invoices of h hours × 65.00 HT + 20 % = h × 78.00 TTC, 30
days net. File as of 31 May 2025 (penalties: ECB 3.15 % + 10 = 13.15 % in H1 2025).

Settled (payment allocated the day received):
  I1 10 h  780.00 issued 1 Oct 2024, due 31 Oct, paid 10 Nov 2024 -> 10 days late
  I2  5 h  390.00 issued 1 Dec 2024, due 31 Dec, paid 20 Jan 2025 -> 20 days late
  I3  2 h  156.00 issued 2 Jan 2025, due 1 Feb,  paid 1 Feb 2025  ->  0 (on time)
  I4 10 h  780.00 issued 3 Feb 2025, due 5 Mar,  paid 4 Apr 2025  -> 30 days late
Open:
  I5 10 h  780.00 issued 3 Mar 2025, due 2 Apr, 280.00 paid 17 Apr -> 500.00 open, 59 days
  I6  5 h  390.00 issued 15 May 2025, due 14 Jun -> 390.00 open, not due (-14)
Dunning (default scenario, level 1 by e-mail without validation): the run of 3 Apr sends
level 1 for I4 (D+29) and I5 (D+1); the run of 17 Apr proposes level 2 for I5 (D+15,
14 days after level 1), sent that day.
"""

import datetime as dt
from decimal import Decimal as D

import pytest

from encaisse.companies.services import create_company
from encaisse.customers.credit import record_incident
from encaisse.customers.services import add_contact, create_customer
from encaisse.dunning.actions import send_reminder
from encaisse.dunning.calls import log_call
from encaisse.dunning.collection_file import collection_file, payment_behaviour
from encaisse.dunning.models import ReminderStatus
from encaisse.dunning.run import run_dunning
from encaisse.receivables.services.allocation import allocate
from tests.conftest import CUSTOMER, SELLER

AS_OF = dt.date(2025, 5, 31)


@pytest.fixture
def company(db):
    return create_company({**SELLER, "financing_rate": "5.00"})


@pytest.fixture
def customer(company, admin):
    return create_customer(company, {**CUSTOMER, "email": "compta@dupont.fr"}, by=admin)


@pytest.fixture
def settle(pay, admin):
    def settle(invoice, amount, on):
        allocate(pay(amount, on), [(invoice.installments.get(), amount)], by=admin, on=on)

    return settle


@pytest.fixture
def history(company, customer, admin, invoice_of, settle):
    i1 = invoice_of(10, dt.date(2024, 10, 1))
    settle(i1, "780.00", dt.date(2024, 11, 10))
    i2 = invoice_of(5, dt.date(2024, 12, 1))
    settle(i2, "390.00", dt.date(2025, 1, 20))
    i3 = invoice_of(2, dt.date(2025, 1, 2))
    settle(i3, "156.00", dt.date(2025, 2, 1))
    i4 = invoice_of(10, dt.date(2025, 2, 3))
    i5 = invoice_of(10, dt.date(2025, 3, 3))
    report = run_dunning(company, dt.date(2025, 4, 3), by=admin)
    settle(i4, "780.00", dt.date(2025, 4, 4))
    settle(i5, "280.00", dt.date(2025, 4, 17))
    report = run_dunning(company, dt.date(2025, 4, 17), by=admin)
    (proposal,) = report.proposed + report.updated
    send_reminder(proposal, by=admin, on=dt.date(2025, 4, 17))
    i6 = invoice_of(5, dt.date(2025, 5, 15))
    contact = add_contact(customer, {"name": "Mme Dupont", "phone": "04 78 00 00 00"}, by=admin)
    call = log_call(
        company,
        {
            "customer": customer.pk,
            "contact": contact.pk,
            "called_on": dt.date(2025, 5, 5),
            "outcome": "promise",
            "promise_invoices": [i5.pk],
            "promise_amount": "500.00",
            "promised_on": dt.date(2025, 5, 20),
        },
        by=admin,
    )
    dispute_call = log_call(
        company,
        {
            "customer": customer.pk,
            "contact_name": "M. Dupont",
            "called_on": dt.date(2025, 5, 28),
            "outcome": "dispute",
            "dispute_invoice": i6.pk,
            "dispute_amount": "100.00",
            "dispute_category": "quality",
            "dispute_words": "Intervention à reprendre.",
            "dispute_owner": admin.pk,
            "dispute_department": "sales",
            "dispute_target_date": dt.date(2025, 6, 15),
        },
        by=admin,
    )
    record_incident(
        customer, date=dt.date(2025, 5, 12), kind="rejected_debit", note="LCR rejetée", by=admin
    )
    return {
        "invoices": [i1, i2, i3, i4, i5, i6],
        "call": call,
        "dispute_call": dispute_call,
        "contact": contact,
    }


def test_open_items_with_their_levels(customer, history):
    i5, i6 = history["invoices"][4:]
    file = collection_file(customer, AS_OF)
    assert [
        (i.invoice_number, i.open_amount, i.days_late, i.level, i.level_sent_on) for i in file.items
    ] == [
        # 2 Apr -> 31 May: 28 days of April + 31 of May = 59.
        (i5.number, D("500.00"), 59, 2, dt.date(2025, 4, 17)),
        # 31 May -> 14 Jun: not due for 14 days.
        (i6.number, D("390.00"), -14, None, None),
    ]
    assert file.balance == D("890.00")  # 500.00 + 390.00
    assert file.overdue == D("500.00")
    assert file.level == 2
    assert file.contacts == [history["contact"]]
    assert file.excluded is False


def test_a_level_sent_after_the_date_is_not_shown(customer, history):
    # On 10 April only level 1 (sent 3 April) had gone out for I5.
    file = collection_file(customer, dt.date(2025, 4, 10))
    assert [(i.days_late, i.level) for i in file.items] == [(8, 1)]


def test_penalties_accrued(customer, history):
    i5 = history["invoices"][4]
    file = collection_file(customer, AS_OF)
    # I5 at 13.15 %, actual/365, from 3 Apr (the day after the due date):
    #   3 Apr..17 Apr, 15 days on 780.00: 780 × 13.15 % × 15 / 365 = 4.2152 -> 4.22
    #   18 Apr..31 May, 44 days on 500.00: 500 × 13.15 % × 44 / 365 = 7.9260 -> 7.93
    # Penalties 4.22 + 7.93 = 12.15; recovery fee 40.00 (professional customer).
    # I6 is not due: no row. Nothing invoiced nor waived: all outstanding.
    assert [
        (r.invoice_number, r.penalties, r.recovery_fee, r.outstanding) for r in file.penalties
    ] == [(i5.number, D("12.15"), D("40.00"), D("52.15"))]
    assert (file.penalties_total, file.recovery_fees_total, file.outstanding_total) == (
        D("12.15"),
        D("40.00"),
        D("52.15"),
    )


def test_late_cost(customer, history):
    file = collection_file(customer, AS_OF)
    # 500.00 overdue for 59 days at 5 %: 500 × 59 × 5 / 100 / 365 = 4.0411 -> 4.04
    assert (file.financing_rate, file.late_cost) == (D("5.00"), D("4.04"))


def test_payment_behaviour(customer, history):
    behaviour = payment_behaviour(customer, AS_OF)
    # Settled from 31 May 2024 (excluded) to 31 May 2025: I1..I4.
    assert (behaviour.settled_count, behaviour.settled_amount) == (4, D("2106.00"))
    # Weighted: (780 × 10 + 390 × 20 + 156 × 0 + 780 × 30) / 2106 = 39000 / 2106 = 18.52
    assert behaviour.average_days_late == D("18.5")
    # Late: I1, I2, I4 = 3 of 4 = 75.0 %; 1950.00 of 2106.00 = 92.59 %.
    assert (behaviour.late_count, behaviour.late_amount) == (3, D("1950.00"))
    assert (behaviour.late_share_count, behaviour.late_share_amount) == (D("75.0"), D("92.6"))
    # Last 3 months (1 Mar..31 May): I4 only, 30.0 days. The 3 before (1 Dec..28 Feb):
    # I2 and I3, (390 × 20 + 156 × 0) / 546 = 14.29 -> 14.3. +15.7 days: worsening.
    assert (behaviour.recent_average, behaviour.previous_average) == (D("30.0"), D("14.3"))
    assert (behaviour.trend, behaviour.trend_label) == ("worsening", "en dégradation")


def test_behaviour_windows_and_trend(customer, history):
    # On 15 Feb 2025: I1, I2, I3 settled. Last 3 months (15 Nov..15 Feb): I2 (20), I3
    # (0): 7800 / 546 = 14.3; the 3 before (15 Aug..15 Nov): I1, 10.0. +4.3: worsening.
    behaviour = payment_behaviour(customer, dt.date(2025, 2, 15))
    assert (behaviour.recent_average, behaviour.previous_average, behaviour.trend) == (
        D("14.3"),
        D("10.0"),
        "worsening",
    )
    # A year later, on 1 Oct 2025: only I2..I4 stay in the 12 months (I1 settled on
    # 10 Nov 2024 is in; nothing was settled after 17 Apr (I5 is open): no recent window.
    behaviour = payment_behaviour(customer, dt.date(2025, 10, 1))
    assert behaviour.settled_count == 4
    assert (behaviour.recent_average, behaviour.trend, behaviour.trend_label) == (
        None,
        None,
        "non mesurable",
    )
    # Before any settlement: nothing to say.
    behaviour = payment_behaviour(customer, dt.date(2024, 11, 1))
    assert (behaviour.settled_count, behaviour.average_days_late) == (0, None)
    assert behaviour.late_share_count is None and behaviour.late_share_amount is None


def test_timeline(customer, history):
    i6 = history["invoices"][5]
    file = collection_file(customer, AS_OF)
    assert [(e.date, e.kind) for e in file.timeline] == [
        (dt.date(2025, 5, 28), "call"),
        (dt.date(2025, 5, 28), "dispute_opened"),
        (dt.date(2025, 5, 12), "incident"),
        (dt.date(2025, 5, 5), "call"),
        (dt.date(2025, 5, 5), "promise"),
        (dt.date(2025, 4, 17), "payment"),
        (dt.date(2025, 4, 17), "reminder"),
        (dt.date(2025, 4, 4), "payment"),
        (dt.date(2025, 4, 3), "reminder"),
        (dt.date(2025, 2, 1), "payment"),
        (dt.date(2025, 1, 20), "payment"),
        (dt.date(2024, 11, 10), "payment"),
    ]
    by_kind = {}
    for entry in file.timeline:
        by_kind.setdefault(entry.kind, []).append(entry)
    plain = lambda s: s.replace("\xa0", " ").replace("\u202f", " ")  # noqa: E731
    # The promise of 500.00 by 20 May (+3 days' tolerance: 23 May) got no payment.
    assert (
        plain(by_kind["promise"][0].label) == "Promesse de 500,00 € pour le 20/05/2025 (non tenue)"
    )
    assert by_kind["dispute_opened"][0].label == f"Litige ouvert sur la facture {i6.number}"
    assert by_kind["dispute_opened"][0].amount == D("100.00")
    assert [e.label for e in by_kind["reminder"]] == [
        "Relance de niveau 2 envoyée",
        "Relance de niveau 1 envoyée",
    ]
    assert by_kind["call"][1].label == "Appel : promesse de paiement"
    assert by_kind["call"][1].url.endswith(f"#call-{history['call'].pk}")
    assert by_kind["incident"][0].label == "Incident : prélèvement rejeté"
    assert [e.amount for e in by_kind["payment"]] == [
        D("280.00"),
        D("780.00"),
        D("156.00"),
        D("390.00"),
        D("780.00"),
    ]
    # As of 1 May: nothing of May, and the reminder of 17 April is there.
    early = collection_file(customer, dt.date(2025, 5, 1))
    assert early.timeline[0].date == dt.date(2025, 4, 17)


def test_exclusion_and_collector(customer, history, admin):
    from encaisse.dunning.scenarios import set_dunning_profile

    set_dunning_profile(
        customer,
        {
            "collector": admin.pk,
            "exclusion_reason": "Plan d'apurement en cours",
            "excluded_until": dt.date(2025, 6, 30),
        },
        by=admin,
    )
    customer.refresh_from_db()
    file = collection_file(customer, AS_OF)
    assert (file.excluded, file.exclusion_reason, file.excluded_until, file.collector) == (
        True,
        "Plan d'apurement en cours",
        dt.date(2025, 6, 30),
        admin,
    )
    assert collection_file(customer, dt.date(2025, 7, 1)).excluded is False


def test_reminder_status_check(company, customer, history):
    from encaisse.dunning.models import Reminder

    assert list(Reminder.objects.values_list("level", "status")) == [
        (2, ReminderStatus.SENT),
        (1, ReminderStatus.SENT),
    ]


def test_behaviour_weighs_the_days_to_the_money_not_to_the_matching(
    customer, invoice_of, pay, admin
):
    # 780.00 due 31 Oct 2024, received 10 Nov (10 days late), matched 30 Nov (30 days
    # after the due date); 390.00 due 31 Dec, received and matched 20 Jan (20 days late).
    i1, i2 = invoice_of(10, dt.date(2024, 10, 1)), invoice_of(5, dt.date(2024, 12, 1))
    allocate(
        pay("780.00", dt.date(2024, 11, 10)),
        [(i1.installments.get(), "780")],
        by=admin,
        on=dt.date(2024, 11, 30),
    )
    allocate(
        pay("390.00", dt.date(2025, 1, 20)),
        [(i2.installments.get(), "390")],
        by=admin,
        on=dt.date(2025, 1, 20),
    )
    behaviour = payment_behaviour(customer, dt.date(2025, 2, 1))
    # (780 × 10 + 390 × 20) / 1 170 = 15 600 / 1 170 = 13.33 -> 13.3 (with the matching
    # day it would be (780 × 30 + 390 × 20) / 1 170 = 26.7)
    assert (behaviour.settled_count, behaviour.average_days_late) == (2, D("13.3"))
    assert (behaviour.late_count, behaviour.late_amount) == (2, D("1170.00"))
