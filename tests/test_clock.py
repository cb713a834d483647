"""encaisse.clock: today and now for the services, set by code only (`at`)."""

import datetime as dt
import threading

import pytest
from django.utils import timezone
from freezegun import freeze_time

from encaisse import clock

DAY = dt.date(2025, 6, 30)


def test_without_a_day_set_it_is_the_real_day():
    assert clock.today() == timezone.localdate()
    assert abs(clock.now() - timezone.now()) < dt.timedelta(seconds=5)


def test_at_sets_today_and_now_for_the_block_only():
    real = timezone.localdate()
    with clock.at(DAY) as day:
        assert day == DAY
        assert clock.today() == DAY
        now = clock.now()
        assert timezone.is_aware(now) and timezone.localtime(now).date() == DAY
    assert clock.today() == real


def test_blocks_nest_and_an_error_restores_the_outer_day():
    with clock.at(DAY):
        with pytest.raises(RuntimeError), clock.at(dt.date(2020, 1, 1)):
            assert clock.today() == dt.date(2020, 1, 1)
            raise RuntimeError
        assert clock.today() == DAY


def test_a_datetime_counts_for_its_day():
    with clock.at(dt.datetime(2025, 6, 30, 23, 59)):
        assert clock.today() == DAY


def test_another_thread_keeps_the_real_day():
    """The demo loading in one thread never moves the date of a request in another."""
    seen = {}
    with clock.at(DAY):
        thread = threading.Thread(target=lambda: seen.update(day=clock.today()))
        thread.start()
        thread.join()
        assert clock.today() == DAY
    assert seen["day"] == timezone.localdate() != DAY


def test_freezegun_moves_the_real_day_under_it():
    with freeze_time("2024-02-29 12:00:00"):
        assert clock.today() == dt.date(2024, 2, 29)
        with clock.at(DAY):
            assert clock.today() == DAY
