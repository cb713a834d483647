"""Payment terms, due dates and their legal caps.

C. com. L.441-10 II: agreed terms may not exceed 60 days from the invoice date, or
45 days end of month. "N days end of month" is computed here as the end of the month in
which the date + N days falls (the reading the DGCCRF accepts and most ERPs use).
"""

import calendar
import datetime as dt

from django.db import models

from encaisse.errors import ValidationFailed

LEGAL_MAX_NET_DAYS = 60  # C. com. L.441-10 II
LEGAL_MAX_END_OF_MONTH_DAYS = 45  # C. com. L.441-10 II


class PaymentTermsKind(models.TextChoices):
    NET = "net", "jours nets"
    END_OF_MONTH = "eom", "jours fin de mois"
    ON_RECEIPT = "receipt", "à réception"


def check_terms(kind: str, days: int | None, field: str = "terms_days") -> None:
    if kind not in PaymentTermsKind.values:
        raise ValidationFailed(
            "invalid_payment_terms", "Conditions de paiement inconnues.", "terms_kind"
        )
    if kind == PaymentTermsKind.ON_RECEIPT:
        return
    if days is None or days < 0:
        raise ValidationFailed(
            "invalid_payment_terms", "Le délai de paiement doit être un nombre de jours.", field
        )
    if kind == PaymentTermsKind.NET and days > LEGAL_MAX_NET_DAYS:
        raise ValidationFailed(
            "terms_exceed_legal_cap",
            f"Le délai de paiement de {days} jours dépasse 60 jours à compter de la date "
            "d'émission (art. L.441-10 du Code de commerce).",
            field,
        )
    if kind == PaymentTermsKind.END_OF_MONTH and days > LEGAL_MAX_END_OF_MONTH_DAYS:
        raise ValidationFailed(
            "terms_exceed_legal_cap",
            f"Le délai de paiement de {days} jours fin de mois dépasse 45 jours fin de mois "
            "(art. L.441-10 du Code de commerce).",
            field,
        )


def due_date(issue_date: dt.date, kind: str, days: int | None) -> dt.date:
    if kind == PaymentTermsKind.ON_RECEIPT:
        return issue_date
    target = issue_date + dt.timedelta(days=days or 0)
    if kind == PaymentTermsKind.END_OF_MONTH:
        last = calendar.monthrange(target.year, target.month)[1]
        return target.replace(day=last)
    return target


def describe(kind: str, days: int | None) -> str:
    if kind == PaymentTermsKind.ON_RECEIPT:
        return "Paiement à réception"
    if kind == PaymentTermsKind.END_OF_MONTH:
        return f"{days} jours fin de mois"
    return f"{days} jours nets"
