"""Disputes: opening within what the invoice owes, escalation, resolution (credit note,
correction, rejection), the amount held back from the dunning, and the figures."""

import datetime as dt
from decimal import Decimal

import pytest

from encaisse import clock
from encaisse.audit.models import AuditEntry
from encaisse.collection import disputes as svc
from encaisse.collection.models import Dispute, DisputeStatus
from encaisse.companies.models import Role
from encaisse.errors import Conflict, Forbidden, NotFound, ValidationFailed
from encaisse.receivables.selectors import InvoiceStatus, invoice_status
from encaisse.receivables.services.allocation import allocate
from encaisse.sales.models import DocumentKind, DocumentStatus, Invoice

MAR2 = dt.date(2026, 3, 2)
MAR5 = dt.date(2026, 3, 5)


def dispute_data(invoice, owner, **over):
    return {
        "invoice": invoice.pk,
        "category": "quality",
        "customer_words": "Deux heures facturées n'ont pas été faites.",
        "owner": owner.pk,
        "department": "sales",
        "target_date": dt.date(2026, 3, 20),
        "opened_on": MAR5,
        **over,
    }


@pytest.fixture
def invoice(invoice_of):
    # 10 h × 65.00 HT = 650.00 HT, VAT 20 % 130.00, 780.00 TTC.
    return invoice_of(10, MAR2)


def test_opening_by_default_disputes_all_the_invoice_owes(company, admin, invoice):
    dispute = svc.open_dispute(company, dispute_data(invoice, admin), by=admin)
    assert dispute.amount == Decimal("780.00")
    assert dispute.status == DisputeStatus.OPEN
    assert dispute.customer_id == invoice.customer_id
    assert svc.disputed_amount(invoice, MAR5) == Decimal("780.00")
    assert svc.disputed_amount(invoice, dt.date(2026, 3, 4)) == Decimal("0.00")
    entry = AuditEntry.objects.get(action="dispute.opened")
    assert entry.object_id == str(dispute.pk)


def test_amount_above_the_open_amount_at_opening_is_refused(company, admin, invoice, pay):
    # 300.00 paid and allocated on 10 March: 780.00 − 300.00 = 480.00 still owed from then.
    payment = pay("300.00", dt.date(2026, 3, 10))
    allocate(payment, [(invoice.installments.get(), "300.00")], by=admin, on=dt.date(2026, 3, 10))
    late = dispute_data(invoice, admin, opened_on=dt.date(2026, 3, 12))
    with pytest.raises(ValidationFailed) as exc:
        svc.open_dispute(company, {**late, "amount": "480.01"}, by=admin)
    assert exc.value.code == "above_open_amount" and exc.value.field == "amount"
    assert "480,00" in exc.value.message
    assert not Dispute.objects.exists()
    # On 5 March, before the payment, the whole 780.00 was owed.
    assert svc.open_dispute(company, {**dispute_data(invoice, admin), "amount": "780"}, by=admin)


def test_a_second_dispute_only_on_what_is_not_yet_disputed(company, admin, invoice):
    svc.open_dispute(company, dispute_data(invoice, admin, amount="500.00"), by=admin)
    with pytest.raises(ValidationFailed) as exc:
        svc.open_dispute(company, dispute_data(invoice, admin, amount="280.01"), by=admin)
    assert exc.value.code == "above_open_amount"
    # 780.00 − 500.00 = 280.00: the default amount is the rest.
    second = svc.open_dispute(company, dispute_data(invoice, admin), by=admin)
    assert second.amount == Decimal("280.00")
    assert svc.disputed_amount(invoice, MAR5) == Decimal("780.00")
    with pytest.raises(ValidationFailed) as exc:
        svc.open_dispute(company, dispute_data(invoice, admin), by=admin)
    assert exc.value.code == "nothing_to_dispute"
    assert Dispute.objects.count() == 2


def test_owner_must_belong_to_the_company(company, other_company, admin, make_user, invoice):
    stranger = make_user("etranger", other_company, Role.ADMIN)
    with pytest.raises(ValidationFailed) as exc:
        svc.open_dispute(company, dispute_data(invoice, stranger), by=admin)
    assert exc.value.code == "unknown_owner" and exc.value.field == "owner"
    assert not Dispute.objects.exists()
    assert not AuditEntry.objects.filter(action="dispute.opened").exists()


@pytest.mark.parametrize(
    "over, code, field",
    [
        ({"category": "weather"}, "invalid_category", "category"),
        ({"department": "legal"}, "invalid_department", "department"),
        ({"customer_words": "  "}, "required", "customer_words"),
        ({"target_date": dt.date(2026, 3, 4)}, "target_before_opening", "target_date"),
        ({"target_date": None}, "required", "target_date"),
        ({"opened_on": dt.date(2026, 3, 1)}, "before_invoice", "opened_on"),
        ({"amount": "0"}, "nothing_to_dispute", "amount"),
        ({"amount": "12.345"}, "too_many_decimals", "amount"),
    ],
)
def test_bad_input_changes_nothing(company, admin, invoice, over, code, field):
    with pytest.raises(ValidationFailed) as exc:
        svc.open_dispute(company, dispute_data(invoice, admin, **over), by=admin)
    assert (exc.value.code, exc.value.field) == (code, field)
    assert not Dispute.objects.exists()


def test_draft_or_other_company_invoice(company, other_company, admin, make_invoice, invoice):
    draft = make_invoice()
    with pytest.raises(Conflict):
        svc.open_dispute(company, dispute_data(draft, admin), by=admin)
    with pytest.raises(NotFound):
        svc.open_dispute(other_company, dispute_data(invoice, admin), by=admin)


def test_read_only_user_cannot_open(company, make_user, invoice, admin):
    reader = make_user("lecteur", company, Role.READ_ONLY)
    with pytest.raises(Forbidden):
        svc.open_dispute(company, dispute_data(invoice, admin), by=reader)


def test_escalation_the_day_after_the_target(company, admin, invoice):
    dispute = svc.open_dispute(company, dispute_data(invoice, admin), by=admin)
    assert svc.escalate_overdue_disputes(company, dt.date(2026, 3, 20)) == []  # target day
    escalated = svc.escalate_overdue_disputes(company, dt.date(2026, 3, 21), by=admin)
    assert [d.pk for d in escalated] == [dispute.pk]
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.ESCALATED
    assert dispute.escalated_on == dt.date(2026, 3, 21)
    assert dispute.escalated_to == "Responsable hiérarchique de admin"
    assert svc.escalate_overdue_disputes(company, dt.date(2026, 3, 22)) == []
    assert AuditEntry.objects.filter(action="dispute.escalated").count() == 1
    # Escalated is still open: its amount is still held back.
    assert svc.disputed_amount(invoice, dt.date(2026, 3, 22)) == Decimal("780.00")


def test_rejection_needs_a_reason_and_resolving_twice_is_refused(company, admin, invoice):
    dispute = svc.open_dispute(company, dispute_data(invoice, admin), by=admin)
    with pytest.raises(ValidationFailed) as exc:
        svc.resolve_dispute(dispute, svc.Outcome.REJECTION, reason=" ", by=admin)
    assert (exc.value.code, exc.value.field) == ("reason_required", "reason")
    with pytest.raises(ValidationFailed):
        svc.resolve_dispute(dispute, svc.Outcome.CORRECTION, reason="", by=admin)
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN and dispute.resolved_on is None

    svc.resolve_dispute(
        dispute, svc.Outcome.REJECTION, reason="Bons signés", by=admin, on=dt.date(2026, 3, 9)
    )
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.REJECTED
    assert dispute.resolution_reason == "Bons signés"
    with pytest.raises(Conflict) as exc:
        svc.resolve_dispute(dispute, svc.Outcome.CORRECTION, reason="Autre", by=admin)
    assert exc.value.code == "already_resolved"
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.REJECTED
    # Held back from 5 to 8 March, back in the dunning from the 9th; the past stays.
    assert svc.disputed_amount(invoice, dt.date(2026, 3, 8)) == Decimal("780.00")
    assert svc.disputed_amount(invoice, dt.date(2026, 3, 9)) == Decimal("0.00")
    assert AuditEntry.objects.filter(action="dispute.resolved").count() == 1


def test_partial_credit_note_of_the_disputed_amount(company, admin, invoice):
    dispute = svc.open_dispute(company, dispute_data(invoice, admin, amount="156.00"), by=admin)
    on = dt.date(2026, 3, 9)
    with clock.at(on):  # the credit note is issued that day
        svc.resolve_dispute(dispute, svc.Outcome.CREDIT_NOTE, by=admin)
    dispute.refresh_from_db()
    note = dispute.credit_note
    assert dispute.status == DisputeStatus.RESOLVED_CREDIT_NOTE
    assert note.kind == DocumentKind.CREDIT_NOTE and note.status == DocumentStatus.ISSUED
    assert note.credited_invoice_id == invoice.pk and note.issue_date == on
    # 156.00 TTC at 20 %: 130.00 HT + 26.00 VAT.
    assert (note.total_excl_vat, note.total_vat, note.total_incl_vat) == (
        Decimal("130.00"),
        Decimal("26.00"),
        Decimal("156.00"),
    )
    # 780.00 − 156.00 = 624.00 still owed, nothing in dispute any more.
    assert svc.invoice_open_amount(invoice, on) == Decimal("624.00")
    assert svc.disputed_amount(invoice, on) == Decimal("0.00")
    assert invoice_status(invoice, on) == InvoiceStatus.PARTLY_PAID


def test_credit_note_of_the_whole_invoice_settles_it(company, admin, invoice):
    dispute = svc.open_dispute(company, dispute_data(invoice, admin), by=admin)
    with clock.at(dt.date(2026, 3, 9)):
        svc.resolve_dispute(dispute, svc.Outcome.CREDIT_NOTE, by=admin)
    dispute.refresh_from_db()
    assert dispute.credit_note.total_incl_vat == Decimal("780.00")
    assert dispute.credit_note.lines.count() == invoice.lines.count()  # a full credit note
    assert invoice_status(invoice, dt.date(2026, 3, 9)) == InvoiceStatus.PAID
    assert svc.invoice_open_amount(invoice, dt.date(2026, 3, 9)) == Decimal("0.00")


def test_a_ttc_amount_no_base_gives_is_refused_with_the_nearest(company, admin, invoice):
    # At 20 %, base 83.37 → VAT 16.674 → 16.67 → 100.04; base 83.38 → 16.676 → 16.68 →
    # 100.06: no base gives 100.05 TTC.
    dispute = svc.open_dispute(company, dispute_data(invoice, admin, amount="100.05"), by=admin)
    with pytest.raises(ValidationFailed) as exc:
        svc.resolve_dispute(dispute, svc.Outcome.CREDIT_NOTE, by=admin, on=dt.date(2026, 3, 9))
    assert exc.value.code == "amount_not_reachable"
    assert "100,04" in exc.value.message and "100,06" in exc.value.message
    assert not Invoice.objects.filter(kind=DocumentKind.CREDIT_NOTE).exists()
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN
    # The collector credits 100.04 instead, on 9 March.
    with clock.at(dt.date(2026, 3, 9)):
        svc.resolve_dispute(dispute, svc.Outcome.CREDIT_NOTE, by=admin, amount="100.04")
    dispute.refresh_from_db()
    assert dispute.credit_note.total_incl_vat == Decimal("100.04")


def test_credit_note_refused_by_sales_leaves_the_dispute_open(company, admin, make_user, invoice):
    seller = make_user("vendeur", company, Role.SALES)  # may not issue credit notes
    dispute = svc.open_dispute(company, dispute_data(invoice, admin), by=seller)
    with pytest.raises(Forbidden):
        svc.resolve_dispute(dispute, svc.Outcome.CREDIT_NOTE, by=seller, on=dt.date(2026, 3, 9))
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN and dispute.credit_note is None


def test_list_rate_and_time_to_resolve(company, other_company, admin, invoice_of):
    # Four invoices in March: 10, 5, 5 and 20 h × 78.00 = 780 + 390 + 390 + 1560 = 3120.00.
    a = invoice_of(10, MAR2)
    b = invoice_of(5, MAR2)
    invoice_of(5, MAR2)
    invoice_of(20, MAR2)
    first = svc.open_dispute(company, dispute_data(a, admin, amount="100.00"), by=admin)
    second = svc.open_dispute(
        company,
        dispute_data(b, admin, amount="56.00", category="price", opened_on=dt.date(2026, 3, 6)),
        by=admin,
    )
    svc.open_dispute(company, dispute_data(a, admin, amount="50.00"), by=admin)
    rate = svc.dispute_rate(company, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    # 2 of 4 invoices disputed: 50.00 %; 100 + 56 + 50 = 206.00 of 3120.00 = 6.60 %.
    assert rate["invoices"] == 4 and rate["amount"] == Decimal("3120.00")
    assert rate["disputed_invoices"] == 2 and rate["disputed_amount"] == Decimal("206.00")
    assert rate["count_rate"] == Decimal("50.00") and rate["amount_rate"] == Decimal("6.60")
    assert (
        svc.dispute_rate(company, dt.date(2026, 4, 1), dt.date(2026, 4, 30))["count_rate"] is None
    )

    svc.resolve_dispute(first, "rejected", reason="Non fondé", by=admin, on=dt.date(2026, 3, 15))
    svc.resolve_dispute(
        second, "resolved_correction", reason="Prix corrigé", by=admin, on=dt.date(2026, 3, 20)
    )
    # 5 → 15 March: 10 days; 6 → 20 March: 14 days; mean 12.0.
    assert svc.average_resolution_days(
        company, dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    ) == Decimal("12.0")
    assert svc.average_resolution_days(company, dt.date(2026, 4, 1), dt.date(2026, 4, 30)) is None

    assert [d.category for d in svc.disputes(company, open_only=True)] == ["quality"]
    assert [d.pk for d in svc.disputes(company, category="price")] == [second.pk]
    assert list(svc.disputes(other_company)) == []
    with pytest.raises(NotFound):
        svc.get_dispute(other_company, first.pk)
