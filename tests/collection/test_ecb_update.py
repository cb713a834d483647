"""`encaisse rates update`: the ECB main refinancing rate read from the ECB Data Portal.

No network here: `ecb_mro.csv`, beside this file, is the answer of
https://data-api.ecb.europa.eu/service/data/FM/B.U2.EUR.4F.KR.MRR_FR.LEV?format=csvdata&detail=dataonly
written by hand in the API's SDMX-CSV layout (KEY, the seven dimensions, TIME_PERIOD,
OBS_VALUE; one row per date of change), with the published changes of the MRO rate:
0.00 % from 16 Mar 2016; 0.50 % 27 Jul 2022; 1.25 % 14 Sep 2022; 2.00 % 2 Nov 2022;
2.50 % 21 Dec 2022; then the changes of 2023-2025 that `rates_data.py` ships with their
sources (Banque de France, ECB press releases): 3.00 % 8 Feb 2023 ... 3.15 % 18 Dec 2024
(decision of 12 Dec), 2.90 % 5 Feb 2025, 2.65 % 12 Mar, 2.40 % 23 Apr, 2.15 % 11 Jun 2025.
The rows the command writes are checked against the rows shipped by migration, which were
typed from other sources: two independent readings of the same rates.
"""

import datetime as dt
import urllib.error
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st

from encaisse.audit.models import AuditEntry
from encaisse.collection import ecb
from encaisse.collection.models import ReferenceRate
from encaisse.collection.rates import rate_on
from encaisse.errors import DomainError

RECORDED = (Path(__file__).parent / "ecb_mro.csv").read_text()
ECB = ReferenceRate.Kind.ECB_MRO
D = dt.date


def recorded(url):
    assert url == ecb.URL + "?format=csvdata&detail=dataonly"
    return RECORDED


@pytest.fixture
def offline(monkeypatch):
    """The command reads the recorded answer; a test that reached the network would fail."""
    monkeypatch.setattr(ecb, "fetch", recorded)


def ecb_rows():
    return dict(
        ReferenceRate.objects.filter(kind=ECB, company__isnull=True).values_list(
            "valid_from", "rate"
        )
    )


def table_up_to(last: dt.date):
    """The shipped table as if it had not been updated since `last` (rows after it removed:
    the state of a database whose admin stopped entering the ECB rate)."""
    shipped = ecb_rows()
    ReferenceRate.objects.filter(kind=ECB, valid_from__gt=last).delete()
    return shipped


# --- reading the answer


def test_the_recorded_answer_is_read_by_column_name():
    observations = ecb.parse(RECORDED)
    assert len(observations) == 19
    assert observations[0] == ecb.Observation(D(2016, 3, 16), Decimal("0.0"))
    assert observations[-1] == ecb.Observation(D(2025, 6, 11), Decimal("2.15"))
    # Columns in another order, one more column, a byte-order mark: the same reading.
    moved = "\ufeffOBS_VALUE,EXTRA,TIME_PERIOD\n2.15,x,2025-06-11\n"
    assert ecb.parse(moved) == [ecb.Observation(D(2025, 6, 11), Decimal("2.15"))]


@pytest.mark.parametrize(
    ("day", "rate", "changed_on"),
    [
        (D(2023, 1, 1), "2.5", D(2022, 12, 21)),
        (D(2023, 7, 1), "4.0", D(2023, 6, 21)),
        (D(2024, 1, 1), "4.5", D(2023, 9, 20)),
        (D(2024, 7, 1), "4.25", D(2024, 6, 12)),
        (D(2025, 1, 1), "3.15", D(2024, 12, 18)),
        (D(2025, 7, 1), "2.15", D(2025, 6, 11)),
        (D(2024, 6, 12), "4.25", D(2024, 6, 12)),  # a change counts from its own day
        (D(2024, 6, 11), "4.5", D(2023, 9, 20)),
    ],
)
def test_the_rate_in_force_on_a_day_is_the_last_change_on_or_before_it(day, rate, changed_on):
    assert ecb.in_force(ecb.parse(RECORDED), day) == ecb.Observation(changed_on, Decimal(rate))


@given(
    changes=st.lists(st.dates(D(2000, 1, 1), D(2030, 12, 31)), unique=True, max_size=30),
    day=st.dates(D(1999, 1, 1), D(2031, 12, 31)),
)
def test_in_force_agrees_with_a_plain_search(changes, day):
    observations = [ecb.Observation(d, Decimal(i)) for i, d in enumerate(sorted(changes))]
    before = [o for o in observations if o.day <= day]
    expected = max(before, key=lambda o: o.day) if before else None
    assert ecb.in_force(observations, day) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<html><body>Service unavailable</body></html>", "colonnes TIME_PERIOD et OBS_VALUE"),
        ("KEY,TIME_PERIOD,OBS_VALUE\n", "aucune observation"),
        ("KEY,TIME_PERIOD,OBS_VALUE\nFM.B.U2.EUR.4F.KR.DFR.LEV,2025-06-11,2.0\n", "aucune"),
        ("TIME_PERIOD,OBS_VALUE\n2025-06,2.15\n", "ligne 2 illisible"),
        ("TIME_PERIOD,OBS_VALUE\n2025-06-11,NaN\n", "ligne 2 : taux invalide"),
        ("TIME_PERIOD,OBS_VALUE\n2025-06-11,2.1555\n", "ligne 2 : taux invalide"),
    ],
)
def test_an_unexpected_answer_is_refused_never_guessed(text, reason):
    with pytest.raises(DomainError) as error:
        ecb.parse(text)
    assert error.value.code == "ecb_unavailable"
    assert reason in error.value.message


# --- recording the half-years


@pytest.mark.django_db
@freeze_time("2025-07-03")
def test_the_missing_half_years_are_recorded_with_their_source(offline):
    shipped = table_up_to(D(2024, 12, 31))

    report = ecb.update_ecb_rates(D(2025, 7, 3))

    # From the last half-year in the table (checked again) to the current one.
    assert report.half_years == [D(2024, 7, 1), D(2025, 1, 1), D(2025, 7, 1)]
    assert [r.valid_from for r in report.unchanged] == [D(2024, 7, 1)]
    assert [(r.valid_from, r.rate) for r in report.created] == [
        (D(2025, 1, 1), Decimal("3.15")),
        (D(2025, 7, 1), Decimal("2.15")),
    ]
    # What the ECB publishes is what the shipped table says for the same days.
    for row in report.created:
        assert row.rate == shipped[row.valid_from]
    assert not report.conflicts
    rate, source = rate_on(ECB, D(2025, 7, 1))
    assert rate == Decimal("2.15")
    assert source == (
        "BCE, série FM.B.U2.EUR.4F.KR.MRR_FR.LEV, observation du 11/06/2025 (2,15 %) — "
        "https://data-api.ecb.europa.eu/service/data/FM/B.U2.EUR.4F.KR.MRR_FR.LEV — "
        "relevé le 03/07/2025"
    )
    entries = AuditEntry.objects.filter(action="referencerate.recorded_from_ecb")
    assert sorted(e.object_id for e in entries) == sorted(str(r.pk) for r in report.created)


@pytest.mark.django_db
def test_a_second_run_changes_nothing(offline):
    table_up_to(D(2024, 12, 31))
    first = ecb.update_ecb_rates(D(2025, 8, 1))
    before = ecb_rows()
    second = ecb.update_ecb_rates(D(2025, 8, 1))
    assert len(first.created) == 2
    assert second.created == [] and second.conflicts == []
    # The second run starts from the half-year the first one ended with.
    assert [r.valid_from for r in second.unchanged] == [D(2025, 7, 1)]
    assert ecb_rows() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("as_of", "last"),
    [
        (D(2025, 6, 30), D(2025, 1, 1)),  # 1 July not reached: its rate may still move
        (D(2025, 7, 1), D(2025, 7, 1)),
        (D(2025, 12, 31), D(2025, 7, 1)),
        (D(2026, 1, 1), D(2026, 1, 1)),
    ],
)
def test_a_half_year_is_recorded_once_its_first_day_has_come(offline, as_of, last):
    table_up_to(D(2024, 12, 31))
    assert ecb.update_ecb_rates(as_of).half_years[-1] == last
    assert max(ecb_rows()) == last


@pytest.mark.django_db
def test_a_row_that_differs_from_the_ecb_is_reported_and_left_unchanged(offline):
    # A typing error in the table: 3.00 instead of 3.15 for 1 January 2025.
    table_up_to(D(2025, 1, 1))
    ReferenceRate.objects.filter(kind=ECB, valid_from=D(2025, 1, 1)).update(rate="3.00")
    out = StringIO()

    with pytest.raises(CommandError) as error:
        call_command("rates", "update", "--as-of", "2025-07-02", stdout=out)

    assert "1 taux de la table diffère(nt) de celui publié par la BCE" in str(error.value)
    assert ecb_rows()[D(2025, 1, 1)] == Decimal("3.000")  # not overwritten
    assert (
        "01/01/2025 : la table indique 3 %, la BCE publie 3,15 % (changement du 18/12/2024)"
        in out.getvalue()
    )
    # The other half-year was recorded all the same.
    assert ecb_rows()[D(2025, 7, 1)] == Decimal("2.15")
    assert "01/07/2025 : 2,15 % enregistré" in out.getvalue()


@pytest.mark.django_db
def test_the_command_says_what_it_did_and_what_is_left_to_enter(offline):
    table_up_to(D(2024, 12, 31))
    out = StringIO()
    call_command("rates", "update", "--as-of", "2026-07-02", stdout=out)
    text = out.getvalue()
    assert "  01/07/2024 : 4,25 % déjà enregistré\n" in text
    assert "  01/01/2025 : 3,15 % enregistré\n" in text
    # The shipped table has the legal interest rate up to 30 June 2026 only.
    assert (
        "Taux de l'intérêt légal à saisir dans l'administration (arrêté publié au Journal "
        "officiel) : 01/07/2026" in text
    )


# --- when the ECB cannot be read


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (urllib.error.URLError("[Errno -2] Name or service not known"), "erreur réseau"),
        (TimeoutError("timed out"), "erreur réseau (timed out)"),
        (ConnectionResetError("Connection reset by peer"), "erreur réseau"),
        (urllib.error.HTTPError(ecb.URL, 503, "Service Unavailable", {}, None), "HTTP 503"),
    ],
)
def test_a_network_error_fails_clearly_and_writes_nothing(monkeypatch, failure, reason):
    def urlopen(request, timeout):
        assert request.full_url.startswith(ecb.URL) and timeout == ecb.TIMEOUT
        raise failure

    monkeypatch.setattr(ecb.urllib.request, "urlopen", urlopen)
    table_up_to(D(2024, 12, 31))
    before = (ecb_rows(), AuditEntry.objects.count())

    with pytest.raises(CommandError) as error:
        call_command("rates", "update", "--as-of", "2025-07-02", stdout=StringIO())

    message = str(error.value)
    assert message.startswith("Le taux BCE n'a pas pu être lu sur le portail de données")
    assert reason in message and message.endswith("Rien n'a été enregistré.")
    assert (ecb_rows(), AuditEntry.objects.count()) == before


@pytest.mark.django_db
def test_a_garbled_answer_writes_nothing(monkeypatch):
    monkeypatch.setattr(ecb, "fetch", lambda url: RECORDED.replace("2.15", "deux"))
    table_up_to(D(2024, 12, 31))
    before = ecb_rows()
    with pytest.raises(CommandError, match="ligne 20 illisible"):
        call_command("rates", "update", "--as-of", "2025-07-02", stdout=StringIO())
    assert ecb_rows() == before
