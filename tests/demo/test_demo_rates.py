"""The demo's fictitious rates stay the demo company's: a real company on the same
database refuses the half-years the demo filled, until the published rate is entered.

Shipped table (collection 0001): ECB rate 2.15 % on 1 Jan 2026, legal interest ("autres
cas") 2.62 % on 1 Jan 2026, nothing from 1 Jul 2026 on.
"""

import datetime as dt
import importlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from freezegun import freeze_time

from encaisse.catalog.services import create_product
from encaisse.collection import migrations as collection_migrations
from encaisse.collection.models import ReferenceRate
from encaisse.collection.penalties import penalties
from encaisse.collection.rates import rate_on
from encaisse.companies.models import Role
from encaisse.companies.services import create_company
from encaisse.customers.services import create_customer
from encaisse.demo.builder import DEMO_SIREN
from encaisse.demo.collection import fill_missing_rates
from encaisse.errors import ValidationFailed
from encaisse.sales.services import create_invoice, issue_invoice
from tests.conftest import CUSTOMER, SELLER

pytestmark = pytest.mark.django_db
ECB = ReferenceRate.Kind.ECB_MRO
PRO = ReferenceRate.Kind.LEGAL_INTEREST_PRO
ISSUED = dt.date(2026, 5, 20)  # 30 days net: due 19 Jun 2026


def issued_invoice(company, user):
    """An invoice of 1 000,00 € TTC (833,33 HT + 166,67 VAT), through the services."""
    customer = create_customer(company, CUSTOMER, by=user)
    product = create_product(
        company,
        {
            "reference": "P-1",
            "label": "Pétrin",
            "kind": "goods",
            "unit_price": "833.33",
            "vat_rate": "20",
        },
        by=user,
    )
    with freeze_time(ISSUED):
        invoice = create_invoice(
            company,
            customer=customer,
            lines=[{"product": product.pk, "quantity": "1"}],
            terms_kind="net",
            terms_days=30,
            by=user,
        )
        invoice = issue_invoice(invoice, by=user, on=ISSUED)
    assert invoice.total_incl_vat == Decimal("1000.00")
    assert invoice.installments.get().due_date == dt.date(2026, 6, 19)
    return invoice


def test_a_second_company_gets_the_refusal_for_a_half_year_the_demo_filled(
    company, other_company, admin, make_user
):
    demo = company  # the demo's own rows are bound to whichever company it loads
    published = set(ReferenceRate.objects.filter(company__isnull=True).values_list("pk"))

    notes = fill_missing_rates(demo, dt.date(2026, 12, 4))

    # H2 2026 filled for the demo only, labelled; not a row added to the published table.
    assert notes == [
        "Taux fictif de démonstration : Taux BCE (opérations principales de refinancement) "
        "au 01/07/2026 (2,15 %), propre à la société de démonstration.",
        "Taux fictif de démonstration : Taux de l'intérêt légal (autres cas) au 01/07/2026 "
        "(2,62 %), propre à la société de démonstration.",
    ]
    assert set(ReferenceRate.objects.filter(company__isnull=True).values_list("pk")) == published
    filled = ReferenceRate.objects.filter(company=demo)
    assert {(r.kind, r.valid_from, r.is_demo) for r in filled} == {
        (ECB, dt.date(2026, 7, 1), True),
        (PRO, dt.date(2026, 7, 1), True),
    }

    # 20 Jun–30 Jun: 11 days at 2.15 + 10 = 12.15 %; 1 Jul–10 Jul: 10 days, same rate (demo)
    #   1 000 × 12.15 % × 11 / 365 = 1 336.5 / 365 = 3.6616… → 3.66
    #   1 000 × 12.15 % × 10 / 365 = 1 215 / 365 = 3.3287… → 3.33
    table = penalties(issued_invoice(demo, admin), dt.date(2026, 7, 10))
    assert [p.amount for p in table.periods] == [Decimal("3.66"), Decimal("3.33")]
    assert "Valeur fictive de démonstration" not in table.periods[0].source
    assert table.periods[1].source == (
        "Taux BCE au 01/07/2026 (2,15 %) + 10 points — Valeur fictive de démonstration — "
        "taux du 01/01/2026 repris faute de taux publié"
    )

    # The other company: the same dates are refused, in clear.
    other = issued_invoice(other_company, make_user("olga", other_company, Role.ADMIN))
    assert penalties(other, dt.date(2026, 6, 30)).penalties == Decimal("3.66")
    with pytest.raises(ValidationFailed) as error:
        penalties(other, dt.date(2026, 7, 10))
    assert error.value.code == "unknown_rate"
    assert error.value.message == (
        "Aucun taux BCE connu au 01/07/2026 : complétez la table des taux."
    )
    with pytest.raises(ValidationFailed):
        rate_on(PRO, dt.date(2026, 9, 1), other_company)


def test_the_demo_fills_nothing_the_published_table_covers(company):
    assert fill_missing_rates(company, dt.date(2026, 6, 30)) == []
    assert not ReferenceRate.objects.filter(company=company).exists()


# --- databases loaded before: the fictitious rows the demo wrote into the published table


def bind_demo_rates():
    """The data step of the migration that introduced company rows (found by name: the
    number may change when migrations are renumbered)."""
    folder = Path(collection_migrations.__file__).parent
    (path,) = folder.glob("*_reference_rate_company_demo.py")
    module = importlib.import_module(f"encaisse.collection.migrations.{path.stem}")
    return lambda: module.bind_demo_rates(apps, None)


def old_demo_row(kind=ECB):
    return ReferenceRate.objects.create(
        kind=kind,
        valid_from=dt.date(2026, 7, 1),
        rate="2.15",
        source="Démonstration : valeur fictive, reprise du semestre précédent faute de taux "
        "publié dans la table livrée — remplacez-la par le taux officiel",
    )


def test_old_demo_rows_move_to_the_demo_company(make_user):
    demo = create_company(
        {
            **SELLER,
            "siren": DEMO_SIREN,
            "siret": "",
            "vat_number": "",
            "einvoicing_address": DEMO_SIREN,
        }
    )
    row, real = old_demo_row(), ReferenceRate.objects.get(valid_from=dt.date(2026, 1, 1), kind=ECB)
    bind_demo_rates()()
    row.refresh_from_db()
    real.refresh_from_db()
    assert (row.company, row.is_demo) == (demo, True)
    assert (real.company, real.is_demo) == (None, False)  # published rows untouched


def test_old_demo_rows_are_deleted_without_a_demo_company(company):
    row = old_demo_row(PRO)
    bind_demo_rates()()
    assert not ReferenceRate.objects.filter(pk=row.pk).exists()
    with pytest.raises(ValidationFailed):
        rate_on(PRO, dt.date(2026, 7, 1), company)
    assert ReferenceRate.objects.filter(valid_from=dt.date(2026, 1, 1)).count() == 3
