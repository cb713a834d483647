"""Lifecycle statuses by hand, and "encaissée" (212) set when an invoice is fully paid."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from encaisse.audit.models import AuditEntry
from encaisse.companies.models import Role
from encaisse.companies.services import update_company
from encaisse.einvoicing.models import EventSource, LifecycleEvent, LifecycleStatus
from encaisse.einvoicing.services import current_status, requires_collected, set_status
from encaisse.errors import Conflict, Forbidden, ValidationFailed
from encaisse.receivables.services.allocation import allocate, undo_allocation
from encaisse.sales.services import create_credit_note
from tests.conftest import issue_on_day

pytestmark = pytest.mark.django_db

MARCH_2 = dt.date(2026, 3, 2)


def test_codes_of_the_reform():
    assert LifecycleStatus.DEPOSITED == "200" and LifecycleStatus.DEPOSITED.label == "Déposée"
    assert (LifecycleStatus.APPROVED, LifecycleStatus.PARTIALLY_APPROVED) == ("205", "206")
    assert (LifecycleStatus.DISPUTED, LifecycleStatus.SUSPENDED) == ("207", "208")
    assert (LifecycleStatus.REFUSED, LifecycleStatus.PAYMENT_SENT) == ("210", "211")
    assert (LifecycleStatus.COLLECTED, LifecycleStatus.REJECTED) == ("212", "213")
    assert LifecycleStatus.COLLECTED.label == "Encaissée"


def test_set_status_and_current_status(invoice_of, admin):
    invoice = invoice_of(1, MARCH_2)
    assert current_status(invoice) is None
    set_status(invoice, "200", on=MARCH_2, by=admin)
    event = set_status(
        invoice,
        LifecycleStatus.APPROVED,
        on=dt.date(2026, 3, 6),
        by=admin,
        note="  Bon  pour paiement ",
    )
    assert (event.status, event.source, event.note) == (
        "205",
        EventSource.MANUAL,
        "Bon pour paiement",
    )
    assert event.created_by == admin
    # A status dated earlier, entered later, does not become the current one.
    set_status(invoice, "204", on=dt.date(2026, 3, 4), by=admin)
    assert current_status(invoice).status == "205"
    assert [e.status for e in LifecycleEvent.objects.filter(invoice=invoice)] == [
        "205",
        "204",
        "200",
    ]
    entry = AuditEntry.objects.filter(action="invoice.lifecycle_status").first()
    assert entry.changes["status"] == "204 – Prise en charge"


def test_a_draft_has_no_lifecycle(make_invoice, admin):
    with pytest.raises(Conflict):
        set_status(make_invoice(), "200", by=admin)
    assert LifecycleEvent.objects.count() == 0


@pytest.mark.parametrize(
    "status, on, field",
    [
        ("299", MARCH_2, "status"),
        ("200", dt.date(2026, 3, 1), "date"),  # before the issue date
        ("200", None, "date"),  # tomorrow, set below
    ],
)
def test_bad_status_or_date_refused(invoice_of, admin, status, on, field):
    invoice = invoice_of(1, MARCH_2)
    on = on or timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as error:
        set_status(invoice, status, on=on, by=admin)
    assert error.value.field == field
    assert LifecycleEvent.objects.count() == 0


@pytest.mark.parametrize("final", ["210", "213"])
def test_nothing_follows_a_refusal_or_a_rejection(invoice_of, admin, final):
    invoice = invoice_of(1, MARCH_2)
    set_status(invoice, final, on=dt.date(2026, 3, 5), by=admin)
    with pytest.raises(Conflict) as error:
        set_status(invoice, "205", on=dt.date(2026, 3, 9), by=admin)
    assert error.value.code == "lifecycle_closed"
    # What happened before the refusal can still be recorded.
    set_status(invoice, "200", on=dt.date(2026, 3, 3), by=admin)
    assert current_status(invoice).status == final


def test_roles(invoice_of, company, make_user):
    invoice = invoice_of(1, MARCH_2)
    with pytest.raises(Forbidden):
        set_status(invoice, "200", by=make_user("lecteur", company, Role.READ_ONLY))


def test_which_invoices_need_the_collected_status(
    company, admin, make_invoice, product, service_product, invoice_of
):
    goods = make_invoice(issue_on=MARCH_2)
    services = invoice_of(1, MARCH_2)
    mixed = make_invoice(
        lines=[
            {"product": product.pk, "quantity": "1"},
            {"product": service_product.pk, "quantity": "1"},
        ],
        issue_on=MARCH_2,
    )
    assert (goods.operation_nature, services.operation_nature, mixed.operation_nature) == (
        "goods",
        "services",
        "mixed",
    )
    assert not requires_collected(goods)
    assert requires_collected(services)
    assert requires_collected(mixed)
    note = issue_on_day(
        create_credit_note(services, by=admin, mode="full", reason="Annulation"),
        by=admin,
        on=MARCH_2,
    )
    assert not requires_collected(note)
    # A seller who opted for VAT on debits: the option, frozen on the invoice, decides.
    update_company(company, {"vat_on_debits": True}, by=admin)
    on_debits = invoice_of(1, MARCH_2)
    assert not requires_collected(on_debits)
    update_company(company, {"vat_on_debits": False}, by=admin)
    services.refresh_from_db()
    on_debits.refresh_from_db()
    assert requires_collected(services) and not requires_collected(on_debits)


def test_collected_when_fully_paid(invoice_of, settle):
    invoice = invoice_of(2, MARCH_2)  # 2 × 78.00 = 156.00 TTC
    settle(invoice, "100.00", dt.date(2026, 3, 10))
    assert current_status(invoice) is None  # partly paid: not yet
    settle(invoice, "56.00", dt.date(2026, 3, 20))
    event = current_status(invoice)
    assert (event.status, event.date, event.source) == (
        "212",
        dt.date(2026, 3, 20),
        EventSource.AUTOMATIC,
    )
    assert event.created_by is None
    assert LifecycleEvent.objects.count() == 1


def test_collected_once_even_when_paid_again_after_an_undo(invoice_of, settle, admin):
    invoice = invoice_of(1, MARCH_2)
    (allocation,) = settle(invoice, "78.00", dt.date(2026, 3, 10))
    undo_allocation(allocation, by=admin, reason="Mauvaise facture", on=dt.date(2026, 3, 11))
    settle(invoice, "78.00", dt.date(2026, 3, 12))
    assert LifecycleEvent.objects.filter(invoice=invoice, status="212").count() == 1


def test_not_collected_for_goods_nor_debits_nor_credit_notes(
    company, admin, make_invoice, invoice_of, settle
):
    goods = make_invoice(issue_on=MARCH_2)  # 2 × 18.90 at 5.5 %: 37.80 + 2.08 = 39.88
    settle(goods, "39.88", dt.date(2026, 3, 10))
    assert goods.installments.get().settled_on == dt.date(2026, 3, 10)
    update_company(company, {"vat_on_debits": True}, by=admin)
    on_debits = invoice_of(1, MARCH_2)
    settle(on_debits, "78.00", dt.date(2026, 3, 10))
    update_company(company, {"vat_on_debits": False}, by=admin)
    cancelled = invoice_of(1, MARCH_2)
    issue_on_day(
        create_credit_note(cancelled, by=admin, mode="full", reason="Annulation"),
        by=admin,
        on=dt.date(2026, 3, 4),
    )
    assert cancelled.installments.get().settled_on == dt.date(2026, 3, 4)  # by the note
    assert LifecycleEvent.objects.count() == 0


def test_a_refused_invoice_paid_anyway_is_not_marked_and_the_payment_goes_through(
    invoice_of, settle, admin
):
    invoice = invoice_of(1, MARCH_2)
    set_status(invoice, "210", on=dt.date(2026, 3, 5), by=admin)
    settle(invoice, "78.00", dt.date(2026, 3, 10))
    assert invoice.installments.get().settled_on == dt.date(2026, 3, 10)
    assert current_status(invoice).status == "210"


@pytest.mark.parametrize(
    "buyer",
    [
        {"legal_name": "Mme Claire Petit", "kind": "consumer"},
        {
            "legal_name": "Bakkerij Janssens BV",
            "vat_number": "BE0403170701",
            "billing_country": "BE",
        },
        {"legal_name": "Boulangerie du Lac SA", "billing_country": "CH"},
    ],
)
def test_no_collected_status_outside_french_b2b(
    company, admin, make_invoice, service_product, buyer
):
    from encaisse.customers.services import create_customer

    customer = create_customer(
        company,
        {
            "billing_line1": "1 rue Haute",
            "billing_postal_code": "1000",
            "billing_city": "Ville",
            **buyer,
        },
        by=admin,
    )
    invoice = make_invoice(
        lines=[{"product": service_product.pk, "quantity": "1"}], issue_on=MARCH_2, cust=customer
    )
    assert invoice.operation_nature == "services"
    assert not requires_collected(invoice)  # e-reporting, not an e-invoice lifecycle


def test_a_small_remainder_written_off_completes_the_collection(invoice_of, settle, admin):
    from encaisse.receivables.services.allocation import write_off

    invoice = invoice_of(1, MARCH_2)  # 78.00 TTC
    settle(invoice, "77.50", dt.date(2026, 3, 10))
    assert current_status(invoice) is None
    write_off(
        invoice.installments.get(),
        "0.50",
        by=admin,
        reason="Frais bancaires",
        on=dt.date(2026, 3, 12),
    )
    event = current_status(invoice)
    assert (event.status, event.date) == ("212", dt.date(2026, 3, 12))


def test_collected_on_the_day_the_money_came_in_for_the_amount_paid(invoice_of, pay, admin):
    invoice = invoice_of(2, MARCH_2)  # 156.00 TTC
    # A credit note of 10.00 HT + 20 % = 12.00 on 4 Mar, then 144.00 received on 10 Mar
    # and matched on 25 Mar.
    issue_on_day(
        create_credit_note(invoice, by=admin, mode="amount", amount="10.00", vat_rate="20",
                           reason="Geste commercial"),
        by=admin,
        on=dt.date(2026, 3, 4),
    )  # fmt: skip
    payment = pay("144.00", dt.date(2026, 3, 10))
    allocate(payment, [(invoice.installments.get(), "144.00")], by=admin, on=dt.date(2026, 3, 25))
    event = current_status(invoice)
    # Dated by the money (10 Mar), not the matching (25 Mar); 144.00 collected, the
    # credit note's 12.00 being no money.
    assert (event.status, event.date, event.amount) == (
        "212",
        dt.date(2026, 3, 10),
        Decimal("144.00"),
    )
    assert event.note == "Facture réglée en totalité : 144,00\u00a0€ encaissés."
