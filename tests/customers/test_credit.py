"""Credit limits (manual and insured), incidents, exposure computed by hand."""

import datetime as dt
from decimal import Decimal as D

import pytest

from encaisse.audit.services import trail
from encaisse.companies.models import Role
from encaisse.customers.credit import (
    exposure,
    positions,
    record_incident,
    set_credit_limit,
)
from encaisse.customers.models import CreditIncident, Customer
from encaisse.customers.services import create_customer
from encaisse.errors import Forbidden, NotFound, ValidationFailed
from encaisse.receivables.services.allocation import allocate
from tests.conftest import CUSTOMER


def _limit_fields(customer):
    customer = Customer.objects.get(pk=customer.pk)
    return (
        customer.credit_limit,
        customer.credit_limit_origin,
        customer.credit_insurer,
        customer.credit_covered_amount,
        customer.credit_cover_date,
    )


def test_manual_limit_is_set_and_audited(customer, admin):
    set_credit_limit(customer, limit="5 000,00", origin="manual", by=admin)
    assert _limit_fields(customer) == (D("5000.00"), "manual", "", None, None)
    (entry,) = [e for e in trail(customer) if e.action == "customer.credit_limit_set"]
    assert entry.changes["credit_limit"] == [None, "5000.00"]


def test_insured_limit_defaults_to_the_covered_amount(customer, admin):
    set_credit_limit(
        customer,
        limit=None,
        origin="insurance",
        insurer="Allianz Trade",
        covered_amount="20000",
        cover_date=dt.date(2026, 3, 1),
        by=admin,
    )
    assert _limit_fields(customer) == (
        D("20000.00"),
        "insurance",
        "Allianz Trade",
        D("20000.00"),
        dt.date(2026, 3, 1),
    )
    # A lower limit than the cover is the company's prudence: allowed.
    set_credit_limit(
        customer,
        limit="15000",
        origin="insurance",
        insurer="Allianz Trade",
        covered_amount="20000",
        cover_date=dt.date(2026, 3, 1),
        by=admin,
    )
    assert _limit_fields(customer)[0] == D("15000.00")
    # Back to a manual limit: the former cover is dropped, not left to mislead.
    set_credit_limit(customer, limit="8000", origin="manual", by=admin)
    assert _limit_fields(customer) == (D("8000.00"), "manual", "", None, None)
    # No limit at all.
    set_credit_limit(customer, limit="", origin="manual", by=admin)
    assert _limit_fields(customer) == (None, "", "", None, None)


INSURED = {
    "origin": "insurance",
    "insurer": "Coface",
    "covered_amount": "10000",
    "cover_date": dt.date(2026, 1, 15),
}


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"insurer": " "}, "required", "credit_insurer"),
        ({"covered_amount": None}, "required", "credit_covered_amount"),
        ({"covered_amount": "0"}, "not_positive", "credit_covered_amount"),
        ({"covered_amount": "-5"}, "negative", "credit_covered_amount"),
        ({"cover_date": None}, "required", "credit_cover_date"),
        ({"cover_date": dt.date(2099, 1, 1)}, "future_date", "credit_cover_date"),
        ({"limit": "10000.01"}, "limit_over_cover", "credit_limit"),
        ({"limit": "-1"}, "negative", "credit_limit"),
        ({"limit": "12,345"}, "too_many_decimals", "credit_limit"),
        ({"limit": "beaucoup"}, "invalid_number", "credit_limit"),
        ({"origin": "friendship"}, "invalid_origin", "credit_limit_origin"),
    ],
)
def test_bad_limits_are_refused_and_nothing_changes(customer, admin, changes, code, field):
    set_credit_limit(customer, limit="3000", origin="manual", by=admin)
    with pytest.raises(ValidationFailed) as error:
        set_credit_limit(customer, **{"limit": None, **INSURED, **changes}, by=admin)
    assert (error.value.code, error.value.field) == (code, field)
    assert _limit_fields(customer) == (D("3000.00"), "manual", "", None, None)


def test_over_cover_message_names_the_cover(customer, admin):
    with pytest.raises(ValidationFailed) as error:
        set_credit_limit(customer, **{**INSURED, "limit": "12000"}, by=admin)
    assert error.value.message == (
        "Une limite assurée ne peut pas dépasser le montant garanti (10\u202f000,00\u00a0€)."
    )


def test_only_admin_and_accounting_set_limits(company, customer, make_user, other_company):
    for role in (Role.SALES, Role.COLLECTION, Role.READ_ONLY):
        user = make_user(f"u-{role}", company, role)
        with pytest.raises(Forbidden):
            set_credit_limit(customer, limit="100", origin="manual", by=user)
    accountant = make_user("compta", company, Role.ACCOUNTING)
    set_credit_limit(customer, limit="100", origin="manual", by=accountant)
    assert _limit_fields(customer)[0] == D("100.00")
    outsider = make_user("dehors", other_company, Role.ADMIN)
    with pytest.raises(NotFound):
        set_credit_limit(customer, limit="1", origin="manual", by=outsider)


def test_incidents_are_recorded_and_checked(company, customer, admin, make_user):
    incident = record_incident(
        customer,
        date=dt.date(2026, 6, 3),
        kind="returned_cheque",
        note=" Chèque n° 123 sans provision ",
        by=admin,
    )
    assert (incident.kind, incident.note, incident.by) == (
        "returned_cheque",
        "Chèque n° 123 sans provision",
        admin,
    )
    assert next(e.action for e in trail(customer)) == "customer.incident_recorded"
    with pytest.raises(ValidationFailed) as error:
        record_incident(customer, date=dt.date(2026, 6, 3), kind="gossip", by=admin)
    assert error.value.field == "kind"
    with pytest.raises(ValidationFailed) as error:
        record_incident(customer, date=dt.date(2099, 1, 1), kind="collective_proceedings", by=admin)
    assert error.value.code == "future_date"
    reader = make_user("lecteur", company, Role.READ_ONLY)
    with pytest.raises(Forbidden):
        record_incident(customer, date=dt.date(2026, 6, 3), kind="other", by=reader)
    assert CreditIncident.objects.count() == 1


def test_exposure_by_hand_with_a_partial_payment_and_an_unallocated_credit(
    customer, admin, invoice_of, pay
):
    # I1 1 Oct: 10 h × 78.00 = 780.00 TTC. P1 15 Oct 300.00 allocated to I1 (partial);
    # P2 20 Oct 100.00 left unallocated: the customer's money, it lowers the exposure.
    i1 = invoice_of(10, dt.date(2026, 10, 1))
    p1 = pay("300.00", dt.date(2026, 10, 15))
    allocate(p1, [(i1.installments.get(), "300.00")], by=admin, on=dt.date(2026, 10, 15))
    pay("100.00", dt.date(2026, 10, 20))
    assert exposure(customer, dt.date(2026, 10, 10)) == D("780.00")
    assert exposure(customer, dt.date(2026, 10, 16)) == D("480.00")  # 780 − 300
    assert exposure(customer, dt.date(2026, 10, 21)) == D("380.00")  # 780 − 300 − 100
    # + the invoice being issued, 2 h = 156.00: 380 + 156.
    assert exposure(customer, dt.date(2026, 10, 21), extra=D("156.00")) == D("536.00")


def test_positions_over_and_near_with_hand_computed_shares(
    company, other_company, customer, admin, invoice_of, make_user
):
    # Boulangerie: 780.00 open, limit 700 -> 111.4 %, over by 80.00.
    # (Limits set after the invoices: issuing over a limit is refused.)
    invoice_of(10, dt.date(2026, 10, 1))
    set_credit_limit(customer, limit="700", origin="manual", by=admin)
    # Fournil: 390.00 open (5 h), limit 480 -> 81.25 % -> 81.3 %: near.
    fournil = create_customer(
        company, {**CUSTOMER, "legal_name": "Fournil", "siren": "443061841", "siret": ""}, by=admin
    )
    invoice_of(5, dt.date(2026, 10, 2), cust=fournil)
    set_credit_limit(fournil, limit="480", origin="manual", by=admin)
    # Épi: 156.00 open (2 h), limit 1000 -> 15.6 %: neither.
    epi = create_customer(
        company, {**CUSTOMER, "legal_name": "Épi", "siren": "732829320", "siret": ""}, by=admin
    )
    invoice_of(2, dt.date(2026, 10, 3), cust=epi)
    set_credit_limit(epi, limit="1000", origin="manual", by=admin)
    # Another company's customer over its limit never shows here.
    boss = make_user("patron-autre", other_company, Role.ADMIN)
    stranger = create_customer(other_company, CUSTOMER, by=boss)
    set_credit_limit(stranger, limit="0", origin="manual", by=boss)

    as_of = dt.date(2026, 10, 31)
    near = positions(company, as_of)
    assert [(p.customer.legal_name, p.exposure, p.use_percent, p.over_by) for p in near] == [
        ("Boulangerie Dupont SARL", D("780.00"), D("111.4"), D("80.00")),
        ("Fournil", D("390.00"), D("81.3"), D("0.00")),
    ]
    assert [p.customer.legal_name for p in positions(company, as_of, show="over")] == [
        "Boulangerie Dupont SARL"
    ]
    assert len(positions(company, as_of, show="all")) == 3
