"""GET|POST /api/customers, GET|PATCH /api/customers/{id}."""

import pytest

from encaisse.customers.models import Customer
from encaisse.customers.services import create_customer

from .conftest import assert_error

NEW = {
    "legal_name": "Fromagerie Vial SAS",
    "siren": "443 061 841",  # spaces are fine: the service normalizes
    "billing_line1": "8 rue Mercière",
    "billing_postal_code": "69002",
    "billing_city": "Lyon",
    "terms_kind": "eom",
    "terms_days": 45,
}


@pytest.fixture
def customers(company, admin, customer):
    """Three customers: Dupont (Lyon, fixture), Vial (Lyon), Arnaud (Grenoble, consumer)."""
    vial = create_customer(company, {**NEW}, by=admin)
    arnaud = create_customer(
        company,
        {"legal_name": "Arnaud Claire", "kind": "consumer", "billing_city": "Grenoble"},
        by=admin,
    )
    return customer, vial, arnaud


def names(response):
    assert response.status_code == 200, response.content
    return [item["legal_name"] for item in response.json()["items"]]


def test_list_is_paginated_in_name_order_with_the_total(api, customers):
    response = api.get("/api/customers", {"limit": 2})
    body = response.json()
    assert body["count"] == 3
    assert (body["limit"], body["offset"]) == (2, 0)
    assert names(response) == ["Arnaud Claire", "Boulangerie Dupont SARL"]
    assert names(api.get("/api/customers", {"limit": 2, "offset": 2})) == ["Fromagerie Vial SAS"]
    assert names(api.get("/api/customers", {"offset": 10})) == []


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("vial", ["Fromagerie Vial SAS"]),
        ("lyon", ["Boulangerie Dupont SARL", "Fromagerie Vial SAS"]),
        ("552 100", ["Boulangerie Dupont SARL"]),  # SIREN prefix, with a space
        ("4430618410", []),  # SIRET prefix: Vial has no SIRET
        ("grenoble", ["Arnaud Claire"]),
        ("", ["Arnaud Claire", "Boulangerie Dupont SARL", "Fromagerie Vial SAS"]),
    ],
)
def test_search(api, customers, q, expected):
    assert names(api.get("/api/customers", {"q": q})) == expected


def test_create_returns_the_normalized_customer(api, company, unchanged):
    response = api.post("/api/customers", NEW)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["siren"] == "443061841"
    assert (body["terms_kind"], body["terms_days"]) == ("eom", 45)
    assert body["kind"] == "professional" and body["billing_country"] == "FR"
    stored = Customer.objects.get(pk=body["id"])
    assert stored.company == company and stored.legal_name == "Fromagerie Vial SAS"


def test_get_one(api, customer):
    body = api.get(f"/api/customers/{customer.pk}").json()
    assert body["id"] == customer.pk
    assert body["siret"] == "55210055400013"


def test_patch_changes_only_what_is_sent(api, customer):
    response = api.patch(
        f"/api/customers/{customer.pk}", {"email": "compta@dupont.fr", "billing_line2": None}
    )
    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert customer.email == "compta@dupont.fr"
    assert customer.legal_name == "Boulangerie Dupont SARL"
    assert customer.siren == "552100554"


@pytest.mark.parametrize(
    ("data", "status", "code", "field"),
    [
        ({**NEW, "siren": "123456789"}, 422, "invalid_siren", "siren"),
        ({**NEW, "siren": "552100554"}, 422, "duplicate_siren", "siren"),  # Dupont's
        ({**NEW, "terms_kind": "net", "terms_days": 61}, 422, "terms_exceed_legal_cap", None),
        ({**NEW, "kind": "consumer"}, 422, "consumer_with_siren", "siren"),
        ({**NEW, "kind": "martian"}, 422, "invalid_kind", "kind"),
        ({**NEW, "legal_name": "  "}, 422, "required", "legal_name"),
        ({k: v for k, v in NEW.items() if k != "legal_name"}, 422, "invalid_request", "legal_name"),
        ({**NEW, "colour": "blue"}, 422, "invalid_request", "colour"),
        ({**NEW, "terms_days": "soon"}, 422, "invalid_request", "terms_days"),
        ({**NEW, "terms_days": -1}, 422, "invalid_request", "terms_days"),
        ({**NEW, "terms_days": 10**30}, 422, "invalid_request", "terms_days"),
        ({**NEW, "legal_name": "x" * 201}, 422, "invalid_request", "legal_name"),
        ({**NEW, "legal_name": "Nul\x00le"}, 422, "invalid_request", "legal_name"),
        ({**NEW, "billing_country": "FRA"}, 422, "invalid_request", "billing_country"),
        ({**NEW, "legal_name": 12}, 422, "invalid_request", "legal_name"),
        ({**NEW, "email": ["a@b.fr"]}, 422, "invalid_request", "email"),
    ],
)
def test_create_refusals_change_nothing(api, customer, unchanged, data, status, code, field):
    with unchanged():
        assert_error(api.post("/api/customers", data), status, code, field)


@pytest.mark.parametrize("body", ["[]", '"text"', "null", "42", "{"])
def test_create_with_a_body_that_is_not_an_object(api, customer, unchanged, body):
    with unchanged():
        response = api.post("/api/customers", raw=body)
        assert response.status_code in (400, 422)
        assert response.json()["code"] in ("invalid_json", "invalid_request")


def test_patch_refusals_change_nothing(api, customer, company, admin, unchanged):
    create_customer(company, NEW, by=admin)
    with unchanged():
        for data, code in [
            ({"siren": "443061841", "siret": None}, "duplicate_siren"),
            ({"legal_name": None}, "required"),
            ({"terms_kind": "net", "terms_days": 90}, "terms_exceed_legal_cap"),
            ({"id": 99}, "invalid_request"),
        ]:
            assert_error(api.patch(f"/api/customers/{customer.pk}", data), 422, code)


def test_read_only_role_cannot_create_or_change(reader_api, customer, unchanged):
    with unchanged():
        body = assert_error(reader_api.post("/api/customers", NEW), 403, "forbidden")
        assert "Lecture seule" in body["message"]
        assert_error(
            reader_api.patch(f"/api/customers/{customer.pk}", {"email": "x@y.fr"}), 403, "forbidden"
        )
    # reading is allowed
    assert reader_api.get(f"/api/customers/{customer.pk}").status_code == 200


def test_another_companys_customer_is_404(other_api, customer, unchanged):
    with unchanged():
        assert_error(other_api.get(f"/api/customers/{customer.pk}"), 404, "not_found")
        assert_error(
            other_api.patch(f"/api/customers/{customer.pk}", {"email": "pirate@x.fr"}),
            404,
            "not_found",
        )
    assert other_api.get("/api/customers").json() == {
        "count": 0,
        "limit": 50,
        "offset": 0,
        "items": [],
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/customers/999999",
        "/api/customers/0",
        "/api/customers/99999999999999999999999999",
        "/api/customers/abc",
        "/api/customers/-1",
        "/api/customers/",
    ],
)
def test_unknown_ids_and_paths_are_json_404(api, customer, path):
    assert_error(api.get(path), 404, "not_found")


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "x"}, {"offset": 10**30}],
)
def test_bad_pagination_is_422(api, customer, params):
    assert_error(api.get("/api/customers", params), 422, "invalid_request", next(iter(params)))


def test_search_with_a_nul_character_is_422(api, customer):
    assert_error(api.get("/api/customers", {"q": "a\x00b"}), 422, "invalid_request", "q")
