"""Web: the disputes list and export, opening from the invoice page, resolving, and
promises to pay from the customer page."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from encaisse import clock
from encaisse.collection import disputes as svc
from encaisse.collection.models import Dispute, DisputeStatus, PromiseToPay
from encaisse.companies.models import Role

MAR2 = dt.date(2026, 3, 2)


@pytest.fixture
def invoice(invoice_of):
    return invoice_of(10, MAR2)  # 780.00 TTC


@pytest.fixture
def dispute(company, admin, invoice):
    return svc.open_dispute(
        company,
        {
            "invoice": invoice.pk,
            "amount": "156.00",
            "category": "delivery",
            "customer_words": "Livré avec trois jours de retard.",
            "owner": admin.pk,
            "department": "logistics",
            "target_date": dt.date(2026, 3, 20),
            "opened_on": dt.date(2026, 3, 5),
        },
        by=admin,
    )


def test_invoice_page_links_to_the_dispute_form(admin_client, invoice):
    page = admin_client.get(reverse("web:invoice_detail", args=[invoice.pk])).content.decode()
    assert reverse("web:dispute_create", args=[invoice.pk]) in page
    assert "Ouvrir un litige" in page


def test_open_a_dispute_from_the_form(admin_client, admin, invoice):
    url = reverse("web:dispute_create", args=[invoice.pk])
    form = admin_client.get(url)
    assert form.status_code == 200 and "780,00" in form.content.decode()
    response = admin_client.post(
        url,
        {
            "amount": "100,00",
            "category": "price",
            "customer_words": "Remise de 10 % oubliée.",
            "owner": admin.pk,
            "department": "sales",
            "target_date": "2026-03-20",
            "opened_on": "2026-03-05",
        },
    )
    dispute = Dispute.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:dispute_detail", args=[dispute.pk])
    assert str(dispute.amount) == "100.00" and dispute.category == "price"


def test_amount_above_what_is_owed_shows_the_error_next_to_the_field(admin_client, admin, invoice):
    response = admin_client.post(
        reverse("web:dispute_create", args=[invoice.pk]),
        {
            "amount": "780.01",
            "category": "price",
            "customer_words": "Trop cher.",
            "owner": admin.pk,
            "department": "sales",
            "target_date": "2026-03-20",
            "opened_on": "2026-03-05",
        },
    )
    assert response.status_code == 422
    assert "dépasse ce qui reste dû" in response.content.decode()
    assert not Dispute.objects.exists()


def test_list_filters_age_and_export(admin_client, dispute):
    page = admin_client.get(reverse("web:disputes")).content.decode()
    assert "Livraison" in page and "156,00" in page
    assert f"{(timezone.localdate() - dt.date(2026, 3, 5)).days} j" in page  # age in days
    filtered = admin_client.get(reverse("web:disputes"), {"category": "price"}).content.decode()
    assert reverse("web:dispute_detail", args=[dispute.pk]) not in filtered
    assert "Aucun litige ne correspond" in filtered
    response = admin_client.get(reverse("web:dispute_export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "N°" and len(rows) == 2
    assert rows[1][5] == "Livraison" and rows[1][8] == 156


def test_resolve_by_credit_note_from_the_detail_page(admin_client, dispute):
    detail = admin_client.get(reverse("web:dispute_detail", args=[dispute.pk]))
    assert "Résoudre le litige" in detail.content.decode()
    with clock.at(dt.date(2026, 3, 10)):  # resolved the day after: its credit note too
        response = admin_client.post(
            reverse("web:dispute_resolve", args=[dispute.pk]),
            {
                "outcome": "resolved_credit_note",
                "reason": "",
                "amount": "",
                "resolved_on": "2026-03-09",
            },
        )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED_CREDIT_NOTE
    assert str(dispute.credit_note.total_incl_vat) == "156.00"
    page = admin_client.get(reverse("web:dispute_detail", args=[dispute.pk])).content.decode()
    assert dispute.credit_note.number in page and "Résoudre le litige" not in page


def test_rejection_without_reason_is_shown_and_changes_nothing(admin_client, dispute):
    response = admin_client.post(
        reverse("web:dispute_resolve", args=[dispute.pk]),
        {"outcome": "rejected", "reason": "", "resolved_on": "2026-03-09"},
    )
    assert response.status_code == 422
    assert "Indiquez le motif du rejet." in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


def test_promise_from_the_customer_page_and_list(admin_client, customer, invoice):
    page = admin_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    url = reverse("web:promise_create", args=[customer.pk])
    assert url in page
    response = admin_client.post(
        url,
        {
            "invoices": [invoice.pk],
            "amount": "300",
            "promised_on": timezone.localdate().isoformat(),
            "tolerance_days": "3",
            "promised_by": "Mme Dupont",
            "channel": "phone",
        },
    )
    assert response.status_code == 302, response.content.decode()
    promise = PromiseToPay.objects.get()
    assert promise.due_by == timezone.localdate() + dt.timedelta(days=3)
    listing = admin_client.get(reverse("web:promises")).content.decode()
    assert "Mme Dupont" in listing and "En attente" in listing


def test_other_company_and_reader(client_of, other_company, make_user, company, dispute, customer):
    outsider = client_of(make_user("autre", other_company, Role.ADMIN))
    assert outsider.get(reverse("web:dispute_detail", args=[dispute.pk])).status_code == 404
    assert "Aucun litige en cours" in outsider.get(reverse("web:disputes")).content.decode()
    response = outsider.post(
        reverse("web:dispute_resolve", args=[dispute.pk]),
        {"outcome": "rejected", "reason": "x", "resolved_on": "2026-03-09"},
    )
    assert response.status_code == 404
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    assert reader.get(reverse("web:dispute_create", args=[dispute.invoice_id])).status_code == 403
    assert reader.get(reverse("web:promise_create", args=[customer.pk])).status_code == 403
    assert (
        "Résoudre le litige"
        not in reader.get(reverse("web:dispute_detail", args=[dispute.pk])).content.decode()
    )
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


def test_escalate_button(admin_client, client_of, make_user, company, dispute):
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    assert reader.post(reverse("web:dispute_escalate")).status_code == 403
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN
    # The target (20 March 2026) has passed: escalated today.
    response = admin_client.post(reverse("web:dispute_escalate"))
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.ESCALATED
    assert dispute.escalated_on == timezone.localdate()
