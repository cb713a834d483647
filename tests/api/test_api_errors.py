"""Whatever goes wrong under /api/ answers JSON in the API's error format: unknown paths
(404), methods a path does not take (405), an unexpected exception (500)."""

import pytest
from django.test import Client

from .conftest import ApiClient, assert_error


@pytest.mark.parametrize(
    "path",
    ["/api/nothing-here", "/api/", "/api/customers/1/nothing", "/api/invoices/abc/pdf"],
)
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_unknown_path_is_json_404(api, path, method):
    body = assert_error(getattr(api.client, method)(path), 404, "not_found")
    assert path in body["message"]


def test_unknown_path_is_json_404_without_a_token(anonymous):
    assert_error(anonymous.get("/api/nothing-here"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/api/customers", {"GET", "POST"}),
        ("put", "/api/customers/1", {"GET", "PATCH"}),
        ("get", "/api/invoices/1/issue", {"POST"}),
        ("post", "/api/reports/dso", {"GET"}),
    ],
)
def test_method_not_allowed_is_json_405_with_allow(api, method, path, allowed):
    response = getattr(api.client, method)(path, HTTP_AUTHORIZATION=f"Bearer {api.key}")
    body = assert_error(response, 405, "method_not_allowed")
    assert set(response["Allow"].replace(" ", "").split(",")) == allowed
    assert method.upper() in body["message"]


def test_unexpected_exception_is_json_500(api, customer, monkeypatch):
    """A bug still answers in the API's format (and is logged as usual by Django)."""

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("encaisse.api.routers.customers.services.search", broken)
    client = ApiClient(api.key)
    client.client = Client(raise_request_exception=False)
    body = assert_error(client.get("/api/customers"), 500, "server_error")
    assert "bug" not in body["message"]  # nothing of the internals leaks


def test_pages_outside_the_api_keep_their_html_404(db):
    response = Client().get("/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
