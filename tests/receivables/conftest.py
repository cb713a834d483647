import datetime as dt

import pytest

from encaisse.receivables.services.payments import record_payment


@pytest.fixture
def pay(company, customer, admin):
    def pay(amount, on, reference="", method="transfer", cust=None):
        return record_payment(
            company,
            {
                "customer": (cust or customer).pk,
                "amount": amount,
                "date": on,
                "method": method,
                "reference": reference,
            },
            by=admin,
        )

    return pay


@pytest.fixture
def invoice_of(make_invoice, service_product):
    """An issued invoice of `hours` × 65.00 HT at 20 %: TTC = hours × 78.00."""

    def make(hours, on: dt.date, **header):
        return make_invoice(
            lines=[{"product": service_product.pk, "quantity": str(hours)}], issue_on=on, **header
        )

    return make
