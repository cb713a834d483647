"""Numbering under concurrency: many users issuing at once get 1..N, no gap, no duplicate."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import close_old_connections, connection

from encaisse.sales.models import Invoice
from tests.conftest import issue_on_day

WORKERS = 8
INVOICES = 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issuing_gives_a_continuous_series(make_invoice, admin):
    drafts = [make_invoice().pk for _ in range(INVOICES)]
    day = dt.date(2026, 6, 1)

    def issue(pk):
        close_old_connections()  # each thread opens its own connection
        try:
            invoice = Invoice.objects.get(pk=pk)
            return issue_on_day(invoice, by=admin, on=day).sequence_number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        numbers = list(pool.map(issue, drafts))

    assert sorted(numbers) == list(range(1, INVOICES + 1))
    stored = list(Invoice.objects.filter(status="issued").values_list("number", flat=True))
    assert sorted(stored) == [f"FA2026-{n:05d}" for n in range(1, INVOICES + 1)]
