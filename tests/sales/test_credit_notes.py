import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from encaisse.catalog.services import create_product
from encaisse.companies.models import Role
from encaisse.companies.services import create_company
from encaisse.customers.services import create_customer
from encaisse.errors import Conflict, Forbidden, ValidationFailed
from encaisse.sales.services import (
    create_credit_note,
    create_invoice,
    creditable,
)
from tests.conftest import CUSTOMER, SELLER, issue_on_day

DAY = dt.date(2026, 2, 2)


@pytest.fixture
def invoice(make_invoice, product, service_product):
    # 4 × 18.90 = 75.60 at 5.5 % (VAT 4.158 -> 4.16) ; 2 h × 65 = 130.00 at 20 % (VAT 26.00)
    # total excl. 205.60, VAT 30.16, incl. 235.76
    return make_invoice(
        issue_on=DAY,
        lines=[
            {"product": product.pk, "quantity": "4"},
            {"product": service_product.pk, "quantity": "2"},
        ],
    )


def test_full_credit_note_mirrors_the_invoice_and_refers_to_it(invoice, admin):
    assert invoice.total_incl_vat == Decimal("235.76")
    note = issue_on_day(
        create_credit_note(invoice, by=admin, reason="Erreur de client"), by=admin, on=DAY
    )
    assert note.number == "AV2026-00001"
    assert note.kind == "credit_note"
    assert note.total_incl_vat == Decimal("235.76")
    assert note.mentions["credited_invoice"] == {
        "number": invoice.number,
        "issue_date": "2026-02-02",
    }
    assert note.credited_invoice == invoice
    assert creditable(invoice).incl_vat == Decimal("0.00")
    with pytest.raises(ValidationFailed, match="Il ne reste rien à créditer"):
        create_credit_note(invoice, by=admin)


def test_credit_by_lines_then_the_rest(invoice, admin):
    flour = invoice.lines.get(unit="C62")
    note = create_credit_note(
        invoice, by=admin, mode="lines", lines=[{"line": flour.pk, "quantity": "1"}]
    )
    note = issue_on_day(note, by=admin, on=DAY)
    # 1 × 18.90 at 5.5 %: VAT 1.0395 -> 1.04 ; TTC 19.94
    assert note.total_incl_vat == Decimal("19.94")
    rest = issue_on_day(create_credit_note(invoice, by=admin), by=admin, on=DAY)
    assert rest.lines.get(unit="C62").quantity == Decimal("3")
    assert rest.number == "AV2026-00002"
    with pytest.raises(ValidationFailed, match="il en reste 0 à créditer"):
        create_credit_note(
            invoice, by=admin, mode="lines", lines=[{"line": flour.pk, "quantity": "1"}]
        )


def test_credit_by_amount_within_the_base_of_its_rate(invoice, admin):
    with pytest.raises(ValidationFailed) as error:
        create_credit_note(invoice, by=admin, mode="amount", amount="50")
    assert error.value.code == "vat_rate_required"
    with pytest.raises(ValidationFailed) as error:
        create_credit_note(invoice, by=admin, mode="amount", amount="130.01", vat_rate="20")
    assert error.value.code == "over_credit"
    assert "130,00" in error.value.message
    note = issue_on_day(
        create_credit_note(invoice, by=admin, mode="amount", amount="130", vat_rate="20"),
        by=admin,
        on=DAY,
    )
    assert note.total_incl_vat == Decimal("156.00")  # 130 + 26.00
    with pytest.raises(ValidationFailed, match="avoir partiel en montant"):
        create_credit_note(invoice, by=admin)


def test_over_credit_is_checked_again_at_issue(invoice, admin):
    # Two drafts that each fit, but not both: the second refused when issued.
    first = create_credit_note(invoice, by=admin, mode="amount", amount="100", vat_rate="20")
    second = create_credit_note(invoice, by=admin, mode="amount", amount="100", vat_rate="20")
    issue_on_day(first, by=admin, on=DAY)
    with pytest.raises(ValidationFailed) as error:
        issue_on_day(second, by=admin, on=DAY)
    assert error.value.code == "over_credit"
    second.refresh_from_db()
    assert second.status == "draft"


def test_only_issued_invoices_can_be_credited(make_invoice, invoice, admin):
    with pytest.raises(Conflict):
        create_credit_note(make_invoice(), by=admin)
    note = issue_on_day(
        create_credit_note(invoice, by=admin, mode="amount", amount="1", vat_rate="20"),
        by=admin,
        on=DAY,
    )
    with pytest.raises(Conflict):
        create_credit_note(note, by=admin)


def test_credit_note_cannot_predate_its_invoice(invoice, admin):
    note = create_credit_note(invoice, by=admin)
    with pytest.raises(ValidationFailed, match="antérieur à la facture"):
        issue_on_day(note, by=admin, on=DAY - dt.timedelta(days=1))


def test_sales_role_cannot_issue_credit_notes(invoice, make_user, company):
    seller = make_user("vendeur", company, Role.SALES)
    with pytest.raises(Forbidden):
        create_credit_note(invoice, by=seller)


class TestNeverOverCredited(HypothesisTestCase):
    """Whatever partial credit notes are attempted, the credited total never exceeds."""

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        st.lists(
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("120"), places=2),
            min_size=1,
            max_size=6,
        )
    )
    def test_attempts(self, amounts):
        user = get_user_model().objects.create_user("h")
        company = create_company(SELLER, owner=user)
        customer = create_customer(company, CUSTOMER, by=user)
        item = create_product(
            company,
            {
                "reference": "R",
                "label": "L",
                "kind": "service",
                "unit_price": "100",
                "vat_rate": "20",
            },
            by=user,
        )
        invoice = issue_on_day(
            create_invoice(
                company, customer=customer, by=user, lines=[{"product": item.pk, "quantity": "2"}]
            ),
            by=user,
            on=DAY,
        )  # 200 HT, 240 TTC
        credited = Decimal("0")
        for amount in amounts:
            try:
                note = issue_on_day(
                    create_credit_note(invoice, by=user, mode="amount", amount=amount),
                    by=user,
                    on=DAY,
                )
                credited += note.total_excl_vat
            except ValidationFailed as error:
                assert error.code == "over_credit"
                assert credited + amount > Decimal("200")
        assert credited <= Decimal("200")
        assert creditable(invoice).base_by_rate[("S", Decimal("20.00"))] == 200 - credited
