"""issue_invoice posts to the ledger after the document is rendered and archived: the
journal's sequence lock, which every posting of the company waits for, is not held while
a PDF renders."""

import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
from django.db import close_old_connections, connection

from encaisse import clock
from encaisse.customers.services import create_customer
from encaisse.ledger.models import JournalEntry
from encaisse.receivables.services.payments import record_payment
from encaisse.sales.models import Invoice
from encaisse.sales.services import issuing
from tests.conftest import OTHER_SELLER


def test_the_steps_run_in_order_and_post_last(make_invoice, admin, monkeypatch):
    calls = []
    for name in ("take_number", "archive_issued", "open_receivable", "post_invoice"):
        real = getattr(issuing, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(issuing, name, spy)
    issuing.issue_invoice(make_invoice(), by=admin)
    assert calls == ["take_number", "archive_issued", "open_receivable", "post_invoice"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_payment_posts_while_an_invoice_renders(make_invoice, admin, company, monkeypatch):
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
    draft = make_invoice()
    rendered, proceed = threading.Event(), threading.Event()
    real_archive = issuing.archive_issued

    def slow_archive(invoice):
        documents = real_archive(invoice)
        rendered.set()  # the issuing transaction is open, its documents rendered
        assert proceed.wait(60)
        return documents

    monkeypatch.setattr(issuing, "archive_issued", slow_archive)

    def in_thread(work):
        close_old_connections()  # each thread its own connection
        try:
            return work()
        finally:
            connection.close()

    def issue():
        return issuing.issue_invoice(Invoice.objects.get(pk=draft.pk), by=admin).number

    def pay():
        payment = record_payment(
            company,
            {"customer": payer.pk, "amount": "10.00", "date": clock.today(), "method": "transfer"},
            by=admin,
        )
        return payment.number

    with ThreadPoolExecutor(max_workers=2) as pool:
        issuing_done = pool.submit(in_thread, issue)
        try:
            assert rendered.wait(60)
            # Had the invoice been posted before rendering, the payment's posting would
            # wait here for the journal's lock until the issuing transaction commits.
            paying_done = pool.submit(in_thread, pay)
            try:
                paying_done.result(timeout=20)
            except FutureTimeout:
                pytest.fail("the payment waited for the invoice being rendered")
        finally:
            proceed.set()
        number = issuing_done.result(timeout=60)

    entries = list(JournalEntry.objects.order_by("number").values_list("number", "piece_ref"))
    # The payment posted first (entry 1), the invoice once rendered (entry 2): no gap.
    assert [n for n, _ in entries] == [1, 2]
    assert entries[1][1] == number
