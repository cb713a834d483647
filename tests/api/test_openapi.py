"""The OpenAPI document and the docs page."""

from django.test import Client

STABLE_PATHS = {
    "/api/customers": {"get", "post"},
    "/api/customers/{id}": {"get", "patch"},
    "/api/products": {"get", "post"},
    "/api/invoices": {"get", "post"},
    "/api/invoices/{id}": {"get"},
    "/api/invoices/{id}/issue": {"post"},
    "/api/invoices/{id}/credit-note": {"post"},
    "/api/payments": {"get", "post"},
    "/api/payments/{id}": {"get"},
    "/api/payments/{id}/proposal": {"get"},
    "/api/payments/{id}/allocate": {"post"},
    "/api/allocations/{id}/undo": {"post"},
    "/api/customers/{id}/statement": {"get"},
    "/api/reports/aged-balance": {"get"},
    "/api/reports/aged-balance/items": {"get"},
    "/api/reports/dso/trend": {"get"},
    "/api/reports/dso": {"get"},
    "/api/ledger/fec": {"get"},
}


def test_openapi_lists_the_stable_paths(db):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path, methods in STABLE_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_money_is_a_string_in_the_schema(db):
    components = Client().get("/api/openapi.json").json()["components"]["schemas"]
    assert components["InvoiceOut"]["properties"]["total_incl_vat"]["type"] == "string"
    quantity = components["LineIn"]["properties"]["quantity"]
    assert {"type": "string", "example": "12.50"} in quantity["anyOf"]


def test_receivables_schemas_give_money_as_text(db):
    schema = Client().get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    assert components["PaymentOut"]["properties"]["unallocated"]["type"] == "string"
    assert components["AgedRowOut"]["properties"]["balance"]["type"] == "string"
    assert components["PaymentIn"]["properties"]["method"]["enum"] == [
        "transfer",
        "cheque",
        "card",
        "direct_debit",
        "cash",
        "lcr",
    ]
    fec = schema["paths"]["/api/ledger/fec"]["get"]["responses"]["200"]["content"]
    assert list(fec) == ["text/plain; charset=iso-8859-15"]
