"""Every server error (500) the audit and our schemathesis runs found, as a test.

Two kinds:
- the document could not be produced from text stored earlier (a Typst glyph error, a
  character XML forbids): the request now gets a French 422 and changes nothing. Those
  rows are written by hand on purpose: they stand for data stored before the input
  checks existed, which the checks can no longer let in;
- input that is now refused where it is typed (text the fonts cannot draw or XML
  cannot carry, unbounded dates, unknown country codes: api/fields.py, validation.py).
"""

import datetime as dt

import pytest
from freezegun import freeze_time

from encaisse.customers.models import Customer
from encaisse.customers.services import update_customer
from encaisse.dunning.models import Reminder, ReminderStatus
from encaisse.mailing.models import OutgoingMail
from encaisse.sales.models import DocumentStatus, Invoice, InvoiceLine

from .conftest import assert_error

FEB = dt.date(2025, 2, 15)  # 30 days net: due 17/03/2025, level 1 from 18/03
UNPRINTABLE = "\x96"  # a C1 control character: no font draws it (found by schemathesis)


def legacy_text(model, pk, **fields):
    """Text stored before the input checks existed (see the module's docstring)."""
    model.objects.filter(pk=pk).update(**fields)


@pytest.fixture
def proposal(api, admin, customer, invoice_of):
    """The level-2 reminder (a letter, needs validation) proposed on 01/04/2025; level 1
    went out by e-mail on 18/03. The clock stands on 02/04/2025, when it is sent."""
    update_customer(customer, {"email": "compta@dupont.fr"}, by=admin)
    invoice_of(10, FEB, terms_kind="net", terms_days=30)
    with freeze_time("2025-04-02 10:00"):
        assert api.post("/api/dunning/run", {"as_of": "2025-03-18"}).json()["sent"] == 1
        assert api.post("/api/dunning/run", {"as_of": "2025-04-01"}).json()["proposed"] == 1
        reminder = Reminder.objects.get(status=ReminderStatus.PROPOSED)
        assert reminder.level == 2
        yield reminder


# ---------------------------------------------------------------- documents from stored text


def test_statement_pdf_of_an_unprintable_name_is_422(api, customer, invoice_of, unchanged):
    invoice_of(1, FEB)
    legacy_text(Customer, customer.pk, legal_name=f"Boulangerie {UNPRINTABLE} Dupont")
    with unchanged():
        response = api.get(f"/api/customers/{customer.pk}/statement.pdf")
    body = assert_error(response, 422, "document_not_renderable")
    assert "U+0096" in body["message"]


def test_issuing_a_draft_with_a_character_xml_forbids_is_422(api, make_invoice, unchanged):
    draft = make_invoice()
    legacy_text(InvoiceLine, draft.lines.get().pk, description="Farine T65 \x07 sac")
    with unchanged():  # no number taken, nothing archived, no ledger entry
        response = api.post(f"/api/invoices/{draft.pk}/issue")
    assert_error(response, 422, "xml_forbidden_character")
    assert Invoice.objects.get(pk=draft.pk).status == DocumentStatus.DRAFT


def test_issuing_a_draft_with_an_unprintable_line_is_422(api, make_invoice, unchanged):
    draft = make_invoice()
    legacy_text(InvoiceLine, draft.lines.get().pk, description=f"Farine {UNPRINTABLE}")
    with unchanged():
        response = api.post(f"/api/invoices/{draft.pk}/issue")
    assert_error(response, 422, "document_not_renderable")


def test_sending_a_reminder_to_an_unprintable_name_is_422(api, customer, proposal):
    legacy_text(Customer, customer.pk, legal_name=f"Boulangerie {UNPRINTABLE} Dupont")
    mails = OutgoingMail.objects.count()  # level 1's
    response = api.post(f"/api/dunning/proposals/{proposal.pk}/send", {})
    assert_error(response, 422, "document_not_renderable")
    assert Reminder.objects.get(pk=proposal.pk).status == ReminderStatus.PROPOSED
    assert OutgoingMail.objects.count() == mails


def test_a_credit_note_whose_reason_cannot_print_changes_nothing(api, invoice_of, unchanged):
    """The audit's 500 on credit notes: the reason is printed on the document. Refused
    when typed (input checks) or when rendered (here, today): a 422 either way."""
    invoice = invoice_of(10, FEB)
    body = {"mode": "amount", "amount": "10.00", "vat_rate": "20", "reason": "Remise 🥐"}
    with unchanged():  # no credit note, no number taken
        response = api.post(f"/api/invoices/{invoice.pk}/credit-note", body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] in {"invalid_request", "document_not_renderable"}


# ---------------------------------------------------------------- refused where typed


def refused_when_typed(response, field: str) -> bool:
    """True when the input was refused where it was typed (a 422 on `field`); False when
    it was accepted (then what it feeds must work)."""
    if response.status_code == 422:
        assert_error(response, 422, "invalid_request", field)
        return True
    assert response.status_code == 201, response.content
    return False


def test_a_name_the_fonts_cannot_draw_is_refused_or_printable(api, customer):
    """« Café 🥐 Lyon SARL »: refused when typed, or its statement prints: never later."""
    response = api.post("/api/customers", {"legal_name": "Café 🥐 Lyon SARL"})
    if not refused_when_typed(response, "legal_name"):
        pdf = api.get(f"/api/customers/{response.json()['id']}/statement.pdf")
        assert pdf.status_code == 200, pdf.content


def test_a_line_the_fonts_cannot_draw_is_refused_or_issued(api, customer):
    line = {"description": "Croissant 🥐 au beurre", "quantity": "1", "unit_price": "1.20"}
    line |= {"vat_rate": "5.5", "item_kind": "goods"}
    response = api.post("/api/invoices", {"customer": customer.pk, "lines": [line]})
    if not refused_when_typed(response, "lines.1.description"):
        issued = api.post(f"/api/invoices/{response.json()['id']}/issue")
        assert issued.status_code == 200, issued.content


@pytest.mark.parametrize("character", ["\x07", "\x0b", "\x1b", "\ufffe", UNPRINTABLE])
def test_characters_xml_or_fonts_cannot_carry_are_refused_when_typed(api, character):
    response = api.post("/api/customers", {"legal_name": f"Dupont {character} SARL"})
    assert_error(response, 422, "invalid_request", "legal_name")


def test_an_unprintable_registered_mail_number_is_refused_when_typed(api, proposal):
    response = api.post(
        f"/api/dunning/proposals/{proposal.pk}/send",
        {"registered_mail_ref": f"1A {UNPRINTABLE}"},
    )
    assert_error(response, 422, "invalid_request", "registered_mail_ref")


def test_a_promise_on_9999_12_31_is_refused(api, customer, invoice_of):
    invoice = invoice_of(10, FEB)
    response = api.post(
        "/api/promises",
        {
            "customer": customer.pk,
            "invoices": [invoice.pk],
            "amount": "100.00",
            "promised_on": "9999-12-31",  # + 3 days of tolerance: past the last date
            "promised_by": "M. Dupont",
            "channel": "phone",
        },
    )
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "promised_on"


def test_an_unknown_country_code_is_refused(api):
    response = api.post("/api/customers", {"legal_name": "Dupont SARL", "billing_country": "ZZ"})
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "billing_country"


@pytest.mark.parametrize("path", ["/api/customers/{id}/statement", "/api/invoices"])
def test_a_number_is_not_a_date(api, customer, path):
    param = "issued_to" if path == "/api/invoices" else "as_of"
    response = api.get(path.format(id=customer.pk), {param: "0"})
    assert_error(response, 422, "invalid_request", param)
