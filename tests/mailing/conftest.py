import pytest

from encaisse.customers.services import add_contact
from encaisse.documents import archive


@pytest.fixture
def archived_pdf(monkeypatch):
    """`archive.read` answering fake PDF bytes named after the document (no rendering
    to wait for), with the calls recorded."""
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
