"""The stored amounts under concurrency: allocations, undos, write-offs and a credit note
on the same installments at once leave every stored amount equal to its recomputation,
nothing over-allocated, and no deadlock (the services lock in the same order)."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import close_old_connections, connection

from encaisse import clock
from encaisse.errors import DomainError
from encaisse.receivables import stored
from encaisse.receivables.models import Allocation, Installment, Payment
from encaisse.receivables.services.allocation import allocate, undo_allocation, write_off
from encaisse.sales.services import create_credit_note
from tests.conftest import issue_on_day

DAY = dt.date(2026, 6, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_services_keep_the_stored_amounts(invoice_of, pay, admin, company):
    invoices = [invoice_of(10, DAY) for _ in range(2)]  # 780.00 each
    installments = [i.installments.get() for i in invoices]
    payments = [pay("200.00", DAY) for _ in range(8)]
    # Half the payments start allocated (to be undone while the others allocate).
    done = [
        allocate(p, [(installments[n % 2], "200.00")], by=admin, on=DAY)[0].pk
        for n, p in enumerate(payments[:4])
    ]
    note = create_credit_note(invoices[0], by=admin, mode="amount", amount="50", vat_rate="20")

    def run(task):
        close_old_connections()  # each thread opens its own connection
        try:
            with clock.at(DAY):
                kind, arg = task
                if kind == "allocate":
                    payment = Payment.objects.get(pk=arg)
                    # Both installments, in an order that differs per thread.
                    order = installments if arg % 2 else installments[::-1]
                    allocate(payment, [(i, "100.00") for i in order], by=admin, on=DAY)
                elif kind == "undo":
                    undo_allocation(Allocation.objects.get(pk=arg), by=admin, reason="x", on=DAY)
                elif kind == "write_off":
                    write_off(Installment.objects.get(pk=arg), "1.00", by=admin, reason="Frais")
                else:
                    issue_on_day(note, by=admin, on=DAY)
            return "ok"
        except DomainError as error:
            return error.code
        finally:
            connection.close()

    tasks = (
        [("allocate", p.pk) for p in payments[4:]]
        + [("undo", pk) for pk in done]
        + [("write_off", i.pk) for i in installments]
        + [("credit_note", None)]
    )
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(run, tasks))

    assert set(results) <= {"ok", "over_allocation"}, results
    assert stored.differences(company.pk) == []
    for installment in Installment.objects.all():
        assert 0 <= installment.open_amount <= installment.amount
