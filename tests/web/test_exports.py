"""Excel exports: they open, hold numbers as numbers and dates as dates, follow filters."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db


def sheet_of(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    workbook = load_workbook(io.BytesIO(response.content))
    return list(workbook.active.iter_rows(values_only=True))


def test_invoice_export_holds_numbers_and_dates(admin_client, make_invoice, product):
    today = timezone.localdate()
    issued = make_invoice(lines=[{"product": product.pk, "quantity": "3"}], issue_on=today)
    make_invoice()  # a draft, filtered out below
    rows = sheet_of(admin_client.get(reverse("web:invoice_export"), {"status": "issued"}))
    header, *data = rows
    assert header[:3] == ("Type", "Numéro", "Statut")
    assert len(data) == 1
    row = dict(zip(header, data[0], strict=True))
    assert row["Numéro"] == issued.number
    # 3 × 18.90 = 56.70 HT; 5.5 % VAT = 3.1185 -> 3.12; TTC 59.82.
    assert isinstance(row["Total HT"], float | int) and row["Total HT"] == pytest.approx(56.70)
    assert row["TVA"] == pytest.approx(3.12)
    assert row["Total TTC"] == pytest.approx(59.82)
    assert isinstance(row["Date d'émission"], dt.datetime)
    assert row["Date d'émission"].date() == today


def test_customer_export_follows_the_search(admin_client, company, admin, customer):
    from encaisse.customers.services import create_customer

    create_customer(company, {"legal_name": "Épicerie Fine"}, by=admin)
    rows = sheet_of(admin_client.get(reverse("web:customer_export"), {"q": "Boulangerie"}))
    assert [r[0] for r in rows[1:]] == ["Boulangerie Dupont SARL"]
    assert rows[1][2] == "552100554"  # SIREN stays text, leading zeros safe


def test_product_export_prices_are_numbers(admin_client, product):
    header, row = sheet_of(admin_client.get(reverse("web:product_export")))
    values = dict(zip(header, row, strict=True))
    assert values["Prix unitaire HT"] == pytest.approx(18.90)
    assert values["Taux de TVA (%)"] == pytest.approx(5.5)


def test_export_is_walled_off_by_company(client_of, make_user, other_company, customer):
    outsider = client_of(make_user("autre", other_company))
    rows = sheet_of(outsider.get(reverse("web:customer_export")))
    assert rows[1:] == []
