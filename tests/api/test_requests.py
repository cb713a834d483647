"""What arrives over HTTP: CSRF, content types, sizes, methods."""

import json

from django.test import Client

from .conftest import assert_error


def test_bearer_requests_need_no_csrf_token(api, customer):
    client = Client(enforce_csrf_checks=True)
    response = client.patch(
        f"/api/customers/{customer.pk}",
        json.dumps({"phone": "04 78 00 00 00"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    )
    assert response.status_code == 200, response.content


def test_a_browser_session_is_not_enough(admin, customer):
    client = Client()
    client.force_login(admin)
    assert_error(client.get("/api/customers"), 401, "unauthorized")


def test_form_encoded_body_is_refused(api, customer, unchanged):
    with unchanged():
        response = api.client.post(
            "/api/customers",
            {"legal_name": "Form SARL"},
            HTTP_AUTHORIZATION=f"Bearer {api.key}",
        )
        assert_error(response, 400, "invalid_json")


def test_a_body_too_large_is_413(api, customer, unchanged):
    with unchanged():
        response = api.post("/api/customers", {"legal_name": "x" * 3_000_000})
        assert_error(response, 413, "too_large")


def test_a_lone_surrogate_is_refused(api, customer, unchanged):
    with unchanged():
        response = api.post("/api/customers", raw='{"legal_name": "A\\ud800B"}')
        assert_error(response, 422, "invalid_request", "legal_name")


def test_method_not_allowed(api, customer):
    response = api.client.delete(
        f"/api/customers/{customer.pk}", HTTP_AUTHORIZATION=f"Bearer {api.key}"
    )
    assert response.status_code == 405


def test_validation_errors_list_every_fault_with_french_messages(api, customer):
    body = assert_error(
        api.post(
            "/api/invoices",
            {"customer": "un", "lines": [{"quantity": True}], "terms_days": 1000, "x": 1},
        ),
        422,
        "invalid_request",
    )
    assert {(d["field"], d["message"]) for d in body["details"]} == {
        ("customer", "nombre entier attendu"),
        ("lines.1.quantity", "nombre attendu (« 12.50 » ou 12.50)"),
        ("terms_days", "valeur trop grande (999 au plus)"),
        ("x", "champ inconnu"),
    }
    assert body["message"].startswith("Requête invalide : customer : nombre entier attendu")
