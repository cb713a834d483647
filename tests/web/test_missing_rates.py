"""The home page warns admins and accountants of reference rates still missing.

The shipped table (collection 0001) has the ECB rate and the legal interest rate of every
half-year from 1 January 2023 to 30 June 2026, none after.
"""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from freezegun import freeze_time

from encaisse.collection.models import ReferenceRate
from encaisse.collection.rates import MissingRate, missing_rates
from encaisse.companies.models import Role

pytestmark = pytest.mark.django_db
ECB = ReferenceRate.Kind.ECB_MRO
PRO = ReferenceRate.Kind.LEGAL_INTEREST_PRO
JUL26, JAN27 = dt.date(2026, 7, 1), dt.date(2027, 1, 1)


def published(kind, day, rate="2.15"):
    return ReferenceRate.objects.create(kind=kind, valid_from=day, rate=rate, source="test")


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2026, 5, 31), []),  # 1 July is 31 days away: not asked for yet
        (dt.date(2026, 6, 1), [(ECB, JUL26), (PRO, JUL26)]),  # from 1 June on
        (dt.date(2026, 7, 1), [(ECB, JUL26), (PRO, JUL26)]),  # and once the half-year began
        (dt.date(2026, 11, 30), [(ECB, JUL26), (PRO, JUL26)]),
        (dt.date(2026, 12, 1), [(ECB, JUL26), (PRO, JUL26), (ECB, JAN27), (PRO, JAN27)]),
    ],
)
def test_the_half_years_without_a_rate(today, expected):
    assert missing_rates(today) == [MissingRate(kind, day) for kind, day in expected]


def test_a_half_year_is_complete_with_its_row_of_the_first_day_only():
    published(ECB, dt.date(2026, 8, 1))  # a change within the half-year does not cover 1 July
    published(PRO, JUL26)
    assert missing_rates(dt.date(2026, 9, 1)) == [MissingRate(ECB, JUL26)]
    published(ECB, JUL26)
    assert missing_rates(dt.date(2026, 9, 1)) == []


def test_a_gap_in_the_past_is_reported_too():
    ReferenceRate.objects.filter(kind=PRO, valid_from=dt.date(2025, 7, 1)).delete()
    assert missing_rates(dt.date(2026, 3, 1)) == [MissingRate(PRO, dt.date(2025, 7, 1))]


def test_a_company_counts_its_own_rows_another_does_not(company, other_company):
    ReferenceRate.objects.create(
        kind=ECB, valid_from=JUL26, rate="2.15", source="s", company=company, is_demo=True
    )
    published(PRO, JUL26)
    assert missing_rates(dt.date(2026, 9, 1), company) == []
    assert missing_rates(dt.date(2026, 9, 1), other_company) == [MissingRate(ECB, JUL26)]


def warning(response) -> str:
    match = re.search(r"<div[^>]*data-missing-rates.*?</div>", response.content.decode(), re.S)
    return match.group(0) if match else ""


@freeze_time("2026-12-04")
@pytest.mark.parametrize("role", [Role.ADMIN, Role.ACCOUNTING])
@pytest.mark.parametrize("staff", [True, False])
def test_admins_and_accountants_are_told_what_to_enter_and_where(
    company, make_user, client_of, role, staff
):
    published(PRO, JUL26, "2.60")
    user = make_user("paul", company, role)
    user.is_staff = staff
    user.save()

    text = warning(client_of(user).get(reverse("web:home")))

    assert "Taux de référence à saisir" in text
    # Missing: the ECB rate of 1 July 2026 (the half-year began) and both rates of
    # 1 January 2027 (within 30 days); the legal interest rate of 1 July 2026 is there.
    names = re.findall(r"((?:taux BCE|taux de l&#x27;intérêt légal) au \d\d/\d\d/\d{4})", text)
    assert [html.unescape(n) for n in names] == [
        "taux BCE au 01/07/2026",
        "taux BCE au 01/01/2027",
        "taux de l'intérêt légal au 01/01/2027",
    ]
    assert "encaisse rates update" in text
    add = reverse("admin:collection_referencerate_add")
    links = [
        f'href="{add}?kind=ecb_mro&amp;valid_from=01/07/2026"',
        f'href="{add}?kind=legal_interest_pro&amp;valid_from=01/01/2027"',
        reverse("admin:collection_referencerate_changelist"),
    ]
    if staff:  # the Django admin is open to support staff only: links for them alone
        assert all(link in text for link in links)
    else:
        assert not any(link in text for link in links)
        assert "accès réservé au support" in text


@freeze_time("2026-12-04")
@pytest.mark.parametrize("role", [Role.SALES, Role.COLLECTION, Role.READ_ONLY])
def test_other_roles_see_no_warning(company, make_user, client_of, role):
    response = client_of(make_user("paul", company, role)).get(reverse("web:home"))
    assert response.status_code == 200
    assert warning(response) == ""


@freeze_time("2026-05-20")
def test_no_warning_while_the_table_is_complete(company, admin, client_of):
    response = client_of(admin).get(reverse("web:home"))
    assert response.status_code == 200
    assert warning(response) == ""


def test_the_link_opens_the_admin_form_filled_in(client):
    staff = get_user_model().objects.create_superuser("support", "s@example.fr", "pw-test-123")
    client.force_login(staff)
    url = reverse("admin:collection_referencerate_add")
    page = client.get(f"{url}?kind=ecb_mro&valid_from=01/07/2026").content.decode()
    assert re.search(r'<option value="ecb_mro" selected>', page)
    assert 'value="01/07/2026"' in page
    # Entered with its source, the rate ends the warning for that half-year.
    response = client.post(
        url,
        {
            "kind": "ecb_mro",
            "valid_from": "01/07/2026",
            "rate": "2.15",
            "source": "BCE, taux en vigueur au 1er juillet 2026",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = ReferenceRate.objects.get(kind=ECB, valid_from=JUL26)
    assert (row.rate, row.company, row.is_demo) == (Decimal("2.150"), None, False)
