"""The legal mentions: one builder for the draft's preview and the issued document, the
texts built from the legal constants, and a consumer's late-payment regime."""

import datetime as dt
from decimal import Decimal

import pytest

from encaisse import clock, legal
from encaisse.companies.models import Company
from encaisse.companies.services import update_company
from encaisse.customers.services import create_customer
from encaisse.documents.statements import statement_context
from encaisse.errors import ValidationFailed
from encaisse.sales import selectors
from encaisse.sales.mentions import missing_mentions
from encaisse.sales.models import Invoice
from encaisse.sales.services import create_credit_note, create_invoice, issue_invoice
from tests.conftest import issue_on_day

DAY = dt.date(2026, 3, 2)

CONSUMER = {
    "legal_name": "Mme Claire Petit",
    "kind": "consumer",
    "billing_line1": "5 rue Haute",
    "billing_postal_code": "13001",
    "billing_city": "Marseille",
}


def test_the_texts_come_from_the_constants():
    assert legal.whole_euros(Decimal("40.00")) == "40\u00a0€"
    assert legal.whole_euros(Decimal("40.50")) == "40,50\u00a0€"
    assert f": {legal.whole_euros(legal.RECOVERY_FEE)} (art. L.441-10 et D.441-5" in (
        legal.RECOVERY_FEE_MENTION
    )
    assert f"majoré de {legal.LEGAL_MARGIN} points" in legal.LATE_PENALTY_CLAUSE
    assert Company._meta.get_field("late_penalty_clause").default == legal.LATE_PENALTY_CLAUSE


@pytest.fixture
def consumer(company, admin):
    return create_customer(company, CONSUMER, by=admin)


@pytest.fixture
def preview_then_issue(admin):
    """(mentions of the draft's preview, mentions frozen when issued) the same day."""

    def run(draft):
        # Read as the invoice page reads it: the company and customer as they are now.
        draft = Invoice.objects.select_related("company", "customer").get(pk=draft.pk)
        with clock.at(DAY):
            preview = selectors.printable(draft)["mentions"]
            issued = issue_invoice(draft, by=admin)
        assert selectors.printable(issued)["mentions"] == issued.mentions
        return preview, issued.mentions

    return run


def test_preview_equals_issued_for_a_professional_with_every_option(
    company, admin, customer, service_product, preview_then_issue
):
    with clock.at(DAY):
        update_company(company, {"vat_on_debits": True, "late_penalty_rate": "12.5"}, by=admin)
    draft = create_invoice(
        company,
        customer=customer,
        by=admin,
        lines=[{"product": service_product.pk, "quantity": "2"}],
        schedule=[{"days": 0, "percent": "50"}, {"days": 30, "percent": "50"}],
    )
    preview, issued = preview_then_issue(draft)
    assert preview == issued
    # 2 h × 65.00 = 130.00 + 20 % = 156.00 TTC: 78.00 on 2 March and 78.00 on 1 April.
    assert issued["payment_terms"] == (
        "Échéancier : 50 % soit 78,00\u00a0€ le 02/03/2026 ; 50 % soit 78,00\u00a0€ le 01/04/2026"
    )
    assert issued["late_penalty_clause"] == company.late_penalty_clause
    assert issued["late_penalty_rate"] == "12.500"
    assert issued["recovery_fee"] == legal.RECOVERY_FEE_MENTION
    assert issued["vat_on_debits"] == legal.VAT_ON_DEBITS_MENTION
    assert issued["operation_nature"] == "Prestation de services"


def test_preview_equals_issued_for_a_consumer(
    company, admin, consumer, product, preview_then_issue
):
    draft = create_invoice(
        company, customer=consumer, by=admin, lines=[{"product": product.pk, "quantity": "1"}]
    )
    preview, issued = preview_then_issue(draft)
    assert preview == issued
    assert issued["late_penalty_clause"] == legal.CONSUMER_LATE_INTEREST_MENTION
    assert issued["recovery_fee"] == "" and issued["late_penalty_rate"] == ""


def test_preview_equals_issued_for_a_credit_note(make_invoice, admin, preview_then_issue):
    invoice = make_invoice(issue_on=DAY)
    preview, issued = preview_then_issue(create_credit_note(invoice, by=admin))
    assert preview == issued
    assert issued["credited_invoice"] == {"number": "FA2026-00001", "issue_date": "2026-03-02"}


def test_a_consumer_needs_no_l441_10_clause_a_professional_does(
    company, admin, consumer, customer, product
):
    company.late_penalty_clause = " "
    company.save()
    lines = [{"product": product.pk, "quantity": "1"}]
    draft = create_invoice(company, customer=consumer, by=admin, lines=lines)
    assert missing_mentions(company, consumer, list(draft.lines.all())) == []
    issued = issue_on_day(draft, by=admin, on=DAY)
    assert issued.mentions["late_penalty_clause"] == legal.CONSUMER_LATE_INTEREST_MENTION
    professional = create_invoice(company, customer=customer, by=admin, lines=lines)
    with pytest.raises(ValidationFailed) as error:
        issue_on_day(professional, by=admin, on=DAY)
    assert error.value.field == "company.late_penalty_clause"


def test_statements_word_late_payment_as_the_invoices(company, customer, consumer):
    professional = statement_context(customer, DAY)["mentions"]
    assert professional == [company.late_penalty_clause, legal.RECOVERY_FEE_MENTION]
    assert statement_context(consumer, DAY)["mentions"] == [legal.CONSUMER_LATE_INTEREST_MENTION]
