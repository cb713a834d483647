#!/usr/bin/env python
"""Benchmark: the background jobs' engine, end to end through `encaisse worker`.

    python bench/jobs.py [--jobs 1000] [--workers 1]

Queues N jobs at once (`jobs.recover_stale`: one query, so the figure is the engine's own
cost: claim, the Job row's state changes, the queue row's), starts K `encaisse worker`
processes and times until every job is done; then the same with `--once` in one process
(no polling). Prints jobs/s, the database and the load.

Database: DATABASE_URL when set (a throwaway database `encaisse_bench_jobs` is created
on the same server and dropped), else SQLite in a temporary folder.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
DATA_DIR = tempfile.mkdtemp(prefix="encaisse-bench-jobs-")
BENCH_DB = "encaisse_bench_jobs"


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{DATA_DIR}/bench.sqlite3"
    import psycopg

    server = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        con.execute(f"CREATE DATABASE {BENCH_DB}")
    return f"{server}/{BENCH_DB}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "ENCAISSE_DATA_DIR": DATA_DIR,
        "PYTHONPATH": str(SRC),
        "DJANGO_SETTINGS_MODULE": "encaisse.settings",
    }
    encaisse = [sys.executable, "-m", "encaisse.cli"]
    subprocess.run([*encaisse, "migrate", "-v0"], env=env, check=True)
    queue = (
        "import django; django.setup()\n"
        "from django.db import transaction\n"
        "from encaisse.jobs.runner import enqueue\n"
        "from encaisse.jobs.models import Job\n"
        "import sys, time\n"
        "n = int(sys.argv[1])\n"
        "if sys.argv[2] == 'queue':\n"
        "    with transaction.atomic():\n"
        "        for _ in range(n): enqueue('jobs.recover_stale')\n"
        "else:\n"
        "    while Job.objects.filter(state='done').count() < n: time.sleep(0.05)\n"
    )
    results = {}
    for mode in ("workers", "once"):
        subprocess.run([sys.executable, "-c", queue, str(args.jobs), "queue"], env=env, check=True)
        start = time.perf_counter()
        if mode == "workers":
            workers = [
                subprocess.Popen([*encaisse, "worker", "-v0"], env=env) for _ in range(args.workers)
            ]
            subprocess.run([sys.executable, "-c", queue, str(args.jobs), "wait"], env=env)
            elapsed = time.perf_counter() - start
            for worker in workers:
                worker.terminate()
                worker.wait()
        else:
            subprocess.run([*encaisse, "worker", "--once", "-v0"], env=env, check=True)
            elapsed = time.perf_counter() - start
        results[mode] = elapsed
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup()\n"
                "from encaisse.jobs.models import Job; Job.objects.all().delete()",
            ],
            env=env,
            check=True,
        )
    vendor = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
    load = os.getloadavg()
    print(f"{vendor}, {args.jobs} jobs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"  {args.workers} × encaisse worker: {results['workers']:.1f} s, "
        f"{args.jobs / results['workers']:.0f} jobs/s (including start-up)"
    )
    once = results["once"]
    print(f"  encaisse worker --once: {once:.1f} s, {args.jobs / once:.0f} jobs/s")
    if vendor == "PostgreSQL":
        import psycopg

        server = env["DATABASE_URL"].rsplit("/", 1)[0]
        with psycopg.connect(f"{server}/postgres", autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


if __name__ == "__main__":
    main()
