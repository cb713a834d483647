#!/usr/bin/env python
"""Benchmark: the dunning run over a large book of open invoices.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/dunning.py
        [--invoices 1000000] [--customers 100000] [--keep] [--database encaisse_bench_dun]

PostgreSQL only. The book is loaded by bench/receivables.py's set-based loader with no
payment (`--paid 0`): invoices issued over the three years before today, 30 days net, so
nearly all are overdue; 5 % of them cancelled by a credit note. Every level of the default
scenario is set to need a collector's validation, so that the run only plans and writes
proposals (sending is a letter or an e-mail per customer: the documents and mail
benchmarks measure those).

It times:
  - the first run of the day (plans every open item, creates one reminder per customer
    and one item per open installment),
  - the same run again (idempotent: updates the proposals in place, sends nothing),
  - the next day's run,
with the wall clock and the CPU time of client and server.
"""

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import receivables

BENCH_DB = "encaisse_bench_dun"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--database", default=BENCH_DB, help="name of the bench database")
    args = parser.parse_args()
    args.paid, args.repeat = 0.0, 1
    return args


def validate_every_level(company):
    """Every level of the default scenario needs a collector's validation: a run only
    plans and writes proposals."""
    from encaisse.dunning.scenarios import DEFAULT_LEVELS, default_scenario, update_scenario

    update_scenario(
        default_scenario(company),
        {
            "levels": [
                {"rank": r, "day_offset": o, "channel": c, "needs_validation": True}
                for r, o, c, _t, _v in DEFAULT_LEVELS
            ]
        },
        by=company.memberships.get().user,
    )


def main():
    args = parse_args()
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x")
    if not server.startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    server = server.rsplit("/", 1)[0]
    os.environ["DATABASE_URL"] = receivables.recreate_database(server, args.database)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from encaisse.dunning.models import Reminder, ReminderItem
    from encaisse.dunning.run import run_dunning

    try:
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"Loading {args.invoices:,} invoices over {args.customers:,} customers...")
        company, _ = receivables.load(args)
        print(f"Loaded in {time.perf_counter() - t0:.0f} s")
        validate_every_level(company)
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            version = cursor.fetchone()[0].split(",")[0]
            cursor.execute("SELECT count(*) FROM receivables_installment WHERE settled_on IS NULL")
            open_items = cursor.fetchone()[0]
        print(f"{version}; {os.cpu_count()} cores; {open_items:,} open installments")
        # Yesterday then today: a run is never dated in the future.
        today = dt.date.today()
        yesterday = today - dt.timedelta(days=1)
        for label, day in (
            ("first run of the day", yesterday),
            ("same day again (idempotent)", yesterday),
            ("next day", today),
        ):
            report = receivables.timed(label, lambda day=day: run_dunning(company, day), 1)
            print(
                f"   proposed {len(report.proposed):,}, updated {len(report.updated):,}, "
                f"held {len(report.held):,}, sent {len(report.sent):,}; "
                f"{Reminder.objects.count():,} reminders, "
                f"{ReminderItem.objects.count():,} items"
            )
    finally:
        connection.close()
        if not args.keep:
            receivables.drop_database(server, args.database)


if __name__ == "__main__":
    main()
