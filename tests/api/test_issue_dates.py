"""The API refuses the issue dates the service refuses (sales/test_issue_dates.py), with
a 422 on `issue_date`, for a draft issued and for a credit note created and issued."""

import datetime as dt

import pytest
from freezegun import freeze_time

from .conftest import assert_error


@pytest.fixture(autouse=True)
def frozen_today():
    with freeze_time("2026-03-20 10:00:00"):
        yield


@pytest.mark.parametrize(
    ("issue_date", "code", "says"),
    [
        # Year 1 would be numbered FA1-00001 and fail BR-FR-03: outside the window of the
        # dates anyone types (2000-2099), refused by the schema before the service.
        ("0001-01-01", "invalid_request", "2000-01-01 au moins"),
        ("1970-01-01", "invalid_request", "2000-01-01 au moins"),
        # Last year after the fact, and 11 days back (the limit is 10): the service.
        ("2025-12-31", "issue_date_too_old", "Antériorité maximale de la date d'émission"),
        ("2026-03-09", "issue_date_too_old", "Antériorité maximale de la date d'émission"),
    ],
)
def test_an_issue_date_too_far_back_is_refused(
    api, make_invoice, unchanged, issue_date, code, says
):
    draft = make_invoice()
    with unchanged():
        body = assert_error(
            api.post(f"/api/invoices/{draft.pk}/issue", {"issue_date": issue_date}),
            422,
            code,
            "issue_date",
        )
    assert says in body["message"]


def test_ten_days_back_is_accepted(api, make_invoice):
    draft = make_invoice()
    response = api.post(f"/api/invoices/{draft.pk}/issue", {"issue_date": "2026-03-10"})
    assert response.status_code == 200, response.content
    assert response.json()["issue_date"] == "2026-03-10"


def test_a_credit_note_dated_too_far_back_is_refused_and_not_created(api, make_invoice, unchanged):
    invoice = make_invoice(issue_on=dt.date(2026, 3, 1))
    with unchanged():
        assert_error(
            api.post(f"/api/invoices/{invoice.pk}/credit-note", {"issue_date": "2026-03-02"}),
            422,
            "issue_date_too_old",
            "issue_date",
        )
