import datetime as dt

import pytest

from encaisse.companies.models import Role
from encaisse.errors import Conflict, Forbidden, ValidationFailed
from encaisse.ledger.periods import close_fiscal_year, open_fiscal_year
from encaisse.receivables.models import Allocation, Payment
from encaisse.receivables.services.allocation import allocate, undo_allocation


@pytest.fixture
def closed_2025(company, admin):
    year = open_fiscal_year(company, dt.date(2025, 1, 1), dt.date(2025, 12, 31), by=admin)
    return year


def test_nothing_is_recorded_in_a_closed_year(
    company, admin, closed_2025, pay, invoice_of, make_invoice
):
    invoice = invoice_of(1, dt.date(2025, 12, 1))
    payment = pay("78.00", dt.date(2025, 12, 20))
    (allocation,) = allocate(
        payment, [(invoice.installments.get(), "78")], by=admin, on=dt.date(2025, 12, 20)
    )
    close_fiscal_year(closed_2025, by=admin)

    with pytest.raises(ValidationFailed) as error:
        pay("10.00", dt.date(2025, 12, 31))
    assert error.value.code == "closed_period"
    assert Payment.objects.count() == 1
    with pytest.raises(ValidationFailed, match="exercice clôturé"):
        make_invoice(issue_on=dt.date(2025, 12, 30))
    # Undoing, even today, an allocation made in the closed year is refused.
    with pytest.raises(ValidationFailed, match="exercice clôturé"):
        undo_allocation(allocation, by=admin, reason="erreur")
    allocation.refresh_from_db()
    assert allocation.undone_on is None
    with pytest.raises(ValidationFailed, match="exercice clôturé"):
        allocate(
            pay("5.00", dt.date(2026, 1, 5)),
            [(invoice.installments.get(), "5")],
            by=admin,
            on=dt.date(2025, 12, 31),
        )
    assert Allocation.objects.count() == 1


def test_closing_rules(company, admin, closed_2025, make_user):
    accountant = make_user("compta", company, Role.ACCOUNTING)
    with pytest.raises(Forbidden):
        close_fiscal_year(closed_2025, by=accountant)
    close_fiscal_year(closed_2025, by=admin)
    with pytest.raises(Conflict):
        close_fiscal_year(closed_2025, by=admin)
    current = open_fiscal_year(company, dt.date(2026, 1, 1), dt.date(2026, 12, 31), by=admin)
    with pytest.raises(ValidationFailed, match="après sa date de fin"):
        close_fiscal_year(current, by=admin)
    with pytest.raises(ValidationFailed, match="chevauche"):
        open_fiscal_year(company, dt.date(2026, 6, 1), dt.date(2027, 5, 31), by=admin)
