#!/usr/bin/env python
"""Benchmark: the pages users open daily, and the API lists, on the large books.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/pages.py
        [--invoices 1000000] [--customers 50000] [--dunning-customers 100000]
        [--repeat 3] [--keep] [--reuse] [--book receivables|dunning|both]
        [--database encaisse_bench_pages]

PostgreSQL only. Two books, each in its own database (the loader gives explicit ids):
  - `--database` (encaisse_bench_pages): bench/receivables.py's book, 1,000,000 invoices
    of 50,000 customers, 90 % paid;
  - `--database` + `_dun` (encaisse_bench_pages_dun): bench/dunning.py's book, the same
    number of invoices over 100,000 customers, none paid, every dunning level needing
    validation, and the dunning run of today done: about 100,000 reminders to validate.

Both are created and dropped unless --keep; --reuse times books kept by an earlier run
(migrated, not reloaded). `--invoices 20000` makes a smoke run of a few minutes.

Each page is fetched through Django's test client, logged in as the company's owner,
best of `--repeat` (the first fetch also warms the caches), and its size is printed. The
API lists are fetched with a bearer token, default page size.
"""

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dunning
import receivables  # sets the data folder and the settings module

BENCH_DB = "encaisse_bench_pages"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--dunning-customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="fetches of each page")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases")
    parser.add_argument("--reuse", action="store_true", help="time the kept books again")
    parser.add_argument("--load-only", action="store_true", help="load (and keep), no timing")
    parser.add_argument("--book", choices=("receivables", "dunning", "both"), default="both")
    parser.add_argument("--database", default=BENCH_DB, help="name of the bench database")
    return parser.parse_args()


def load_receivables(args):
    args.paid = 0.9
    company, _ = receivables.load(args)
    return company


def load_dunning(args):
    from encaisse.dunning.run import run_dunning

    args.paid, args.customers = 0.0, args.dunning_customers
    company, _ = receivables.load(args)
    dunning.validate_every_level(company)
    t0 = time.perf_counter()
    report = run_dunning(company, dt.date.today())
    print(
        f"  {'dunning run':<40} {time.perf_counter() - t0:6.1f} s "
        f"({len(report.proposed):,} proposed)",
        flush=True,
    )
    return company


def fetch(client, url, headers=None):
    response = client.get(url, headers=headers or {})
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}\n{response.content[:2000]!r}")
    return response


def time_page(client, label, url, repeat, headers=None):
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = fetch(client, url, headers)
        runs.append(time.perf_counter() - t0)
    size = len(response.content)
    flag = "" if min(runs) < 1 and size <= 1_048_576 else "   <-- over 1 s or 1 MB"
    print(f"  {label:<46} {min(runs) * 1000:7.0f} ms  {size / 1024:8.1f} KiB{flag}", flush=True)
    return min(runs), size


def pages_of(book, company):
    """(label, url) of the pages timed on a book."""
    from django.urls import reverse

    from encaisse.customers.models import Customer
    from encaisse.receivables.models import Payment

    if book == "dunning":
        return [
            ("agenda (relances à valider)", reverse("web:dunning_desk")),
            ("relances", reverse("web:reminders")),
            ("relances, à valider", reverse("web:reminders") + "?status=proposed"),
            ("home", reverse("web:home")),
            ("API GET /api/dunning/proposals", "/api/dunning/proposals"),
        ]
    customer = receivables.busiest_customer()
    payment = Payment.objects.filter(company=company, settled_on__isnull=True).first()
    name = Customer.objects.filter(company=company).order_by("pk")[1234].legal_name
    pages = [
        ("home", reverse("web:home")),
        ("invoice list", reverse("web:invoices")),
        # The customer picker: its id once chosen, or the name typed (no scripts).
        ("invoice list, one customer", reverse("web:invoices") + f"?customer={customer.pk}"),
        ("invoice list, customer name typed", reverse("web:invoices") + f"?customer_label={name}"),
        ("invoice list, status open", reverse("web:invoices") + "?status=issued"),
        ("invoice form (new)", reverse("web:invoice_create")),
        ("customer list", reverse("web:customers")),
        ("customer list, searched", reverse("web:customers") + "?q=Client 0012"),
        ("customer autocomplete", reverse("web:customer_search") + "?q=Client 0012"),
        ("customer page (busiest)", reverse("web:customer_detail", args=[customer.pk])),
        ("account (busiest)", reverse("web:customer_statement", args=[customer.pk])),
        ("aged balance page", reverse("web:aged_balance")),
        ("DSO page", reverse("web:dso")),
        ("payments", reverse("web:payments")),
        ("payment form (new)", reverse("web:payment_create")),
        ("disputes", reverse("web:disputes")),
        ("relances", reverse("web:reminders")),
        ("agenda", reverse("web:dunning_desk")),
    ]
    if payment is not None:
        pages.append(
            ("lettrage (payment on account)", reverse("web:payment_allocate", args=[payment.pk]))
        )
    pages += [
        ("API GET /api/reports/aged-balance", "/api/reports/aged-balance"),
        ("API GET /api/invoices", "/api/invoices"),
        ("API GET /api/customers", "/api/customers"),
        ("API GET /api/payments", "/api/payments"),
        ("API GET /api/reports/dso", "/api/reports/dso"),
    ]
    return pages


def time_book(book, args):
    from django.db import connection
    from django.test import Client

    from encaisse.api.tokens import create_token
    from encaisse.companies.models import Company

    company = Company.objects.get()
    user = company.memberships.get().user
    client = Client()
    client.force_login(user)
    _token, secret = create_token(user, company, "bench")
    bearer = {"Authorization": f"Bearer {secret}"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(",")[0]
        cursor.execute("SELECT count(*) FROM sales_invoice")
        invoices = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM customers_customer")
        customers = cursor.fetchone()[0]
    print(f"{book} book: {invoices:,} invoices, {customers:,} customers; {version}")
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load}")
    results = {}
    for label, url in pages_of(book, company):
        headers = bearer if url.startswith("/api/") else None
        results[label] = time_page(client, label, url, args.repeat, headers)
    return results


def run_book(book, args):
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x")
    if not server.startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    server = server.rsplit("/", 1)[0]
    database = args.database + ("_dun" if book == "dunning" else "")
    os.environ["DATABASE_URL"] = (
        f"{server}/{database}" if args.reuse else receivables.recreate_database(server, database)
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        if args.reuse:
            print(f"Migrated {database} in {time.perf_counter() - t0:.1f} s", flush=True)
        else:
            print(f"Loading the {book} book: {args.invoices:,} invoices...", flush=True)
            (load_dunning if book == "dunning" else load_receivables)(args)
            print(f"Loaded in {time.perf_counter() - t0:.0f} s", flush=True)
        if not args.load_only:
            time_book(book, args)
    finally:
        connection.close()
        if not (args.keep or args.reuse or args.load_only):
            receivables.drop_database(server, database)


def main():
    args = parse_args()
    if args.book != "both":
        run_book(args.book, args)
        return
    # One process per book: each has its own database, and Django's settings are read once.
    for book in ("receivables", "dunning"):
        subprocess.run([sys.executable, __file__, *sys.argv[1:], "--book", book], check=True)


if __name__ == "__main__":
    main()
