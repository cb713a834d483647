"""One router per resource; each endpoint parses, calls one service or query, returns."""

import datetime as dt

from django.utils import timezone

from encaisse.errors import NotFound, ValidationFailed

from ..fields import MAX_ID


def get_or_404(queryset, pk: int, message: str):
    """The row `pk` of `queryset` (already filtered by company), or NotFound."""
    if not (1 <= pk <= MAX_ID):
        raise NotFound(message)
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise NotFound(message)
    return obj


EARLIEST_AS_OF = dt.date(1900, 1, 1)  # reports count back months and buckets from as_of


def as_of_date(value: dt.date | None, field: str = "as_of") -> dt.date:
    """The date a report is computed at: today by default, never in the future (a
    figure as of a future date would pretend to know payments not yet received)."""
    today = timezone.localdate()
    if value is None:
        return today
    if value > today:
        raise ValidationFailed(
            "future_date",
            f"La date de situation ({value:%d/%m/%Y}) ne peut pas être dans le futur.",
            field,
        )
    if value < EARLIEST_AS_OF:
        raise ValidationFailed("date_too_old", "La date de situation est trop ancienne.", field)
    return value
