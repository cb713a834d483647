"""Web: the invoice page's penalty block invoices the penalties or waives them, shows
errors next to the fields and the past claims.

Same dated case as tests/collection/test_penalties.py: 10 000,00 € TTC issued on 15 Apr
2025, due 15 May, paid on 30 Sep: penalties 165.73 + 306.25 = 471.98, fee 40.00, total
511.98. "Today" is frozen at 31 Oct 2025.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time

from encaisse.catalog.services import create_product
from encaisse.collection.models import PenaltyClaim
from encaisse.companies.models import Role
from encaisse.legal import CONSUMER_REGIME_NOTE
from encaisse.receivables.services.allocation import allocate
from encaisse.sales.models import Invoice
from tests.documents.test_reminder_letters import send_up_to

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with freeze_time("2025-10-31"):
        yield


@pytest.fixture
def oven(company, admin):
    return create_product(
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


@pytest.fixture
def late(admin, make_invoice, pay, oven):
    invoice = make_invoice(
        lines=[{"product": oven.pk, "quantity": "1"}], issue_on=dt.date(2025, 4, 15)
    )
    payment = pay("10000.00", dt.date(2025, 9, 30))
    allocate(payment, [(invoice.installments.get(), "10000.00")], by=admin, on=payment.date)
    return invoice


def page(client, invoice):
    response = client.get(reverse("web:invoice_detail", args=[invoice.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_block_offers_both_forms_to_an_admin(admin_client, late):
    html = page(admin_client, late)
    assert "511,98" in html  # 471.98 + 40.00
    assert (
        "Facturer les pénalités" in html and reverse("web:penalty_invoice", args=[late.pk]) in html
    )
    assert (
        "Renoncer aux pénalités" in html and reverse("web:penalty_waiver", args=[late.pk]) in html
    )
    assert 'value="2025-10-31"' in html  # as_of defaults to today


def test_invoicing_from_the_page(admin_client, late):
    response = admin_client.post(
        reverse("web:penalty_invoice", args=[late.pk]), {"penalty-as_of": "2025-10-31"}
    )
    penalty = Invoice.objects.get(number="FA2025-00002")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:invoice_detail", args=[penalty.pk])
    assert penalty.total_incl_vat == Decimal("511.98")
    html = page(admin_client, penalty)
    assert "Facture de pénalités" in html
    assert "Facture N° FA2025-00001 du 15/04/2025" in html
    assert "Hors champ" in html

    html = page(admin_client, late)
    assert 'id="penalty-claims"' in html and "FA2025-00002" in html
    assert "Reste à réclamer" in html
    assert 'id="penalties-due">0,00' in html
    assert "penalty-invoice-form" not in html and "penalty-waiver-form" not in html


def test_invoicing_twice_shows_why_on_the_page(admin_client, late):
    url = reverse("web:penalty_invoice", args=[late.pk])
    admin_client.post(url, {"penalty-as_of": "2025-10-31"})
    response = admin_client.post(url, {"penalty-as_of": "2025-10-31"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "ses pénalités ont déjà été facturées ou abandonnées" in html
    assert Invoice.objects.filter(number__startswith="FA").count() == 2


def test_a_future_day_is_refused_next_to_the_field(admin_client, late):
    response = admin_client.post(
        reverse("web:penalty_invoice", args=[late.pk]), {"penalty-as_of": "2025-11-01"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_penalty-as_of-error"' in html and "Cette date est dans le futur." in html
    assert not PenaltyClaim.objects.exists()


def test_a_waiver_without_reason_is_refused_next_to_the_field(admin_client, late):
    response = admin_client.post(
        reverse("web:penalty_waiver", args=[late.pk]),
        {"waiver-as_of": "2025-10-31", "waiver-reason": " "},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_waiver-reason-error"' in html
    assert "Indiquez pourquoi les pénalités ne sont pas réclamées." in html
    assert not PenaltyClaim.objects.exists()


def test_a_waiver_from_the_page(admin_client, late):
    response = admin_client.post(
        reverse("web:penalty_waiver", args=[late.pk]),
        {"waiver-as_of": "2025-10-31", "waiver-reason": "Premier retard, client fidèle"},
    )
    assert response.status_code == 302
    claim = PenaltyClaim.objects.get()
    assert (claim.kind, claim.total) == ("waived", Decimal("511.98"))
    html = page(admin_client, late)
    assert "Premier retard, client fidèle" in html and "Abandonnées" in html
    assert "Pénalités de retard abandonnées" in html  # the audit trail's label


def test_rights(client_of, company, make_user, late):
    collector = client_of(make_user("recouvrement", company, Role.COLLECTION))
    html = page(collector, late)
    assert "penalty-waiver-form" in html and "penalty-invoice-form" not in html
    response = collector.post(
        reverse("web:penalty_invoice", args=[late.pk]), {"penalty-as_of": "2025-10-31"}
    )
    assert response.status_code == 403
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    html = page(reader, late)
    assert "penalty-waiver-form" not in html and "penalty-invoice-form" not in html
    response = reader.post(
        reverse("web:penalty_waiver", args=[late.pk]),
        {"waiver-as_of": "2025-10-31", "waiver-reason": "x"},
    )
    assert response.status_code == 403
    assert not PenaltyClaim.objects.exists()


def test_another_companys_invoice_is_not_found(client_of, other_company, make_user, late):
    stranger = client_of(make_user("autre", other_company, Role.ADMIN))
    response = stranger.post(
        reverse("web:penalty_invoice", args=[late.pk]), {"penalty-as_of": "2025-10-31"}
    )
    assert response.status_code == 404
    assert not PenaltyClaim.objects.exists()


# ---------------------------------------------------------------- consumers


@pytest.fixture
def consumer_late(make_invoice, oven, consumer):
    """10 000,00 € TTC to a private person, issued 15 Apr 2025, due 15 May, unpaid."""
    return make_invoice(
        lines=[{"product": oven.pk, "quantity": "1"}], issue_on=dt.date(2025, 4, 15), cust=consumer
    )


def test_a_consumer_sees_no_interest_before_the_formal_notice(admin_client, consumer_late):
    html = page(admin_client, consumer_late)
    assert "Intérêts de retard au taux légal" in html
    assert 'id="no-interest">Aucun intérêt avant mise en demeure.' in html
    # Neither the L.441-10 table nor the 40 € fee, nor anything to invoice or waive.
    assert "Taux BCE" not in html and "40,00" not in html
    assert "Indemnité forfaitaire pour frais" not in html
    assert "penalty-invoice-form" not in html and "penalty-waiver-form" not in html


def test_a_consumer_sees_the_legal_interest_since_the_notice(
    admin_client, company, admin, consumer, consumer_late
):
    send_up_to(company, consumer, admin, 3)  # formal notice sent on 15 Jul
    html = page(admin_client, consumer_late)
    assert "Mise en demeure envoyée le 15/07/2025." in html
    # 16 Jul–31 Oct, 16 + 31 + 30 + 31 = 108 days at 2.76 %:
    #   10 000 × 2.76 % × 108 / 365 = 29 808 / 365 = 81.665… → 81.67
    assert "16/07/2025" in html and "108" in html and "2,76 %" in html
    assert "Total des intérêts" in html and "81,67" in html
    assert "40,00" not in html and "Total des pénalités" not in html
    assert CONSUMER_REGIME_NOTE in html  # the regime said with its articles
    # Waived, never invoiced.
    assert "penalty-invoice-form" not in html
    assert "Renoncer aux intérêts" in html and "Intérêts arrêtés au" in html


def test_a_penalty_invoice_to_a_consumer_is_refused_on_the_page(
    admin_client, company, admin, consumer, consumer_late
):
    send_up_to(company, consumer, admin, 3)
    response = admin_client.post(
        reverse("web:penalty_invoice", args=[consumer_late.pk]), {"penalty-as_of": "2025-10-31"}
    )
    assert response.status_code == 422
    assert "Pas de facture de pénalités pour un particulier" in response.content.decode()
    assert not PenaltyClaim.objects.exists()
    assert Invoice.objects.count() == 1
