"""Invoices of every case the e-invoice must carry, built through the services."""

import datetime as dt

import pytest

from encaisse.catalog.services import create_product
from encaisse.customers.services import create_customer
from encaisse.documents import validation
from encaisse.sales.services import create_credit_note, create_invoice
from tests.conftest import issue_on_day

DAY = dt.date(2026, 3, 2)


@pytest.fixture(scope="session", autouse=True)
def compiled_schematrons():
    """Compile the four schematrons once for the whole run (about 4 s)."""
    validation.warm_up()


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Users are made for every case: skip the deliberately slow password hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def customers(company, admin, customer):
    """The buyers of the cases, by name, created on first use."""
    made = {"french": customer}

    class Buyers(dict):
        def __missing__(self, name):
            made[name] = create_customer(company, BUYERS[name], by=admin)
            return made[name]

    return Buyers(made)


BUYERS = {
    "french_vat": {
        "legal_name": "Bâtiments Moreau SARL",
        "siren": "443061841",
        "siret": "44306184100047",
        "vat_number": "FR64443061841",
        "billing_line1": "8 avenue Foch",
        "billing_postal_code": "75016",
        "billing_city": "Paris",
        "delivery_line1": "Chantier Victor Hugo, 40 rue de la Pompe",
        "delivery_postal_code": "75116",
        "delivery_city": "Paris",
    },
    "belgian": {
        "legal_name": "Bakkerij Janssens BV",
        "vat_number": "BE0403170701",
        "billing_line1": "Meir 1",
        "billing_postal_code": "2000",
        "billing_city": "Antwerpen",
        "billing_country": "BE",
    },
    "swiss": {
        "legal_name": "Boulangerie du Lac SA",
        "billing_line1": "Rue du Rhône 12",
        "billing_postal_code": "1204",
        "billing_city": "Genève",
        "billing_country": "CH",
    },
    "consumer": {
        "legal_name": "Mme Claire Petit",
        "kind": "consumer",
        "email": "claire.petit@example.fr",
        "billing_line1": "5 rue Haute",
        "billing_postal_code": "13001",
        "billing_city": "Marseille",
    },
}


@pytest.fixture
def products(company, admin, product, service_product):
    def make(data):
        return create_product(company, {"kind": "goods", "unit": "C62", **data}, by=admin)

    return {
        "flour": product,  # 18.90 at 5.5 %
        "service": service_product,  # 65.00 / h at 20 %
        "oven": make(
            {"reference": "FOUR-01", "label": "Four à sole 4 étages", "unit_price": "12450"}
        ),
        "training": make(
            {
                "reference": "FORM-01",
                "label": "Formation professionnelle continue, journée",
                "kind": "service",
                "unit": "DAY",
                "unit_price": "900",
                "vat_rate": "0",
                "vat_exemption": "E",
                "vat_exemption_reason": "Exonération de TVA, article 261-4-4° a du CGI",
            }
        ),
    }


@pytest.fixture
def issue(company, admin):
    def issue(cust, lines, on=DAY, **header):
        invoice = create_invoice(company, customer=cust, lines=lines, by=admin, **header)
        return issue_on_day(invoice, by=admin, on=on)

    return issue


@pytest.fixture
def build(customers, products, issue, admin):
    """build(case) -> an issued invoice or credit note of that case."""
    c, p = customers, products

    def several_rates():
        return issue(
            c["french"],
            [
                {"product": p["flour"].pk, "quantity": "10"},
                {"product": p["service"].pk, "quantity": "3.5"},
                {"product": p["oven"].pk, "quantity": "1"},
            ],
            customer_reference="BC-2026-0142",
        )

    def line_discounts():
        return issue(
            c["french"],
            [
                {"product": p["flour"].pk, "quantity": "7", "discount_percent": "12.5"},
                {
                    "description": "Pièces détachées diverses",
                    "item_kind": "goods",
                    "quantity": "3.333",
                    "unit_price": "19.9999",
                    "discount_percent": "3",
                    "vat_rate": "20",
                },
                {"product": p["oven"].pk, "quantity": "1", "discount_percent": "10"},
            ],
        )

    def exempt():
        return issue(
            c["french"],
            [
                {"product": p["training"].pk, "quantity": "2"},
                {"product": p["service"].pk, "quantity": "1"},
            ],
        )

    def reverse_charge():
        return issue(
            c["french_vat"],
            [
                {
                    "description": "Pose d'un four (sous-traitance BTP)",
                    "item_kind": "service",
                    "quantity": "1",
                    "unit": "LS",
                    "unit_price": "3200",
                    "vat_rate": "0",
                    "vat_exemption": "AE",
                    "vat_exemption_reason": "Autoliquidation, article 283-2 nonies du CGI",
                }
            ],
        )

    def intra_eu():
        return issue(
            c["belgian"],
            [
                {
                    "product": p["oven"].pk,
                    "quantity": "2",
                    "vat_rate": "0",
                    "vat_exemption": "K",
                }
            ],
        )

    def export():
        return issue(
            c["swiss"],
            [{"product": p["oven"].pk, "quantity": "1", "vat_rate": "0", "vat_exemption": "G"}],
        )

    def consumer():
        return issue(c["consumer"], [{"product": p["flour"].pk, "quantity": "2"}])

    def foreign_without_siren():
        return issue(c["swiss"], [{"product": p["service"].pk, "quantity": "2"}])

    def allowances():
        return issue(
            c["french"],
            [
                {"product": p["flour"].pk, "quantity": "10"},
                {"product": p["service"].pk, "quantity": "4"},
            ],
            allowances=[
                {
                    "amount": "26.00",
                    "reason": "Remise fidélité",
                    "vat_rate": "20",
                    "reason_code": "95",
                },
                {
                    "amount": "15.00",
                    "reason": "Frais de port",
                    "vat_rate": "5.5",
                    "is_charge": True,
                },
            ],
        )

    def credit_note():
        invoice = several_rates()
        note = create_credit_note(invoice, by=admin, reason="Four livré avec un défaut")
        return issue_on_day(note, by=admin, on=DAY + dt.timedelta(days=5))

    def partial_credit_note():
        invoice = exempt()
        note = create_credit_note(
            invoice, by=admin, mode="amount", amount="50", vat_rate="20", reason="Geste commercial"
        )
        return issue_on_day(note, by=admin, on=DAY + dt.timedelta(days=5))

    def schedule():
        # 10 × 18.90 at 5.5 % (199.40 TTC) and 4 h × 65.00 at 20 % (312.00): 511.40 TTC in
        # three installments, 40 % at issue, 30 % at 30 days, the rest at 60 days.
        return issue(
            c["french"],
            [
                {"product": p["flour"].pk, "quantity": "10"},
                {"product": p["service"].pk, "quantity": "4"},
            ],
            schedule=[
                {"days": 0, "percent": "40"},
                {"days": 30, "percent": "30"},
                {"days": 60, "percent": "30"},
            ],
        )

    cases = {
        fn.__name__: fn
        for fn in (
            several_rates,
            line_discounts,
            exempt,
            reverse_charge,
            intra_eu,
            export,
            consumer,
            foreign_without_siren,
            allowances,
            credit_note,
            partial_credit_note,
            schedule,
        )
    }
    return lambda case: cases[case]()


CASES = [
    "several_rates",
    "line_discounts",
    "exempt",
    "reverse_charge",
    "intra_eu",
    "export",
    "consumer",
    "foreign_without_siren",
    "allowances",
    "credit_note",
    "partial_credit_note",
    "schedule",
]
