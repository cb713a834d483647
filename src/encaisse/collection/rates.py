"""Reading the dated reference rates (ECB, legal interest)."""

import datetime as dt
from decimal import Decimal

from encaisse.errors import ValidationFailed

from .models import ReferenceRate

KIND_NAMES = {
    ReferenceRate.Kind.ECB_MRO: "taux BCE",
    ReferenceRate.Kind.LEGAL_INTEREST_PRO: "taux de l'intérêt légal",
    ReferenceRate.Kind.LEGAL_INTEREST_PRIVATE: "taux de l'intérêt légal (particuliers)",
}


def half_year_start(day: dt.date) -> dt.date:
    """1 January or 1 July: the day whose ECB rate sets the penalties of the half-year."""
    return day.replace(month=1 if day.month <= 6 else 7, day=1)


def half_year_end(day: dt.date) -> dt.date:
    return dt.date(day.year, 6, 30) if day.month <= 6 else dt.date(day.year, 12, 31)


def rate_on(kind: str, day: dt.date) -> tuple[Decimal, str]:
    """(rate in percent, source) of `kind` in force on `day`.

    A row covers its days until the next row of its kind and never past the end of its
    half-year: a rate published for one half-year says nothing about the next, so an
    outdated table is an error to fix, never a silently reused (or zero) rate.
    """
    row = (
        ReferenceRate.objects.filter(kind=kind, valid_from__lte=day).order_by("-valid_from").first()
    )
    if row is None or half_year_end(row.valid_from) < day:
        raise ValidationFailed(
            "unknown_rate",
            f"Aucun {KIND_NAMES.get(kind, kind)} connu au {day:%d/%m/%Y} : "
            "complétez la table des taux.",
            "as_of",
        )
    return row.rate, row.source
