#!/usr/bin/env python
"""Benchmark: create and issue invoices through the services.

    python bench/issue_invoices.py [--invoices 10000] [--workers 1] [--customers 200]

Builds a company, a customer base and a catalog through the services, creates N
five-line draft invoices (`create_invoice`), then issues them (`issue_invoice`: checks,
numbering under the sequence row lock, freezing, installments, audit), and prints the
rates, the database and the machine.

Database: DATABASE_URL when set, else SQLite in a temporary folder. ENCAISSE_DATA_DIR is
always a temporary folder, so the run never touches your data. On PostgreSQL the script
creates a throwaway database (`encaisse_bench`, through the `postgres` database of the
same server) and drops it at the end; the database named in DATABASE_URL is never used.
With --workers K (PostgreSQL), drafts are created and issued by K processes at once, all
taking numbers from the same series.
"""

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from cpu import backend_cpu  # bench/cpu.py, beside this script

# The throwaway database; ENCAISSE_BENCH_DB names another one (several people benching
# on one server at once).
BENCH_DB = os.environ.get("ENCAISSE_BENCH_DB", "encaisse_bench")
DATA_DIR = tempfile.mkdtemp(prefix="encaisse-bench-")
os.environ["ENCAISSE_DATA_DIR"] = DATA_DIR
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "encaisse.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=10_000, help="invoices (default 10000)")
    parser.add_argument(
        "--workers", type=int, default=1, help="processes creating and issuing (PostgreSQL)"
    )
    parser.add_argument("--customers", type=int, default=200, help="customers (default 200)")
    parser.add_argument("--products", type=int, default=40, help="products (default 40)")
    parser.add_argument("--lines", type=int, default=5, help="lines per invoice (default 5)")
    parser.add_argument("--profile", action="store_true", help="cProfile the issuing phase")
    parser.add_argument(
        "--queries", action="store_true", help="count the SQL queries of one issue (and list them)"
    )
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    return parser.parse_args(argv)


# --- machine and database ------------------------------------------------------------


def machine() -> dict:
    info = {"nproc": os.cpu_count(), "cpu": platform.processor() or "?", "ram_gb": None}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["ram_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    info["python"] = platform.python_version()
    info["os"] = f"{platform.system()} {platform.release()}"
    return info


def prepare_postgres(url: str, keep_name: bool = False) -> tuple[str, dict]:
    """Create the throwaway database; return the URL pointing at it and its parameters."""
    import dj_database_url
    import psycopg

    params = dj_database_url.parse(url)
    server = {
        "host": params.get("HOST") or "127.0.0.1",
        "port": params.get("PORT") or 5432,
        "user": params.get("USER") or "postgres",
        "password": params.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    auth = server["user"] + (f":{server['password']}" if server["password"] else "")
    return f"postgres://{auth}@{server['host']}:{server['port']}/{BENCH_DB}", server


def drop_postgres(server: dict) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def database_version(connection) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return "PostgreSQL " + cursor.fetchone()[0]
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return "SQLite " + cursor.fetchone()[0]
    return connection.vendor


# --- data ----------------------------------------------------------------------------


def luhn_key(body: str) -> str:
    from stdnum import luhn

    return luhn.calc_check_digit(body)


def siren_of(i: int, first: str = "8") -> str:
    body = f"{first}{i:07d}"
    return body + luhn_key(body)


def setup_data(n_customers: int, n_products: int):
    """Company, user, customers and products, through the services."""
    from django.contrib.auth import get_user_model

    from encaisse.catalog.services import create_product
    from encaisse.companies.services import create_company
    from encaisse.customers.services import create_customer
    from encaisse.identifiers import french_vat_number_of

    user = get_user_model().objects.create_user("bench", "bench@bench.example", None)
    siren = siren_of(1, "9")
    siret = siren + "0001"
    company = create_company(
        {
            "legal_name": "Banc d'essai SAS",
            "legal_form": "SAS",
            "share_capital": "10000.00",
            "siren": siren,
            "siret": siret + luhn_key(siret),
            "rcs_city": "Tours",
            "vat_number": french_vat_number_of(siren),
            "address_line1": "1 rue de l'Essai",
            "postal_code": "37000",
            "city": "Tours",
            "einvoicing_address": siren,
        },
        owner=user,
    )
    terms = [("net", 30), ("eom", 45), ("net", 60), ("receipt", None)]
    for i in range(n_customers):
        siren = siren_of(i + 10)
        siret = siren + "0001"
        kind, days = terms[i % len(terms)]
        create_customer(
            company,
            {
                "legal_name": f"Client {i:04d} SARL",
                "siren": siren,
                "siret": siret + luhn_key(siret),
                "vat_number": french_vat_number_of(siren),
                "billing_line1": f"{i + 1} rue du Commerce",
                "billing_postal_code": "37000",
                "billing_city": "Tours",
                "terms_kind": kind,
                "terms_days": days,
            },
            by=user,
        )
    rates = ["20", "20", "20", "10", "5.5"]
    for i in range(n_products):
        create_product(
            company,
            {
                "reference": f"REF-{i:04d}",
                "label": f"Article {i:04d}",
                "kind": "goods" if i % 3 else "service",
                "unit": "C62" if i % 3 else "HUR",
                "unit_price": str(Decimal(1000 + 137 * i) / 100),
                "cost_price": str(Decimal(600 + 81 * i) / 100),
                "vat_rate": rates[i % len(rates)],
            },
            by=user,
        )
    return company, user


# --- the two timed phases, run by one or several processes -------------------------


def _context():
    from django.contrib.auth import get_user_model

    from encaisse.catalog.models import Product
    from encaisse.companies.models import Company
    from encaisse.customers.models import Customer

    company = Company.objects.get(legal_name="Banc d'essai SAS")
    user = get_user_model().objects.get(username="bench")
    customers = list(Customer.objects.filter(company=company).order_by("pk"))
    products = list(Product.objects.filter(company=company).order_by("pk").values_list("pk"))
    return company, user, customers, [pk for (pk,) in products]


def create_drafts(job) -> list[int]:
    """Create the drafts numbered `indices`; return their ids."""
    indices, n_lines = job
    from encaisse.sales.services import create_invoice

    company, user, customers, products = _context()
    ids = []
    for i in indices:
        lines = [
            {
                "product": products[(i * 7 + k * 3) % len(products)],
                "quantity": str(1 + (i + k) % 9) + (".5" if (i + k) % 4 == 0 else ""),
                "discount_percent": "5" if (i + k) % 10 == 0 else "",
            }
            for k in range(n_lines)
        ]
        invoice = create_invoice(
            company, customer=customers[i % len(customers)], lines=lines, by=user
        )
        ids.append(invoice.pk)
    return ids


def issue_drafts(ids: list[int]) -> int:
    from encaisse.sales.models import Invoice
    from encaisse.sales.services import issue_invoice

    _, user, _, _ = _context()
    for pk in ids:
        issue_invoice(Invoice(pk=pk), by=user)
    return len(ids)


def count_queries(n_lines: int) -> None:
    """Issue one more draft and print the queries it took, in order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    (pk,) = create_drafts(([10**6], n_lines))
    with CaptureQueriesContext(connection) as queries:
        issue_drafts([pk])
    print(f"queries : {len(queries)} for one issue")
    for query in queries:
        print(f"  {query['time']:>6} {' '.join(query['sql'].split())[:150]}")


def run(func, jobs: list, workers: int) -> list:
    if workers == 1:
        return [func(job) for job in jobs]
    from django.db import connections

    connections.close_all()  # the children open their own connections
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(func, jobs)


def chunks(items: list, n: int) -> list[list]:
    return [items[k::n] for k in range(n)]


# --- main ----------------------------------------------------------------------------


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    url = os.environ.get("DATABASE_URL", "")
    server = None
    if url.startswith(("postgres://", "postgresql://")):
        url, server = prepare_postgres(url)
        os.environ["DATABASE_URL"] = url
    elif args.workers > 1:
        print("--workers > 1 needs PostgreSQL (SQLite takes one writer at a time): using 1.")
        args.workers = 1

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from encaisse.sales.models import DocumentStatus, Invoice

    try:
        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrate_s = time.perf_counter() - t
        db = database_version(connection)
        info = machine()
        print(f"machine : {info['nproc']} CPU, {info['cpu']}, {info['ram_gb']} GB RAM")
        print(f"software: Python {info['python']}, Django {django.get_version()}, {info['os']}")
        print(f"database: {db}{' (' + BENCH_DB + ')' if server else ''}")
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"load    : {load} (1, 5, 15 min; other work on the machine skews the figures)")

        t = time.perf_counter()
        company, _ = setup_data(args.customers, args.products)
        setup_s = time.perf_counter() - t
        print(
            f"setup   : {args.customers} customers, {args.products} products in {setup_s:.1f} s"
            f" (migrate {migrate_s:.1f} s)"
        )

        n, workers = args.invoices, args.workers
        t = time.perf_counter()
        ids = [
            pk
            for part in run(
                create_drafts,
                [(c, args.lines) for c in chunks(list(range(n)), workers)],
                workers,
            )
            for pk in part
        ]
        create_s = time.perf_counter() - t
        print(
            f"create  : {n} drafts of {args.lines} lines in {create_s:.1f} s = "
            f"{n / create_s:.0f} invoices/s ({workers} worker(s))"
        )

        server_cpu = backend_cpu(connection) if workers == 1 else None
        t, cpu = time.perf_counter(), time.process_time()
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            issue_drafts(ids)
            profiler.disable()
        else:
            run(issue_drafts, chunks(sorted(ids), workers), workers)
        issue_s = time.perf_counter() - t
        cpu_s = time.process_time() - cpu
        how = "1 worker, profiled" if args.profile else f"{workers} worker(s)"
        print(f"issue   : {n} invoices in {issue_s:.1f} s = {n / issue_s:.0f} invoices/s ({how})")
        if workers == 1:
            # CPU time of this process: closer to what a free core does whatever the load
            # (the database server's own CPU is not in it on PostgreSQL).
            print(f"cpu     : {cpu_s:.1f} s of CPU = {n / cpu_s:.1f} invoices per CPU-second")
            if server_cpu is not None:
                server_s = backend_cpu(connection) - server_cpu
                total = cpu_s + server_s
                print(
                    f"server  : {server_s:.1f} s of the PostgreSQL backend's CPU; with this "
                    f"process's: {n / total:.1f} invoices per CPU-second"
                )

        issued = Invoice.objects.filter(company=company, status=DocumentStatus.ISSUED)
        numbers = sorted(issued.values_list("sequence_number", flat=True))
        continuous = numbers == list(range(1, n + 1))
        print(f"check   : {len(numbers)} issued, numbers 1..{n} without gap: {continuous}")
        if args.queries:
            count_queries(args.lines)
        total_s = time.perf_counter() - started
        print(f"total   : {total_s:.1f} s wall time")
        if args.profile:
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(r"encaisse|django/db/models/query", 40)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("tottime").print_stats(r"encaisse", 25)
        if args.json:
            print(
                json.dumps(
                    {
                        "date": dt.date.today().isoformat(),
                        "machine": info,
                        "database": db,
                        "invoices": n,
                        "lines": args.lines,
                        "workers": workers,
                        "create_per_s": round(n / create_s, 1),
                        "issue_per_s": round(n / issue_s, 1),
                        "create_s": round(create_s, 2),
                        "issue_s": round(issue_s, 2),
                        "issue_cpu_s": round(cpu_s, 2),
                        "total_s": round(total_s, 2),
                        "continuous": continuous,
                        "load_before": load,
                        "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
                    }
                )
            )
        return 0 if continuous else 1
    finally:
        connections.close_all()
        if server is not None and not args.keep:
            drop_postgres(server)
        shutil.rmtree(DATA_DIR, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
