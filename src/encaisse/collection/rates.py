"""Reading the dated reference rates (ECB, legal interest)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q

from encaisse.errors import ValidationFailed

from .models import ReferenceRate

KIND_NAMES = {
    ReferenceRate.Kind.ECB_MRO: "taux BCE",
    ReferenceRate.Kind.LEGAL_INTEREST_PRO: "taux de l'intérêt légal",
    ReferenceRate.Kind.LEGAL_INTEREST_PRIVATE: "taux de l'intérêt légal (particuliers)",
}
# The kinds the application computes with: the ECB rate (L.441-10 penalties) and the
# legal interest rate of creditors who are not private persons (consumers' late
# interest, the floor of a contractual rate). A company is never a private-person
# creditor, so the "particuliers" rate is kept for the record only.
KINDS_IN_USE = (ReferenceRate.Kind.ECB_MRO, ReferenceRate.Kind.LEGAL_INTEREST_PRO)
# How long before a half-year its rates are asked for: from 1 June for 1 July, from
# 1 December for 1 January.
ANNOUNCE_MONTHS = (6, 12)


def half_year_start(day: dt.date) -> dt.date:
    """1 January or 1 July: the day whose ECB rate sets the penalties of the half-year."""
    return day.replace(month=1 if day.month <= 6 else 7, day=1)


def half_year_end(day: dt.date) -> dt.date:
    return dt.date(day.year, 6, 30) if day.month <= 6 else dt.date(day.year, 12, 31)


def next_half_year(day: dt.date) -> dt.date:
    """The 1 January or 1 July after `day`."""
    return half_year_end(day) + dt.timedelta(days=1)


def rates_for(company, kind: str):
    """The rows `company` reads for `kind`: the published ones and its own (None: the
    published ones only)."""
    scope = Q(company__isnull=True)
    if company is not None:
        scope |= Q(company=company)
    return ReferenceRate.objects.filter(scope, kind=kind)


def rate_on(kind: str, day: dt.date, company=None) -> tuple[Decimal, str]:
    """(rate in percent, source) of `kind` in force on `day`, for `company`.

    A row covers its days until the next row of its kind and never past the end of its
    half-year: a rate published for one half-year says nothing about the next, so an
    outdated table is an error to fix, never a silently reused (or zero) rate. A row of
    the company's own (the demo's fictitious values) wins over the published row of the
    same day; another company never reads it.
    """
    row = (
        rates_for(company, kind)
        .filter(valid_from__lte=day)
        .order_by("-valid_from", F("company").asc(nulls_last=True))
        .first()
    )
    if row is None or half_year_end(row.valid_from) < day:
        raise ValidationFailed(
            "unknown_rate",
            f"Aucun {KIND_NAMES.get(kind, kind)} connu au {day:%d/%m/%Y} : "
            "complétez la table des taux.",
            "as_of",
        )
    return row.rate, row.labelled_source


@dataclass(frozen=True)
class MissingRate:
    kind: str
    half_year: dt.date  # 1 January or 1 July

    @property
    def label(self) -> str:
        return f"{KIND_NAMES[self.kind]} au {self.half_year:%d/%m/%Y}"


def missing_rates(today: dt.date, company=None) -> list[MissingRate]:
    """The half-years, up to the current one (and the next from 1 June / 1 December on),
    that have no row of a kind in use: every day of them would be refused by `rate_on`.

    A half-year is covered only by a row dated its first day (a row of the previous
    half-year stops at its end), so the check is a difference of two sets of dates, from
    the first known half-year on. One query per kind.
    """
    horizon = half_year_start(today)
    if today.month in ANNOUNCE_MONTHS:
        horizon = next_half_year(today)
    missing = []
    for kind in KINDS_IN_USE:
        known = set(rates_for(company, kind).values_list("valid_from", flat=True))
        starts = {day for day in known if day == half_year_start(day)}
        day = min(starts, default=half_year_start(today))
        while day <= horizon:
            if day not in starts:
                missing.append(MissingRate(kind, day))
            day = next_half_year(day)
    return sorted(missing, key=lambda m: (m.half_year, m.kind))
