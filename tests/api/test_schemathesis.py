"""Schemathesis against the published OpenAPI document, in-process (WSGI), with the token
of a company that has five months of business (`seed.py`).

Every operation, reads and writes, gets schemathesis' examples, coverage cases (bounds,
missing and wrong-typed values) and fuzzed requests, valid and invalid; then stateful
sequences follow the links it infers (create a draft, then issue it...). Any 5xx, any
status the document does not declare, any body or content type that does not match the
document fails the test. Random data rarely passes every business rule, so one more test
walks a day's work (each write once, with valid data) under the same checks: every
success body is validated too.

Deterministic (fixed seed, derandomized) and bounded, so it runs in `make test` on SQLite
and PostgreSQL; for a longer run:
ENCAISSE_SCHEMATHESIS_EXAMPLES=100 pytest -n 0 tests/api/test_schemathesis.py
"""

import os
from contextlib import contextmanager

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from freezegun import freeze_time
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from encaisse.collection.models import PromiseToPay
from encaisse.dunning.models import Reminder, ReminderStatus
from encaisse.jobs.runner import run_pending_jobs
from encaisse.sales.models import Invoice

from .seed import TODAY, seed

EXAMPLES = int(os.environ.get("ENCAISSE_SCHEMATHESIS_EXAMPLES", "10"))
SEED = 20261204
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Which seeded records an id in the path names: the first (method, path prefix) that
# matches, so that each write reaches the records it can act on.
PATH_IDS = [
    ("POST", "/api/invoices/{id}/issue", "drafts"),
    ("PATCH", "/api/invoices/{id}", "drafts"),
    ("", "/api/invoices/{id}/", "issued"),  # credit note, penalties, the archived files
    ("", "/api/invoices/{id}", "invoices"),
    ("", "/api/customers/{id}", "customers"),
    ("", "/api/products/{id}", "products"),
    ("", "/api/payments/{id}", "payments"),
    ("", "/api/allocations/{id}", "allocations"),
    ("", "/api/disputes/{id}", "disputes"),
    ("POST", "/api/dunning/proposals/{id}/send", "proposed"),
]
# ... and in a body or a query, by the field that holds it.
FIELD_IDS = {
    "customer": "customers",
    "invoice": "invoices",
    "invoices": "invoices",
    "installment": "installments",
    "product": "products",
    "owner": "users",
    "line": "lines",
}


SEEDED_IDS: dict[str, list[int]] = {}  # filled by `seeded`, read by the hooks below


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The seeded company, once for the module: each test then runs in a savepoint of
    this transaction (pytest-django's `db`) and is rolled back to it. The clock stands on
    TODAY. Requests run in the test's transaction, as with Django's test client: the
    handler must not close the connection at the start and end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    archive = tmp_path_factory.mktemp("archive")
    with (
        django_db_blocker.unblock(),
        override_settings(ENCAISSE_ARCHIVE_DIR=archive),
        transaction.atomic(),
    ):
        data = seed()
        SEEDED_IDS.update(data.ids)
        with freeze_time(f"{TODAY.isoformat()} 10:00"):
            yield data
        transaction.set_rollback(True)
    SEEDED_IDS.clear()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def archive_dir(seeded):
    """The seeded documents' archive (set by `seeded`), not a new empty one per test."""


def _pick(value, pool: list[int], n: int):
    """A seeded id in place of a generated one, two times out of three."""
    if n % 3 == 0 or not pool:
        return value
    if isinstance(value, list):
        return [pool[(n + i) % len(pool)] for i in range(len(value))]
    return pool[n % len(pool)] if isinstance(value, int) and not isinstance(value, bool) else value


def _steer(value, ids: dict, n: int):
    """Replace the ids a body or query holds with seeded ones (recursively)."""
    if isinstance(value, list):
        return [_steer(item, ids, n + i) for i, item in enumerate(value)]
    if not isinstance(value, dict):
        return value
    return {
        key: _pick(item, ids.get(FIELD_IDS[key], []), n)
        if key in FIELD_IDS
        else _steer(item, ids, n)
        for key, item in value.items()
    }


def steer_ids_to_seeded_records(schema, ids: dict) -> None:
    """Generated ids name seeded records two times out of three (else, mostly, nothing):
    the writes reach real drafts, invoices, payments, reminders."""
    numbers = st.integers(min_value=0, max_value=10**6)

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        operation = context.operation
        pool = next(
            (
                key
                for method, prefix, key in PATH_IDS
                if operation.path.startswith(prefix) and method in ("", operation.method.upper())
            ),
            None,
        )
        if pool is None or not isinstance(path_parameters, dict) or "id" not in path_parameters:
            return st.just(path_parameters)
        generated = path_parameters["id"]
        return numbers.map(
            lambda n: {**path_parameters, "id": _pick(generated, ids.get(pool, []), n)}
        )

    @schema.hook
    def flatmap_query(context, query):
        return numbers.map(lambda n: _steer(query, ids, n))

    @schema.hook
    def flatmap_body(context, body):
        return numbers.map(lambda n: _steer(body, ids, n))


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",  # valid and invalid requests
            "max-examples": EXAMPLES,
            "deterministic": True,
            "database": "none",
            "with-security-parameters": False,  # the token is the seeded company's
        },
    }
)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application(), config=CONFIG)
steer_ids_to_seeded_records(schema, SEEDED_IDS)
SETTINGS = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))


@contextmanager
def rolled_back():
    """Each generated request (each stateful sequence) starts from the seeded records:
    what one changes is gone for the next, so a run replays the same."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, **SETTINGS)
def test_operation_conforms(case, seeded, db):
    with rolled_back():
        case.call_and_validate(headers={"Authorization": f"Bearer {seeded.key}"}, checks=CHECKS)


def test_stateful_sequences_conform(seeded, db):
    class Machine(schema.as_state_machine()):
        def setup(self):
            self.savepoint = rolled_back()
            self.savepoint.__enter__()

        def teardown(self):
            self.savepoint.__exit__(None, None, None)

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {seeded.key}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Machine.run(
        settings=settings(
            max_examples=EXAMPLES * 3, stateful_step_count=6, derandomize=True, **SETTINGS
        )
    )


def test_the_seed_reaches_every_kind_of_record(seeded, db):
    """The records the writes need are there (else the run would only meet 404s)."""
    ids = seeded.ids
    assert len(ids["customers"]) == 5 and len(ids["drafts"]) == 3
    assert len(ids["issued"]) == 11  # ten invoices and a credit note
    assert len(ids["payments"]) == 4
    assert len(ids["allocations"]) == 4  # three payments and the credit note
    assert len(ids["disputes"]) == 1
    proposed = Reminder.objects.filter(pk__in=ids["proposed"])
    assert proposed.filter(level__gte=2).exists()  # a letter to validate and send
    assert Reminder.objects.filter(status=ReminderStatus.SENT, level__gte=2).exists()
    assert PromiseToPay.objects.count() == 1


def test_every_write_succeeds_once_and_its_answer_conforms(seeded, db):
    """Random data rarely passes every business rule: a day's work through the API,
    one call per write (and the files), each answer checked against the document like the
    generated ones, so every success body is validated too."""
    ids = seeded.ids
    auth = {"Authorization": f"Bearer {seeded.key}"}

    def call(method, path, status, body=None, **params):
        operation = schema[path][method]
        case = operation.Case(
            path_parameters={k: v for k, v in params.items() if k == "id"},
            query={k: v for k, v in params.items() if k != "id"},
            **({} if body is None else {"body": body, "media_type": "application/json"}),
        )
        response = case.call_and_validate(headers=auth, checks=CHECKS)
        assert response.status_code == status, (method, path, response.text[:300])
        is_json = "application/json" in response.headers.get("content-type", [""])[0]
        return response.json() if is_json else None

    customer = call("POST", "/api/customers", 201, {"legal_name": "Moulin Girard SARL"})
    call("PATCH", "/api/customers/{id}", 200, {"phone": "04 78 00 00 00"}, id=customer["id"])
    product = {"reference": "SEL-1", "label": "Sel de Guérande, 1 kg", "kind": "goods"}
    call("POST", "/api/products", 201, product | {"unit_price": "3.10", "vat_rate": "5.5"})
    lines = [{"product": ids["products"][0], "quantity": "4"}]
    draft = call("POST", "/api/invoices", 201, {"customer": ids["customers"][0], "lines": lines})
    call("PATCH", "/api/invoices/{id}", 200, {"notes": "Livraison le matin."}, id=draft["id"])
    issued = call("POST", "/api/invoices/{id}/issue", 200, {}, id=draft["id"])
    call("GET", "/api/invoices/{id}/pdf", 409, id=issued["id"])  # document_not_ready
    run_pending_jobs()  # the worker renders and archives it
    for file in ("pdf", "facturx", "ubl"):
        call("GET", f"/api/invoices/{{id}}/{file}", 200, id=issued["id"])
    call("GET", "/api/invoices/{id}/penalties", 200, id=ids["issued"][5])
    note = {"mode": "amount", "amount": "10.00", "vat_rate": "5.5", "reason": "Sac abîmé"}
    call("POST", "/api/invoices/{id}/credit-note", 201, note, id=issued["id"])

    payment = {"customer": ids["customers"][0], "amount": "50.00", "method": "transfer"}
    paid = call("POST", "/api/payments", 201, payment)
    call("GET", "/api/payments/{id}/proposal", 200, id=paid["id"])
    allocated = call("POST", "/api/payments/{id}/allocate", 200, {}, id=paid["id"])
    (allocation,) = allocated["allocations"]
    call("POST", "/api/allocations/{id}/undo", 200, {"reason": "Erreur"}, id=allocation["id"])

    dispute = {
        "invoice": ids["issued"][7],
        "category": "price",
        "customer_words": "Le prix convenu était plus bas.",
        "owner": ids["users"][1],
        "department": "sales",
        "target_date": "2026-05-30",
    }
    opened = call("POST", "/api/disputes", 201, dispute)
    resolution = {"outcome": "rejected", "reason": "Prix du devis signé."}
    call("POST", "/api/disputes/{id}/resolve", 200, resolution, id=opened["id"])
    invoice = Invoice.objects.get(pk=ids["issued"][8])
    promise = {
        "customer": invoice.customer_id,
        "invoices": [invoice.pk],
        "amount": str(invoice.total_incl_vat),
        "promised_on": "2026-05-22",
        "promised_by": "M. Girard",
        "channel": "phone",
    }
    call("POST", "/api/promises", 201, promise)

    call("POST", "/api/dunning/run", 200, {})
    letter = Reminder.objects.filter(pk__in=ids["proposed"], level__gte=2).first()
    call("POST", "/api/dunning/proposals/{id}/send", 200, {"registered_mail_ref": "1A 0001 9"},
         id=letter.pk)  # fmt: skip
    for format in ("json", "csv", "xlsx"):
        call("GET", "/api/reports/aged-balance", 200, format=format)
    call("GET", "/api/customers/{id}/statement.pdf", 200, id=ids["customers"][0])
    call("GET", "/api/ledger/fec", 200, year=2026)
