"""The issue date of a document: not in the future, at most `Company.backdating_days`
back, not in a closed fiscal year, never before the last document of its kind (any
year's series), and a credit note not before its invoice. Each refusal names the field
`issue_date`, says why, and changes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from encaisse import clock
from encaisse.companies.models import DEFAULT_BACKDATING_DAYS, NumberSequence
from encaisse.companies.services import update_company
from encaisse.errors import ValidationFailed
from encaisse.ledger.models import JournalEntry
from encaisse.ledger.periods import close_fiscal_year, open_fiscal_year
from encaisse.sales.models import DocumentStatus
from encaisse.sales.services import create_credit_note, issue_invoice
from tests.conftest import issue_on_day

TODAY = dt.date(2027, 1, 5)


def refused(invoice, on, *, by, today=TODAY) -> ValidationFailed:
    """Issue `invoice` dated `on` on the day `today`; the refusal, after checking that
    nothing changed: still a draft, no number, no entry, no series row moved."""
    sequences = list(NumberSequence.objects.values_list("document_type", "year", "last_number"))
    entries = JournalEntry.objects.count()
    with pytest.raises(ValidationFailed) as error, clock.at(today):
        issue_invoice(invoice, by=by, on=on)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.issue_date) == (DocumentStatus.DRAFT, "", None)
    assert JournalEntry.objects.count() == entries
    assert (
        list(NumberSequence.objects.values_list("document_type", "year", "last_number"))
        == sequences
    )
    assert error.value.field == "issue_date"
    return error.value


@pytest.mark.parametrize(
    "on",
    [dt.date(1, 1, 1), dt.date(1970, 1, 1), dt.date(2025, 12, 31), TODAY - dt.timedelta(days=11)],
)
def test_a_date_too_far_back_is_refused_with_the_limit_and_where_it_is_set(
    make_invoice, admin, company, on
):
    assert company.backdating_days == DEFAULT_BACKDATING_DAYS == 10
    error = refused(make_invoice(), on, by=admin)
    assert error.code == "issue_date_too_old"
    days = (TODAY - on).days
    assert f"remonte à {days} jours" in error.message
    assert "10 jours au plus" in error.message
    assert "Antériorité maximale de la date d'émission" in error.message
    assert "page Société" in error.message


def test_up_to_the_limit_is_accepted(make_invoice, admin):
    # 5 Jan 2027 − 10 days = 26 Dec 2026: the 2026 series, since no 2027 document exists.
    with clock.at(TODAY):
        invoice = issue_invoice(make_invoice(), by=admin, on=dt.date(2026, 12, 26))
    assert (invoice.number, invoice.issue_date) == ("FA2026-00001", dt.date(2026, 12, 26))


def test_the_limit_follows_the_company_setting(make_invoice, admin, company):
    update_company(company, {"backdating_days": 0}, by=admin)
    error = refused(make_invoice(), TODAY - dt.timedelta(days=1), by=admin)
    assert "0 jour au plus" in error.message
    update_company(company, {"backdating_days": 31}, by=admin)
    with clock.at(TODAY):
        invoice = issue_invoice(make_invoice(), by=admin, on=TODAY - dt.timedelta(days=31))
    assert invoice.issue_date == dt.date(2026, 12, 5)


@pytest.mark.parametrize("value", [-1, 32, 365, "abc", "", None, "2.5"])
def test_the_setting_is_a_whole_number_of_days_from_0_to_31(company, admin, value):
    with pytest.raises(ValidationFailed) as error:
        update_company(company, {"backdating_days": value}, by=admin)
    assert (error.value.field, error.value.code) == ("backdating_days", "invalid_backdating_days")
    assert "de 0 à 31" in error.value.message
    company.refresh_from_db()
    assert company.backdating_days == 10


def test_the_future_is_refused(make_invoice, admin):
    error = refused(make_invoice(), TODAY + dt.timedelta(days=1), by=admin)
    assert error.code == "future_date"


def test_a_closed_fiscal_year_is_refused(make_invoice, admin, company):
    with clock.at(TODAY):
        year = open_fiscal_year(company, dt.date(2026, 1, 1), dt.date(2026, 12, 31), by=admin)
        close_fiscal_year(year, by=admin)
    error = refused(make_invoice(), dt.date(2026, 12, 31), by=admin)
    assert error.code == "closed_period"
    assert "31/12/2026" in error.message


def test_not_before_the_last_document_of_the_series(make_invoice, admin):
    issue_on_day(make_invoice(), by=admin, on=dt.date(2027, 1, 4))
    error = refused(make_invoice(), dt.date(2027, 1, 3), by=admin)
    assert error.code == "date_before_last_document"
    assert "04/01/2027" in error.message
    # The same day as the last one is fine.
    with clock.at(TODAY):
        assert issue_invoice(make_invoice(), by=admin, on=dt.date(2027, 1, 4)).sequence_number == 2


def test_not_back_into_last_years_series_once_this_years_has_begun(make_invoice, admin):
    """FA2027-00001 of 2 Jan exists: a document dated 30 Dec 2026 would be numbered in the
    2026 series after it, and change last year's books and aged balance after the fact,
    even though 30 Dec is within the 10 days allowed."""
    with clock.at(dt.date(2026, 12, 30)):
        last_of_2026 = issue_invoice(make_invoice(), by=admin)
    issue_on_day(make_invoice(), by=admin, on=dt.date(2027, 1, 2))
    error = refused(make_invoice(), dt.date(2026, 12, 30), by=admin)
    assert error.code == "date_before_last_document"
    assert "02/01/2027" in error.message
    assert NumberSequence.objects.get(document_type="invoice", year=2026).last_number == 1
    assert last_of_2026.number == "FA2026-00001"


def test_each_kind_has_its_own_chronology(make_invoice, admin):
    """A credit note dated before the last invoice is fine (its own series), as long as
    it is not before the invoice it corrects nor the last credit note."""
    invoice = issue_on_day(make_invoice(), by=admin, on=dt.date(2027, 1, 2))
    issue_on_day(make_invoice(), by=admin, on=dt.date(2027, 1, 5))
    with clock.at(TODAY):
        note = issue_invoice(
            create_credit_note(invoice, by=admin), by=admin, on=dt.date(2027, 1, 3)
        )
    assert (note.number, note.issue_date) == ("AV2027-00001", dt.date(2027, 1, 3))


def test_credit_notes_follow_the_same_rules(make_invoice, admin):
    invoice = issue_on_day(make_invoice(), by=admin, on=dt.date(2026, 12, 1))
    # More than 10 days back.
    error = refused(create_credit_note(invoice, by=admin), dt.date(2026, 12, 20), by=admin)
    assert error.code == "issue_date_too_old"
    # Before its invoice (a day it would be within the limit).
    invoice = issue_on_day(make_invoice(), by=admin, on=dt.date(2027, 1, 4))
    error = refused(create_credit_note(invoice, by=admin), dt.date(2027, 1, 3), by=admin)
    assert error.code == "credit_note_before_invoice"
    # In the future.
    error = refused(create_credit_note(invoice, by=admin), dt.date(2027, 1, 6), by=admin)
    assert error.code == "future_date"


def test_the_default_is_today_of_the_clock(make_invoice, admin):
    with clock.at(TODAY):
        invoice = issue_invoice(make_invoice(), by=admin)
    assert invoice.issue_date == TODAY
    assert timezone.localtime(invoice.issued_at).date() == TODAY
    entry = JournalEntry.objects.get(piece_ref=invoice.number)
    assert (entry.date, entry.validated_on) == (TODAY, TODAY)
