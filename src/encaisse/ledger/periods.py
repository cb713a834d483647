"""Fiscal years and their closing: nothing dated in a closed year is created or changed."""

import datetime as dt

from django.db import transaction

from encaisse import clock
from encaisse.audit import services as audit
from encaisse.companies.permissions import EDIT_COMPANY, require
from encaisse.errors import Conflict, ValidationFailed

from .models import FiscalYear


def ensure_open(company, day: dt.date, field: str = "date") -> None:
    """Refuse `day` when it falls in a closed fiscal year of `company`."""
    closed = FiscalYear.objects.filter(
        company=company, closed_on__isnull=False, start__lte=day, end__gte=day
    ).first()
    if closed is not None:
        raise ValidationFailed(
            "closed_period",
            f"Le {day:%d/%m/%Y} appartient à l'exercice clôturé ({closed}) : rien ne peut y "
            "être enregistré ni modifié.",
            field,
        )


def open_fiscal_year(company, start: dt.date, end: dt.date, *, by) -> FiscalYear:
    require(by, company, EDIT_COMPANY)
    if end <= start:
        raise ValidationFailed("invalid_period", "La clôture doit suivre le début.", "end")
    if FiscalYear.objects.filter(company=company, start__lte=end, end__gte=start).exists():
        raise ValidationFailed("overlapping_period", "Cet exercice en chevauche un autre.", "start")
    with transaction.atomic():
        year = FiscalYear.objects.create(company=company, start=start, end=end)
        audit.record("fiscal_year.opened", year, by=by, company=company)
    return year


def close_fiscal_year(year: FiscalYear, *, by) -> FiscalYear:
    require(by, year.company, EDIT_COMPANY)
    with transaction.atomic():
        year = FiscalYear.objects.select_for_update().get(pk=year.pk)
        if year.closed_on is not None:
            raise Conflict("already_closed", f"{year} est déjà clôturé.")
        if year.end >= clock.today():
            raise ValidationFailed(
                "period_not_over", "Un exercice se clôture après sa date de fin.", "end"
            )
        year.closed_on = clock.today()
        year.closed_by = audit.actor(by)
        year.save(update_fields=["closed_on", "closed_by"])
        audit.record("fiscal_year.closed", year, by=by, company=year.company)
    return year
