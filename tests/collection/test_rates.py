import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse

from encaisse.audit.models import AuditEntry
from encaisse.collection.models import ReferenceRate
from encaisse.collection.rates import rate_on
from encaisse.errors import ValidationFailed

ECB = ReferenceRate.Kind.ECB_MRO
PRO = ReferenceRate.Kind.LEGAL_INTEREST_PRO

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        # ECB main refinancing rate by date of effect (shipped by migration 0001)
        (dt.date(2023, 9, 19), "4.25"),
        (dt.date(2023, 9, 20), "4.50"),
        (dt.date(2024, 6, 12), "4.25"),
        (dt.date(2024, 9, 18), "3.65"),
        (dt.date(2024, 10, 23), "3.40"),
        (dt.date(2024, 12, 18), "3.15"),
        (dt.date(2025, 1, 1), "3.15"),  # → 13.15 % for H1 2025
        (dt.date(2025, 2, 4), "3.15"),
        (dt.date(2025, 2, 5), "2.90"),
        (dt.date(2025, 3, 12), "2.65"),
        (dt.date(2025, 4, 23), "2.40"),
        (dt.date(2025, 6, 10), "2.40"),
        (dt.date(2025, 6, 11), "2.15"),
        (dt.date(2025, 7, 1), "2.15"),  # → 12.15 % for H2 2025
        (dt.date(2026, 1, 1), "2.15"),
    ],
)
def test_ecb_rate_in_force_on_a_day(day, rate):
    assert rate_on(ECB, day)[0] == Decimal(rate)


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (dt.date(2023, 3, 1), "2.06"),
        (dt.date(2023, 12, 31), "4.22"),
        (dt.date(2024, 1, 1), "5.07"),
        (dt.date(2024, 7, 1), "4.92"),
        (dt.date(2025, 6, 30), "3.71"),
        (dt.date(2025, 7, 1), "2.76"),
        (dt.date(2026, 6, 30), "2.62"),
    ],
)
def test_legal_interest_rate_of_a_half_year(day, rate):
    assert rate_on(PRO, day)[0] == Decimal(rate)


def test_every_row_names_its_source():
    assert ReferenceRate.objects.count() > 0
    assert not ReferenceRate.objects.filter(source="").exists()
    assert "11 juin 2025" in rate_on(ECB, dt.date(2025, 6, 20))[1]
    assert "JO du 24 juin 2025" in rate_on(PRO, dt.date(2025, 8, 1))[1]


@pytest.mark.parametrize(
    ("kind", "day", "message"),
    [
        (ECB, dt.date(2026, 7, 1), "Aucun taux BCE connu au 01/07/2026"),
        (ECB, dt.date(2022, 12, 31), "Aucun taux BCE connu au 31/12/2022"),
        (PRO, dt.date(2026, 7, 1), "Aucun taux de l'intérêt légal connu au 01/07/2026"),
    ],
)
def test_a_day_no_row_covers_is_an_error_never_zero(kind, day, message):
    with pytest.raises(ValidationFailed) as error:
        rate_on(kind, day)
    assert error.value.message == f"{message} : complétez la table des taux."


def test_the_last_row_does_not_run_into_the_next_half_year():
    # 2.15 % has been in force since 11 Jun 2025, but a half-year without its own row is
    # unknown: the ECB may have moved. Adding the row fills the gap.
    ReferenceRate.objects.create(
        kind=ECB, valid_from=dt.date(2027, 1, 1), rate=Decimal("2.00"), source="test"
    )
    with pytest.raises(ValidationFailed):
        rate_on(ECB, dt.date(2026, 7, 1))
    assert rate_on(ECB, dt.date(2027, 3, 1)) == (Decimal("2.00"), "test")


def test_an_admin_adds_a_rate_and_it_is_audited(client):
    staff = get_user_model().objects.create_superuser("support", "s@example.fr", "pw-test-123")
    client.force_login(staff)
    response = client.post(
        reverse("admin:collection_referencerate_add"),
        {
            "kind": ECB,
            "valid_from": "2026-07-01",
            "rate": "2.15",
            "source": "BCE, taux en vigueur au 1er juillet 2026",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert rate_on(ECB, dt.date(2026, 9, 1))[0] == Decimal("2.15")
    entry = AuditEntry.objects.get(action="referencerate.created_in_admin")
    assert entry.actor == staff


# --- rows of one company (the demo's fictitious values)


def own_row(company, kind=ECB, day=dt.date(2026, 7, 1), rate="9.99", **extra):
    return ReferenceRate.objects.create(
        kind=kind, valid_from=day, rate=rate, source="reprise", company=company, **extra
    )


def test_a_company_row_is_read_by_that_company_only(company, other_company):
    own_row(company, is_demo=True)
    day = dt.date(2026, 9, 1)
    assert rate_on(ECB, day, company) == (
        Decimal("9.99"),
        "Valeur fictive de démonstration — reprise",
    )
    for reader in (other_company, None):
        with pytest.raises(ValidationFailed) as error:
            rate_on(ECB, day, reader)
        assert error.value.message == (
            "Aucun taux BCE connu au 01/09/2026 : complétez la table des taux."
        )


def test_a_company_row_wins_over_the_published_row_of_its_day(company, other_company):
    ReferenceRate.objects.create(
        kind=ECB, valid_from=dt.date(2026, 7, 1), rate="2.40", source="publié"
    )
    own_row(company)
    assert rate_on(ECB, dt.date(2026, 7, 1), company) == (Decimal("9.99"), "reprise")
    assert rate_on(ECB, dt.date(2026, 7, 1), other_company) == (Decimal("2.40"), "publié")
    # The half-year rule holds for a company's rows as for the others.
    with pytest.raises(ValidationFailed):
        rate_on(ECB, dt.date(2027, 1, 1), company)


def test_a_company_may_hold_a_row_on_a_published_day_but_not_two(company):
    own_row(company, day=dt.date(2026, 1, 1))  # the shipped table has 1 Jan 2026 too
    with pytest.raises(IntegrityError), transaction.atomic():
        own_row(company, day=dt.date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferenceRate.objects.create(
            kind=ECB, valid_from=dt.date(2026, 1, 1), rate="2.15", source="doublon"
        )


def test_a_demo_value_names_its_company(client):
    with pytest.raises(IntegrityError), transaction.atomic():
        own_row(None, is_demo=True)
    staff = get_user_model().objects.create_superuser("support", "s@example.fr", "pw-test-123")
    client.force_login(staff)
    response = client.post(
        reverse("admin:collection_referencerate_add"),
        {"kind": ECB, "valid_from": "2026-07-01", "rate": "2.15", "source": "x", "is_demo": "on"},
    )
    assert response.status_code == 200
    assert "Une valeur fictive de démonstration est réservée à une société" in (
        response.content.decode()
    )
    assert not ReferenceRate.objects.filter(valid_from=dt.date(2026, 7, 1)).exists()
