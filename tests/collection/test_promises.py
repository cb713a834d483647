"""Promises to pay: kept, pending or broken as of a date, decided by the customer's
payments from the day the promise was recorded to the promised date + tolerance."""

import datetime as dt

import pytest

from encaisse.audit.models import AuditEntry
from encaisse.collection.models import PromiseToPay
from encaisse.collection.promises import (
    PromiseStatus,
    broken_promises,
    promise_status,
    received_for,
    record_promise,
)
from encaisse.companies.models import Role
from encaisse.customers.services import create_customer
from encaisse.errors import Forbidden, NotFound, ValidationFailed
from encaisse.receivables.services.payments import create_remittance_slip
from tests.conftest import CUSTOMER

KEPT, PENDING, BROKEN = PromiseStatus.KEPT, PromiseStatus.PENDING, PromiseStatus.BROKEN
MAR2 = dt.date(2026, 3, 2)
MAR10 = dt.date(2026, 3, 10)


def day(n: int) -> dt.date:
    return dt.date(2026, 3, n)


@pytest.fixture
def invoice(invoice_of):
    return invoice_of(10, dt.date(2026, 2, 2))  # 780.00 TTC


@pytest.fixture
def promise(company, customer, admin, invoice):
    # Promised on 10 March, 3 days' tolerance: due by 10 + 3 = 13 March.
    return record_promise(
        company,
        {
            "customer": customer.pk,
            "invoices": [invoice.pk],
            "amount": "300.00",
            "promised_on": MAR10,
            "promised_by": "Mme Dupont, comptable",
            "channel": "phone",
            "recorded_on": MAR2,
        },
        by=admin,
    )


def test_recorded_with_its_due_date_and_audited(promise, invoice):
    assert promise.tolerance_days == 3
    assert promise.due_by == day(13)
    assert list(promise.invoices.all()) == [invoice]
    assert AuditEntry.objects.filter(action="promise.recorded", object_id=str(promise.pk)).exists()


def test_pending_until_the_last_tolerance_day_then_broken(promise):
    assert promise_status(promise, MAR2) == PENDING
    assert promise_status(promise, day(13)) == PENDING  # 10 + 3: the last day allowed
    assert promise_status(promise, day(14)) == BROKEN
    assert promise_status(promise, dt.date(2026, 3, 1)) == PENDING  # before it was made


def test_paid_on_the_last_tolerance_day_is_kept(promise, pay):
    pay("300.00", day(13))
    assert promise_status(promise, day(12)) == PENDING  # not received yet on the 12th
    assert promise_status(promise, day(13)) == KEPT
    assert promise_status(promise, dt.date(2026, 6, 1)) == KEPT


def test_paid_the_day_after_the_tolerance_is_broken(promise, pay):
    pay("300.00", day(14))
    assert promise_status(promise, day(14)) == BROKEN
    assert promise_status(promise, day(20)) == BROKEN


def test_several_payments_add_up_allocated_or_not(promise, pay):
    pay("200.00", day(5))
    assert promise_status(promise, day(14)) == BROKEN  # 200.00 < 300.00
    pay("100.00", day(12))
    assert received_for(promise, day(14)) == 300
    assert promise_status(promise, day(12)) == KEPT  # 200 + 100 = 300.00: kept early
    assert promise_status(promise, day(14)) == KEPT


def test_one_cent_short_is_broken(promise, pay):
    pay("299.99", day(11))
    assert promise_status(promise, day(13)) == PENDING
    assert promise_status(promise, day(14)) == BROKEN


def test_payments_before_the_promise_or_of_another_customer_do_not_count(
    company, admin, promise, pay
):
    other = create_customer(
        company, {**CUSTOMER, "legal_name": "Autre client", "siren": "", "siret": ""}, by=admin
    )
    pay("300.00", dt.date(2026, 3, 1))  # before the promise was recorded on 2 March
    pay("300.00", day(11), cust=other)
    assert promise_status(promise, day(14)) == BROKEN


def test_zero_tolerance(company, customer, admin, invoice):
    promise = record_promise(
        company,
        {
            "customer": customer.pk,
            "invoices": [invoice.pk],
            "amount": "10",
            "promised_on": MAR10,
            "tolerance_days": 0,
            "promised_by": "M. Dupont",
            "channel": "email",
            "recorded_on": MAR2,
        },
        by=admin,
    )
    assert promise.due_by == MAR10
    assert promise_status(promise, MAR10) == PENDING
    assert promise_status(promise, day(11)) == BROKEN


def test_broken_promises_of_the_company_only(company, other_company, promise, pay):
    assert list(broken_promises(company, day(13))) == []
    assert [p.pk for p in broken_promises(company, day(14))] == [promise.pk]
    assert list(broken_promises(other_company, day(14))) == []
    pay("300.00", day(13))
    assert list(broken_promises(company, day(14))) == []


@pytest.mark.parametrize(
    "over, code, field",
    [
        ({"amount": "0"}, "zero_amount", "amount"),
        ({"amount": "abc"}, "invalid_number", "amount"),
        ({"promised_on": dt.date(2026, 3, 1)}, "promise_in_past", "promised_on"),
        ({"promised_on": None}, "required", "promised_on"),
        ({"tolerance_days": 31}, "invalid_tolerance", "tolerance_days"),
        ({"tolerance_days": "-1"}, "invalid_tolerance", "tolerance_days"),
        ({"channel": "pigeon"}, "invalid_channel", "channel"),
        ({"promised_by": ""}, "required", "promised_by"),
        ({"invoices": []}, "invoices_required", "invoices"),
        # Texts are checked by the service itself, whatever calls it (form, API, script).
        ({"promised_by": "Mme Dupont\x07"}, "invisible_character", "promised_by"),
        ({"promised_by": "x" * 201}, "too_long", "promised_by"),
        ({"note": "rappeler 🥐"}, "emoji", "note"),
    ],
)
def test_bad_input_changes_nothing(company, customer, admin, invoice, over, code, field):
    data = {
        "customer": customer.pk,
        "invoices": [invoice.pk],
        "amount": "300.00",
        "promised_on": MAR10,
        "promised_by": "Mme Dupont",
        "channel": "phone",
        "recorded_on": MAR2,
        **over,
    }
    with pytest.raises(ValidationFailed) as exc:
        record_promise(company, data, by=admin)
    assert (exc.value.code, exc.value.field) == (code, field)
    assert not PromiseToPay.objects.exists()


def test_invoices_of_another_customer_or_company_are_refused(
    company, other_company, customer, admin, make_user, invoice, invoice_of
):
    other = create_customer(
        company, {**CUSTOMER, "legal_name": "Autre client", "siren": "", "siret": ""}, by=admin
    )
    data = {
        "customer": other.pk,
        "invoices": [invoice.pk],
        "amount": "1",
        "promised_on": MAR10,
        "promised_by": "X",
        "channel": "visit",
        "recorded_on": MAR2,
    }
    with pytest.raises(ValidationFailed) as exc:
        record_promise(company, data, by=admin)
    assert exc.value.code == "unknown_invoice"
    other_admin = make_user("autre", other_company, Role.ADMIN)
    with pytest.raises(NotFound):
        record_promise(other_company, {**data, "customer": customer.pk}, by=other_admin)
    reader = make_user("lecteur", company, Role.READ_ONLY)
    with pytest.raises(Forbidden):
        record_promise(company, {**data, "customer": customer.pk}, by=reader)
    assert not PromiseToPay.objects.exists()


def test_a_cheque_keeps_the_promise_on_the_day_it_is_remitted(promise, pay, company, admin):
    # Two cheques received on 12 March (before the due date, the 13th), one remitted on
    # the 13th and one on the 16th: the money of a cheque counts from its remittance,
    # as for the penalties.
    on_time = pay("200.00", day(12), method="cheque")
    late = pay("100.00", day(12), method="cheque")
    assert promise_status(promise, day(13)) == KEPT  # in hand, counted from the 12th
    create_remittance_slip(company, [on_time.pk], by=admin, on=day(13))
    create_remittance_slip(company, [late.pk], by=admin, on=day(16))
    # 200.00 by the 13th; the other 100.00 on the 16th, past the due date: broken.
    assert received_for(promise, day(20)) == 200
    assert promise_status(promise, day(20)) == BROKEN


def test_a_cheque_received_before_the_promise_and_remitted_after_counts(promise, pay, admin):
    cheque = pay("300.00", dt.date(2026, 3, 1), method="cheque")  # before the 2 March record
    assert promise_status(promise, day(5)) == PENDING
    create_remittance_slip(promise.company, [cheque.pk], by=admin, on=day(5))
    assert promise_status(promise, day(5)) == KEPT
