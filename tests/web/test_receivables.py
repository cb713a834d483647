"""Payments in the back office: list, record, lettrage, undo, write-off, refund, cheque
remittance slips; roles and the company wall."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from freezegun import freeze_time
from openpyxl import load_workbook

from encaisse.companies.models import Role
from encaisse.customers.services import create_customer
from encaisse.receivables.models import Allocation, Payment, RemittanceSlip
from encaisse.receivables.selectors import InvoiceStatus, invoice_status
from encaisse.receivables.services.allocation import allocate
from encaisse.receivables.services.payments import record_payment

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"
TODAY = dt.date(2026, 3, 10)


def eur(text: str) -> str:
    """« 1 234,50 € » as format_eur writes it: a narrow no-break space between thousands,
    a no-break space before the euro sign."""
    return text.replace(" €", NBSP + "€").replace(" ", NARROW_NBSP)


@pytest.fixture(autouse=True)
def frozen_today():
    with freeze_time("2026-03-10 10:00:00"):
        yield


def field_html(html: str, name: str) -> str:
    """The markup of one form field, from its label to the next field."""
    return html.split(f'for="id_{name}"')[1].split('class="field')[0]


def test_payment_list_shows_payments_search_and_unallocated_filter(admin_client, pay, invoice_of):
    invoice = invoice_of(10, TODAY)  # 10 × 78.00 = 780.00 TTC
    settled = pay("780.00", TODAY, reference=f"VIR {invoice.number}")
    allocate(settled, [(invoice.installments.get(), "780.00")], by=settled.created_by)
    open_one = pay("50.00", TODAY, reference="Acompte chantier")
    url = reverse("web:payments")
    html = admin_client.get(url).content.decode()
    assert settled.number in html and open_one.number in html
    assert eur("780,00 €") in html

    html = admin_client.get(url, {"q": "chantier"}).content.decode()
    assert open_one.number in html and settled.number not in html

    html = admin_client.get(url, {"unallocated": "on"}).content.decode()
    assert open_one.number in html and settled.number not in html
    assert eur("50,00 €") in html


def test_payment_list_empty_states(admin_client):
    html = admin_client.get(reverse("web:payments")).content.decode()
    assert "Aucun règlement reçu pour l'instant" in html
    assert reverse("web:payment_create") in html
    html = admin_client.get(reverse("web:payments"), {"q": "nothing"}).content.decode()
    assert "Aucun règlement ne correspond à ces filtres" in html


def test_record_payment_through_the_form(admin_client, customer):
    response = admin_client.post(
        reverse("web:payment_create"),
        {
            "customer": customer.pk,
            "date": "2026-03-09",
            "amount": "1 234,56",
            "method": "cheque",
            "reference": "Chèque 0001234",
        },
    )
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:payment_detail", args=[payment.pk])
    assert str(payment.amount) == "1234.56"
    assert payment.date == dt.date(2026, 3, 9)
    assert payment.payer == customer.legal_name  # defaults to the customer
    html = admin_client.get(response["Location"]).content.decode()
    assert f"Règlement {payment.number} de {eur('1 234,56 €')} enregistré." in html
    assert "Chèque 0001234" in html


def test_record_payment_errors_are_next_to_the_field_and_nothing_is_created(admin_client, customer):
    url = reverse("web:payment_create")
    data = {"customer": customer.pk, "date": "2026-03-09", "amount": "douze", "method": "transfer"}
    response = admin_client.post(url, data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Le montant n&#x27;est pas un nombre." in field_html(html, "amount")
    assert 'value="douze"' in html  # what was typed is kept
    # A date in the future: the service's message next to the date.
    response = admin_client.post(url, {**data, "amount": "10", "date": "2026-03-11"})
    assert "Cette date est dans le futur." in field_html(response.content.decode(), "date")
    # A bad IBAN of the payer.
    response = admin_client.post(url, {**data, "amount": "10", "bank_account": "FR76 1234"})
    assert 'id="id_bank_account-error"' in field_html(response.content.decode(), "bank_account")
    assert Payment.objects.count() == 0


def test_read_only_user_cannot_record_a_payment(client_of, make_user, company, customer):
    reader = client_of(make_user("lecture", company, Role.READ_ONLY))
    url = reverse("web:payment_create")
    assert reader.get(url).status_code == 403
    response = reader.post(
        url, {"customer": customer.pk, "date": "2026-03-09", "amount": "10", "method": "cash"}
    )
    assert response.status_code == 403
    assert "ne permet pas d&#x27;enregistrer des règlements." in response.content.decode()
    assert Payment.objects.count() == 0
    # The list stays readable, without the button.
    html = reader.get(reverse("web:payments")).content.decode()
    assert "Saisir un règlement" not in html


def test_another_companys_payment_and_slip_are_not_found(admin_client, make_user, other_company):
    stranger = make_user("autre", other_company, Role.ADMIN)
    their_customer = create_customer(
        other_company, {"legal_name": "Client d'ailleurs"}, by=stranger
    )
    theirs = record_payment(
        other_company,
        {"customer": their_customer.pk, "amount": "10", "date": TODAY, "method": "cheque"},
        by=stranger,
    )
    for name in ("web:payment_detail", "web:payment_allocate", "web:payment_refund"):
        response = (admin_client.post if name.endswith("refund") else admin_client.get)(
            reverse(name, args=[theirs.pk]), {"amount": "1"}
        )
        assert response.status_code == 404, name
    # Nor can it be put on one of our slips.
    response = admin_client.post(
        reverse("web:remittances"), {"payments": [theirs.pk], "date": "2026-03-10"}
    )
    assert response.status_code == 422
    assert RemittanceSlip.objects.count() == 0
    # Nor offered as a customer in our form.
    html = admin_client.get(reverse("web:payment_create")).content.decode()
    assert "Client d&#x27;ailleurs" not in html


def test_lettrage_page_proposes_then_allocation_changes_the_invoice_status(
    admin_client, pay, invoice_of
):
    older = invoice_of(10, dt.date(2026, 2, 1))  # 780.00 TTC, due 03/03: overdue on 10/03
    newer = invoice_of(5, TODAY)  # 390.00 TTC
    payment = pay("500.00", TODAY, reference=f"Règlement {newer.number}")
    url = reverse("web:payment_allocate", args=[payment.pk])
    html = admin_client.get(url).content.decode()
    newer_item, older_item = newer.installments.get(), older.installments.get()
    # The referenced invoice first, for all it owes (390); the rest (110) on the oldest.
    assert f'name="amount-{newer_item.pk}" id="amount-{newer_item.pk}" value="390"' in html
    assert f'name="amount-{older_item.pk}" id="amount-{older_item.pk}" value="110"' in html
    assert html.index(newer.number) < html.index(older.number)
    assert "citée en référence" in html

    # The user edits: 300 on the newer invoice, 200 on the older one.
    response = admin_client.post(
        url,
        {
            f"amount-{newer_item.pk}": "300",
            f"amount-{older_item.pk}": "200,00",
            "allocated_on": "2026-03-10",
        },
    )
    assert response.status_code == 302
    assert invoice_status(newer, TODAY) == InvoiceStatus.PARTLY_PAID  # 390 − 300 = 90 left
    assert invoice_status(older, TODAY) == InvoiceStatus.OVERDUE  # 780 − 200 = 580, past due
    html = admin_client.get(response["Location"]).content.decode()
    assert f"Lettrage validé : {eur('500,00 €')} sur 2 échéances." in html
    trail = html.split("<h2>Historique</h2>")[1]
    assert "Règlement lettré" in trail and "<del>" not in trail
    assert f"{newer.number}: {eur('300,00 €')}" in trail
    assert f"{older.number}: {eur('200,00 €')}" in trail

    # A second payment of 90 settles the newer invoice.
    second = pay("90.00", TODAY)
    admin_client.post(
        reverse("web:payment_allocate", args=[second.pk]), {f"amount-{newer_item.pk}": "90"}
    )
    assert invoice_status(newer, TODAY) == InvoiceStatus.PAID


def test_over_allocation_is_refused_next_to_its_row_and_nothing_changes(
    admin_client, pay, invoice_of
):
    invoice = invoice_of(10, TODAY)  # 780.00 TTC
    payment = pay("1000.00", TODAY)
    item = invoice.installments.get()
    response = admin_client.post(
        reverse("web:payment_allocate", args=[payment.pk]), {f"amount-{item.pk}": "900"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Le lettrage n'a pas été enregistré." in html
    assert f'id="amount-{item.pk}-error"' in html
    assert "dépasse ce que doit encore la facture" in html
    assert 'value="900"' in html
    assert Allocation.objects.count() == 0


def test_live_summary_of_the_lettrage_screen(admin_client, pay, invoice_of):
    first, second = invoice_of(10, TODAY), invoice_of(5, TODAY)
    payment = pay("500.00", TODAY)
    url = reverse("web:payment_allocate_summary", args=[payment.pk])
    data = {
        f"amount-{first.installments.get().pk}": "120,50",
        f"amount-{second.installments.get().pk}": "79.5",
    }
    html = admin_client.post(url, data).content.decode()
    # 120.50 + 79.50 = 200.00 typed; 500.00 − 200.00 = 300.00 left.
    assert f"data-total>{eur('200,00 €')}" in html
    assert f"data-left>{eur('300,00 €')}" in html
    data[f"amount-{second.installments.get().pk}"] = "400"
    html = admin_client.post(url, data).content.decode()
    assert "dépasse le disponible" in html  # 520.50 typed, 20.50 too much
    assert eur("-20,50 €") in html


def test_undo_asks_for_a_reason_then_reopens_the_invoice(admin_client, admin, pay, invoice_of):
    invoice = invoice_of(10, TODAY)
    payment = pay("780.00", TODAY)
    (allocation,) = allocate(payment, [(invoice.installments.get(), "780")], by=admin)
    assert invoice_status(invoice, TODAY) == InvoiceStatus.PAID
    detail = admin_client.get(reverse("web:payment_detail", args=[payment.pk])).content.decode()
    url = reverse("web:allocation_undo", args=[allocation.pk])
    assert url in detail
    assert "Confirmer l'annulation" in admin_client.get(url).content.decode()

    response = admin_client.post(url, {"reason": "", "undone_on": "2026-03-10"})
    assert response.status_code == 422
    assert "Le motif du délettrage est obligatoire." in field_html(
        response.content.decode(), "reason"
    )
    allocation.refresh_from_db()
    assert allocation.undone_on is None

    response = admin_client.post(url, {"reason": "Mauvais client", "undone_on": "2026-03-10"})
    assert response["Location"] == reverse("web:payment_detail", args=[payment.pk])
    allocation.refresh_from_db()
    assert allocation.undone_on == TODAY and allocation.undo_reason == "Mauvais client"
    assert invoice_status(invoice, TODAY) == InvoiceStatus.OPEN  # due 09/04, not late
    html = admin_client.get(response["Location"]).content.decode()
    assert "annulé le 10/03/2026" in html and "Mauvais client" in html
    # A second undo is refused, and said so.
    response = admin_client.post(url, {"reason": "encore"})
    assert response.status_code == 422
    assert "Ce lettrage est déjà annulé depuis le 10/03/2026 (Mauvais client)." in (
        response.content.decode()
    )


def test_small_remainder_written_off_from_the_payment_page(admin_client, admin, pay, invoice_of):
    invoice = invoice_of(10, TODAY)  # 780.00 TTC
    payment = pay("779.60", TODAY)  # 0.40 short: bank fees
    item = invoice.installments.get()
    allocate(payment, [(item, "779.60")], by=admin)
    url = reverse("web:payment_detail", args=[payment.pk])
    html = admin_client.get(url).content.decode()
    assert "Écarts de règlement" in html
    write_off_url = reverse("web:payment_write_off", args=[payment.pk, item.pk])
    assert write_off_url in html
    # Above the company's 5.00 threshold: refused next to the amount, nothing booked.
    response = admin_client.post(
        write_off_url, {f"wo{item.pk}-amount": "6", f"wo{item.pk}-reason": "x"}
    )
    assert response.status_code == 422
    assert f"au plus de {eur('5,00 €')}" in response.content.decode()
    assert invoice_status(invoice, TODAY) == InvoiceStatus.PARTLY_PAID
    response = admin_client.post(
        write_off_url, {f"wo{item.pk}-amount": "0,40", f"wo{item.pk}-reason": "Frais bancaires"}
    )
    assert response.status_code == 302
    assert invoice_status(invoice, TODAY) == InvoiceStatus.PAID


def test_refund_of_an_unallocated_payment(admin_client, pay):
    payment = pay("100.00", TODAY)
    url = reverse("web:payment_refund", args=[payment.pk])
    response = admin_client.post(url, {"amount": "30", "date": "2026-03-10", "method": "transfer"})
    assert response.status_code == 302
    html = admin_client.get(response["Location"]).content.decode()
    assert f"non lettré : {eur('70,00 €')}" in html  # 100 − 30
    response = admin_client.post(url, {"amount": "80", "date": "2026-03-10", "method": "transfer"})
    assert response.status_code == 422
    assert f"Il ne reste que {eur('70,00 €')} à rembourser." in response.content.decode()


def test_refund_form_is_empty_with_the_available_amount_as_a_hint(admin_client, pay):
    payment = pay("100.00", TODAY, method="direct_debit")
    html = admin_client.get(reverse("web:payment_detail", args=[payment.pk])).content.decode()
    # Nothing typed for the user: the whole credit is shown, not proposed.
    amount = field_html(html, "amount")
    assert 'name="amount"' in amount and "value=" not in amount.split('name="amount"')[1][:40]
    assert f"<strong>{eur('100,00 €')}</strong> au plus" in html
    assert "<dd>Prélèvement SEPA" in html  # the method as named, capitalised
    # The allocation of a refund names its method as it is written.
    admin_client.post(
        reverse("web:payment_refund", args=[payment.pk]),
        {"amount": "30", "date": "2026-03-10", "method": "lcr"},
    )
    html = admin_client.get(reverse("web:payment_detail", args=[payment.pk])).content.decode()
    assert "(Effet de commerce (LCR))" in html and "lcr)" not in html


def test_remittance_slip_of_the_chosen_cheques(admin_client, pay):
    first = pay("120.00", TODAY, method="cheque", reference="Chq 1111")
    second = pay("80.50", TODAY, method="cheque", reference="Chq 2222")
    pay("999.00", TODAY, method="transfer")
    kept = pay("10.00", TODAY, method="cheque", reference="Chq 3333")
    url = reverse("web:remittances")
    html = admin_client.get(url).content.decode()
    assert "Chq 1111" in html and "Chq 3333" in html
    assert eur("999,00 €") not in html  # transfers are not remitted
    response = admin_client.post(
        url, {"payments": [first.pk, second.pk], "date": "2026-03-10", "bank_account": ""}
    )
    slip = RemittanceSlip.objects.get()
    assert response["Location"] == reverse("web:remittance_detail", args=[slip.pk])
    assert set(slip.payments.values_list("pk", flat=True)) == {first.pk, second.pk}
    html = admin_client.get(response["Location"]).content.decode()
    assert f"data-total>{eur('200,50 €')}" in html  # 120.00 + 80.50
    assert "Chq 2222" in html and "Chq 3333" not in html
    assert "window.print()" in html
    # The remitted cheques leave the list to remit; the other stays.
    html = admin_client.get(url).content.decode()
    assert "Chq 1111" not in html.split("Bordereaux")[0] and "Chq 3333" in html
    kept.refresh_from_db()
    assert kept.remittance_id is None


def test_remittance_page_empty_state(admin_client):
    html = admin_client.get(reverse("web:remittances")).content.decode()
    assert "Aucun chèque en attente de remise." in html
    assert "Aucun bordereau de remise pour l'instant." in html


def test_payment_export_is_a_real_spreadsheet(admin_client, admin, pay, invoice_of):
    invoice = invoice_of(10, TODAY)
    payment = pay("1000.00", TODAY, reference="VIR 42")
    allocate(payment, [(invoice.installments.get(), "780")], by=admin)
    response = admin_client.get(reverse("web:payment_export"))
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[0] == "Numéro" and len(rows) == 2
    assert row["Numéro"] == payment.number
    assert isinstance(row["Montant"], int | float) and row["Montant"] == 1000
    assert row["Non lettré"] == pytest.approx(220.00)  # 1000 − 780


def test_read_only_user_cannot_allocate_undo_or_remit(
    client_of, make_user, company, admin, pay, invoice_of
):
    invoice = invoice_of(10, TODAY)
    payment = pay("780.00", TODAY, method="cheque")
    (allocation,) = allocate(payment, [(invoice.installments.get(), "780")], by=admin)
    reader = client_of(make_user("lecture", company, Role.READ_ONLY))
    item = invoice.installments.get()
    assert reader.get(reverse("web:payment_allocate", args=[payment.pk])).status_code == 403
    response = reader.post(
        reverse("web:allocation_undo", args=[allocation.pk]), {"reason": "essai"}
    )
    assert response.status_code == 403
    response = reader.post(
        reverse("web:remittances"), {"payments": [payment.pk], "date": "2026-03-10"}
    )
    assert response.status_code == 403
    allocation.refresh_from_db()
    assert allocation.undone_on is None and RemittanceSlip.objects.count() == 0
    # What they may read, they see, without the actions.
    html = reader.get(reverse("web:payment_detail", args=[payment.pk])).content.decode()
    assert eur("780,00 €") in html
    assert "Annuler le lettrage" not in html and "Rembourser" not in html
    assert reverse("web:payment_write_off", args=[payment.pk, item.pk]) not in html


def test_a_payment_on_account_is_offered_on_the_invoice_issued_after_it(
    admin_client, client_of, make_user, company, pay, invoice_of
):
    on_account = pay("300.00", dt.date(2026, 3, 2), reference="Acompte commande")
    invoice = invoice_of(5, TODAY)  # 5 × 78.00 = 390.00 TTC, after the payment
    url = reverse("web:invoice_detail", args=[invoice.pk])
    html = admin_client.get(url).content.decode()
    offered = html.split('id="open-credits"')[1].split("</table>")[0]
    assert on_account.number in offered and eur("300,00 €") in offered
    assert reverse("web:payment_allocate", args=[on_account.pk]) in offered
    # A read-only user sees the money but gets no button to allocate it.
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    offered = reader.get(url).content.decode().split('id="open-credits"')[1]
    assert on_account.number in offered and "Lettrer" not in offered.split("</table>")[0]

    allocate(on_account, [(invoice.installments.get(), "300.00")], by=on_account.created_by)
    html = admin_client.get(url).content.decode()
    assert 'id="open-credits"' not in html  # nothing left to offer
    assert eur("90,00 €") in html  # 390.00 − 300.00 still due
