"""The invoice form's schedule (échéancier) and the installments on the detail page.
Today is frozen at Monday 4 Jan 2027."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from freezegun import freeze_time

from encaisse.receivables.services.allocation import allocate
from encaisse.sales.models import Invoice

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def frozen_today():
    with freeze_time("2027-01-04 10:00:00"):
        yield


def fields(prefix, n, **values):
    return {f"{prefix}-{n}-{k}": v for k, v in values.items()}


def form_data(customer, service_product, *installments):
    """10 h × 65.00 HT + 20 % = 780.00 TTC, with the given installment rows."""
    data = {
        "customer": customer.pk,
        "terms_kind": "net",
        "terms_days": "30",
        **fields("lines", 1, product=service_product.pk, quantity="10"),
    }
    for n, values in enumerate(installments, start=1):
        data.update(fields("schedule", n, **values))
    return data


def test_schedule_endpoint_adds_two_rows_first_then_one_and_removes(admin_client):
    url = reverse("web:invoice_schedule")
    html = admin_client.post(url, {"action": "add"}).content.decode()
    assert 'name="schedule-1-due_date"' in html and 'name="schedule-2-amount"' in html
    assert 'name="schedule-3-amount"' not in html
    rows = {**fields("schedule", 1, days="0"), **fields("schedule", 2, days="30")}
    html = admin_client.post(url, {**rows, "action": "add"}).content.decode()
    assert 'name="schedule-3-days"' in html
    html = admin_client.post(url, {**rows, "action": "remove-1"}).content.decode()
    # The second row moves up and is numbered 1.
    assert 'name="schedule-1-days" value="30"' in html
    assert 'name="schedule-2-days"' not in html


def test_form_saves_the_schedule_and_shows_it_again(admin_client, customer, service_product):
    data = form_data(
        customer,
        service_product,
        {"days": "0", "percent": "30"},
        {"due_date": "2027-02-15", "percent": "70"},
        {},  # a blank row is ignored
    )
    response = admin_client.post(reverse("web:invoice_create"), data)
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.schedule == [
        {"due_date": None, "days": 0, "amount": None, "percent": "30"},
        {"due_date": "2027-02-15", "days": None, "amount": None, "percent": "70"},
    ]
    assert invoice.due_date == dt.date(2027, 2, 15)
    detail = admin_client.get(reverse("web:invoice_detail", args=[invoice.pk])).content.decode()
    # 30 % of 780.00 = 234.00 today; 70 % = 546.00 on 15 Feb.
    assert f'04/01/2027</td><td class="num">30 %</td><td class="num">234,00{NBSP}€' in detail
    assert f'15/02/2027</td><td class="num">70 %</td><td class="num">546,00{NBSP}€' in detail
    form = admin_client.get(reverse("web:invoice_edit", args=[invoice.pk])).content.decode()
    assert 'name="schedule-1-days" value="0"' in form
    assert 'name="schedule-2-due_date" value="2027-02-15"' in form
    assert 'name="schedule-2-percent" value="70"' in form


def test_a_schedule_error_is_shown_on_its_row_and_nothing_is_saved(
    admin_client, customer, service_product
):
    data = form_data(
        customer,
        service_product,
        {"days": "0", "amount": "390,00"},
        {"days": "30", "amount": "389,99"},
    )
    response = admin_client.post(reverse("web:invoice_create"), data)
    assert response.status_code == 422
    html = response.content.decode()
    row2 = html.split('name="schedule-2-due_date"')[1].split("</tr>")[0]
    assert "totalisent 779,99" in row2 and "780,00" in row2
    assert 'name="schedule-2-amount" value="389,99" aria-invalid="true"' in html
    assert Invoice.objects.count() == 0


def test_editing_can_remove_the_schedule(admin_client, make_invoice, service_product, customer):
    invoice = make_invoice(
        lines=[{"product": service_product.pk, "quantity": "10"}],
        schedule=[{"days": 0, "amount": "390"}, {"days": 30, "amount": "390"}],
    )
    data = form_data(customer, service_product)
    response = admin_client.post(reverse("web:invoice_edit", args=[invoice.pk]), data)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.schedule is None
    assert invoice.due_date == dt.date(2027, 2, 3)  # back to 30 days net


def test_detail_lists_installments_with_their_status_today(admin_client, invoice_of, pay, admin):
    # Issued 4 Dec 2026: 390.00 due 14 Dec (overdue today), 390.00 due 13 Jan, 100 paid.
    invoice = invoice_of(
        10,
        dt.date(2026, 12, 4),
        schedule=[{"days": 10, "percent": "50"}, {"days": 40, "percent": "50"}],
    )
    first, second = invoice.installments.order_by("position")
    allocate(
        pay("100.00", dt.date(2027, 1, 2)), [(second, "100")], by=admin, on=dt.date(2027, 1, 2)
    )
    html = admin_client.get(reverse("web:invoice_detail", args=[invoice.pk])).content.decode()
    section = html.split('id="installments"')[1].split("</section>")[0]
    rows = section.split("<tr>")[2:]
    assert "14/12/2026" in rows[0] and "En retard" in rows[0]
    assert f"390,00{NBSP}€" in rows[0]
    assert "13/01/2027" in rows[1] and "Partiellement réglée" in rows[1]
    assert f"100,00{NBSP}€" in rows[1] and f"290,00{NBSP}€" in rows[1]
    assert first.amount == second.amount == D("390.00")


def test_issue_page_links_a_stale_schedule_to_the_form(admin_client, make_invoice):
    invoice = make_invoice(
        schedule=[
            {"due_date": "2027-01-05", "percent": "50"},
            {"due_date": "2027-02-05", "percent": "50"},
        ]
    )
    with freeze_time("2027-01-06 10:00:00"):
        # The first date is now past: the draft cannot be issued today as it is.
        response = admin_client.post(reverse("web:invoice_issue", args=[invoice.pk]))
        detail = admin_client.get(reverse("web:invoice_detail", args=[invoice.pk]))
    assert response.status_code == 422
    html = response.content.decode()
    assert "Échéance 1 : le 05/01/2027 précède la date d&#x27;émission (06/01/2027)." in html
    assert reverse("web:invoice_edit", args=[invoice.pk]) + "\">modifier l'échéancier" in html
    assert "précède la date d&#x27;émission" in detail.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == "draft"
