"""Random JSON against every writing endpoint: a 4xx JSON error or a success, never a 500.

Deterministic (derandomized) and short, so it runs with the rest of the suite; for a
longer run: ENCAISSE_API_FUZZ_EXAMPLES=500 pytest tests/api/test_fuzz.py
"""

import datetime as dt
import json
import os

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=int(os.environ.get("ENCAISSE_API_FUZZ_EXAMPLES", "30")),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OK = {200, 201}
ERRORS = {400, 403, 404, 409, 413, 422}

odd_text = st.sampled_from(
    ["", " ", "\x00", "\ud800", "x" * 600, "1e400", "NaN", "-0", "0.00001", "12,50", "20", "é"]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**25), max_value=10**25)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | odd_text
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def bodies(fields: dict):
    """Objects with some of `fields` (known names, plausible or random values)."""
    return (
        st.fixed_dictionaries(
            {}, optional={name: (plausible | values) for name, plausible in fields.items()}
        )
        | values
    )


def check(response):
    assert response.status_code in OK | ERRORS, (response.status_code, response.content[:500])
    if response.status_code in ERRORS:
        body = response.json()
        assert isinstance(body["code"], str) and isinstance(body["message"], str)


CUSTOMER_FIELDS = {
    "legal_name": st.text(max_size=30),
    "kind": st.sampled_from(["professional", "consumer", "x"]),
    "siren": st.sampled_from(["552100554", "443061841", "123"]),
    "siret": st.sampled_from(["55210055400013", "1"]),
    "billing_country": st.sampled_from(["FR", "BE", "ZZ"]),
    "terms_kind": st.sampled_from(["net", "eom", "receipt", ""]),
    "terms_days": st.integers(-5, 100),
}
PRODUCT_FIELDS = {
    "reference": st.text(min_size=1, max_size=10),
    "label": st.text(min_size=1, max_size=10),
    "kind": st.sampled_from(["goods", "service"]),
    "unit": st.sampled_from(["C62", "HUR", "ZZZ"]),
    "unit_price": st.sampled_from(["1.5", 2, "-1", "1.23456", 1e30]),
    "vat_rate": st.sampled_from(["20", 5.5, "0", "7", "abc"]),
    "vat_exemption": st.sampled_from(["", "E", "K", "ZZ"]),
}
money = st.sampled_from(["1", "2.5", 3, "0", "-1", "1e9", "0.00001", 0.1])
line = st.fixed_dictionaries(
    {},
    optional={
        "product": st.integers(-1, 5),
        "description": st.text(max_size=10),
        "item_kind": st.sampled_from(["goods", "service", "x"]),
        "quantity": money,
        "unit_price": money,
        "discount_percent": money,
        "vat_rate": st.sampled_from(["20", "5.5", "0", "9"]),
        "vat_exemption": st.sampled_from(["", "E"]),
    },
)
INVOICE_FIELDS = {
    "customer": st.integers(-1, 5),
    "lines": st.lists(line, max_size=3),
    "allowances": st.lists(
        st.fixed_dictionaries({"amount": money, "reason": st.text(max_size=5)}), max_size=2
    ),
    "terms_kind": st.sampled_from(["net", "eom", "receipt"]),
    "terms_days": st.integers(-1, 90),
    "delivery_date": st.dates().map(dt.date.isoformat),
}
CREDIT_FIELDS = {
    "mode": st.sampled_from(["full", "lines", "amount", "x"]),
    "lines": st.lists(st.fixed_dictionaries({"line": st.integers(0, 5), "quantity": money})),
    "amount": money,
    "vat_rate": st.sampled_from(["20", "5.5", "10", None]),
    "reason": st.text(max_size=10),
    "issue": st.booleans(),
    "issue_date": st.dates(min_value=dt.date(2025, 1, 1)).map(dt.date.isoformat),
}

PAYMENT_FIELDS = {
    "customer": st.integers(-1, 5),
    "amount": money,
    "date": st.dates().map(dt.date.isoformat),
    "method": st.sampled_from(["transfer", "cheque", "card", "direct_debit", "cash", "lcr", "x"]),
    "payer": st.text(max_size=10),
    "reference": st.text(max_size=20),
    "bank_account": st.sampled_from(["", "FR7630006000011234567890189", "FR76", "x" * 40]),
}
ALLOCATE_FIELDS = {
    "items": st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "installment": st.integers(-1, 5),
                "invoice": st.integers(-1, 5),
                "amount": money,
            },
        ),
        max_size=3,
    ),
    "allocated_on": st.dates().map(dt.date.isoformat),
}
UNDO_FIELDS = {
    "reason": st.text(max_size=10),
    "undone_on": st.dates().map(dt.date.isoformat),
}


@pytest.fixture(autouse=True)
def frozen_today():
    with freeze_time("2026-03-10 10:00:00"):
        yield


@FUZZ
@given(body=bodies(CUSTOMER_FIELDS))
def test_fuzz_customers(api, customer, body):
    check(api.post("/api/customers", body))
    check(api.patch(f"/api/customers/{customer.pk}", body))


@FUZZ
@given(body=bodies(PRODUCT_FIELDS))
def test_fuzz_products(api, product, body):
    check(api.post("/api/products", body))


@FUZZ
@given(body=bodies(INVOICE_FIELDS))
def test_fuzz_invoices(api, customer, product, body):
    check(api.post("/api/invoices", body))


@FUZZ
@given(body=bodies(CREDIT_FIELDS), issue=bodies({"issue_date": CREDIT_FIELDS["issue_date"]}))
def test_fuzz_issue_and_credit_notes(api, make_invoice, body, issue):
    invoice = make_invoice(issue_on=dt.date(2026, 3, 10))
    check(api.post(f"/api/invoices/{invoice.pk}/credit-note", body))
    check(api.post(f"/api/invoices/{make_invoice().pk}/issue", issue))


@FUZZ
@given(
    payment=bodies(PAYMENT_FIELDS),
    allocation=bodies(ALLOCATE_FIELDS),
    undo=bodies(UNDO_FIELDS),
)
def test_fuzz_payments_and_allocations(api, customer, make_invoice, pay, payment, allocation, undo):
    make_invoice(issue_on=dt.date(2026, 3, 1))
    received = pay("50.00", dt.date(2026, 3, 2))
    check(api.post("/api/payments", payment))
    response = api.post(f"/api/payments/{received.pk}/allocate", allocation)
    check(response)
    for line in response.json().get("allocations", [])[:1]:
        check(api.post(f"/api/allocations/{line['id']}/undo", undo))


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "as_of",
                "buckets",
                "segment",
                "risk_class",
                "salesperson",
                "customer",
                "format",
                "months",
                "year",
                "limit",
                "offset",
                "unallocated",
                "date_from",
                "method",
            ]
        ),
        st.text(max_size=12)
        | st.integers().map(str)
        | st.dates().map(dt.date.isoformat)
        | st.lists(st.integers(-5, 10**6).map(str), max_size=4).map(",".join),
        max_size=4,
    )
)
def test_fuzz_report_parameters(api, customer, params):
    for path in (
        "/api/payments",
        f"/api/customers/{customer.pk}/statement",
        "/api/reports/aged-balance",
        "/api/reports/dso",
        "/api/ledger/fec",
    ):
        check(api.get(path, params))


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "limit",
                "offset",
                "q",
                "status",
                "kind",
                "customer",
                "issued_from",
                "issued_to",
                "number",
                "active",
            ]
        ),
        st.text(max_size=12) | st.integers().map(str),
        max_size=4,
    )
)
def test_fuzz_list_filters(api, customer, params):
    for path in ("/api/customers", "/api/products", "/api/invoices"):
        response = api.get(path, params)
        check(response)
        json.loads(response.content)
