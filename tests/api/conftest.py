"""API fixtures: tokens made by the token service, a client that speaks JSON with one."""

import json

import pytest
from django.test import Client

from encaisse.api.tokens import create_token
from encaisse.companies.models import Role


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


def db_state() -> dict:
    """Row counts of everything an API call could create, and the rows' last change."""
    from encaisse.api.models import ApiToken
    from encaisse.audit.models import AuditEntry
    from encaisse.catalog.models import Product
    from encaisse.companies.models import Membership, NumberSequence
    from encaisse.customers.models import Customer
    from encaisse.ledger.models import JournalEntry
    from encaisse.receivables.models import Allocation, Installment, Payment
    from encaisse.sales.models import Invoice, InvoiceAllowance, InvoiceLine

    state = {
        model.__name__: model.objects.count()
        for model in (
            ApiToken,
            AuditEntry,
            Customer,
            Invoice,
            InvoiceAllowance,
            InvoiceLine,
            Membership,
            NumberSequence,
            Product,
            Payment,
            Allocation,
            JournalEntry,
        )
    }
    state["customers"] = sorted(Customer.objects.values_list("pk", "updated_at"))
    state["products"] = sorted(Product.objects.values_list("pk", "updated_at"))
    state["invoices"] = sorted(Invoice.objects.values_list("pk", "status", "updated_at"))
    state["sequences"] = sorted(NumberSequence.objects.values_list("pk", "last_number"))
    state["allocations"] = sorted(Allocation.objects.values_list("pk", "undone_on"))
    for model in (Payment, Installment):
        state[f"{model.__name__} settled"] = sorted(
            model.objects.values_list("pk", "settled_on", "reopened")
        )
    return state


@pytest.fixture
def unchanged(db):
    """`with unchanged(): ...` asserts the block changed nothing in the database."""
    from contextlib import contextmanager

    @contextmanager
    def check():
        before = db_state()
        yield
        assert db_state() == before

    return check


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    """The response is our JSON error with this status, code and (when given) field."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    if field is not None:
        assert body.get("field") == field, body
    return body
