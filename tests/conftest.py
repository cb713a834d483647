"""Shared fixtures: data built through the services, as a user would."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from encaisse import clock
from encaisse.catalog.services import create_product
from encaisse.companies.models import Role
from encaisse.companies.services import add_member, create_company
from encaisse.customers.services import create_customer
from encaisse.jobs.runner import run_pending_jobs
from encaisse.receivables.services.payments import record_payment
from encaisse.sales.services import create_invoice, issue_invoice

# Real, checksum-valid identifiers (SIREN with their SIRET of the head office).
SELLER = {
    "legal_name": "Atelier Martin SAS",
    "legal_form": "SAS",
    "share_capital": "50000.00",
    "siren": "732829320",
    "siret": "73282932000074",
    "rcs_city": "Lyon",
    "vat_number": "FR44732829320",
    "address_line1": "12 rue de la République",
    "postal_code": "69002",
    "city": "Lyon",
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
    "einvoicing_address": "732829320",
}
OTHER_SELLER = {
    **SELLER,
    "legal_name": "Autre Société SARL",
    "legal_form": "SARL",
    "siren": "443061841",
    "siret": "44306184100047",
    "vat_number": "FR64443061841",
    "einvoicing_address": "443061841",
}
CUSTOMER = {
    "legal_name": "Boulangerie Dupont SARL",
    "siren": "552100554",
    "siret": "55210055400013",
    "billing_line1": "3 place Bellecour",
    "billing_postal_code": "69002",
    "billing_city": "Lyon",
}

CONSUMER = {
    "legal_name": "Mme Claire Petit",
    "kind": "consumer",
    "billing_line1": "5 rue Haute",
    "billing_postal_code": "13001",
    "billing_city": "Marseille",
}


def issue_on_day(invoice, *, by, on: dt.date | None = None, **kwargs):
    """Issue `invoice` as a user would have on the day `on` (default: today): the
    service run with the clock set to that day, the way the demo builds its history.
    (An issue date may not go back more than `Company.backdating_days`, so a test that
    places a document on a fixed past day issues it on that day.)"""
    with clock.at(on or clock.today()):
        return issue_invoice(invoice, by=by, **kwargs)


def archived(document=None):
    """Run the queued jobs in this process, as the worker would: the render jobs queued by
    the issues so far archive their documents' files. Returns `document`, reloaded."""
    run_pending_jobs()
    if document is not None:
        document.refresh_from_db()
    return document


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` run only when DATABASE_URL points at PostgreSQL."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def urlconf_loaded():
    """Import every view and API schema before a test freezes time: a pydantic schema
    first built under freezegun sees its `date` fields typed FakeDate and fails."""
    from importlib import import_module

    from django.conf import settings

    import_module(settings.ROOT_URLCONF)


@pytest.fixture(autouse=True)
def archive_dir(settings, tmp_path_factory):
    """Issuing stores documents in the archive: a fresh folder per test, never var/."""
    path = tmp_path_factory.mktemp("archive")
    settings.ENCAISSE_ARCHIVE_DIR = path
    return path


@pytest.fixture
def make_user(db):
    def make(username, company=None, role=Role.ADMIN, password="motdepasse-test"):
        user = get_user_model().objects.create_user(username, f"{username}@example.fr", password)
        if company is not None:
            add_member(company, user, role)
        return user

    return make


@pytest.fixture
def company(db):
    return create_company(SELLER)


@pytest.fixture
def other_company(db):
    return create_company(OTHER_SELLER)


@pytest.fixture
def their_draft(other_company, make_user):
    """(a draft of the other company, that company's admin who made it)."""
    their_admin = make_user("autre", other_company)
    buyer = create_customer(other_company, CUSTOMER, by=their_admin)
    line = {
        "description": "Pose",
        "item_kind": "service",
        "quantity": "1",
        "unit_price": "10",
        "vat_rate": "20",
    }
    draft = create_invoice(other_company, customer=buyer, lines=[line], by=their_admin)
    return draft, their_admin


@pytest.fixture
def admin(company, make_user):
    return make_user("admin", company, Role.ADMIN)


@pytest.fixture
def customer(company, admin):
    return create_customer(company, CUSTOMER, by=admin)


@pytest.fixture
def consumer(company, admin):
    """A private person (B2C): legal.late_payment_regime gives the consumer regime."""
    return create_customer(company, CONSUMER, by=admin)


@pytest.fixture
def product(company, admin):
    return create_product(
        company,
        {
            "reference": "PAIN-01",
            "label": "Farine T65, sac de 25 kg",
            "kind": "goods",
            "unit": "C62",
            "unit_price": "18.90",
            "vat_rate": "5.5",
            "cost_price": "12.10",
        },
        by=admin,
    )


@pytest.fixture
def service_product(company, admin):
    return create_product(
        company,
        {
            "reference": "MAINT-H",
            "label": "Maintenance du four, heure",
            "kind": "service",
            "unit": "HUR",
            "unit_price": "65.00",
            "vat_rate": "20",
        },
        by=admin,
    )


@pytest.fixture
def make_invoice(company, customer, product, admin):
    """A draft (or issued, with issue_on=) invoice through the services."""

    def make(lines=None, issue_on: dt.date | None = None, by=None, cust=None, **header):
        lines = lines or [{"product": product.pk, "quantity": "2"}]
        invoice = create_invoice(
            company, customer=cust or customer, lines=lines, by=by or admin, **header
        )
        if issue_on is not None:
            invoice = issue_on_day(invoice, by=by or admin, on=issue_on)
        return invoice

    return make


@pytest.fixture
def pay(company, customer, admin):
    def pay(amount, on, reference="", method="transfer", cust=None):
        return record_payment(
            company,
            {
                "customer": (cust or customer).pk,
                "amount": amount,
                "date": on,
                "method": method,
                "reference": reference,
            },
            by=admin,
        )

    return pay


@pytest.fixture
def invoice_of(make_invoice, service_product):
    """An issued invoice of `hours` × 65.00 HT at 20 %: TTC = hours × 78.00."""

    def make(hours, on: dt.date, **header):
        return make_invoice(
            lines=[{"product": service_product.pk, "quantity": str(hours)}], issue_on=on, **header
        )

    return make
