"""The ECB main refinancing rate, read from the ECB Data Portal (`encaisse rates update`).

The series FM.B.U2.EUR.4F.KR.MRR_FR.LEV is the rate of the main refinancing operations
(fixed rate tenders), in percent, one observation per date of change. L.441-10 reads the
rate in force on 1 January and 1 July: the last observation dated on or before that day.

Only the published (company-less) ECB rows are written here, one per half-year, dated
1 January or 1 July, each with its source: the series, the observation's date, the URL
and the day it was read. An existing row with the same value is left as it is; one that
differs is reported and never overwritten: a published rate does not change, so a
difference means a typing error in the table or a revision at the ECB, which a person
must look at (and correct in the admin, where the change is audited).
"""

import csv
import datetime as dt
import http.client
import io
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from encaisse.audit.services import record
from encaisse.errors import DomainError
from encaisse.money import format_decimal

from .models import ReferenceRate
from .rates import half_year_start, next_half_year

SERIES = "FM.B.U2.EUR.4F.KR.MRR_FR.LEV"
URL = "https://data-api.ecb.europa.eu/service/data/FM/B.U2.EUR.4F.KR.MRR_FR.LEV"
# SDMX-CSV without the attributes: KEY, the dimensions, TIME_PERIOD, OBS_VALUE. The whole
# series (a few dozen changes since 1999): the rate in force on a day may date from years
# before it.
QUERY = "?format=csvdata&detail=dataonly"
TIMEOUT = 30  # seconds
PLACES = Decimal("0.001")  # ReferenceRate.rate's precision
ECB = ReferenceRate.Kind.ECB_MRO


@dataclass(frozen=True)
class Observation:
    day: dt.date  # the date of the change (TIME_PERIOD)
    rate: Decimal  # percent


@dataclass
class UpdateReport:
    half_years: list[dt.date]
    created: list[ReferenceRate] = field(default_factory=list)
    unchanged: list[ReferenceRate] = field(default_factory=list)
    # (the row in the table, what the ECB publishes for its day)
    conflicts: list[tuple[ReferenceRate, Observation]] = field(default_factory=list)


def _unavailable(reason: str) -> DomainError:
    return DomainError(
        "ecb_unavailable",
        f"Le taux BCE n'a pas pu être lu sur le portail de données de la BCE ({URL}) : "
        f"{reason}. Rien n'a été enregistré.",
    )


def fetch(url: str) -> str:
    """The body of the ECB's answer. The one network call: tests replace it."""
    request = urllib.request.Request(url, headers={"Accept": "text/csv"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        raise _unavailable(f"réponse HTTP {error.code}") from error
    except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, resets
        reason = getattr(error, "reason", None) or error
        raise _unavailable(f"erreur réseau ({reason})") from error
    except UnicodeDecodeError as error:
        raise _unavailable("réponse illisible") from error


def parse(text: str) -> list[Observation]:
    """The observations of the series in an SDMX-CSV answer, by date. Columns are read by
    name (the ECB may add some); anything unexpected is refused, never guessed."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = set(reader.fieldnames or ())
    if not {"TIME_PERIOD", "OBS_VALUE"} <= columns:
        raise _unavailable("réponse inattendue (colonnes TIME_PERIOD et OBS_VALUE absentes)")
    observations = []
    for number, row in enumerate(reader, start=2):
        if "KEY" in columns and row["KEY"] != SERIES:
            continue
        try:
            day = dt.date.fromisoformat(row["TIME_PERIOD"])
            rate = Decimal(row["OBS_VALUE"])
        except (TypeError, ValueError, InvalidOperation) as error:
            raise _unavailable(f"ligne {number} illisible ({error})") from error
        if not rate.is_finite() or rate.quantize(PLACES) != rate or abs(rate) >= 100:
            raise _unavailable(f"ligne {number} : taux invalide ({row['OBS_VALUE']})")
        observations.append(Observation(day, rate))
    if not observations:
        raise _unavailable(f"aucune observation de la série {SERIES}")
    return sorted(observations, key=lambda o: o.day)


def in_force(observations: list[Observation], day: dt.date) -> Observation | None:
    """The last change dated on or before `day` (observations sorted by date)."""
    found = None
    for observation in observations:
        if observation.day > day:
            break
        found = observation
    return found


def half_years_to_record(today: dt.date) -> list[dt.date]:
    """From the half-year of the last published ECB row (checked again) to the current
    one, whose 1 January or 1 July has passed."""
    current = half_year_start(today)
    last = (
        ReferenceRate.objects.filter(kind=ECB, company__isnull=True, valid_from__lte=today)
        .order_by("-valid_from")
        .first()
    )
    day = half_year_start(last.valid_from) if last else current
    days = []
    while day <= current:
        days.append(day)
        day = next_half_year(day)
    return days


def source_of(observation: Observation, retrieved: dt.date) -> str:
    return (
        f"BCE, série {SERIES}, observation du {observation.day:%d/%m/%Y} "
        f"({format_decimal(observation.rate)} %) — {URL} — relevé le {retrieved:%d/%m/%Y}"
    )


def update_ecb_rates(today: dt.date, *, read=None) -> UpdateReport:
    """Record the ECB rate in force on each 1 January / 1 July up to `today` (see the
    module docstring). The answer is read (by `read`, default `fetch`) and checked before
    anything is written."""
    observations = parse((read or fetch)(URL + QUERY))
    retrieved = timezone.localdate()
    report = UpdateReport(half_years_to_record(today))
    with transaction.atomic():
        for start in report.half_years:
            observation = in_force(observations, start)
            if observation is None:
                raise _unavailable(f"aucune observation au {start:%d/%m/%Y} ou avant")
            row = ReferenceRate.objects.filter(
                kind=ECB, valid_from=start, company__isnull=True
            ).first()
            if row is None:
                row = ReferenceRate.objects.create(
                    kind=ECB,
                    valid_from=start,
                    rate=observation.rate,
                    source=source_of(observation, retrieved),
                )
                record("referencerate.recorded_from_ecb", row, changes={"source": row.source})
                report.created.append(row)
            elif row.rate == observation.rate:
                report.unchanged.append(row)
            else:
                report.conflicts.append((row, observation))
    return report
