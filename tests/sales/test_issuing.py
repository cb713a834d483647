import datetime as dt
from decimal import Decimal

import pytest

from encaisse import clock, legal
from encaisse.audit.models import AuditEntry
from encaisse.companies.models import NumberSequence, Role
from encaisse.companies.services import update_company
from encaisse.customers.services import create_customer, update_customer
from encaisse.errors import Conflict, Forbidden, NotFound, ValidationFailed
from encaisse.sales.models import Invoice
from encaisse.sales.services import create_invoice, issue_invoice, update_invoice
from tests.conftest import issue_on_day


def test_numbers_follow_each_other_per_series_and_year(make_invoice):
    numbers = [make_invoice(issue_on=dt.date(2025, 12, d)).number for d in (1, 2, 2)]
    numbers.append(make_invoice(issue_on=dt.date(2026, 1, 3)).number)
    assert numbers == ["FA2025-00001", "FA2025-00002", "FA2025-00003", "FA2026-00001"]


def test_issue_fills_dates_snapshots_and_mentions(make_invoice, company):
    invoice = make_invoice(
        issue_on=dt.date(2026, 2, 10), terms_kind="eom", terms_days=45, customer_reference="BC-778"
    )
    assert invoice.due_date == dt.date(2026, 3, 31)  # 10 Feb + 45 d = 27 Mar -> end of March
    assert invoice.delivery_date == dt.date(2026, 2, 10)
    assert invoice.seller["siren"] == "732829320"
    assert invoice.buyer["siren"] == "552100554"
    assert invoice.operation_nature == "goods"
    assert "40\u00a0€" in invoice.mentions["recovery_fee"]
    assert invoice.mentions["recovery_fee"] == legal.RECOVERY_FEE_MENTION
    assert invoice.mentions["payment_terms"] == "45 jours fin de mois"
    assert invoice.mentions["vat_on_debits"] == ""
    assert AuditEntry.objects.filter(action="invoice.issued", object_id=str(invoice.pk)).exists()


def test_snapshot_does_not_follow_later_edits(make_invoice, customer, admin):
    invoice = make_invoice(issue_on=dt.date(2026, 2, 10))
    update_customer(customer, {"legal_name": "Nouveau Nom SAS", "billing_city": "Paris"}, by=admin)
    invoice.refresh_from_db()
    assert invoice.buyer["legal_name"] == "Boulangerie Dupont SARL"
    assert invoice.buyer["billing_address"]["city"] == "Lyon"


def test_consumer_invoice_has_no_recovery_fee_and_needs_no_siren(company, admin, product):
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
    invoice = create_invoice(
        company, customer=consumer, by=admin, lines=[{"product": product.pk, "quantity": "1"}]
    )
    invoice = issue_on_day(invoice, by=admin, on=dt.date(2026, 1, 5))
    assert invoice.mentions["recovery_fee"] == ""


def test_vat_on_debits_mention(company, admin, make_invoice):
    update_company(company, {"vat_on_debits": True}, by=admin)
    invoice = make_invoice(issue_on=dt.date(2026, 1, 5))
    assert "débits" in invoice.mentions["vat_on_debits"]


def test_missing_mentions_are_all_named_and_nothing_changes(company, admin, product):
    prospect = create_customer(company, {"legal_name": "Prospect SARL"}, by=admin)
    company.rcs_city = ""
    company.save()
    invoice = create_invoice(
        company, customer=prospect, by=admin, lines=[{"product": product.pk, "quantity": "1"}]
    )
    with pytest.raises(ValidationFailed) as error:
        issue_on_day(invoice, by=admin, on=dt.date(2026, 1, 5))
    message = error.value.message
    for item in ("ville du RCS du vendeur", "adresse de facturation du client", "SIREN du client"):
        assert item in message
    assert {d["field"] for d in error.value.details} == {
        "company.rcs_city",
        "customer.billing_address",
        "customer.siren",
    }
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("draft", "")
    assert not NumberSequence.objects.filter(last_number__gt=0).exists()


def test_delivery_address_must_be_complete_when_set(company, admin, customer, make_invoice):
    update_customer(customer, {"delivery_line1": "Zone artisanale"}, by=admin)
    with pytest.raises(ValidationFailed, match="adresse de livraison complète"):
        make_invoice(issue_on=dt.date(2026, 1, 5))


def test_eu_professional_needs_a_vat_number(company, admin, product):
    belgian = create_customer(
        company,
        {
            "legal_name": "Bakkerij Janssens BV",
            "billing_line1": "Meir 1",
            "billing_postal_code": "2000",
            "billing_city": "Antwerpen",
            "billing_country": "BE",
        },
        by=admin,
    )
    invoice = create_invoice(
        company, customer=belgian, by=admin, lines=[{"product": product.pk, "quantity": "1"}]
    )
    with pytest.raises(ValidationFailed, match="TVA intracommunautaire du client"):
        issue_on_day(invoice, by=admin, on=dt.date(2026, 1, 5))


def test_date_before_the_last_document_is_refused(make_invoice):
    make_invoice(issue_on=dt.date(2026, 3, 10))
    late = make_invoice()
    with pytest.raises(ValidationFailed) as error, clock.at(dt.date(2026, 3, 10)):
        issue_invoice(late, by=late.created_by, on=dt.date(2026, 3, 9))
    assert error.value.code == "date_before_last_document"
    late.refresh_from_db()
    assert late.status == "draft"
    assert NumberSequence.objects.get(document_type="invoice", year=2026).last_number == 1


def test_future_date_is_refused(make_invoice):
    invoice = make_invoice()
    with pytest.raises(ValidationFailed, match="jour à venir"):
        issue_invoice(invoice, by=invoice.created_by, on=dt.date.today() + dt.timedelta(days=1))


def test_issuing_twice_is_refused_and_changes_nothing(make_invoice):
    invoice = make_invoice(issue_on=dt.date(2026, 1, 5))
    with pytest.raises(Conflict):
        issue_invoice(invoice, by=invoice.created_by, on=dt.date(2026, 1, 6))
    assert NumberSequence.objects.get(document_type="invoice").last_number == 1


@pytest.mark.parametrize("role", [Role.READ_ONLY, Role.COLLECTION])
def test_roles_without_the_right_cannot_issue(make_invoice, make_user, company, role):
    invoice = make_invoice()
    user = make_user("someone", company, role)
    with pytest.raises(Forbidden):
        issue_invoice(invoice, by=user)
    invoice.refresh_from_db()
    assert invoice.status == "draft"


def test_a_user_of_another_company_cannot_touch_invoices(make_invoice, other_company, make_user):
    invoice = make_invoice()
    outsider = make_user("outsider", other_company)
    with pytest.raises(NotFound):
        issue_invoice(invoice, by=outsider)
    with pytest.raises(NotFound):
        update_invoice(invoice, {"notes": "x"}, by=outsider)


def test_drafts_cannot_be_created_for_another_companys_customer(
    other_company, make_user, customer, product
):
    outsider = make_user("outsider", other_company)
    with pytest.raises(NotFound):
        create_invoice(
            other_company,
            customer=customer,
            by=outsider,
            lines=[{"description": "x", "item_kind": "goods", "quantity": "1", "unit_price": "1"}],
        )


@pytest.mark.parametrize(
    ("line", "code", "field"),
    [
        (
            {"description": "x", "item_kind": "goods", "quantity": "-1", "unit_price": "1"},
            "negative",
            "lines.1.quantity",
        ),
        (
            {"description": "x", "item_kind": "goods", "quantity": "0", "unit_price": "1"},
            "zero_quantity",
            "lines.1.quantity",
        ),
        (
            {"description": "x", "item_kind": "goods", "quantity": "abc", "unit_price": "1"},
            "invalid_number",
            "lines.1.quantity",
        ),
        (
            {"description": "x", "item_kind": "goods", "quantity": "1", "unit_price": "1.00001"},
            "too_many_decimals",
            "lines.1.unit_price",
        ),
        (
            {
                "description": "x",
                "item_kind": "goods",
                "quantity": "1",
                "unit_price": "1",
                "discount_percent": "101",
            },
            "invalid_discount",
            "lines.1.discount_percent",
        ),
        (
            {
                "description": "x",
                "item_kind": "goods",
                "quantity": "1",
                "unit_price": "1",
                "vat_rate": "19.6",
            },
            "invalid_vat_rate",
            "lines.1.vat_rate",
        ),
        (
            {
                "description": "x",
                "item_kind": "goods",
                "quantity": "1",
                "unit_price": "1",
                "vat_rate": "0",
            },
            "vat_exemption_required",
            "lines.1.vat_exemption",
        ),
        (
            {"description": "", "item_kind": "goods", "quantity": "1", "unit_price": "1"},
            "required",
            "lines.1.description",
        ),
        ({"description": "x", "quantity": "1", "unit_price": "1"}, "required", "lines.1.item_kind"),
    ],
)
def test_bad_lines_are_refused_with_their_field(company, customer, admin, line, code, field):
    with pytest.raises(ValidationFailed) as error:
        create_invoice(company, customer=customer, by=admin, lines=[line])
    assert (error.value.code, error.value.field) == (code, field)
    assert not Invoice.objects.exists()


def test_terms_beyond_cap_refused_on_draft(company, customer, admin, product):
    with pytest.raises(ValidationFailed, match="60 jours"):
        create_invoice(
            company,
            customer=customer,
            by=admin,
            terms_kind="net",
            terms_days=90,
            lines=[{"product": product.pk, "quantity": "1"}],
        )
    assert not Invoice.objects.exists()


def test_draft_update_recomputes_totals(make_invoice, admin, service_product):
    invoice = make_invoice()
    # 3 h × 65.00 = 195.00 at 20 % -> VAT 39.00, TTC 234.00
    invoice = update_invoice(
        invoice, {}, by=admin, lines=[{"product": service_product.pk, "quantity": "3"}]
    )
    assert (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat) == (
        Decimal("195.00"),
        Decimal("39.00"),
        Decimal("234.00"),
    )
    assert invoice.lines.get().unit == "HUR"
