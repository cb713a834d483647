"""A dispute resolved by a credit note issues it on the day of the resolution: the same
issue-date rules as any credit note, the refusal shown on `resolved_on`."""

import datetime as dt

import pytest

from encaisse import clock
from encaisse.collection import disputes as svc
from encaisse.collection.models import DisputeStatus
from encaisse.errors import ValidationFailed
from encaisse.sales.models import Invoice

MAR2 = dt.date(2026, 3, 2)
MAR5 = dt.date(2026, 3, 5)
TODAY = dt.date(2026, 3, 31)


@pytest.fixture
def dispute(invoice_of, company, admin):
    invoice = invoice_of(10, MAR2)  # 780.00 TTC
    data = {
        "invoice": invoice.pk,
        "category": "quality",
        "customer_words": "Deux heures facturées n'ont pas été faites.",
        "owner": admin.pk,
        "department": "sales",
        "target_date": dt.date(2026, 3, 20),
        "opened_on": MAR5,
    }
    with clock.at(MAR5):
        return svc.open_dispute(company, data, by=admin)


def test_resolved_too_far_back_is_refused_on_resolved_on(dispute, admin):
    # 31 March − 20 days = 11 March: more than the 10 days an issue date may go back.
    with pytest.raises(ValidationFailed) as error, clock.at(TODAY):
        svc.resolve_dispute(dispute, svc.Outcome.CREDIT_NOTE, by=admin, on=dt.date(2026, 3, 11))
    assert (error.value.code, error.value.field) == ("issue_date_too_old", "resolved_on")
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN and dispute.credit_note is None
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_resolved_within_the_limit_issues_the_credit_note_that_day(dispute, admin):
    with clock.at(TODAY):
        svc.resolve_dispute(dispute, svc.Outcome.CREDIT_NOTE, by=admin, on=dt.date(2026, 3, 21))
    dispute.refresh_from_db()
    assert dispute.credit_note.issue_date == dt.date(2026, 3, 21)
    assert dispute.credit_note.number == "AV2026-00001"
