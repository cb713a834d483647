"""Every value a request carries is bounded where it is parsed: each text has a length
limit and the documents' character check (fields.Text / TextOf), each date the window of
validation.DATE_MIN..DATE_MAX (fields.DateIn). Walks the request models of every
endpoint, so that a new schema cannot forget it."""

import datetime as dt
import re

import pytest
from ninja import Schema

from encaisse import validation
from encaisse.api import fields
from encaisse.api.urls import api

TEXT_CHECKS = {fields._SINGLE_LINE, fields._MULTILINE}


def request_models():
    """(endpoint, model) for the query and body of every operation (path parameters
    are ids, and the catch-all 404's path is not data)."""
    for prefix, router in api._routers:
        for path, operations in router.path_operations.items():
            for operation in operations.operations:
                for model in operation.models:
                    if model.__ninja_param_source__ in ("query", "body"):
                        yield f"{operation.methods} {prefix}{path}", model


def function_of(node):
    function = node.get("function", {})
    return function.get("function") if isinstance(function, dict) else None


def faults(node, where="", guarded=None) -> list[str]:
    """What, in a pydantic core schema, is a string or a date without its check.
    `guarded`: the check of the enclosing validator ("text", "date"), if any."""
    if isinstance(node, list):
        return [fault for item in node for fault in faults(item, where, guarded)]
    if not isinstance(node, dict):
        return []
    found = []
    kind, function = node.get("type"), function_of(node)
    if kind == "model":
        guarded = None  # a nested model starts afresh
    elif kind == "function-after" and function in TEXT_CHECKS:
        guarded = "text"
    elif kind == "function-after" and function is fields._date_bounds:
        guarded = "date"
    elif kind == "str":
        if guarded != "text":
            found.append(f"{where}: text without fields.Text")
        elif node.get("max_length") is None:
            found.append(f"{where}: text without max_length")
    elif kind == "date" and guarded != "date":
        found.append(f"{where}: date without fields.DateIn")
    elif kind == "datetime":
        found.append(f"{where}: a datetime is not typed by users")
    if kind == "model-fields":
        for name, field in node["fields"].items():
            found += faults(field, f"{where}.{name}", guarded)
        return found
    for key, value in node.items():
        if key not in ("function", "metadata", "cls", "ref", "serialization"):
            found += faults(value, where, guarded)
    return found


MODELS = list(request_models())


def test_every_endpoint_is_walked():
    # customers, products, invoices, payments, disputes, promises, dunning, reports...
    assert len(MODELS) >= 30


@pytest.mark.parametrize(("endpoint", "model"), MODELS, ids=[m[0] for m in MODELS])
def test_texts_and_dates_of_requests_are_bounded(endpoint, model):
    assert faults(model.__pydantic_core_schema__, endpoint) == []


def test_the_walk_sees_an_unchecked_string_and_date():
    """The walk itself can fail: a plain str and a plain date are reported."""

    class Loose(Schema):
        name: str
        on: dt.date | None = None
        note: fields.Text(20) = ""
        day: fields.DateIn | None = None

    assert faults(Loose.__pydantic_core_schema__) == [
        ".name: text without fields.Text",
        ".on: date without fields.DateIn",
    ]


def test_the_published_date_pattern_is_the_window():
    pattern = re.compile(fields.DATE_PATTERN)
    one_day = dt.timedelta(days=1)
    for inside in (validation.DATE_MIN, validation.DATE_MAX, dt.date(2026, 2, 28)):
        assert pattern.match(inside.isoformat())
    for outside in (validation.DATE_MIN - one_day, validation.DATE_MAX + one_day):
        assert not pattern.match(outside.isoformat())
    schema = api.get_openapi_schema()["components"]["schemas"]["PaymentIn"]
    assert schema["properties"]["date"]["anyOf"][0]["pattern"] == fields.DATE_PATTERN
