"""GET|POST /api/products (and GET /api/products/{id})."""

from decimal import Decimal

import pytest

from encaisse.catalog.models import Product

from .conftest import assert_error

NEW = {
    "reference": "CROIS-12",
    "label": "Croissants, carton de 12",
    "kind": "goods",
    "unit_price": "7.35",
    "vat_rate": "5.5",
}


def test_create_keeps_prices_exact(api, company):
    response = api.post("/api/products", {**NEW, "cost_price": 4.1234})
    assert response.status_code == 201, response.content
    body = response.json()
    # strings with the column's decimals; 4.1234 sent as a JSON number stays 4.1234
    assert body["unit_price"] == "7.3500"
    assert body["cost_price"] == "4.1234"
    assert body["vat_rate"] == "5.50"
    assert (body["unit"], body["is_active"]) == ("C62", True)
    assert Product.objects.get(pk=body["id"], company=company).unit_price == Decimal("7.3500")


def test_zero_rate_takes_the_default_exemption_reason(api):
    body = api.post(
        "/api/products", {**NEW, "vat_rate": 0, "vat_exemption": "K", "reference": "EXP-1"}
    ).json()
    assert body["vat_exemption_reason"] == "Exonération de TVA, article 262 ter I du CGI"


def test_list_search_and_active_filter(api, product, service_product, company, admin):
    api.post("/api/products", {**NEW, "is_active": False})
    all_refs = [p["reference"] for p in api.get("/api/products").json()["items"]]
    assert all_refs == ["CROIS-12", "MAINT-H", "PAIN-01"]
    assert api.get("/api/products", {"active": "true"}).json()["count"] == 2
    found = api.get("/api/products", {"q": "four"}).json()
    assert [p["reference"] for p in found["items"]] == ["MAINT-H"]
    assert api.get(f"/api/products/{product.pk}").json()["unit_price"] == "18.9000"


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({**NEW, "reference": "PAIN-01"}, "duplicate_reference", "reference"),
        ({**NEW, "unit_price": "-1"}, "negative", "unit_price"),
        ({**NEW, "unit_price": "abc"}, "invalid_number", "unit_price"),
        ({**NEW, "unit_price": "1.23456"}, "too_many_decimals", "unit_price"),
        ({**NEW, "unit_price": "1e12"}, "too_large", "unit_price"),
        ({**NEW, "unit_price": "NaN"}, "invalid_number", "unit_price"),
        ({**NEW, "vat_rate": "19.6"}, "invalid_vat_rate", "vat_rate"),
        ({**NEW, "vat_rate": "0"}, "vat_exemption_required", "vat_exemption"),
        ({**NEW, "vat_rate": "abc"}, "invalid_request", "vat_rate"),
        ({**NEW, "vat_rate": "1e30"}, "invalid_request", "vat_rate"),
        ({**NEW, "kind": "thing"}, "invalid_kind", "kind"),
        ({**NEW, "unit": "XX"}, "invalid_unit", "unit"),
        ({**NEW, "unit_price": True}, "invalid_request", "unit_price"),
        ({**NEW, "unit_price": [1]}, "invalid_request", "unit_price"),
        ({**NEW, "unit_price": 10**40}, "invalid_request", "unit_price"),
        ({**NEW, "reference": "R" * 51}, "invalid_request", "reference"),
        ({**NEW, "price": "1"}, "invalid_request", "price"),
    ],
)
def test_refusals_change_nothing(api, product, unchanged, data, code, field):
    with unchanged():
        assert_error(api.post("/api/products", data), 422, code, field)


def test_read_only_role_gets_403(reader_api, product, unchanged):
    with unchanged():
        assert_error(reader_api.post("/api/products", NEW), 403, "forbidden")


def test_another_companys_product_is_404(other_api, product):
    assert_error(other_api.get(f"/api/products/{product.pk}"), 404, "not_found")
    assert other_api.get("/api/products").json()["count"] == 0
