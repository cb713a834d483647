"""Login, the company wall, the company switcher."""

import pytest
from django.urls import reverse

from encaisse.catalog.services import create_product
from encaisse.companies.models import Role
from encaisse.customers.services import create_customer
from encaisse.sales.services import create_invoice
from encaisse.web.middleware import SESSION_KEY

pytestmark = pytest.mark.django_db

PAGES = [
    "web:home",
    "web:customers",
    "web:products",
    "web:invoices",
    "web:credit_notes",
    "web:company_settings",
    "web:invoice_create",
    "web:customer_export",
]


@pytest.mark.parametrize("name", PAGES)
def test_pages_require_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next={url}"


def test_login_page_shows_nothing_of_any_company(client, company):
    response = client.get(reverse("web:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Connexion" in html
    assert company.legal_name not in html
    assert company.siren not in html


def test_login_then_home_shows_company_figures(client, admin, company, customer, product):
    response = client.post(
        reverse("web:login"), {"username": "admin", "password": "motdepasse-test"}
    )
    assert response.status_code == 302
    home = client.get(reverse("web:home"))
    html = home.content.decode()
    assert company.legal_name in html
    assert "Se déconnecter" in html


def test_logout(admin_client):
    response = admin_client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert admin_client.get(reverse("web:home")).status_code == 302


def test_user_without_company_gets_a_friendly_page(client_of, make_user, company):
    lonely = make_user("seul")  # no membership
    response = client_of(lonely).get(reverse("web:customers"))
    assert response.status_code == 403
    assert "Vous n'êtes rattaché à aucune société" in response.content.decode()
    assert company.legal_name not in response.content.decode()


@pytest.fixture
def foreign(other_company, make_user):
    """A customer, a product and a draft invoice of another company."""
    boss = make_user("autre", other_company, Role.ADMIN)
    customer = create_customer(
        other_company,
        {
            "legal_name": "Client d'ailleurs",
            "billing_line1": "1 rue X",
            "billing_postal_code": "75001",
            "billing_city": "Paris",
        },
        by=boss,
    )
    product = create_product(
        other_company,
        {"reference": "X-1", "label": "Chose", "kind": "goods", "unit_price": "10"},
        by=boss,
    )
    invoice = create_invoice(
        other_company,
        customer=customer,
        lines=[{"product": product.pk, "quantity": "1"}],
        by=boss,
    )
    return {"customer": customer, "product": product, "invoice": invoice}


@pytest.mark.parametrize(
    "name,key",
    [
        ("web:customer_detail", "customer"),
        ("web:customer_edit", "customer"),
        ("web:product_detail", "product"),
        ("web:product_edit", "product"),
        ("web:invoice_detail", "invoice"),
        ("web:invoice_edit", "invoice"),
        ("web:invoice_issue", "invoice"),
        ("web:invoice_delete", "invoice"),
    ],
)
def test_another_companys_records_are_404(admin_client, foreign, name, key):
    assert admin_client.get(reverse(name, args=[foreign[key].pk])).status_code == 404


def test_another_companys_records_are_not_listed(admin_client, foreign):
    for name in ("web:customers", "web:products", "web:invoices"):
        html = admin_client.get(reverse(name)).content.decode()
        assert "Client d&#x27;ailleurs" not in html and "Client d'ailleurs" not in html
    assert "Chose" not in admin_client.get(reverse("web:products")).content.decode()


def test_posting_on_another_companys_invoice_changes_nothing(admin_client, foreign):
    invoice = foreign["invoice"]
    response = admin_client.post(reverse("web:invoice_issue", args=[invoice.pk]))
    assert response.status_code == 404
    invoice.refresh_from_db()
    assert invoice.status == "draft" and invoice.number == ""


def test_switch_refuses_a_company_the_user_does_not_belong_to(admin_client, company, foreign):
    other = foreign["customer"].company
    response = admin_client.post(reverse("web:switch_company"), {"company_id": other.pk})
    assert response.status_code == 404
    assert admin_client.session[SESSION_KEY] == company.pk
    html = admin_client.get(reverse("web:home")).content.decode()
    assert company.legal_name in html
    assert other.legal_name not in html


def test_switch_to_a_company_the_user_belongs_to(admin_client, admin, company, other_company):
    from encaisse.companies.services import add_member

    add_member(other_company, admin, Role.READ_ONLY)
    response = admin_client.post(
        reverse("web:switch_company"), {"company_id": other_company.pk, "next": "/customers/"}
    )
    assert response.status_code == 302 and response["Location"] == "/customers/"
    assert admin_client.session[SESSION_KEY] == other_company.pk
    html = admin_client.get(reverse("web:home")).content.decode()
    # The header's switcher lists both; the page is about the chosen one.
    assert f'<option value="{other_company.pk}" selected>' in html
    assert "<h1>Autre Société SARL</h1>" in html
