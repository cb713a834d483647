import pytest

from encaisse.receivables.services.allocation import allocate


@pytest.fixture
def settle(admin, pay):
    """Pay `amount` on `on` and allocate it to the invoice's (single) installment."""

    def settle(invoice, amount, on):
        payment = pay(amount, on, reference=invoice.number)
        return allocate(payment, [(invoice.installments.get(), amount)], by=admin, on=on)

    return settle
