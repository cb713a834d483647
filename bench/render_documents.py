#!/usr/bin/env python
"""Benchmark: issue N invoices, each rendered (Factur-X PDF, CII, UBL) and archived.

    python bench/render_documents.py [--invoices 1000] [--lines 5]

Goes through the services like a user: `create_invoice`, then `issue_invoice`, whose last
step `archive_issued` renders the Factur-X PDF/A-3b, the CII XML and the UBL XML and
stores them as three links of the company's archive chain. Prints documents (issued
invoices, three files each) per second, the share of that time spent rendering and
storing, the average file sizes, and the time `verify_archive` takes to walk the chain.

Database: DATABASE_URL when set (PostgreSQL: a throwaway database `encaisse_bench_docs`
is created and dropped), else SQLite in a temporary folder. The data folder and the
archive are always temporary. Machine and data helpers come from bench/issue_invoices.py.
"""

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import issue_invoices as base  # sets ENCAISSE_DATA_DIR to a temporary folder

base.BENCH_DB = "encaisse_bench_docs"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1000, help="invoices (default 1000)")
    parser.add_argument("--lines", type=int, default=5, help="lines per invoice (default 5)")
    parser.add_argument("--customers", type=int, default=50, help="customers (default 50)")
    parser.add_argument("--products", type=int, default=40, help="products (default 40)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    server = None
    if url.startswith(("postgres://", "postgresql://")):
        url, server = base.prepare_postgres(url)
        os.environ["DATABASE_URL"] = url

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from encaisse.documents import archive
    from encaisse.documents.models import ArchivedDocument
    from encaisse.sales.services import issuing

    # Time the archiving step inside each issue (rendering the three files, storing them,
    # appending the links), to tell it from the rest of issuing.
    spent = {"archive": 0.0}
    archive_issued = issuing.archive_issued

    def timed_archive_issued(invoice):
        t = time.perf_counter()
        try:
            return archive_issued(invoice)
        finally:
            spent["archive"] += time.perf_counter() - t

    issuing.archive_issued = timed_archive_issued

    try:
        call_command("migrate", verbosity=0)
        info = base.machine()
        print(f"machine : {info['nproc']} CPU, {info['cpu']}, {info['ram_gb']} GB RAM")
        print(f"software: Python {info['python']}, Django {django.get_version()}, {info['os']}")
        print(f"database: {base.database_version(connection)}")
        print(f"archive : {archive.archive_storage().location}")
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"load    : {load} (1, 5, 15 min; other work on the machine skews the figures)")

        company, _ = base.setup_data(args.customers, args.products)
        n = args.invoices
        ids = base.create_drafts((list(range(n)), args.lines))

        t, cpu = time.perf_counter(), time.process_time()
        base.issue_drafts(ids)
        issue_s = time.perf_counter() - t
        cpu_s = time.process_time() - cpu
        share = spent["archive"] / issue_s
        print(
            f"issue   : {n} invoices of {args.lines} lines issued and archived in {issue_s:.1f} s"
            f" = {n / issue_s:.1f} documents/s (1 process)"
        )
        # CPU time of this process: what one free core would do, whatever the load (the
        # database's own work is in it on SQLite, not on PostgreSQL).
        print(f"cpu     : {cpu_s:.1f} s of CPU = {n / cpu_s:.1f} documents per CPU-second")
        print(
            f"archive : {spent['archive'] / n * 1000:.0f} ms per document rendering and "
            f"storing PDF + CII + UBL ({share:.0%} of issuing)"
        )
        for format in ("pdf", "cii", "ubl"):
            sizes = ArchivedDocument.objects.filter(company=company, format=format)
            total = sum(sizes.values_list("size", flat=True))
            print(f"size    : {format} {total / n / 1024:.1f} KiB on average")

        t = time.perf_counter()
        report = archive.verify_archive(company)
        verify_s = time.perf_counter() - t
        chain = report.chains[0]
        print(
            f"verify  : {chain.checked} links checked in {verify_s:.1f} s, "
            f"{'intact' if report.ok else 'BROKEN: ' + str(chain.broken)}"
        )
        print(f"load    : {' '.join(f'{x:.2f}' for x in os.getloadavg())} after")
        return 0 if report.ok and chain.checked == 3 * n else 1
    finally:
        issuing.archive_issued = archive_issued
        connections.close_all()
        if server is not None:
            base.drop_postgres(server)
        shutil.rmtree(base.DATA_DIR, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
