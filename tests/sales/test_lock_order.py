"""issue_invoice renders nothing: it queues the render job and posts to the ledger last,
so the journal's sequence lock, which every posting of the company waits for, is held
the shortest time; and while a worker renders a document, no lock stops the company's
issuing or posting."""

import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
from django.db import close_old_connections, connection

from encaisse import clock
from encaisse.customers.services import create_customer
from encaisse.documents import archive
from encaisse.jobs.runner import run_pending_jobs
from encaisse.ledger.models import JournalEntry
from encaisse.receivables.services.payments import record_payment
from encaisse.sales.models import Invoice
from encaisse.sales.services import issuing
from tests.conftest import OTHER_SELLER


def test_the_steps_run_in_order_and_post_last(make_invoice, admin, monkeypatch):
    calls = []
    for name in ("take_number", "queue_render", "open_receivable", "post_invoice"):
        real = getattr(issuing, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(issuing, name, spy)
    issuing.issue_invoice(make_invoice(), by=admin)
    assert calls == ["take_number", "queue_render", "open_receivable", "post_invoice"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_issuing_and_payments_go_on_while_a_document_renders(
    make_invoice, admin, company, monkeypatch
):
    payer = create_customer(
        company,
        {
            "legal_name": OTHER_SELLER["legal_name"],
            "siren": OTHER_SELLER["siren"],
            "billing_line1": "1 rue du Port",
            "billing_postal_code": "13002",
            "billing_city": "Marseille",
        },
        by=admin,
    )
    first = issuing.issue_invoice(make_invoice(), by=admin)  # its render job queued
    second = make_invoice()
    rendering, proceed = threading.Event(), threading.Event()
    real_render = archive.render_files

    def slow_render(invoice):
        files = real_render(invoice)
        rendering.set()  # the worker holds its rendered files, not yet archived
        assert proceed.wait(60)
        return files

    monkeypatch.setattr(archive, "render_files", slow_render)

    def in_thread(work):
        close_old_connections()  # each thread its own connection
        try:
            return work()
        finally:
            connection.close()

    def issue():
        return issuing.issue_invoice(Invoice.objects.get(pk=second.pk), by=admin).number

    def pay():
        payment = record_payment(
            company,
            {"customer": payer.pk, "amount": "10.00", "date": clock.today(), "method": "transfer"},
            by=admin,
        )
        return payment.number

    with ThreadPoolExecutor(max_workers=3) as pool:
        worker = pool.submit(in_thread, lambda: run_pending_jobs(limit=1))
        try:
            assert rendering.wait(60)
            issued, paid = pool.submit(in_thread, issue), pool.submit(in_thread, pay)
            try:
                number = issued.result(timeout=20)
                paid.result(timeout=20)
            except FutureTimeout:
                pytest.fail("issuing or a payment waited for a document being rendered")
        finally:
            proceed.set()
        assert worker.result(timeout=60) == 1

    assert number.endswith("-00002") and first.number.endswith("-00001")
    assert archive.is_archived(first) and not archive.is_archived(Invoice(pk=second.pk))
    entries = list(JournalEntry.objects.order_by("number").values_list("number", flat=True))
    assert entries == [1, 2, 3]  # the first invoice, then the payment and the second
