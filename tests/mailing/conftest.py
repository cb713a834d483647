import importlib
import sys
import types

import pytest

from encaisse.customers.services import add_contact


@pytest.fixture
def archived_pdf(monkeypatch):
    """`encaisse.documents.archive.read` answering fake PDF bytes named after the
    document, with the calls recorded. When the archive module is not there yet, a
    stand-in module with the same `read(invoice, format)` takes its place."""
    try:
        archive = importlib.import_module("encaisse.documents.archive")
    except ImportError:
        archive = types.ModuleType("encaisse.documents.archive")
        archive.read = None
        monkeypatch.setitem(sys.modules, "encaisse.documents.archive", archive)
    calls = []

    def read(invoice, format):
        calls.append((invoice.pk, format))
        return b"%PDF-1.7 " + invoice.number.encode()

    monkeypatch.setattr(archive, "read", read)
    return calls


@pytest.fixture
def billing_contact(customer, admin):
    return add_contact(
        customer,
        {"name": "Claire Dupont", "email": "compta@dupont.example", "is_billing_contact": True},
        by=admin,
    )
