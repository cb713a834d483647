"""Every list the API returns is paged: each GET answering a JSON array or a page takes
limit/offset (at most 500), and refuses a bad one with the API's 422."""

import pytest
from django.test import Client

from .conftest import assert_error

BOUNDED_ARRAYS = {"/api/reports/dso/trend"}  # at most `points` (24) DSO, not a list of rows


def operations():
    """(path, GET operation) of the OpenAPI document."""
    document = Client().get("/api/openapi.json").json()
    for path, methods in document["paths"].items():
        if "get" in methods:
            yield path, methods["get"], document


def schema_of(operation, document) -> dict:
    content = operation["responses"].get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


@pytest.mark.django_db
def test_every_list_is_paged():
    unpaged, paged = [], []
    for path, operation, document in operations():
        schema = schema_of(operation, document)
        params = {p["name"] for p in operation.get("parameters", [])}
        is_list = schema.get("type") == "array" or "count" in schema.get("properties", {})
        if not is_list or path in BOUNDED_ARRAYS:
            continue
        (
            paged if {"limit", "offset"} <= params and schema.get("type") != "array" else unpaged
        ).append(path)
    assert unpaged == []
    assert "/api/reports/aged-balance" in paged and "/api/reports/aged-balance/items" in paged
    assert len(paged) >= 9


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "deux"}]
)
def test_bad_paging_is_422_everywhere(api, customer, params):
    for path, operation, _document in operations():
        names = {p["name"] for p in operation.get("parameters", [])}
        if "limit" not in names or "{" in path:
            continue
        limit = next(p for p in operation["parameters"] if p["name"] == "limit")
        if params == {"limit": 0} and limit.get("schema", {}).get("minimum") == 0:
            continue  # the reconciliation report: 0 asks for the totals alone
        required = {"customer": customer.pk, "bucket": 0, "account": 1}
        extra = {k: v for k, v in required.items() if k in names}
        response = api.get(path, {**extra, **params})
        assert_error(response, 422, "invalid_request", next(iter(params)))
