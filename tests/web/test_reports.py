"""Reports in the back office: customer account, aged balance (drill-down, exports), DSO,
FEC downloads; empty companies, roles and the company wall.

The year used throughout (today frozen on 31/03/2026, terms 30 days net):
- FA 1, customer A (Dupont), 10 h = 780.00 TTC, issued 05/01, due 04/02: 55 days late
- FA 2, customer B (Martin, "à risque"), 5 h = 390.00, issued 20/02, due 22/03: 9 days late
- FA 3, customer A, 2 h = 156.00, issued 20/03, due 19/04: not due
- A pays 100.00 on 25/03, not allocated; B pays 300.00 on 30/03, 200.00 allocated to FA 2.
On 31/03: A owes 780 + 156 − 100 = 836.00; B 390 − 300 = 90.00; in all 926.00.
"""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from freezegun import freeze_time
from openpyxl import load_workbook

from encaisse.companies.models import Role
from encaisse.customers.services import create_customer
from encaisse.receivables.services.allocation import allocate

pytestmark = pytest.mark.django_db

NBSP, NARROW_NBSP = "\u00a0", "\u202f"
AS_OF = dt.date(2026, 3, 31)


def eur(text: str) -> str:
    """« 1 234,50 € » as format_eur writes it."""
    return text.replace(" €", NBSP + "€").replace(" ", NARROW_NBSP)


def money(text: str):
    """The Decimal of a French amount as rendered: « 1 234,50 € » -> 1234.50."""
    from decimal import Decimal

    cleaned = text.replace(NARROW_NBSP, "").replace(NBSP, "").replace("€", "").strip()
    return Decimal(cleaned.replace("−", "-").replace(",", "."))


@pytest.fixture(autouse=True)
def frozen_today():
    with freeze_time("2026-03-31 10:00:00"):
        yield


@pytest.fixture
def year(company, admin, customer, invoice_of, pay):
    martin = create_customer(
        company,
        {
            "legal_name": "Épicerie Martin",
            "segment": "risky",
            "siren": "443061841",
            "billing_line1": "4 rue Colbert",
            "billing_postal_code": "37000",
            "billing_city": "Tours",
        },
        by=admin,
    )
    fa1 = invoice_of(10, dt.date(2026, 1, 5))
    fa2 = invoice_of(5, dt.date(2026, 2, 20), cust=martin)
    fa3 = invoice_of(2, dt.date(2026, 3, 20))
    pay("100.00", dt.date(2026, 3, 25))
    paid = pay("300.00", dt.date(2026, 3, 30), cust=martin)
    allocate(paid, [(fa2.installments.get(), "200.00")], by=admin, on=dt.date(2026, 3, 30))
    return {"dupont": customer, "martin": martin, "fa1": fa1, "fa2": fa2, "fa3": fa3}


# ---------------------------------------------------------------- customer account


def test_customer_account_as_of_today_and_a_past_date(admin_client, year):
    dupont = year["dupont"]
    detail = admin_client.get(reverse("web:customer_detail", args=[dupont.pk])).content.decode()
    url = reverse("web:customer_statement", args=[dupont.pk])
    assert url in detail  # the link from the customer page

    html = admin_client.get(url).content.decode()
    assert f"data-balance>{eur('836,00 €')}" in html  # 780 + 156 − 100
    assert year["fa1"].number in html and year["fa3"].number in html
    assert "55 j" in html  # FA 1 due 04/02, 55 days before 31/03
    assert eur("-100,00 €") in html  # the unallocated payment, a credit
    assert year["fa2"].number not in html  # another customer's invoice

    html = admin_client.get(url, {"as_of": "2026-01-31"}).content.decode()
    assert f"data-balance>{eur('780,00 €')}" in html  # only FA 1, not yet due
    assert year["fa3"].number not in html
    assert "à échoir" in html


def test_customer_account_lists_allocations_and_exports(admin_client, year):
    martin = year["martin"]
    url = reverse("web:customer_statement", args=[martin.pk])
    html = admin_client.get(url).content.decode()
    assert f"data-balance>{eur('90,00 €')}" in html  # 390 − 300
    assert "Lettrages" in html and eur("200,00 €") in html
    response = admin_client.get(reverse("web:customer_statement_export", args=[martin.pk]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header, *data = rows
    by_piece = {row[1]: dict(zip(header, row, strict=True)) for row in data}
    invoice_row = by_piece[year["fa2"].number]
    assert invoice_row["Reste dû"] == 190  # 390 − 200 allocated
    assert isinstance(invoice_row["Reste dû"], int | float)
    assert invoice_row["Jours de retard"] == 9


def test_customer_account_of_an_empty_customer(admin_client, customer):
    html = admin_client.get(reverse("web:customer_statement", args=[customer.pk])).content.decode()
    assert "Aucune pièce ouverte au 31/03/2026 : le compte est soldé." in html
    assert f"data-balance>{eur('0,00 €')}" in html
    assert "Aucun lettrage à cette date." in html


def test_another_companys_customer_account_is_not_found(admin_client, make_user, other_company):
    stranger = make_user("autre", other_company, Role.ADMIN)
    theirs = create_customer(other_company, {"legal_name": "Client d'ailleurs"}, by=stranger)
    for name in ("web:customer_statement", "web:customer_statement_export"):
        assert admin_client.get(reverse(name, args=[theirs.pk])).status_code == 404
    response = admin_client.get(
        reverse("web:aged_balance_items"), {"customer": theirs.pk, "bucket": 0}
    )
    assert response.status_code == 404


# ---------------------------------------------------------------- aged balance


def test_aged_balance_total_is_the_sum_of_the_customer_rows(admin_client, year):
    html = admin_client.get(reverse("web:aged_balance")).content.decode()
    balances = [money(b) for b in re.findall(r"data-balance><strong>([^<]+)</strong>", html)]
    total = money(re.search(r"data-total>([^<]+)<", html).group(1))
    assert sorted(balances) == [90, 836]
    assert total == sum(balances) == 926
    # Dupont's row: 156.00 not due, 780.00 in 31–60 days, a 100.00 credit.
    dupont_row = html.split(">Boulangerie Dupont SARL</a>")[1].split("</tr>")[0]
    cells = re.findall(r'<td class="num">(.*?)</td>', dupont_row, re.S)
    assert eur("156,00 €") in cells[0] and "—" in cells[1] and eur("780,00 €") in cells[2]
    assert eur("100,00 €") in cells[5]
    # Each amount leads to its items.
    drill = (
        f"{reverse('web:aged_balance_items')}?customer={year['dupont'].pk}&bucket=2"
        "&as_of=2026-03-31"
    )
    assert drill.replace("&", "&amp;") in html


def test_aged_balance_rows_are_paged_and_the_total_is_of_all(admin_client, year, monkeypatch):
    monkeypatch.setattr("encaisse.web.shortcuts.PAGE_SIZE", 1)
    url = reverse("web:aged_balance")
    pages = [admin_client.get(url, {"page": n}).content.decode() for n in (1, 2)]
    rows = [re.findall(r"data-balance><strong>([^<]+)</strong>", html) for html in pages]
    assert [len(r) for r in rows] == [1, 1]
    assert sorted(money(r[0]) for r in rows) == [90, 836]  # one customer per page
    for html in pages:
        assert f"data-total>{eur('926,00 €')}" in html  # 836 + 90: all customers
        assert "Page " in html and "Total (tous les clients)" in html


def test_aged_balance_as_of_a_past_date_and_filtered(admin_client, year):
    url = reverse("web:aged_balance")
    html = admin_client.get(url, {"as_of": "2026-02-28"}).content.decode()
    # FA 1 (24 days late) and FA 2 (not due): 780 + 390, no payment yet.
    assert f"data-total>{eur('1 170,00 €')}" in html
    html = admin_client.get(url, {"segment": "risky"}).content.decode()
    assert "Épicerie Martin" in html and "Boulangerie Dupont" not in html
    assert f"data-total>{eur('90,00 €')}" in html


def test_aged_balance_drill_down_lists_the_items_of_a_cell(admin_client, year):
    response = admin_client.get(
        reverse("web:aged_balance_items"),
        {"customer": year["dupont"].pk, "bucket": 2, "as_of": "2026-03-31"},
    )
    html = response.content.decode()
    assert "31–60 j" in html
    assert year["fa1"].number in html and year["fa3"].number not in html
    assert f"data-total>{eur('780,00 €')}" in html
    assert "55 j" in html
    bad = admin_client.get(
        reverse("web:aged_balance_items"), {"customer": year["dupont"].pk, "bucket": 9}
    )
    assert bad.status_code == 404


def test_aged_balance_empty_company(admin_client):
    html = admin_client.get(reverse("web:aged_balance")).content.decode()
    assert "Aucun encours client au 31/03/2026" in html


def test_aged_balance_exports(admin_client, year):
    response = admin_client.get(reverse("web:aged_balance_export", args=["xlsx"]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="balance-agee-2026-03-31.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A3"].value == "Boulangerie Dupont SARL"
    assert sheet["B3"].value == 156 and sheet["D3"].value == 780  # not due, 31–60
    assert sheet["G3"].value == 100  # unapplied credit
    assert sheet["H5"].value == "=SUM(H3:H4)"  # the total is a formula
    response = admin_client.get(
        reverse("web:aged_balance_export", args=["csv"]), {"segment": "risky"}
    )
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[1] == "Épicerie Martin;0,00;190,00;0,00;0,00;0,00;100,00;90,00"
    assert text.splitlines()[2].startswith("Total;") and text.splitlines()[2].endswith(";90,00")
    assert admin_client.get("/reports/aged-balance/export.pdf").status_code == 404


# ---------------------------------------------------------------- DSO


def test_dso_shows_both_methods_with_their_workings(admin_client, year):
    html = admin_client.get(reverse("web:dso"), {"months": 3}).content.decode()
    # Jan (31 d) 780, Feb (28 d) 390, Mar (31 d) 156: revenue 1,326.00 over 90 days.
    assert eur("1 326,00 €") in html and eur("926,00 €") in html
    # Simple: 926 / 1326 × 90 = 62.85 -> 62.9 days.
    assert re.search(r"data-simple>62,9 jours", html)
    # Countback: March 156 (31 d), February 390 (28 d), then 380 of January's 780:
    # 380 / 780 × 31 = 15.1 days; 31 + 28 + 15.1 = 74.1 days.
    assert re.search(r"data-countback>74,1 jours", html)
    assert "15,1" in html
    # Per customer: Dupont 836 / (780 + 156) × 90 = 80.4 days.
    dupont_row = html.split(">Boulangerie Dupont SARL</a>")[1].split("</tr>")[0]
    assert "80,4 j" in dupont_row
    # The 12-month trend, one point per month end, and its chart.
    assert html.count('<text x="') == 12 * 2
    assert "28/02/2026" in html and "30/04/2025" in html


def test_dso_empty_company(admin_client):
    html = admin_client.get(reverse("web:dso")).content.decode()
    assert "Ni encours ni chiffre d'affaires sur les 12 mois au 31/03/2026" in html


# ---------------------------------------------------------------- FEC


def test_fec_page_and_download_for_accounting(client_of, make_user, company, year):
    accountant = client_of(make_user("compta", company, Role.ACCOUNTING))
    html = accountant.get(reverse("web:fec")).content.decode()
    assert "du 01/01/2026 au 31/12/2026" in html
    assert reverse("web:fec") in html  # in the navigation
    response = accountant.get(reverse("web:fec_download", args=[2026]))
    assert response.status_code == 200
    assert f'filename="{company.siren}FEC20261231.txt"' in response["Content-Disposition"]
    lines = response.content.decode("iso-8859-15").split("\r\n")
    assert lines[0].split("\t")[:3] == ["JournalCode", "JournalLib", "EcritureNum"]
    assert len(lines[1].split("\t")) == 18


def test_fec_is_refused_to_other_roles(client_of, make_user, company, year):
    for username, role in (("lecture", Role.READ_ONLY), ("relance", Role.COLLECTION)):
        other = client_of(make_user(username, company, role))
        assert other.get(reverse("web:fec")).status_code == 403
        assert other.get(reverse("web:fec_download", args=[2026])).status_code == 403
        assert reverse("web:fec") not in other.get(reverse("web:payments")).content.decode()


def test_fec_page_of_an_empty_company(admin_client):
    html = admin_client.get(reverse("web:fec")).content.decode()
    assert "Aucune écriture comptable pour l'instant" in html


@pytest.mark.parametrize("name", ["web:aged_balance", "web:dso", "web:payments", "web:fec"])
def test_report_pages_require_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_home_shows_receivables_and_overdue(admin_client, year):
    html = admin_client.get(reverse("web:home")).content.decode()
    assert f"data-receivables>{eur('926,00 €')}" in html
    # Overdue items before credits: Dupont's FA 1 780.00 + Martin's FA 2 190.00 left.
    assert f"data-overdue>{eur('970,00 €')}" in html
    assert eur("200,00 €") in html  # unallocated credits: 100.00 + 100.00
