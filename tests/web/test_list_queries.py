"""Every list and report page answers with a bounded number of queries: with 30 rows of
each kind (more than a page of 25), a query per row (N+1) would show. The maxima are the
counts measured when written, with a little room; a page that needs more has a row
reading something on its own."""

import datetime as dt

import pytest
from django.urls import reverse

from encaisse.collection.disputes import open_dispute
from encaisse.collection.promises import record_promise
from encaisse.customers.services import create_customer
from encaisse.dunning.run import run_dunning
from encaisse.receivables.services.allocation import allocate
from tests.conftest import CONSUMER

ROWS = 30
ISSUED = dt.date(2026, 9, 1)


@pytest.fixture
def book(company, admin, invoice_of, pay):
    """30 customers, each with an overdue invoice, a payment (half of them allocated), a
    dispute, a promise; the dunning run of today: 30 reminders to validate."""
    customers = [
        create_customer(company, {**CONSUMER, "legal_name": f"Client {n:02d}"}, by=admin)
        for n in range(ROWS)
    ]
    invoices = [invoice_of(1 + n % 3, ISSUED, cust=c) for n, c in enumerate(customers)]
    # A busy customer: 30 more invoices, half of them paid (its page, its account, the
    # lettrage screen of a payment on account).
    busy = customers[0]
    for n in range(ROWS):
        invoice = invoice_of(1, ISSUED + dt.timedelta(days=n), cust=busy)
        if n % 2:  # half of them paid: 15 allocations, 16 open items
            payment = pay("78.00", ISSUED + dt.timedelta(days=n + 5), cust=busy)
            allocate(payment, [(invoice.installments.get(), "78.00")], by=admin, on=payment.date)
    for n, (customer, invoice) in enumerate(zip(customers, invoices, strict=True)):
        payment = pay("10.00", dt.date(2026, 10, 1), cust=customer)
        if n % 2:
            allocate(payment, [(invoice.installments.get(), "10.00")], by=admin, on=payment.date)
        open_dispute(
            company,
            {
                "invoice": invoice.pk,
                "amount": "5.00",
                "category": "delivery",
                "customer_words": "Colis abîmé.",
                "owner": admin.pk,
                "department": "logistics",
                "target_date": dt.date(2026, 10, 20),
                "opened_on": dt.date(2026, 10, 2),
            },
            by=admin,
        )
        record_promise(
            company,
            {
                "customer": customer.pk,
                "invoices": [invoice.pk],
                "amount": "20.00",
                "promised_on": dt.date(2026, 11, 10),
                "promised_by": "M. Payeur",
                "channel": "phone",
                "recorded_on": dt.date(2026, 11, 1),
            },
            by=admin,
        )
    run_dunning(company, dt.date(2026, 12, 1))
    on_account = pay("500.00", dt.date(2026, 11, 20), cust=busy)
    return {"busy": busy, "invoice": invoices[0], "on_account": on_account}


# (url name, args from the book, at most this many queries). Not here: the collection
# file (dunning.collection_file), whose penalties read 3 queries per open invoice.
PAGES = [
    ("web:home", [], 20),
    ("web:invoices", [], 12),
    ("web:credit_notes", [], 11),
    ("web:customers", [], 12),
    ("web:customer_detail", ["busy"], 19),
    ("web:customer_statement", ["busy"], 18),
    ("web:products", [], 12),
    ("web:payments", [], 12),
    ("web:payment_allocate", ["on_account"], 17),  # 4 x "stored amounts current?"
    ("web:remittances", [], 12),
    ("web:aged_balance", [], 15),
    ("web:dso", [], 21),
    ("web:bank_reconciliation", [], 12),  # no bank account in this book: the empty state
    ("web:bank_reconciliations", [], 12),
    ("web:cash", [], 14),
    ("web:disputes", [], 16),
    ("web:promises", [], 13),
    ("web:reminders", [], 12),
    ("web:dunning_desk", [], 19),
    ("web:credit_positions", [], 15),
    ("web:litigation", [], 12),
    ("web:outbox", [], 11),
]


def test_list_pages_queries_are_bounded(admin_client, book, django_assert_max_num_queries):
    """One walk over the pages (the book is built once, not once a page)."""
    for name, args, most in PAGES:
        url = reverse(name, args=[book[a].pk for a in args])
        with django_assert_max_num_queries(most):
            response = admin_client.get(url)
        assert response.status_code == 200, name
        assert len(response.content) < 200_000, name


def test_lettrage_shows_a_bounded_screen(admin_client, book, monkeypatch):
    monkeypatch.setattr("encaisse.web.views.payments.ALLOCATION_ROWS", 10)
    html = admin_client.get(
        reverse("web:payment_allocate", args=[book["on_account"].pk])
    ).content.decode()
    # 500.00 on account: proposed on the 7 oldest of 16 open items, then 3 others shown.
    assert html.count('class="alloc-amount') == 10
    assert "Et 6 autres échéances ouvertes" in html


def test_account_pages_its_open_items(admin_client, book, monkeypatch):
    monkeypatch.setattr("encaisse.web.shortcuts.PAGE_SIZE", 1)
    url = reverse("web:customer_statement", args=[book["busy"].pk])
    html = admin_client.get(url).content.decode()
    assert "items_page=2#items" in html
