#!/usr/bin/env python
"""Benchmark: aged balance and customer statement over a large receivables book.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/receivables.py
        [--invoices 1000000] [--customers 50000] [--paid 0.9] [--repeat 5]
        [--keep] [--reuse] [--database encaisse_bench_ar]

PostgreSQL only (DATABASE_URL names the server; a throwaway database `encaisse_bench_ar`
is created and dropped unless --keep; --reuse times a kept book again after migrating
it, and keeps it). The book is loaded in set-based SQL, not through the services (issuing a million
invoices one by one is the other benchmarks' subject): invoices issued over the three
years before today, 30 days net, one installment each; `--paid` × invoices payments, one
per invoice, dated from 15 days early to 45 days late (and at least two days before
today); of those, 0.5 % stay on account (unallocated), 3 % pay half the invoice, 1 % were
allocated, undone two days later and allocated again (installment and payment reopened);
5 % of the unpaid invoices are cancelled by a credit note allocated to them ten days
after issue. settled_on / reopened are set as services.allocation.refresh_settled would;
the stored open amounts (Installment.open_amount, Payment.unallocated_amount, the credit
notes' CreditNoteCredit rows) are filled afterwards exactly as migration receivables 0006
fills an existing book (receivables.stored.fix, columns at 0, the checks and partial
indexes created after the fill), each step timed, then checked (check-open-amounts).

Simplified: no ledger entries, no invoice lines nor VAT breakdown (totals only, 20 %),
no audit records, one installment per invoice, invoice numbers not numbered per year,
no refunds nor write-offs. The aged balance total is checked against installments −
credit notes − payments read straight from the tables.

Then it times, on the warm database:
  - the full aged balance as of a past date (the last 31 March),
  - today's aged balance (from the stored amounts), and its totals alone (the home page),
  - one customer's statement (the customer with most invoices),
with the wall clock and the CPU time of client and server (the machine may be shared).
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cpu import backend_cpu  # bench/cpu.py, beside this script

BENCH_DB = "encaisse_bench_ar"
os.environ["ENCAISSE_DATA_DIR"] = tempfile.mkdtemp(prefix="encaisse-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "encaisse.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--paid", type=float, default=0.9, help="share of invoices paid")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each query")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--database", default=BENCH_DB, help="name of the bench database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the book kept by an earlier --keep run (migrated, not reloaded)",
    )
    return parser.parse_args()


def recreate_database(server_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server_url}/{name}"


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# One statement per step (split on ";\n"), each timed. Ids are given explicitly (fresh,
# empty tables; identity sequences are moved past them at the end) so that rows link up
# without joining on numbers.
LOAD_SQL = """
SELECT setseed(0.42);
CREATE TEMP TABLE gen AS
SELECT n, issued, issued + 30 AS due, customer_id, amount, v,
       CASE WHEN eligible AND row_number() OVER (PARTITION BY eligible ORDER BY r_paid)
                              <= %(payments)s
            THEN greatest(issued, issued + 30 + delay) END AS paid_on
FROM (
    SELECT *, issued + 30 + delay + 2 <= %(today)s AS eligible
    FROM (
        SELECT n, %(start)s::date + floor(random() * %(span)s)::int AS issued,
               (SELECT min(id) FROM customers_customer) + floor(random() * %(customers)s)::int
                   AS customer_id,
               round((100 + random() * 4900)::numeric, 2) AS amount,
               random() AS r_paid, floor(random() * 61)::int - 15 AS delay, random() AS v
        FROM generate_series(1, %(invoices)s) n
    ) raw
) drawn;
CREATE TEMP TABLE pay AS
SELECT n, customer_id, paid_on, amount AS invoiced,
       CASE WHEN v < 0.005 THEN 'on_account' WHEN v < 0.035 THEN 'partial'
            WHEN v < 0.045 THEN 'undone' ELSE 'full' END AS kind,
       CASE WHEN v >= 0.005 AND v < 0.035 THEN round(amount / 2, 2) ELSE amount END AS amount
FROM gen WHERE paid_on IS NOT NULL;
CREATE TEMP TABLE note AS
SELECT n, customer_id, issued + 10 AS issued, amount
FROM gen WHERE paid_on IS NULL AND v < 0.05 AND issued + 10 <= %(today)s;
INSERT INTO sales_invoice (
    id, company_id, customer_id, kind, status, number, sequence_year, sequence_number,
    issue_date, due_date, delivery_date, terms_kind, terms_days, customer_reference,
    credit_reason, notes, operation_nature, currency, total_excl_vat, total_vat,
    total_incl_vat, seller, buyer, mentions, created_at, updated_at)
SELECT n, %(company)s, customer_id, 'invoice', 'issued', 'FA-' || lpad(n::text, 8, '0'),
       extract(year FROM issued), n, issued, due, issued, 'net', 30, '', '', '', 'services',
       'EUR', round(amount / 1.2, 2), amount - round(amount / 1.2, 2), amount,
       '{}', '{}', '{}', now(), now()
FROM gen;
INSERT INTO sales_invoice (
    id, company_id, customer_id, kind, status, number, sequence_year, sequence_number,
    issue_date, due_date, delivery_date, terms_kind, terms_days, customer_reference,
    credited_invoice_id, credit_reason, notes, operation_nature, currency, total_excl_vat,
    total_vat, total_incl_vat, seller, buyer, mentions, created_at, updated_at)
SELECT %(invoices)s + n, %(company)s, customer_id, 'credit_note', 'issued',
       'AV-' || lpad(n::text, 8, '0'), extract(year FROM issued), n, issued, issued, issued,
       'net', 30, '', n, 'Annulation', '', 'services', 'EUR', round(amount / 1.2, 2),
       amount - round(amount / 1.2, 2), amount, '{}', '{}', '{}', now(), now()
FROM note;
INSERT INTO receivables_installment (
    id, company_id, customer_id, invoice_id, position, due_date, amount, issue_date,
    open_amount, settled_on, reopened)
SELECT g.n, %(company)s, g.customer_id, g.n, 1, g.due, g.amount, g.issued, 0,
       CASE WHEN p.kind IN ('full', 'undone') THEN p.paid_on + (p.kind = 'undone')::int * 2
            ELSE note.issued END,
       coalesce(p.kind = 'undone', false)
FROM gen g LEFT JOIN pay p ON p.n = g.n LEFT JOIN note ON note.n = g.n;
INSERT INTO receivables_payment (
    id, company_id, customer_id, number, date, amount, unallocated_amount, method, payer,
    reference, bank_account, settled_on, reopened, created_at)
SELECT n, %(company)s, customer_id, 'RG-' || lpad(n::text, 8, '0'), paid_on, amount, 0,
       'transfer', '', 'FA-' || lpad(n::text, 8, '0'), '',
       CASE kind WHEN 'on_account' THEN NULL WHEN 'undone' THEN paid_on + 2 ELSE paid_on END,
       kind = 'undone', now()
FROM pay;
INSERT INTO receivables_allocation (
    company_id, customer_id, installment_id, payment_id, amount, allocated_on, paid_on,
    undone_on, undo_reason, created_at)
SELECT %(company)s, customer_id, n, n, amount, paid_on, paid_on,
       CASE WHEN kind = 'undone' THEN paid_on + 2 END,
       CASE WHEN kind = 'undone' THEN 'Erreur de lettrage' ELSE '' END, now()
FROM pay WHERE kind <> 'on_account'
UNION ALL
SELECT %(company)s, customer_id, n, n, amount, paid_on + 2, paid_on, NULL, '', now()
FROM pay WHERE kind = 'undone';
INSERT INTO receivables_allocation (
    company_id, customer_id, installment_id, credit_note_id, amount, allocated_on, paid_on,
    undo_reason, created_at)
SELECT %(company)s, customer_id, n, %(invoices)s + n, amount, issued, issued, '', now()
FROM note;
SELECT setval(pg_get_serial_sequence('sales_invoice', 'id'), (SELECT max(id) FROM sales_invoice));
SELECT setval(pg_get_serial_sequence('receivables_installment', 'id'),
              (SELECT max(id) FROM receivables_installment));
SELECT setval(pg_get_serial_sequence('receivables_payment', 'id'),
              (SELECT coalesce(max(id), 1) FROM receivables_payment));
DROP TABLE gen, pay, note;
"""


def load(args):
    """The book, inserted set-based; returns (company, the customer with most invoices)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from encaisse.companies.services import create_company
    from encaisse.customers.models import Customer

    user = get_user_model().objects.create_user("bench")
    company = create_company(
        {
            "legal_name": "Bench SAS",
            "legal_form": "SAS",
            "share_capital": "1000",
            "siren": "732829320",
            "siret": "73282932000074",
            "rcs_city": "Lyon",
            "address_line1": "1 rue du Banc",
            "postal_code": "69001",
            "city": "Lyon",
        },
        owner=user,
    )
    # Customers through the ORM (50,000 rows take seconds), so that the fields other
    # apps add with a Python default need nothing here; the million rows below in SQL.
    t0 = time.perf_counter()
    Customer.objects.bulk_create(
        (
            Customer(company=company, legal_name=f"Client {n:06d}", billing_city="Lyon")
            for n in range(1, args.customers + 1)
        ),
        batch_size=5000,
    )
    print(f"  {'customers (bulk_create)':<40} {time.perf_counter() - t0:6.1f} s", flush=True)
    today = dt.date.today()
    start = today - dt.timedelta(days=3 * 365)
    params = {
        "company": company.pk,
        "customers": args.customers,
        "invoices": args.invoices,
        "payments": round(args.paid * args.invoices),
        "today": today,
        "start": start,
        "span": (today - start).days + 1,
    }
    stored_schema("remove")
    with connection.cursor() as cursor:
        for statement in LOAD_SQL.split(";\n"):
            if statement.strip():
                t0 = time.perf_counter()
                cursor.execute(statement, params)
                label = " ".join(statement.split()[:3])[:40]
                print(f"  {label:<40} {time.perf_counter() - t0:6.1f} s", flush=True)
    fill_stored_amounts(company)
    with connection.cursor() as cursor:
        t0 = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        print(f"  {'VACUUM ANALYZE':<40} {time.perf_counter() - t0:6.1f} s", flush=True)
    return company, busiest_customer()


def stored_schema(action: str) -> None:
    """Remove (before the load) or add (after the fill) the stored amounts' check
    constraints and partial indexes, as migration receivables 0006 adds them after its
    fill. Taken from the models, by name."""
    from django.db import connection

    from encaisse.receivables.models import CreditNoteCredit, Installment, Payment

    with connection.schema_editor() as editor:
        for model in (Installment, Payment, CreditNoteCredit):
            for constraint in model._meta.constraints:
                if constraint.name.endswith(("_open_amount_range", "_unallocated_range")):
                    getattr(editor, f"{action}_constraint")(model, constraint)
            for index in model._meta.indexes:
                if index.name in STORED_INDEXES:
                    getattr(editor, f"{action}_index")(model, index)


STORED_INDEXES = {"installment_owing_idx", "payment_unallocated_idx", "credit_note_unallocated_idx"}


def fill_stored_amounts(company):
    """The migration's fill on the loaded book, timed: the set-based recomputation, then
    the checks and indexes; then the check command's comparison of the whole book."""
    from django.db import connection, transaction

    from encaisse.receivables import stored

    t0 = time.perf_counter()
    with transaction.atomic():
        written = stored.fix()
    print(f"  {'fill stored amounts (0006)':<40} {time.perf_counter() - t0:6.1f} s  {written}")
    t0 = time.perf_counter()
    stored_schema("add")
    print(f"  {'checks + partial indexes (0006)':<40} {time.perf_counter() - t0:6.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    t0 = time.perf_counter()
    found = stored.differences(company.pk)
    print(f"  {'check-open-amounts (whole book)':<40} {time.perf_counter() - t0:6.1f} s")
    if found:
        sys.exit(f"{len(found)} stored amounts differ from the allocations: {found[:5]}")


def busiest_customer():
    from django.db.models import Count

    from encaisse.customers.models import Customer
    from encaisse.sales.models import Invoice

    busiest = (
        Invoice.objects.values("customer_id")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n", "customer_id")
        .first()["customer_id"]
    )
    return Customer.objects.get(pk=busiest)


def book_total(company, as_of):
    """What all customers owe on `as_of` straight from the documents (installments −
    credit notes − payments; the bench makes no refunds nor write-offs): the aged
    balance's total must equal it to the cent."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT (SELECT coalesce(sum(amount), 0) FROM receivables_installment
                       WHERE company_id = %(c)s AND issue_date <= %(d)s)
                    - (SELECT coalesce(sum(total_incl_vat), 0) FROM sales_invoice
                       WHERE company_id = %(c)s AND kind = 'credit_note' AND status = 'issued'
                         AND issue_date <= %(d)s)
                    - (SELECT coalesce(sum(amount), 0) FROM receivables_payment
                       WHERE company_id = %(c)s AND date <= %(d)s)""",
            {"c": company.pk, "d": as_of},
        )
        return cursor.fetchone()[0]


def timed(label, fn, repeat):
    runs, cpu = [], []
    for _ in range(repeat):
        server0, client0 = backend_cpu(), time.process_time()
        t0 = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t0)
        server1 = backend_cpu()
        if server0 is not None and server1 is not None:
            cpu.append(server1 - server0 + time.process_time() - client0)
    line = (
        f"{label:<42} best {min(runs) * 1000:7.0f} ms  median "
        f"{statistics.median(runs) * 1000:7.0f} ms"
    )
    if cpu:  # clock ticks of 10 ms on the server side
        line += f"  (CPU client+server: median {statistics.median(cpu) * 1000:5.0f} ms)"
    print(line)
    return result


def main():
    args = parse_args()
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x")
    if not server.startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    server = server.rsplit("/", 1)[0]
    os.environ["DATABASE_URL"] = (
        f"{server}/{args.database}" if args.reuse else recreate_database(server, args.database)
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from encaisse.companies.models import Company
    from encaisse.reporting.aged_balance import aged_balance, aged_totals
    from encaisse.reporting.statement import statement

    try:
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        if args.reuse:
            print(f"Migrated in {time.perf_counter() - t0:.1f} s")
            company, customer = Company.objects.get(), busiest_customer()
        else:
            print(f"Loading {args.invoices:,} invoices over {args.customers:,} customers...")
            company, customer = load(args)
            print(f"Loaded in {time.perf_counter() - t0:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            version = cursor.fetchone()[0].split(",")[0]
            cursor.execute("SELECT count(*) FROM receivables_payment")
            payments = cursor.fetchone()[0]
        print(f"{version}; {os.cpu_count()} cores; {payments:,} payments")
        today = dt.date.today()
        past = dt.date(today.year - (today <= dt.date(today.year, 3, 31)), 3, 31)
        for label, as_of in ((f"aged balance as of {past}", past), ("aged balance today", today)):
            book = timed(label, lambda as_of=as_of: aged_balance(company, as_of), args.repeat)
            print(f"   {len(book.rows):,} customers, total {book.balance:,.2f}")
            expected = book_total(company, as_of)
            if book.balance != expected:
                sys.exit(f"Aged balance total {book.balance} != invoices - credits {expected}")
        totals = timed(
            "home figures today (aged_totals)",
            lambda: aged_totals(company, today),
            args.repeat,
        )
        if totals.balance != book_total(company, today):
            sys.exit(f"aged_totals {totals.balance} != invoices - credits")
        account = timed(
            f"statement of {customer.legal_name}", lambda: statement(customer, today), args.repeat
        )
        print(f"   {len(account.items)} open items, {len(account.allocations)} allocations")
    finally:
        connection.close()
        if not args.keep and not args.reuse:  # a reused book stays for the next run
            drop_database(server, args.database)


if __name__ == "__main__":
    main()
