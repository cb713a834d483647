"""What day it is, for the rules that depend on it.

Services ask `clock.today()` / `clock.now()` instead of `timezone.localdate()` /
`timezone.now()` wherever "today" is a rule: an issue date may not be in the future nor
more than N days back, a payment may not be dated tomorrow, a fiscal year closes after
its end. `clock.at(day)` runs a block of code as if it were `day`: the demo builds its
year of history this way (each invoice issued on its own day, by the same rules a user
meets), and tests use it to place themselves on a date. No user, form or API field can
set it: it is a context manager of the code, per thread (a ContextVar), so a demo loading
in one thread never moves the date of a request served by another.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar

from django.utils import timezone

_day: ContextVar[dt.date | None] = ContextVar("encaisse_clock_day", default=None)


def today() -> dt.date:
    """Today's date in the application's time zone, or the day set by `at()`."""
    day = _day.get()
    return day if day is not None else timezone.localdate()


def now() -> dt.datetime:
    """The current aware datetime; under `at(day)`, that day at the current time of day
    (timestamps keep their order within a run, and fall on the day being replayed)."""
    current = timezone.now()
    day = _day.get()
    if day is None:
        return current
    local = timezone.localtime(current)
    return timezone.make_aware(dt.datetime.combine(day, local.time().replace(tzinfo=None)))


@contextlib.contextmanager
def at(day: dt.date) -> Iterator[dt.date]:
    """Run the block as if today were `day`; nested blocks restore the outer day."""
    if isinstance(day, dt.datetime):  # a datetime is a date too: keep its day only
        day = day.date()
    token = _day.set(day)
    try:
        yield day
    finally:
        _day.reset(token)
