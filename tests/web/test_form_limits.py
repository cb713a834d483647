"""Every form bounds what it takes: free text to its column's length and to what the
documents can print, dates to the window of validation.DATE_MIN..DATE_MAX; the error
shows next to its field and nothing is written."""

import importlib
import pkgutil

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

import encaisse.web
from encaisse.collection.models import Dispute, PromiseToPay
from encaisse.customers.models import Contact, Customer
from encaisse.sales.models import Invoice
from encaisse.web.forms import Printable, _in_window, text

pytestmark = pytest.mark.django_db


def all_forms() -> list[type[forms.BaseForm]]:
    """Every form class of the web app (forms.py and the views' own)."""
    for module in pkgutil.walk_packages(encaisse.web.__path__, "encaisse.web."):
        importlib.import_module(module.name)
    found, todo = [], [forms.BaseForm]
    while todo:
        for cls in todo.pop().__subclasses__():
            todo.append(cls)
            if cls.__module__.startswith("encaisse.web"):
                found.append(cls)
    return found


FORMS = all_forms()


def test_every_form_is_walked():
    assert len(FORMS) >= 40


@pytest.mark.parametrize("form", FORMS, ids=[f"{f.__module__}.{f.__name__}" for f in FORMS])
def test_text_and_dates_of_every_form_are_bounded(form):
    faults = []
    for name, field in form.base_fields.items():
        if isinstance(field, forms.CharField):
            if not isinstance(field, Printable):
                faults.append(f"{name}: text without the documents' character check")
            if field.max_length is None:
                faults.append(f"{name}: text without max_length")
        if isinstance(field, forms.DateField) and _in_window not in field.validators:
            faults.append(f"{name}: date without the window")
    assert faults == []


def test_a_text_field_takes_its_columns_limit_and_kind():
    name = text("Nom", of=Customer.legal_name)
    assert (name.max_length, name.multiline) == (200, False)
    notes = text("Notes", of=Customer.notes)  # a TextField: multi-line, in a textarea
    assert (notes.max_length, notes.multiline) == (10_000, True)
    assert isinstance(notes.widget, forms.Textarea)
    assert text("Nom", of=Customer.legal_name, max_length=50).max_length == 50
    assert text("Nom", of=Customer.legal_name, max_length=500).max_length == 200
    with pytest.raises(TypeError):
        text("Sans limite")


def field_html(html: str, name: str) -> str:
    return html.split(f'for="id_{name}"')[1].split('class="field')[0]


CUSTOMER = {"kind": "professional", "segment": "standard", "risk_class": "A"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("legal_name", "Café 🥐 Lyon SARL", "les émojis ne peuvent pas figurer"),
        ("legal_name", "北京面包", "ne peut pas être imprimé"),
        ("legal_name", "x" * 201, "au plus 200 caractères"),
        ("billing_city", "Lyon\x1b", "Caractère invisible ou de contrôle U+001B refusé."),
        ("billing_country", "ZZ", "n&#x27;est pas un code pays ISO 3166"),
    ],
)
def test_customer_form_refuses_next_to_the_field(admin_client, field, value, message):
    data = {**CUSTOMER, "legal_name": "Fromagerie Lenoir", "billing_country": "FR"}
    response = admin_client.post(reverse("web:customer_create"), {**data, field: value})
    assert response.status_code == 200
    assert message in field_html(response.content.decode(), field)
    assert not Customer.objects.exists()


def test_customer_form_tells_the_browser_the_limits(admin_client):
    html = admin_client.get(reverse("web:customer_create")).content.decode()
    name = html.split('name="legal_name"')[1].split(">")[0]
    assert 'maxlength="200"' in name
    postal = html.split('name="billing_postal_code"')[1].split(">")[0]
    assert 'maxlength="10"' in postal


def test_a_greek_customer_is_accepted(admin_client):
    data = {**CUSTOMER, "legal_name": "Ελληνική Αρτοποιία Α.Ε.", "billing_country": "gr"}
    response = admin_client.post(reverse("web:customer_create"), data)
    assert response.status_code == 302
    assert Customer.objects.get().billing_country == "GR"


@pytest.mark.parametrize(
    ("value", "message"),
    [("J" * 101, "au plus 100 caractères"), ("Martin 🙂", "les émojis")],
)
def test_a_long_contact_name_is_refused_next_to_the_field(admin_client, customer, value, message):
    # A long contact name gave a 500 on PostgreSQL.
    data = {"first_name": "Jean", "last_name": value}
    response = admin_client.post(reverse("web:contact_add", args=[customer.pk]), data)
    assert message in field_html(response.content.decode(), "last_name")
    assert not Contact.objects.exists()


def line(n, **values):
    return {f"lines-{n}-{k}": v for k, v in values.items()}


def test_invoice_line_description_is_refused_on_its_row(admin_client, customer):
    data = {
        "customer": customer.pk,
        **line(1, description="Pain\x07", item_kind="goods", quantity="1", unit_price="2"),
    }
    response = admin_client.post(reverse("web:invoice_create"), data)
    assert response.status_code == 422
    row = response.content.decode().split('name="lines-1-description"')[1].split("</tr>")[0]
    assert "Caractère invisible ou de contrôle U+0007 refusé." in row
    assert not Invoice.objects.exists()


def test_invoice_customer_reference_is_bounded(admin_client, customer, product):
    # 101 characters gave a 500 on PostgreSQL (the column holds 100).
    data = {
        "customer": customer.pk,
        "customer_reference": "R" * 101,
        **line(1, product=product.pk, quantity="1"),
    }
    response = admin_client.post(reverse("web:invoice_create"), data)
    assert "au plus 100 caractères" in field_html(response.content.decode(), "customer_reference")
    assert not Invoice.objects.exists()


@pytest.fixture
def invoice(invoice_of):
    return invoice_of(10, timezone.localdate())


def test_dispute_words_are_checked(admin_client, admin, invoice):
    response = admin_client.post(
        reverse("web:dispute_create", args=[invoice.pk]),
        {
            "category": "price",
            "customer_words": "Trop cher \x1b[31m",
            "owner": admin.pk,
            "department": "sales",
            "target_date": timezone.localdate().isoformat(),
        },
    )
    assert "U+001B" in field_html(response.content.decode(), "customer_words")
    assert not Dispute.objects.exists()


@pytest.mark.parametrize("promised_on", ["9999-12-31", "0001-01-01", "2100-01-01"])
def test_a_promise_date_out_of_the_window_is_refused(admin_client, customer, invoice, promised_on):
    # 9999-12-31 + 3 days of tolerance overflowed the calendar: a 500.
    response = admin_client.post(
        reverse("web:promise_create", args=[customer.pk]),
        {
            "invoices": [invoice.pk],
            "amount": "300",
            "promised_on": promised_on,
            "tolerance_days": "3",
            "promised_by": "Mme Dupont",
            "channel": "phone",
        },
    )
    assert "entre le 01/01/2000 et le 31/12/2099" in field_html(
        response.content.decode(), "promised_on"
    )
    assert not PromiseToPay.objects.exists()


def test_date_inputs_carry_the_window(admin_client, customer):
    html = admin_client.get(reverse("web:promise_create", args=[customer.pk])).content.decode()
    promised = html.split('name="promised_on"')[1].split(">")[0]
    assert 'min="2000-01-01"' in promised and 'max="2099-12-31"' in promised
