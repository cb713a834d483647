"""Every schema class of the API is published under a name of its own.

django-ninja names a component after its class and keeps the last one of a name
silently: two classes called `ProposalOut` (payment matching and dunning) became one
component, and clients generated from the document read one shape for the other.
"""

import typing
from collections import defaultdict

from django.test import Client
from pydantic import BaseModel

from encaisse.api.urls import api


def models_in(annotation, seen: set) -> typing.Iterator[type[BaseModel]]:
    """The pydantic classes an annotation holds, and theirs, recursively."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        yield annotation
        for field in annotation.model_fields.values():
            yield from models_in(field.annotation, seen)
    for argument in typing.get_args(annotation):  # list[X], X | None, Annotated[X, ...]
        yield from models_in(argument, seen)


def published_classes() -> dict[str, set[type]]:
    """Component name -> the classes of that name that the operations use. Ninja wraps
    each body, parameter set and response in a class of its own (flattened away in the
    document): what they hold is what gets published."""
    names, seen = defaultdict(set), set()
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                wrappers = [*operation.models, *operation.response_models.values()]
                for wrapper in filter(None, wrappers):
                    for field in wrapper.model_fields.values():
                        for model in models_in(field.annotation, seen):
                            names[model.__name__].add(model)
    return names


def test_no_two_schema_classes_share_a_name(db):
    names = published_classes()
    components = Client().get("/api/openapi.json").json()["components"]["schemas"]
    # The walk sees what the document publishes (it is not looking at something else).
    assert {"CustomerOut", "InvoiceOut", "ErrorOut", "PaymentDetailOut"} <= set(names)
    assert set(components) <= set(names)
    shared = {
        name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
        for name, classes in names.items()
        if len(classes) > 1
    }
    assert shared == {}


def test_reminders_and_allocation_proposals_are_two_schemas(db):
    schema = Client().get("/api/openapi.json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]

    def ok_schema(path, method):
        responses = paths[path][method]["responses"]
        return responses["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]

    assert ok_schema("/api/dunning/proposals/{id}/send", "post") == "ReminderOut"
    assert ok_schema("/api/dunning/proposals", "get") == "ReminderPage"
    assert ok_schema("/api/payments/{id}/proposal", "get") == "AllocationProposalOut"
    assert {"level", "channel", "items"} <= set(components["ReminderOut"]["properties"])
    assert set(components["AllocationProposalOut"]["properties"]) == {
        "payment",
        "available",
        "items",
    }
    assert "ProposalOut" not in components
