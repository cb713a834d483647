"""The invoice form with live totals, issuing, roles, credit notes."""

import pytest
from django.urls import reverse
from django.utils import timezone

from encaisse.companies.models import Role
from encaisse.sales.models import Invoice

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def line(n, **values):
    return {f"lines-{n}-{k}": v for k, v in values.items()}


def test_totals_endpoint_computes_the_breakdown(admin_client, product):
    # Line 1: 3 × 18.90 = 56.70; discount 10 % = 5.67; net 51.03 at 5.5 %.
    # Line 2 (free text service): 2.5 × 65.00 = 162.50 at 20 %.
    # VAT 5.5 %: 51.03 × 0.055 = 2.80665 -> 2.81; VAT 20 %: 162.50 × 0.20 = 32.50.
    # Total HT 51.03 + 162.50 = 213.53; TVA 2.81 + 32.50 = 35.31; TTC 248.84.
    data = {
        **line(1, product=product.pk, quantity="3", discount_percent="10"),
        **line(
            2,
            description="Réglage du four",
            item_kind="service",
            quantity="2,5",
            unit="HUR",
            unit_price="65",
            vat_rate="20.00",
        ),
    }
    response = admin_client.post(reverse("web:invoice_totals"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-total="excl_vat">213,53{NBSP}€' in html
    assert f'data-total="vat">35,31{NBSP}€' in html
    assert f'data-total="incl_vat">248,84{NBSP}€' in html
    assert f"51,03{NBSP}€" in html and f"2,81{NBSP}€" in html  # the 5.5 % base and VAT
    assert f"162,50{NBSP}€" in html and f"32,50{NBSP}€" in html  # the 20 % base and VAT


def test_totals_endpoint_shows_the_service_error_inline(admin_client, product):
    data = {**line(1, product=product.pk, quantity="trois")}
    response = admin_client.post(reverse("web:invoice_totals"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ligne 1 : la quantité n&#x27;est pas un nombre." in html
    assert "data-total" not in html


def test_lines_endpoint_adds_removes_and_fills_from_catalog(admin_client, product):
    url = reverse("web:invoice_lines")
    html = admin_client.post(url, {**line(1, quantity="1"), "action": "add"}).content.decode()
    assert 'name="lines-2-quantity"' in html
    html = admin_client.post(
        url, {**line(1, quantity="1"), **line(2, quantity="4"), "action": "remove-1"}
    ).content.decode()
    assert 'name="lines-2-quantity"' not in html
    assert 'name="lines-1-quantity" value="4"' in html
    html = admin_client.post(
        url, {**line(1, product=product.pk, quantity="2"), "action": "product-1"}
    ).content.decode()
    assert 'value="Farine T65, sac de 25 kg"' in html
    assert 'value="18,90"' in html
    assert 'hx-swap-oob="innerHTML"' in html  # totals follow the lines


def line_total(html: str, n: int) -> str:
    """The text of row n's total cell (the span the totals' refresh swaps)."""
    return html.split(f'id="line-total-{n}"')[1].split("</span>")[0].split(">", 1)[1]


@pytest.mark.parametrize(("typed", "kept"), [("", "1"), ("0", "1"), ("0,000", "1"), ("3", "3")])
def test_choosing_a_catalog_item_sets_quantity_one_when_none(admin_client, product, typed, kept):
    html = admin_client.post(
        reverse("web:invoice_lines"),
        {**line(1, product=product.pk, quantity=typed), "action": "product-1"},
    ).content.decode()
    assert f'name="lines-1-quantity" value="{kept}"' in html
    # Its total at once: 1 × 18.90 = 18.90; 3 × 18.90 = 56.70.
    assert line_total(html, 1) == {"1": f"18,90{NBSP}€", "3": f"56,70{NBSP}€"}[kept]


def test_a_wrong_quantity_is_kept_when_an_item_is_chosen(admin_client, product):
    html = admin_client.post(
        reverse("web:invoice_lines"),
        {**line(1, product=product.pk, quantity="deux"), "action": "product-1"},
    ).content.decode()
    assert 'name="lines-1-quantity" value="deux"' in html
    assert "—" in line_total(html, 1)


def test_each_line_shows_its_total_net_of_discount(admin_client, product):
    # Line 1: 3 × 18.90 = 56.70 less 10 % (5.67) = 51.03. Line 2: blank, no total.
    # Line 3: 2,5 × 65.00 = 162.50 less 12.5 % (20.3125 -> 20.31) = 142.19.
    # Line 4: a negative quantity: no line, no total (the totals box says why).
    data = {
        **line(1, product=product.pk, quantity="3", discount_percent="10"),
        **line(2, product="", description="", quantity="", unit_price=""),  # as posted
        **line(
            3,
            description="Réglage",
            item_kind="service",
            quantity="2,5",
            unit="HUR",
            unit_price="65",
            discount_percent="12,5",
            vat_rate="20.00",
        ),
        **line(4, product=product.pk, quantity="-1"),
    }
    html = admin_client.post(reverse("web:invoice_totals"), data).content.decode()
    # Swapped into their rows out of band, next to the totals box's content.
    assert html.count('hx-swap-oob="true"') == 4
    assert line_total(html, 1) == f"51,03{NBSP}€"
    assert "—" in line_total(html, 2)
    assert line_total(html, 3) == f"142,19{NBSP}€"
    assert "—" in line_total(html, 4)
    assert "Ligne 4 : la quantité ne peut pas être négative." in html
    # Without line 4 the totals are computed: 51.03 + 142.19 = 193.22 HT.
    data.update(line(4, product="", quantity=""))
    html = admin_client.post(reverse("web:invoice_totals"), data).content.decode()
    assert f'data-total="excl_vat">193,22{NBSP}€' in html


def test_every_line_error_shows_once_next_to_its_field(admin_client, customer, product):
    data = {
        "customer": customer.pk,
        **line(1, product=product.pk, quantity="-2"),
        **line(2, product=product.pk, quantity="1", discount_percent="150"),
        **line(3, product=product.pk, quantity="1"),
    }
    response = admin_client.post(reverse("web:invoice_create"), data)
    assert response.status_code == 422
    html = response.content.decode()
    negative = "Ligne 1 : la quantité ne peut pas être négative."
    over = "Ligne 2 : la remise ne peut dépasser 100 %."
    assert html.count(negative) == 1 and html.count(over) == 1
    row1 = html.split('name="lines-1-quantity"')[1].split("</td>")[0]
    row2 = html.split('name="lines-2-discount_percent"')[1].split("</td>")[0]
    assert negative in row1 and over in row2
    # The top of the form and the totals box point to them without repeating them.
    assert "Le formulaire contient des erreurs : voir les champs en rouge." in html
    assert "Totaux incalculables : corrigez les lignes signalées en rouge." in html
    assert line_total(html, 3) == f"18,90{NBSP}€"
    assert Invoice.objects.count() == 0


def test_create_draft_then_issue_assigns_a_number(admin_client, customer, product):
    data = {
        "customer": customer.pk,
        "terms_kind": "net",
        "terms_days": "30",
        "customer_reference": "BC-778",
        **line(1, product=product.pk, quantity="2"),
        **line(2),  # a blank row is ignored
    }
    response = admin_client.post(reverse("web:invoice_create"), data)
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.status == "draft"
    assert invoice.customer_reference == "BC-778"
    assert invoice.lines.count() == 1
    assert str(invoice.total_excl_vat) == "37.80"  # 2 × 18.90

    detail = admin_client.get(reverse("web:invoice_detail", args=[invoice.pk])).content.decode()
    issue_url = reverse("web:invoice_issue", args=[invoice.pk])
    assert issue_url in detail
    confirm = admin_client.get(issue_url).content.decode()
    assert "ne pourra plus être modifiée ni supprimée" in confirm

    response = admin_client.post(issue_url)
    assert response.status_code == 302
    invoice.refresh_from_db()
    year = timezone.localdate().year
    assert invoice.status == "issued"
    assert invoice.number == f"FA{year}-00001"
    detail = admin_client.get(reverse("web:invoice_detail", args=[invoice.pk])).content.decode()
    assert f"Facture N° FA{year}-00001" in detail
    today = timezone.localdate()
    assert f"Facture FA{year}-00001 émise le {today:%d/%m/%Y}." in detail  # not « émis(e) »
    assert '<span class="badge badge-issued">Émise</span>' in detail
    assert issue_url not in detail
    assert reverse("web:invoice_edit", args=[invoice.pk]) not in detail


def test_line_error_is_shown_on_its_row_and_nothing_is_created(admin_client, customer, product):
    data = {
        "customer": customer.pk,
        **line(1, product=product.pk, quantity="2"),
        **line(2, description="Livraison", item_kind="service", quantity="1", unit_price="-5"),
    }
    response = admin_client.post(reverse("web:invoice_create"), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert html.count("Ligne 2 : le prix unitaire ne peut pas être négatif.") == 1
    row2 = html.split('name="lines-2-description"')[1].split("</tr>")[0]
    assert "ne peut pas être négatif" in row2
    assert Invoice.objects.count() == 0


def test_terms_error_is_shown_next_to_the_field(admin_client, customer, product):
    data = {
        "customer": customer.pk,
        "terms_kind": "net",
        "terms_days": "90",
        **line(1, product=product.pk, quantity="1"),
    }
    response = admin_client.post(reverse("web:invoice_create"), data)
    html = response.content.decode()
    assert 'id="id_terms_days-error"' in html
    assert "dépasse 60 jours" in html
    assert Invoice.objects.count() == 0


def test_edit_draft_replaces_lines(admin_client, make_invoice, product):
    invoice = make_invoice()
    url = reverse("web:invoice_edit", args=[invoice.pk])
    form = admin_client.get(url).content.decode()
    assert 'name="lines-1-quantity" value="2"' in form
    data = {"customer": invoice.customer_id, **line(1, product=product.pk, quantity="5")}
    assert admin_client.post(url, data).status_code == 302
    invoice.refresh_from_db()
    assert str(invoice.total_excl_vat) == "94.50"  # 5 × 18.90


def test_read_only_user_cannot_issue(client_of, make_user, company, make_invoice):
    invoice = make_invoice()
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    issue_url = reverse("web:invoice_issue", args=[invoice.pk])
    detail = reader.get(reverse("web:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Brouillon" in detail
    assert issue_url not in detail
    assert "Émettre" not in detail
    response = reader.post(issue_url)
    assert response.status_code == 403
    assert "Lecture seule" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == "draft" and invoice.number == ""


def test_read_only_user_cannot_create_an_invoice(client_of, make_user, company, customer, product):
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    data = {"customer": customer.pk, **line(1, product=product.pk, quantity="1")}
    assert reader.post(reverse("web:invoice_create"), data).status_code == 403
    assert Invoice.objects.count() == 0


def test_credit_note_from_the_ui(admin_client, make_invoice, product):
    today = timezone.localdate()
    invoice = make_invoice(
        lines=[{"product": product.pk, "quantity": "4"}], issue_on=today
    )  # 4 × 18.90 = 75.60 HT
    detail = admin_client.get(reverse("web:invoice_detail", args=[invoice.pk])).content.decode()
    credit_url = reverse("web:credit_note_create", args=[invoice.pk])
    assert credit_url in detail

    original_line = invoice.lines.get()
    response = admin_client.post(
        credit_url,
        {"mode": "lines", f"qty-{original_line.pk}": "1", "reason": "Sac abîmé"},
    )
    assert response.status_code == 302
    note = Invoice.objects.get(kind="credit_note")
    assert note.status == "draft"
    assert note.credited_invoice_id == invoice.pk
    assert str(note.total_excl_vat) == "18.90"

    assert admin_client.post(reverse("web:invoice_issue", args=[note.pk])).status_code == 302
    note.refresh_from_db()
    assert note.number == f"AV{today.year}-00001"
    note_html = admin_client.get(reverse("web:invoice_detail", args=[note.pk])).content.decode()
    assert f"Avoir sur la facture N° {invoice.number} du {today:%d/%m/%Y}" in note_html
    assert f"Avoir {note.number} émis le {today:%d/%m/%Y}." in note_html  # un avoir: émis
    # The credit notes' list filters on « Émis », the invoices' on « Émise ».
    notes = admin_client.get(reverse("web:credit_notes")).content.decode()
    assert '<option value="issued">Émis</option>' in notes and "Émis du" in notes
    invoices = admin_client.get(reverse("web:invoices")).content.decode()
    assert '<option value="issued">Émise</option>' in invoices and "Émise du" in invoices
    invoice_html = admin_client.get(
        reverse("web:invoice_detail", args=[invoice.pk])
    ).content.decode()
    assert f"Avoir N° {note.number}" in invoice_html
    assert reverse("web:invoice_detail", args=[note.pk]) in invoice_html


def test_credit_note_over_the_remaining_quantity_is_refused(admin_client, make_invoice, product):
    invoice = make_invoice(issue_on=timezone.localdate())  # 2 sacks
    original_line = invoice.lines.get()
    response = admin_client.post(
        reverse("web:credit_note_create", args=[invoice.pk]),
        {"mode": "lines", f"qty-{original_line.pk}": "3", "reason": ""},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.count("3 à créditer, il en reste 2 à créditer sur la facture") == 1
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_issued_invoice_cannot_be_edited_from_the_ui(admin_client, make_invoice, product):
    invoice = make_invoice(issue_on=timezone.localdate())
    data = {"customer": invoice.customer_id, **line(1, product=product.pk, quantity="9")}
    response = admin_client.post(reverse("web:invoice_edit", args=[invoice.pk]), data)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.lines.get().quantity == 2
