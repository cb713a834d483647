"""Cost of late payment computed by hand: Σ open overdue amount × days late × rate / 365."""

import datetime as dt
from decimal import Decimal as D

import pytest

from encaisse.companies.models import Company
from encaisse.companies.services import update_company
from encaisse.customers.services import create_customer
from encaisse.errors import ValidationFailed
from encaisse.receivables.models import Installment
from encaisse.receivables.services.allocation import allocate, undo_allocation
from encaisse.reporting.late_cost import late_cost
from tests.conftest import CUSTOMER

AS_OF = dt.date(2026, 11, 10)


@pytest.fixture
def scenario(company, customer, admin, invoice_of, pay):
    """30 days net; 78.00 TTC an hour.

    Dupont: I1 1 Sep, 10 h = 780.00 due 1 Oct, 280.00 paid and allocated 15 Oct -> 500.00
    open; I2 1 Oct, 5 h = 390.00 due 31 Oct; I4 11 Oct, 1 h = 78.00 due 10 Nov (due on
    as_of: not late). Fournil: I3 15 Sep, 2 h = 156.00 due 15 Oct.
    """
    fournil = create_customer(
        company, {**CUSTOMER, "legal_name": "Fournil", "siren": "443061841", "siret": ""}, by=admin
    )
    i1 = invoice_of(10, dt.date(2026, 9, 1))
    assert i1.due_date == dt.date(2026, 10, 1)
    invoice_of(2, dt.date(2026, 9, 15), cust=fournil)
    invoice_of(5, dt.date(2026, 10, 1))
    invoice_of(1, dt.date(2026, 10, 11))
    p1 = pay("280.00", dt.date(2026, 10, 15))
    allocate(p1, [(i1.installments.get(), "280.00")], by=admin, on=dt.date(2026, 10, 15))
    update_company(company, {"financing_rate": "5"}, by=admin)
    return fournil


def test_cost_by_hand(company, customer, scenario):
    result = late_cost(Company.objects.get(pk=company.pk), AS_OF)
    dupont, fournil = result.rows
    # Dupont: I1 500.00 × 40 days (1 Oct -> 10 Nov) = 20,000; I2 390.00 × 10 days = 3,900;
    # 23,900 × 5 % / 365 = 1,195 / 365 = 3.2740 -> 3.27.
    assert (dupont.customer_name, dupont.overdue, dupont.amount_days) == (
        "Boulangerie Dupont SARL",
        D("890.00"),
        D("23900.00"),
    )
    assert dupont.cost == D("3.27")
    # 23,900 / 890 = 26.85 -> 26.9 days on average.
    assert dupont.average_days_late == D("26.9")
    # Fournil: 156.00 × 26 days (15 Oct -> 10 Nov) = 4,056; × 5 % / 365 = 0.5556 -> 0.56.
    assert (fournil.overdue, fournil.amount_days, fournil.cost) == (
        D("156.00"),
        D("4056.00"),
        D("0.56"),
    )
    assert (result.overdue, result.cost) == (D("1046.00"), D("3.83"))


def test_one_customer_and_before_anything_is_late(company, customer, scenario):
    company = Company.objects.get(pk=company.pk)
    (only,) = late_cost(company, AS_OF, customer=scenario).rows
    assert only.customer_name == "Fournil"
    # On 1 Oct I1 is due that day (not late) and nothing else is due yet.
    assert late_cost(company, dt.date(2026, 10, 1)).rows == []
    # On 2 Oct: 780.00 × 1 day × 5 % / 365 = 39 / 365 = 0.1068 -> 0.11.
    assert late_cost(company, dt.date(2026, 10, 2)).cost == D("0.11")


def test_unknown_rate_gives_no_cost_and_other_companies_see_nothing(
    company, other_company, customer, scenario
):
    assert late_cost(other_company, AS_OF).rows == []
    Company.objects.filter(pk=company.pk).update(financing_rate=None)
    result = late_cost(Company.objects.get(pk=company.pk), AS_OF)
    assert result.overdue == D("1046.00")
    assert result.cost is None and result.rows[0].cost is None


def test_financing_rate_is_checked(company, admin):
    for value, code in (("-1", "negative"), ("101", "too_large"), ("x", "invalid_number")):
        with pytest.raises(ValidationFailed) as error:
            update_company(company, {"financing_rate": value}, by=admin)
        assert (error.value.code, error.value.field) == (code, "financing_rate")
    assert Company.objects.get(pk=company.pk).financing_rate is None


def test_settled_and_reopened_installments(company, admin, scenario, pay):
    fournil = scenario
    company = Company.objects.get(pk=company.pk)
    (installment,) = Installment.objects.filter(customer=fournil)
    payment = pay("156.00", dt.date(2026, 10, 20), cust=fournil)
    (allocation,) = allocate(payment, [(installment, "156.00")], by=admin, on=dt.date(2026, 10, 20))
    # Settled on 20 Oct: Fournil is not late on 10 Nov, ...
    assert [r.customer_name for r in late_cost(company, AS_OF).rows] == ["Boulangerie Dupont SARL"]
    # ...but it was on 19 Oct: 156.00 × 4 days (15 -> 19 Oct) = 624.
    (_, before) = late_cost(company, dt.date(2026, 10, 19)).rows
    assert (before.customer_name, before.amount_days) == ("Fournil", D("624.00"))
    # Undone on 5 Nov: open again from that day, 26 days late on 10 Nov.
    undo_allocation(allocation, by=admin, reason="Chèque impayé", on=dt.date(2026, 11, 5))
    (_, again) = late_cost(company, AS_OF).rows
    assert (again.customer_name, again.amount_days) == ("Fournil", D("4056.00"))
