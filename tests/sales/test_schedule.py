"""Installment schedules (échéanciers): checks on the draft, resolution at issue, the
installments and how the aged balance sees them. Today is frozen at Monday 4 Jan 2027."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from freezegun import freeze_time

from encaisse.errors import ValidationFailed
from encaisse.receivables.models import Installment
from encaisse.receivables.services.allocation import allocate
from encaisse.receivables.services.installments import installment_states
from encaisse.reporting.aged_balance import aged_balance
from encaisse.sales.models import DocumentStatus, Invoice
from encaisse.sales.services import create_invoice, issue_invoice, update_invoice

TODAY = dt.date(2027, 1, 4)
ZERO = D("0.00")
EUR = "\u00a0€"
# 833.34 HT + 20 % VAT (166.668 -> 166.67) = 1 000.01 TTC.
ODD_LINE = {
    "description": "Audit du four",
    "item_kind": "service",
    "quantity": "1",
    "unit_price": "833.34",
    "vat_rate": "20",
}


@pytest.fixture(autouse=True)
def frozen_today():
    with freeze_time("2027-01-04 10:00:00"):
        yield


@pytest.fixture
def draft(company, customer, admin, service_product):
    """10 h × 65.00 HT + 20 % = 780.00 TTC, 30 days net, no schedule yet."""

    def make(schedule=None, lines=None, **header):
        return create_invoice(
            company,
            customer=customer,
            by=admin,
            lines=lines or [{"product": service_product.pk, "quantity": "10"}],
            schedule=schedule,
            **header,
        )

    return make


def half(first, second):
    return [{**first, "percent": "50"}, {**second, "percent": "50"}]


REFUSALS = [
    ("one row", [{"days": 10, "amount": "780.00"}], "schedule", "schedule_too_short"),
    (
        "zero amount",
        [{"days": 0, "amount": "0"}, {"days": 30, "amount": "780.00"}],
        "schedule.1.amount",
        "schedule_amount",
    ),
    (
        "negative amount",
        [{"days": 0, "amount": "800.00"}, {"days": 30, "amount": "-20.00"}],
        "schedule.2.amount",
        "negative",
    ),
    (
        "sum one cent short",
        [{"days": 0, "amount": "390.00"}, {"days": 30, "amount": "389.99"}],
        "schedule.2.amount",
        "schedule_total",
    ),
    (
        "percentages summing to 90",
        [{"days": 0, "percent": "40"}, {"days": 30, "percent": "50"}],
        "schedule.2.percent",
        "schedule_total",
    ),
    (
        "a 100 % row",
        [{"days": 0, "percent": "100"}, {"days": 30, "percent": "0"}],
        "schedule.1.percent",
        "schedule_percent",
    ),
    (
        "same date twice",
        [
            {"due_date": "2027-01-20", "amount": "390.00"},
            {"due_date": "2027-01-20", "amount": "390.00"},
        ],
        "schedule.2.due_date",
        "schedule_order",
    ),
    (
        "days going back",
        [{"days": 30, "amount": "390.00"}, {"days": 20, "amount": "390.00"}],
        "schedule.2.days",
        "schedule_order",
    ),
    (
        # 4 Jan + 61 days = 6 Mar 2027, one day past the 60 days of L.441-10.
        "61 days",
        [{"days": 30, "amount": "390.00"}, {"days": 61, "amount": "390.00"}],
        "schedule.2.days",
        "terms_exceed_legal_cap",
    ),
    (
        "a date before the issue",
        [
            {"due_date": "2027-01-03", "amount": "390.00"},
            {"due_date": "2027-02-03", "amount": "390.00"},
        ],
        "schedule.1.due_date",
        "schedule_before_issue",
    ),
    (
        "neither date nor days",
        [{"amount": "390.00"}, {"days": 30, "amount": "390.00"}],
        "schedule.1.due_date",
        "schedule_date",
    ),
    (
        "both date and days",
        [{"due_date": "2027-01-10", "days": 6, "amount": "390.00"}, {"days": 30, "amount": "390"}],
        "schedule.1.due_date",
        "schedule_date",
    ),
    (
        "not a date",
        [{"due_date": "15/01/2027", "amount": "390.00"}, {"days": 30, "amount": "390.00"}],
        "schedule.1.due_date",
        "invalid_date",
    ),
    (
        "both amount and percentage",
        [{"days": 0, "amount": "390.00", "percent": "50"}, {"days": 30, "percent": "50"}],
        "schedule.1.amount",
        "schedule_amount",
    ),
    (
        "amounts and percentages mixed",
        [{"days": 0, "percent": "50"}, {"days": 30, "amount": "390.00"}],
        "schedule.2.percent",
        "schedule_mixed",
    ),
    (
        "a sub-cent amount",
        [{"days": 0, "amount": "389.995"}, {"days": 30, "amount": "390.005"}],
        "schedule.1.amount",
        "too_many_decimals",
    ),
]


@pytest.mark.parametrize(
    "schedule,field,code", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_create_refuses_a_bad_schedule_naming_its_field(draft, schedule, field, code):
    with pytest.raises(ValidationFailed) as exc:
        draft(schedule=schedule)
    assert (exc.value.field, exc.value.code) == (field, code)
    assert exc.value.message[0].isupper() and exc.value.message.endswith(".")
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    "schedule,field,code", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_update_refuses_a_bad_schedule_and_keeps_the_draft(draft, admin, schedule, field, code):
    good = [{"days": 0, "amount": "390.00"}, {"days": 30, "amount": "390.00"}]
    invoice = draft(schedule=good)
    with pytest.raises(ValidationFailed) as exc:
        update_invoice(invoice, {"notes": "changé"}, by=admin, schedule=schedule)
    assert (exc.value.field, exc.value.code) == (field, code)
    invoice.refresh_from_db()
    assert invoice.notes == ""
    assert invoice.schedule == [
        {"due_date": None, "days": 0, "amount": "390.00", "percent": None},
        {"due_date": None, "days": 30, "amount": "390.00", "percent": None},
    ]


def test_draft_due_date_is_the_last_installment_as_if_issued_today(draft):
    invoice = draft(schedule=half({"days": 10}, {"due_date": "2027-02-15"}))
    assert invoice.due_date == dt.date(2027, 2, 15)
    assert draft().due_date == dt.date(2027, 2, 3)  # no schedule: 30 days net


def test_end_of_month_terms_cap_the_schedule_at_45_days_end_of_month(draft):
    # 4 Jan + 45 days = 18 Feb -> end of February: 28 Feb 2027 is the last lawful day.
    fine = draft(
        terms_kind="eom",
        terms_days=30,
        schedule=half({"days": 0}, {"due_date": "2027-02-28"}),
    )
    assert fine.due_date == dt.date(2027, 2, 28)
    with pytest.raises(ValidationFailed) as exc:
        draft(terms_kind="eom", terms_days=30, schedule=half({"days": 0}, {"days": 56}))
    # 4 Jan + 56 days = 1 Mar: fine under 60 days net, not under 45 days end of month.
    assert (exc.value.field, exc.value.code) == ("schedule.2.days", "terms_exceed_legal_cap")
    assert "28/02/2027" in exc.value.message


def test_percentages_of_an_odd_total_put_the_rounding_on_the_last_installment(draft, admin):
    invoice = draft(
        lines=[ODD_LINE],
        schedule=[
            {"days": 0, "percent": "33"},
            {"days": 20, "percent": "33"},
            {"days": 40, "percent": "34"},
        ],
    )
    assert invoice.total_incl_vat == D("1000.01")
    invoice = issue_invoice(invoice, by=admin)
    # 33 % of 1 000.01 = 330.0033 -> 330.00 twice; the last takes 1 000.01 − 660.00 =
    # 340.01 (34 % alone would round to 340.00 and lose the cent).
    rows = list(invoice.installments.order_by("position").values_list("due_date", "amount"))
    assert rows == [
        (dt.date(2027, 1, 4), D("330.00")),
        (dt.date(2027, 1, 24), D("330.00")),
        (dt.date(2027, 2, 13), D("340.01")),
    ]
    assert invoice.due_date == dt.date(2027, 2, 13)
    assert invoice.mentions["payment_terms"] == (
        f"Échéancier : 33 % soit 330,00{EUR} le 04/01/2027 ; 33 % soit 330,00{EUR} le "
        f"24/01/2027 ; 34 % soit 340,01{EUR} le 13/02/2027"
    )


def test_issue_resolves_days_from_the_issue_date_and_freezes_the_schedule(draft, admin):
    invoice = draft(schedule=[{"days": 15, "amount": "300"}, {"days": 45, "amount": "480.00"}])
    with freeze_time("2027-01-11 09:00:00"):
        invoice = issue_invoice(invoice, by=admin, on=dt.date(2027, 1, 8))
    # Days count from the issue date (8 Jan), not from the draft's creation (4 Jan).
    assert invoice.schedule == [
        {"due_date": "2027-01-23", "days": 15, "amount": "300.00", "percent": None},
        {"due_date": "2027-02-22", "days": 45, "amount": "480.00", "percent": None},
    ]
    assert invoice.due_date == dt.date(2027, 2, 22)
    installments = Installment.objects.filter(invoice=invoice).order_by("position")
    assert [(i.position, i.due_date, i.amount) for i in installments] == [
        (1, dt.date(2027, 1, 23), D("300.00")),
        (2, dt.date(2027, 2, 22), D("480.00")),
    ]
    assert invoice.mentions["payment_terms"] == (
        f"Échéancier : 300,00{EUR} le 23/01/2027 ; 480,00{EUR} le 22/02/2027"
    )


def test_an_issued_schedule_is_frozen_by_the_database(draft, admin):
    invoice = issue_invoice(draft(schedule=half({"days": 0}, {"days": 30})), by=admin)
    # The column came with migration 0005: the triggers of 0002 still guard the row.
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(schedule=[])
    invoice.refresh_from_db()
    assert [row["amount"] for row in invoice.schedule] == ["390.00", "390.00"]


def test_issue_backdated_beyond_the_cap_is_refused_and_changes_nothing(draft, admin):
    invoice = draft(schedule=half({"days": 0}, {"due_date": "2027-03-01"}))
    # Issued on 30 Dec 2026, 1 Mar 2027 is 61 days later: past the 60 days.
    with pytest.raises(ValidationFailed) as exc:
        issue_invoice(invoice, by=admin, on=dt.date(2026, 12, 30))
    assert (exc.value.field, exc.value.code) == ("schedule.2.due_date", "terms_exceed_legal_cap")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == (DocumentStatus.DRAFT, "")
    assert invoice.schedule[1] == {
        "due_date": "2027-03-01",
        "days": None,
        "amount": None,
        "percent": "50",
    }
    assert not Installment.objects.exists()


def test_new_lines_are_checked_against_a_kept_schedule(draft, admin, service_product):
    amounts = draft(schedule=[{"days": 0, "amount": "390"}, {"days": 30, "amount": "390"}])
    with pytest.raises(ValidationFailed) as exc:
        update_invoice(
            amounts, {}, by=admin, lines=[{"product": service_product.pk, "quantity": "11"}]
        )
    assert (exc.value.field, exc.value.code) == ("schedule.2.amount", "schedule_total")
    assert amounts.lines.get().quantity == D("10")
    # Percentages follow the new total; an empty schedule removes it.
    shares = draft(schedule=half({"days": 0}, {"days": 30}))
    update_invoice(shares, {}, by=admin, lines=[{"product": service_product.pk, "quantity": "11"}])
    assert issue_invoice(shares, by=admin).installments.count() == 2
    update_invoice(amounts, {}, by=admin, schedule=[])
    amounts.refresh_from_db()
    assert amounts.schedule is None
    assert list(issue_invoice(amounts, by=admin).installments.values_list("amount")) == [
        (D("780.00"),)
    ]


def test_aged_balance_buckets_each_installment_by_its_own_due_date(company, invoice_of, pay, admin):
    # 10 h = 780.00 TTC issued 4 Jan: 390.00 due that day, 390.00 due 3 Feb.
    invoice = invoice_of(10, TODAY, schedule=half({"days": 0}, {"days": 30}))
    first, second = invoice.installments.order_by("position")
    (row,) = aged_balance(company, dt.date(2027, 1, 20)).rows
    # On 20 Jan the first is 16 days late (1–30), the second not yet due.
    assert row.amounts == [D("390.00"), D("390.00"), ZERO, ZERO, ZERO]
    (row,) = aged_balance(company, dt.date(2027, 3, 10)).rows
    # On 10 Mar: 65 days late (61–90) and 35 days late (31–60).
    assert row.amounts == [ZERO, ZERO, D("390.00"), D("390.00"), ZERO]
    # Statuses on the detail page, derived on the day asked.
    allocate(pay("100.00", TODAY), [(second, "100.00")], by=admin, on=TODAY)
    states = installment_states(invoice, dt.date(2027, 1, 20))
    assert [(s.status, s.open_amount) for s in states] == [
        ("overdue", D("390.00")),
        ("partly_paid", D("290.00")),
    ]
    allocate(pay("390.00", TODAY), [(first, "390.00")], by=admin, on=TODAY)
    states = installment_states(invoice, dt.date(2027, 2, 10))
    assert [(s.status, s.open_amount) for s in states] == [
        ("paid", ZERO),
        ("overdue", D("290.00")),
    ]
