"""Penalties invoiced or waived, and what stays outstanding, worked out by hand.

Same dated case as test_penalties.py: ECB rate 3.15 % on 1 Jan 2025 and 2.15 % on 1 Jul
2025, so 13.15 % for Jan–Jun and 12.15 % for Jul–Dec 2025; invoices of 10 000,00 € TTC
issued on 15 Apr 2025, due 15 May 2025. The penalty invoices are issued on the frozen
"today" (31 Oct 2025), numbered after the late invoices in the 2025 series.
"""

import datetime as dt
from decimal import Decimal

import pytest
from freezegun import freeze_time

from encaisse.audit.services import trail
from encaisse.catalog.services import create_product
from encaisse.collection.claims import invoice_penalties, outstanding, waive_penalties
from encaisse.collection.models import PenaltyClaim
from encaisse.collection.penalties import penalties as penalty_table
from encaisse.companies.models import Role
from encaisse.customers.services import create_customer
from encaisse.documents import einvoice, validation
from encaisse.errors import Conflict, Forbidden, NotFound, ValidationFailed
from encaisse.ledger.models import JournalLine
from encaisse.money import format_eur
from encaisse.receivables.services.allocation import allocate
from encaisse.sales.models import Invoice

ISSUED = dt.date(2025, 4, 15)
DUE = dt.date(2025, 5, 15)
JUN30 = dt.date(2025, 6, 30)
SEP30 = dt.date(2025, 9, 30)
OCT31 = dt.date(2025, 10, 31)
TODAY = "2025-10-31"


@pytest.fixture
def ten_thousand(company, admin, make_invoice):
    """An invoice of 10 000,00 € TTC (8 333,33 HT + 1 666,67 VAT at 20 %), due 15 May."""
    big = create_product(
        company,
        {
            "reference": "FOUR-01",
            "label": "Four à sole",
            "kind": "goods",
            "unit_price": "8333.33",
            "vat_rate": "20",
        },
        by=admin,
    )

    def make(cust=None):
        invoice = make_invoice(
            lines=[{"product": big.pk, "quantity": "1"}], issue_on=ISSUED, cust=cust
        )
        assert invoice.total_incl_vat == Decimal("10000.00")
        return invoice

    return make


def settle(invoice, pay, admin, amount, on, cust=None):
    payment = pay(amount, on, cust=cust)
    allocate(payment, [(invoice.installments.get(), amount)], by=admin, on=on)


@pytest.fixture
def paid_late(ten_thousand, pay, admin):
    """Paid in full on 30 Sep 2025, four and a half months late."""
    invoice = ten_thousand()
    settle(invoice, pay, admin, "10000.00", SEP30)
    return invoice


def lines_of(invoice):
    return [
        (line.description, line.net_amount, line.vat_rate, line.vat_exemption)
        for line in invoice.lines.order_by("position")
    ]


OUT = "O"  # EN 16931 category "not subject to VAT"


def test_outstanding_is_the_engine_before_any_claim(paid_late):
    # 16 May–30 Jun 46 days at 13.15 %: 165.73; 1 Jul–30 Sep 92 days at 12.15 %: 306.25
    # (see test_penalties.py); 165.73 + 306.25 = 471.98, fee 40.00 (professional).
    due = outstanding(paid_late, OCT31)
    assert due == (Decimal("471.98"), Decimal("40.00"))
    assert due.total == Decimal("511.98")


@freeze_time(TODAY)
def test_a_penalty_invoice_outside_the_scope_of_vat(paid_late, admin, company):
    penalty = invoice_penalties(company, [paid_late], OCT31, by=admin)
    assert penalty.number == "FA2025-00002"  # FA2025-00001 is the late invoice
    assert penalty.issue_date == OCT31
    assert penalty.customer == paid_late.customer
    assert lines_of(penalty) == [
        (
            "Pénalités de retard sur facture FA2025-00001 du 15/04/2025, "
            "du 16/05/2025 au 30/09/2025",
            Decimal("471.98"), Decimal("0.00"), OUT,
        ),
        (
            "Indemnité forfaitaire pour frais de recouvrement (art. D.441-5), "
            "facture FA2025-00001 du 15/04/2025",
            Decimal("40.00"), Decimal("0.00"), OUT,
        ),
    ]  # fmt: skip
    # No VAT: 471.98 + 40.00 = 511.98 HT = TTC.
    assert (penalty.total_excl_vat, penalty.total_vat, penalty.total_incl_vat) == (
        Decimal("511.98"),
        Decimal("0.00"),
        Decimal("511.98"),
    )
    assert all(
        line.vat_exemption_reason == "Hors champ d'application de la TVA"
        for line in penalty.lines.all()
    )
    assert "Hors champ d'application de la TVA" in penalty.notes
    assert "FA2025-00001 du 15/04/2025" in penalty.notes
    assert "arrêtées au 31/10/2025" in penalty.notes

    claim = PenaltyClaim.objects.get()
    assert (claim.invoice, claim.kind, claim.penalty_invoice, claim.as_of) == (
        paid_late,
        "invoiced",
        penalty,
        OCT31,
    )
    assert (claim.penalties, claim.recovery_fee) == (Decimal("471.98"), Decimal("40.00"))
    assert outstanding(paid_late, OCT31) == (Decimal("0.00"), Decimal("0.00"))
    entry = trail(paid_late).filter(action="invoice.penalties_invoiced").get()
    assert entry.changes["penalty_invoice"] == "FA2025-00002"
    assert entry.changes["penalties"] == format_eur(Decimal("471.98"))
    # Books: 411 debited 511.98 against other operating income (758), not sales (706).
    booked = {
        (line.account.number, line.debit, line.credit)
        for line in JournalLine.objects.filter(
            entry__source_type="sales.invoice", entry__source_id=penalty.pk
        ).select_related("account")
    }
    assert booked == {
        ("411", Decimal("511.98"), Decimal("0.00")),
        ("758", Decimal("0.00"), Decimal("511.98")),
    }


@freeze_time(TODAY)
def test_the_einvoice_of_a_penalty_invoice_passes_the_official_rules(paid_late, admin, company):
    penalty = invoice_penalties(company, [paid_late], OCT31, by=admin)
    for xml, syntax in ((einvoice.cii_xml(penalty), "cii"), (einvoice.ubl_xml(penalty), "ubl")):
        report = validation.validate(xml)
        assert report.syntax == syntax
        assert report.ok, f"{syntax}:\n" + "\n".join(str(f) for f in report.fatal)
    cii = einvoice.cii_xml(penalty)
    # BR-O-02: no seller VAT identifier on an invoice with "O" lines; the category and
    # its reason are stated (BR-O-10).
    assert b"FR44732829320" not in cii
    assert b"<ram:CategoryCode>O</ram:CategoryCode>" in cii
    assert b"Hors champ d'application de la TVA" in cii


def test_a_later_claim_takes_only_what_accrued_since(ten_thousand, admin, company):
    invoice = ten_thousand()  # never paid
    with freeze_time("2025-07-01"):
        first = invoice_penalties(company, [invoice], JUN30, by=admin)
    # 16 May–30 Jun: 46 days, 10 000 × 13.15 % × 46 / 365 = 165.73; fee 40.00
    assert first.total_incl_vat == Decimal("205.73")
    # On 30 Sep: the engine says 165.73 + 306.25 (1 Jul–30 Sep, 92 days at 12.15 %) =
    # 471.98; 165.73 is invoiced already: 471.98 − 165.73 = 306.25; the fee only once.
    assert outstanding(invoice, SEP30) == (Decimal("306.25"), Decimal("0.00"))
    with freeze_time(TODAY):
        second = invoice_penalties(company, [invoice], SEP30, by=admin)
    assert lines_of(second) == [
        (
            "Pénalités de retard sur facture FA2025-00001 du 15/04/2025, "
            "du 01/07/2025 au 30/09/2025",
            Decimal("306.25"), Decimal("0.00"), OUT,
        ),
    ]  # fmt: skip
    assert second.total_incl_vat == Decimal("306.25")
    assert [c.penalty_invoice for c in PenaltyClaim.objects.order_by("pk")] == [first, second]


@freeze_time(TODAY)
def test_several_late_invoices_of_one_customer_on_one_penalty_invoice(ten_thousand, admin, company):
    a, b = ten_thousand(), ten_thousand()  # FA2025-00001 and -00002, never paid
    penalty = invoice_penalties(company, [b, a], JUN30, by=admin)
    # Each: 165.73 + 40.00 = 205.73; two: 411.46. Lines in the invoices' order.
    assert [amount for _, amount, _, _ in lines_of(penalty)] == [
        Decimal("165.73"),
        Decimal("40.00"),
        Decimal("165.73"),
        Decimal("40.00"),
    ]
    assert "FA2025-00001" in lines_of(penalty)[0][0]
    assert "FA2025-00002" in lines_of(penalty)[2][0]
    assert penalty.total_incl_vat == Decimal("411.46")
    assert "FA2025-00001 du 15/04/2025, FA2025-00002 du 15/04/2025" in penalty.notes
    assert PenaltyClaim.objects.filter(penalty_invoice=penalty).count() == 2


@freeze_time(TODAY)
def test_a_consumer_is_never_sent_a_penalty_invoice(company, admin, ten_thousand, pay):
    consumer = create_customer(
        company,
        {
            "legal_name": "Mme Claire Petit",
            "kind": "consumer",
            "billing_line1": "5 rue Haute",
            "billing_postal_code": "13001",
            "billing_city": "Marseille",
        },
        by=admin,
    )
    invoice = ten_thousand(cust=consumer)
    settle(invoice, pay, admin, "10000.00", SEP30, cust=consumer)
    error = refused(Conflict, lambda: invoice_penalties(company, [invoice], OCT31, by=admin))
    assert error.code == "consumer_penalty_invoice"
    assert error.message.startswith(
        "Pas de facture de pénalités pour un particulier : Mme Claire Petit ne doit ni "
        "pénalités de retard (art. L.441-10 du Code de commerce) ni indemnité forfaitaire"
    )


# ---------------------------------------------------------------- refused


def refused(exc_type, call):
    before = (Invoice.objects.count(), PenaltyClaim.objects.count())
    with pytest.raises(exc_type) as error:
        call()
    assert (Invoice.objects.count(), PenaltyClaim.objects.count()) == before
    return error.value


@freeze_time(TODAY)
def test_twice_is_refused_the_second_time(paid_late, admin, company):
    invoice_penalties(company, [paid_late], OCT31, by=admin)
    error = refused(
        ValidationFailed, lambda: invoice_penalties(company, [paid_late], OCT31, by=admin)
    )
    assert error.code == "nothing_outstanding"
    assert error.message == (
        "Rien à réclamer sur la facture FA2025-00001 au 31/10/2025 : ses pénalités ont "
        "déjà été facturées ou abandonnées."
    )


@freeze_time(TODAY)
def test_an_invoice_paid_on_time_has_nothing_to_invoice(ten_thousand, pay, admin, company):
    invoice = ten_thousand()
    settle(invoice, pay, admin, "10000.00", DUE)
    error = refused(
        ValidationFailed, lambda: invoice_penalties(company, [invoice], OCT31, by=admin)
    )
    assert error.message.endswith(": elle n'était pas en retard.")
    assert error.field == "invoices"


@freeze_time(TODAY)
def test_invoices_of_two_customers_are_refused(company, admin, ten_thousand):
    other = create_customer(
        company,
        {
            "legal_name": "Pâtisserie Lenoir SAS",
            "billing_line1": "1 rue Neuve",
            "billing_postal_code": "69001",
            "billing_city": "Lyon",
            "siren": "443061841",
        },
        by=admin,
    )
    a, b = ten_thousand(), ten_thousand(cust=other)
    error = refused(ValidationFailed, lambda: invoice_penalties(company, [a, b], OCT31, by=admin))
    assert error.code == "several_customers"


@freeze_time(TODAY)
def test_a_draft_an_empty_list_and_a_future_day_are_refused(make_invoice, admin, company):
    draft = make_invoice()
    error = refused(Conflict, lambda: invoice_penalties(company, [draft], OCT31, by=admin))
    assert error.code == "not_an_issued_invoice"
    error = refused(ValidationFailed, lambda: invoice_penalties(company, [], OCT31, by=admin))
    assert error.field == "invoices"
    error = refused(
        ValidationFailed,
        lambda: invoice_penalties(company, [draft], dt.date(2025, 11, 1), by=admin),
    )
    assert (error.code, error.field) == ("future_date", "as_of")


@freeze_time(TODAY)
def test_another_companys_invoice_is_not_found(paid_late, other_company, make_user):
    stranger = make_user("autre", other_company, Role.ADMIN)
    refused(NotFound, lambda: invoice_penalties(other_company, [paid_late], OCT31, by=stranger))
    refused(NotFound, lambda: waive_penalties(paid_late, OCT31, "Geste", by=stranger))


@freeze_time(TODAY)
def test_rights_collection_may_waive_but_not_invoice(paid_late, company, make_user):
    collector = make_user("recouvrement", company, Role.COLLECTION)
    refused(Forbidden, lambda: invoice_penalties(company, [paid_late], OCT31, by=collector))
    reader = make_user("lecteur", company, Role.READ_ONLY)
    refused(Forbidden, lambda: waive_penalties(paid_late, OCT31, "Geste", by=reader))
    assert waive_penalties(paid_late, OCT31, "Geste commercial", by=collector).by == collector


# ---------------------------------------------------------------- waivers


@freeze_time(TODAY)
def test_a_waiver_records_what_was_outstanding_with_its_reason(paid_late, admin, company):
    claim = waive_penalties(paid_late, OCT31, "  Client historique, premier retard  ", by=admin)
    assert (claim.kind, claim.penalty_invoice, claim.reason) == (
        "waived",
        None,
        "Client historique, premier retard",
    )
    assert (claim.penalties, claim.recovery_fee) == (Decimal("471.98"), Decimal("40.00"))
    assert outstanding(paid_late, OCT31) == (Decimal("0.00"), Decimal("0.00"))
    entry = trail(paid_late).filter(action="invoice.penalties_waived").get()
    assert entry.changes["reason"] == "Client historique, premier retard"
    # Nothing left to invoice after the waiver, nor to waive again.
    error = refused(
        ValidationFailed, lambda: invoice_penalties(company, [paid_late], OCT31, by=admin)
    )
    assert error.code == "nothing_outstanding"
    refused(ValidationFailed, lambda: waive_penalties(paid_late, OCT31, "Encore", by=admin))


@freeze_time(TODAY)
def test_a_waiver_needs_a_reason(paid_late, admin):
    error = refused(ValidationFailed, lambda: waive_penalties(paid_late, OCT31, "  ", by=admin))
    assert (error.code, error.field) == ("reason_required", "reason")


@freeze_time(TODAY)
def test_waived_then_invoiced_later_covers_only_the_new_days(ten_thousand, admin, company):
    invoice = ten_thousand()  # never paid
    waive_penalties(invoice, JUN30, "Attente d'un avoir", by=admin)  # 165.73 + 40.00
    penalty = invoice_penalties(company, [invoice], SEP30, by=admin)
    # 471.98 − 165.73 waived = 306.25, no fee (waived once, due once).
    assert lines_of(penalty) == [
        (
            "Pénalités de retard sur facture FA2025-00001 du 15/04/2025, "
            "du 01/07/2025 au 30/09/2025",
            Decimal("306.25"), Decimal("0.00"), OUT,
        ),
    ]  # fmt: skip


def test_a_penalty_invoice_bears_no_penalties_itself(paid_late, admin, company):
    with freeze_time("2025-10-01"):
        penalty = invoice_penalties(company, [paid_late], SEP30, by=admin)
    # Its own terms passed unpaid by 31 Dec: the engine counts days late, the claims don't.
    assert penalty_table(penalty, dt.date(2025, 12, 31)).periods
    assert outstanding(penalty, dt.date(2025, 12, 31)) == (Decimal("0.00"), Decimal("0.00"))
    with freeze_time("2025-12-31"):
        error = refused(
            ValidationFailed,
            lambda: invoice_penalties(company, [penalty], dt.date(2025, 12, 31), by=admin),
        )
    assert error.message.endswith(": c'est une facture de pénalités.")


@freeze_time(TODAY)
def test_a_payment_matched_late_is_invoiced_up_to_the_day_it_came_in(ten_thousand, pay, admin):
    invoice = ten_thousand()
    payment = pay("10000.00", SEP30)
    allocate(payment, [(invoice.installments.get(), "10000.00")], by=admin, on=OCT31)
    penalty = invoice_penalties(invoice.company, [invoice], OCT31, by=admin)
    # Received on 30 Sep, matched on 31 Oct: 165.73 + 306.25 = 471.98 up to 30 Sep (see
    # test_penalties.py), not up to 31 Oct; and the 40.00 fee.
    assert [amount for _, amount, _, _ in lines_of(penalty)] == [
        Decimal("471.98"),
        Decimal("40.00"),
    ]
    assert "du 16/05/2025 au 30/09/2025" in lines_of(penalty)[0][0]


@freeze_time(TODAY)
def test_a_consumers_interest_before_any_notice_is_nothing_to_waive(consumer, ten_thousand, admin):
    invoice = ten_thousand(cust=consumer)  # unpaid since 15 May, no formal notice
    error = refused(
        ValidationFailed, lambda: waive_penalties(invoice, OCT31, "Geste commercial", by=admin)
    )
    assert error.message == (
        "Rien à réclamer sur la facture FA2025-00001 au 31/10/2025 : aucun intérêt ne court "
        "avant la mise en demeure d'un particulier."
    )
