import datetime as dt

import pytest

from encaisse.customers.services import create_customer
from tests.conftest import archived


@pytest.fixture
def late_customer(company, admin, invoice_of):
    """A customer with an e-mail address and an invoice overdue since October."""
    customer = create_customer(
        company,
        {
            "legal_name": "Epicerie Lenoir SARL",
            "siren": "319472346",
            "email": "compta@lenoir.example",
            "billing_line1": "1 rue de la Paix",
            "billing_postal_code": "75002",
            "billing_city": "Paris",
        },
        by=admin,
    )
    invoice_of(2, dt.date(2026, 9, 1), cust=customer)
    archived()  # its render job done: the tests start with an empty queue
    return customer
