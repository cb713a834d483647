"""Bearer tokens: who may call the API, as whom, in which company."""

import hashlib

import pytest
from django.test import Client

from encaisse.api.models import ApiToken
from encaisse.api.tokens import create_token, revoke_token
from encaisse.companies.models import Membership, Role
from encaisse.errors import ValidationFailed

from .conftest import ApiClient, assert_error


def test_missing_header_is_401_in_json(anonymous, customer):
    response = anonymous.get("/api/customers")
    body = assert_error(response, 401, "unauthorized")
    assert "Bearer" in body["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer enc_not-a-real-key",
        "Bearer not-even-our-format",
        "Token enc_abc",
        "Basic dXNlcjpwYXNz",
        "Bearer " + "enc_" + "x" * 5000,
        "Bearer enc_\u00e9t\u00e9",
    ],
)
def test_malformed_or_unknown_tokens_are_401(db, customer, header):
    response = Client().get("/api/customers", HTTP_AUTHORIZATION=header)
    assert_error(response, 401, "unauthorized")


def test_a_valid_token_authenticates_and_records_its_last_use(admin, company, customer):
    token, key = create_token(admin, company, "ERP")
    assert key.startswith("enc_") and len(key) > 40
    assert token.prefix == key[:12]
    # only the hash is kept
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert not ApiToken.objects.filter(key_hash=key).exists()
    assert token.last_used_at is None
    response = ApiClient(key).get("/api/customers")
    assert response.status_code == 200
    assert response.json()["count"] == 1
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_token_is_401(admin, company, customer):
    token, key = create_token(admin, company)
    assert ApiClient(key).get("/api/customers").status_code == 200
    revoke_token(token, by=admin)
    assert_error(ApiClient(key).get("/api/customers"), 401, "unauthorized")


def test_token_of_a_user_no_longer_member_is_401(admin, company, customer, make_user, make_key):
    seller = make_user("ancien", company, Role.SALES)
    key = make_key(seller, company)
    assert ApiClient(key).get("/api/customers").status_code == 200
    Membership.objects.filter(user=seller, company=company).delete()
    assert_error(ApiClient(key).get("/api/customers"), 401, "unauthorized")


def test_token_of_a_deactivated_user_is_401(company, customer, make_user, make_key):
    user = make_user("parti", company, Role.ADMIN)
    key = make_key(user, company)
    user.is_active = False
    user.save()
    assert_error(ApiClient(key).get("/api/customers"), 401, "unauthorized")


def test_a_token_needs_a_membership(company, other_company, admin):
    # admin belongs to `company` only
    with pytest.raises(ValidationFailed, match="n'est pas membre"):
        create_token(admin, other_company)


def test_the_token_decides_the_company(admin, company, other_company, customer, make_key):
    """A user in two companies sees, with each token, that token's company only."""
    Membership.objects.create(user=admin, company=other_company, role=Role.ADMIN)
    in_a = ApiClient(make_key(admin, company))
    in_b = ApiClient(make_key(admin, other_company))
    assert in_a.get("/api/customers").json()["count"] == 1
    assert in_b.get("/api/customers").json()["count"] == 0
    assert_error(in_b.get(f"/api/customers/{customer.pk}"), 404, "not_found")


def test_every_endpoint_requires_a_token(anonymous, customer, product, make_invoice, unchanged):
    invoice = make_invoice()
    with unchanged():
        for method, path in [
            ("get", "/api/customers"),
            ("post", "/api/customers"),
            ("get", f"/api/customers/{customer.pk}"),
            ("patch", f"/api/customers/{customer.pk}"),
            ("get", "/api/products"),
            ("post", "/api/products"),
            ("get", "/api/invoices"),
            ("post", "/api/invoices"),
            ("get", f"/api/invoices/{invoice.pk}"),
            ("post", f"/api/invoices/{invoice.pk}/issue"),
            ("post", f"/api/invoices/{invoice.pk}/credit-note"),
        ]:
            response = getattr(anonymous, method)(path)
            assert_error(response, 401, "unauthorized")


def test_support_staff_revoke_tokens_in_the_admin(admin, company, customer, make_user):
    token, key = create_token(admin, company)
    staff = make_user("support")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    browser = Client()
    browser.force_login(staff)
    assert browser.get("/admin/api/apitoken/").status_code == 200
    response = browser.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_error(ApiClient(key).get("/api/customers"), 401, "unauthorized")
