#!/usr/bin/env python
"""Benchmark: issue N invoices, then render and archive them (Factur-X PDF, CII, UBL) with
K worker processes running the render jobs.

    python bench/render_documents.py [--invoices 1000] [--lines 5] [--workers 1]

Goes through the services like a user: `create_invoice`, then `issue_invoice`, which
queues the job `documents.render` of each document; then K processes run the queued jobs
as `encaisse worker` does (`run_pending_jobs`: the same claim, SELECT ... FOR UPDATE SKIP
LOCKED on PostgreSQL), each render appending three links to the company's archive chain.
Prints the issuing rate, the rendering rate (documents = issued invoices, three files
each) in wall-clock time and per CPU-second of the workers (the machine is shared: the
wall clock says as much about the load as about the code), the load average, the file
sizes, and the time `verify_archive` takes to walk the chain.

Database: DATABASE_URL when set (PostgreSQL: a throwaway database, `encaisse_bench_docs`
or $ENCAISSE_BENCH_DB + `_docs`, is created and dropped), else SQLite in a temporary
folder (one worker: SQLite takes one writer at a time). The data folder and the archive
are always temporary. Machine and data helpers come from bench/issue_invoices.py.
"""

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import issue_invoices as base  # sets ENCAISSE_DATA_DIR to a temporary folder

base.BENCH_DB = os.environ.get("ENCAISSE_BENCH_DB", "encaisse_bench") + "_docs"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1000, help="invoices (default 1000)")
    parser.add_argument("--lines", type=int, default=5, help="lines per invoice (default 5)")
    parser.add_argument("--customers", type=int, default=50, help="customers (default 50)")
    parser.add_argument("--products", type=int, default=40, help="products (default 40)")
    parser.add_argument(
        "--workers", type=int, default=1, help="processes running the render jobs (default 1)"
    )
    return parser.parse_args(argv)


def worker() -> None:
    """One worker process: run the queued jobs until none is left."""
    from django.db import connections

    from encaisse.jobs.runner import run_pending_jobs

    try:
        run_pending_jobs()
    finally:
        connections.close_all()


def render_with(workers: int) -> tuple[float, float]:
    """Run the queued jobs with `workers` processes; (wall seconds, their CPU seconds)."""
    import multiprocessing
    import resource

    from django.db import connections

    connections.close_all()  # the children open their own connections
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    processes = [multiprocessing.get_context("fork").Process(target=worker) for _ in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


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

    if server is None and args.workers > 1:
        print("--workers > 1 needs PostgreSQL (SQLite takes one writer at a time): using 1.")
        args.workers = 1

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
        print(
            f"issue   : {n} invoices of {args.lines} lines issued in {issue_s:.1f} s"
            f" = {n / issue_s:.1f} invoices/s, {n / cpu_s:.1f} per CPU-second (1 process,"
            " renders queued)"
        )
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        render_s, render_cpu = render_with(args.workers)
        print(
            f"render  : {n} documents rendered and archived in {render_s:.1f} s = "
            f"{n / render_s:.1f} documents/s with {args.workers} worker(s) (load before "
            f"{load})"
        )
        print(
            f"cpu     : {render_cpu:.1f} s of the workers' CPU = {n / render_cpu:.1f} "
            f"documents per CPU-second, {render_cpu / n * 1000:.0f} ms each"
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
        connections.close_all()
        if server is not None:
            base.drop_postgres(server)
        shutil.rmtree(base.DATA_DIR, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
