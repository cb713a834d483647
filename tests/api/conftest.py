"""API fixtures: tokens made by the token service, a client that speaks JSON with one."""

import json

import pytest
from django.test import Client

from encaisse.api.tokens import create_token
from encaisse.companies.models import Role
from tests.conftest import CUSTOMER, OTHER_SELLER  # noqa: F401 (re-exported for tests)


class ApiClient:
    """Django's test client with `Authorization: Bearer <key>` and JSON bodies."""

    def __init__(self, key: str | None = None):
        self.client = Client()
        self.key = key

    def _headers(self, extra):
        headers = {}
        if self.key is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.key}"
        headers.update(extra)
        return headers

    def get(self, path, params=None, **extra):
        return self.client.get(path, params or {}, **self._headers(extra))

    def _send(self, method, path, data, raw, extra):
        body = raw if raw is not None else ("" if data is None else json.dumps(data))
        return getattr(self.client, method)(
            path, body, content_type="application/json", **self._headers(extra)
        )

    def post(self, path, data=None, raw=None, **extra):
        return self._send("post", path, data, raw, extra)

    def patch(self, path, data=None, raw=None, **extra):
        return self._send("patch", path, data, raw, extra)


@pytest.fixture
def make_key():
    def make(user, company, name=""):
        return create_token(user, company, name)[1]

    return make


@pytest.fixture
def api(admin, company, make_key):
    """A client authenticated as the admin of `company`."""
    return ApiClient(make_key(admin, company, "tests"))


@pytest.fixture
def anonymous():
    return ApiClient()


@pytest.fixture
def reader_api(company, make_user, make_key):
    reader = make_user("lecteur", company, Role.READ_ONLY)
    return ApiClient(make_key(reader, company))


@pytest.fixture
def other_admin(other_company, make_user):
    return make_user("autre-admin", other_company, Role.ADMIN)


@pytest.fixture
def other_api(other_company, other_admin, make_key):
    """A client of the other company: everything of `company` is 404 to it."""
    return ApiClient(make_key(other_admin, other_company))
