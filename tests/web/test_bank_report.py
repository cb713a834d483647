"""The pages « État de rapprochement » and « Trésorerie »: figures shown, sections paged,
validation by the right role, PDF and Excel, bounded queries, the home page's alert."""

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from encaisse.banking.models import ReconciliationReport
from encaisse.companies.models import Role
from tests.banking import factories_report as bank
from tests.banking.test_reconciliation_report import OCT
from tests.banking.test_reconciliation_report import book as book

pytestmark = pytest.mark.django_db


def url(book, name="web:bank_reconciliation", day=OCT[31]):
    return f"{reverse(name)}?account={book['account'].pk}&as_of={day.isoformat()}"


def test_the_page_shows_both_balances_and_every_section(admin_client, book):
    html = admin_client.get(url(book)).content.decode()
    assert "1\u202f284,00\u00a0€" in html  # bank
    assert "2\u202f070,00\u00a0€" in html  # book
    assert 'data-total="cheques">500,00\u00a0€' in html
    assert 'data-total="issued">-80,00\u00a0€' in html
    assert 'data-total="receipts">450,00\u00a0€' in html
    assert 'data-total="debits">-15,00\u00a0€' in html
    assert 'data-total="credits">99,00\u00a0€' in html
    assert "data-residual>0,00\u00a0€" in html
    assert "Valider l'état au 31/10/2026" in html
    assert "FRAIS TENUE DE COMPTE" in html


def test_a_section_is_paged_on_its_own(admin_client, book, pay):
    for n in range(30):
        pay("1.00", OCT[21 + n % 10])
    first = admin_client.get(url(book)).content.decode()
    assert "Page 1 sur 2" in first and "31 résultats" in first
    second = admin_client.get(url(book) + "&receipts_page=2").content.decode()
    assert "Page 2 sur 2" in second
    assert 'data-total="receipts">480,00\u00a0€' in second  # every item's total
    far = admin_client.get(url(book) + "&receipts_page=99").content.decode()
    assert "Page 2 sur 2" in far


def test_the_pages_queries_are_bounded(
    admin_client, book, pay, company, django_assert_max_num_queries
):
    for n in range(30):
        pay("1.00", OCT[21 + n % 10])
    # 5 of them: session, user, company, role, switcher; on PostgreSQL the report's
    # statement runs in a savepoint with two SET LOCAL (jit, work_mem): 4 more.
    extra = 4 if connection.vendor == "postgresql" else 0
    with django_assert_max_num_queries(17 + extra):
        assert admin_client.get(url(book)).status_code == 200
    with django_assert_max_num_queries(15):
        assert admin_client.get(reverse("web:cash")).status_code == 200
    company.cash_alert_threshold = D("1000000")
    company.save(update_fields=["cash_alert_threshold"])
    with django_assert_max_num_queries(30):
        assert "data-cash-alert" in admin_client.get(reverse("web:home")).content.decode()


def test_validation_freezes_and_closes(admin_client, book, client_of, make_user, company):
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    assert "Valider l'état" not in reader.get(url(book)).content.decode()
    post = {"account": book["account"].pk, "as_of": "2026-10-31"}
    assert reader.post(reverse("web:bank_reconciliation_validate"), post).status_code == 403
    response = admin_client.post(reverse("web:bank_reconciliation_validate"), post)
    frozen = ReconciliationReport.objects.get()
    assert response.url == reverse("web:bank_reconciliation_detail", args=[frozen.pk])
    detail = admin_client.get(response.url).content.decode()
    assert "validé" in detail and "Bordereau de remise n° 1" in detail
    again = admin_client.post(reverse("web:bank_reconciliation_validate"), post, follow=True)
    assert "déjà validé au 31/10/2026" in again.content.decode()
    assert ReconciliationReport.objects.count() == 1
    history = admin_client.get(reverse("web:bank_reconciliations")).content.decode()
    assert "31/10/2026" in history
    page = admin_client.get(url(book)).content.decode()
    assert "Période rapprochée au 31/10/2026" in page


def test_pdf_and_excel(admin_client, book):
    pdf = admin_client.get(url(book, "web:bank_reconciliation_pdf"))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    xlsx = admin_client.get(url(book, "web:bank_reconciliation_export"))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    flat = [v for row in values for v in row if v is not None]
    assert "Chèques remis non encore crédités (1)" in flat
    assert "Crédits bancaires non identifiés (1)" in flat
    assert D("1284.00") in [D(str(v)) for v in flat if isinstance(v, int | float | D)]


def test_frozen_pdf_and_excel(admin_client, book, admin):
    from encaisse.banking.reconciliation_report import validate_report

    frozen = validate_report(book["account"], OCT[31], by=admin)
    pdf = admin_client.get(reverse("web:bank_reconciliation_detail_pdf", args=[frozen.pk]))
    assert pdf.content.startswith(b"%PDF")
    xlsx = admin_client.get(reverse("web:bank_reconciliation_detail_export", args=[frozen.pk]))
    assert load_workbook(io.BytesIO(xlsx.content)).active["A1"].value.startswith("État")


def test_an_empty_company_gets_an_empty_state(admin_client):
    html = admin_client.get(reverse("web:bank_reconciliation")).content.decode()
    assert "Aucun compte bancaire" in html
    cash = admin_client.get(reverse("web:cash")).content.decode()
    assert "Aucun compte bancaire actif" in cash


def test_a_future_date_is_an_error_next_to_the_field(admin_client, book):
    html = admin_client.get(url(book, day=dt.date(2099, 1, 1))).content.decode()
    assert "ne peut pas être dans le futur" in html


def test_the_cash_page_and_its_export(admin_client, company):
    account = bank.account(company)
    bank.statement(
        account,
        opening=(OCT[1], "1000.00"),
        closing=(OCT[31], "1200.00"),
        lines=[(OCT[20], "200.00", "VIR")],
    )
    html = admin_client.get(reverse("web:cash") + "?start=2026-10-01&end=2026-10-31&step=day")
    html = html.content.decode()
    assert "<polyline" in html and "Prévision sur 13 semaines" in html
    xlsx = admin_client.get(reverse("web:cash_export") + "?start=2026-10-01&end=2026-10-31")
    book_ = load_workbook(io.BytesIO(xlsx.content))
    assert book_.sheetnames == ["Prévision 13 semaines", "Soldes en valeur"]
