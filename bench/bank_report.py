#!/usr/bin/env python
"""Benchmark: the état de rapprochement on a large book.

    python bench/bank_report.py [--payments 100000] [--lines 100000] [--seed 7]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/bank_report.py

SQLite in a throwaway folder by default; with DATABASE_URL a throwaway PostgreSQL
database (ENCAISSE_BENCH_DB, default encaisse_bench_report) is created and dropped.

The book is bulk-inserted (no services: as bench/receivables.py loads its book): one
account (ledger 512), a year of payments (90 % transfers, 10 % cheques on slips of five)
each with its bank-journal entry (512 against 411), refunds (1 %) with theirs, and the
statements: a line per transfer credited (95 %, one to three days later), per slip and
per refund, fees to make up the count of lines; 95 % of the credited payments, every slip
and refund matched the day after their line. Then the report as of 30 June and
31 December (the page: 25 items per section; the snapshot a validation freezes: every
item), each timed over three runs (best and median).
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("ENCAISSE_BENCH_DB", "encaisse_bench_report")
from issue_invoices import database_version, drop_postgres, machine, prepare_postgres, setup_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

YEAR = 2025
START = dt.date(YEAR, 1, 1)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def load(args):
    from encaisse.banking.models import (
        BankAccount,
        BankLine,
        BankMatch,
        BankStatement,
        StatementFile,
    )
    from encaisse.ledger import chart
    from encaisse.ledger.models import JournalEntry, JournalLine
    from encaisse.receivables.models import Payment, Refund, RemittanceSlip

    rng = random.Random(args.seed)
    from encaisse.customers.models import Customer

    company, _ = setup_data(50, 1)
    customers = list(Customer.objects.filter(company=company).order_by("pk"))
    accounts = chart.accounts(company, [chart.BANK, chart.CUSTOMERS])
    bank, receivable = accounts[chart.BANK], accounts[chart.CUSTOMERS]
    account = BankAccount.objects.create(
        company=company, name="Compte courant", iban="FR7630006000011234567890189"
    )
    batch = 5000

    def day(n):
        return START + dt.timedelta(days=n % 364)

    payments = []
    for i in range(args.payments):
        amount = Decimal(rng.randint(1000, 500_000)) / 100
        payments.append(
            Payment(
                company=company,
                number=f"RG{YEAR}-{i + 1:06d}",
                customer=customers[i % len(customers)],
                date=day(i * 364 // args.payments),
                amount=amount,
                unallocated_amount=amount,
                method="cheque" if i % 10 == 9 else "transfer",
            )
        )
    Payment.objects.bulk_create(payments, batch_size=batch)
    payments = list(Payment.objects.filter(company=company).order_by("pk"))
    cheques = [p for p in payments if p.method == "cheque"]
    slips = []
    for n in range(0, len(cheques), 5):
        group = cheques[n : n + 5]
        slips.append(
            RemittanceSlip(
                company=company,
                number=n // 5 + 1,
                date=max(c.date for c in group) + dt.timedelta(1),
            )
        )
    RemittanceSlip.objects.bulk_create(slips, batch_size=batch)
    slips = list(RemittanceSlip.objects.filter(company=company).order_by("number"))
    for n, slip in enumerate(slips):
        for cheque in cheques[n * 5 : n * 5 + 5]:
            cheque.remittance = slip
    Payment.objects.bulk_update(cheques, ["remittance"], batch_size=batch)
    transfers = [p for p in payments if p.method == "transfer"]
    refunds = [
        Refund(
            company=company,
            number=f"RB{YEAR}-{i + 1:06d}",
            customer_id=p.customer_id,
            date=p.date + dt.timedelta(days=3),
            amount=(p.amount / 10).quantize(Decimal("0.01")),
            method="transfer",
        )
        for i, p in enumerate(transfers[:: max(1, len(transfers) // (args.payments // 100 or 1))])
    ]
    Refund.objects.bulk_create(refunds, batch_size=batch)
    refunds = list(Refund.objects.filter(company=company).order_by("pk"))
    # The bank journal: one entry per payment and refund.
    entries = []
    sources = [(p, "receivables.payment", 1) for p in payments] + [
        (r, "receivables.refund", -1) for r in refunds
    ]
    sources.sort(key=lambda s: s[0].date)
    for number, (source, kind, _) in enumerate(sources, start=1):
        entries.append(
            JournalEntry(
                company=company,
                journal="BQ",
                year=YEAR,
                number=number,
                date=source.date,
                label=kind,
                piece_ref=source.number,
                piece_date=source.date,
                validated_on=source.date,
                source_type=kind,
                source_id=source.pk,
            )
        )
    JournalEntry.objects.bulk_create(entries, batch_size=batch)
    by_source = {
        (e.source_type, e.source_id): e.pk
        for e in JournalEntry.objects.filter(company=company).only("pk", "source_type", "source_id")
    }
    lines = []
    for source, kind, sign in sources:
        entry_id = by_source[(kind, source.pk)]
        money_in = sign > 0
        lines.append(
            JournalLine(
                entry_id=entry_id,
                account=bank,
                label=kind,
                debit=source.amount if money_in else 0,
                credit=0 if money_in else source.amount,
            )
        )
        lines.append(
            JournalLine(
                entry_id=entry_id,
                account=receivable,
                label=kind,
                debit=0 if money_in else source.amount,
                credit=source.amount if money_in else 0,
            )
        )
    JournalLine.objects.bulk_create(lines, batch_size=batch)
    # The bank: monthly statements.
    statements = {}
    for month in range(1, 13):
        file = StatementFile.objects.create(
            company=company,
            account=account,
            name=f"releve-{month}.xml",
            sha256=f"{month:064d}",
            format="camt053",
            size=1,
        )
        first = dt.date(YEAR, month, 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        statements[month] = BankStatement.objects.create(
            company=company,
            account=account,
            file=file,
            reference=f"REL-{month:02d}",
            currency="EUR",
            opening_date=first,
            closing_date=last,
        )
    wanted = []  # (booking date, amount, counterpart field, object)
    for p in transfers:
        if rng.random() < 0.95:
            wanted.append((p.date + dt.timedelta(days=rng.randint(1, 3)), p.amount, "payment", p))
    for n, slip in enumerate(slips):
        total = sum((c.amount for c in cheques[n * 5 : n * 5 + 5]), Decimal("0"))
        wanted.append((slip.date + dt.timedelta(days=2), total, "remittance", slip))
    for r in refunds:
        wanted.append((r.date + dt.timedelta(days=1), -r.amount, "refund", r))
    while len(wanted) < args.lines:
        wanted.append(
            (day(rng.randint(0, 363)), -Decimal(rng.randint(100, 5000)) / 100, None, None)
        )
    wanted = [w for w in wanted if w[0].year == YEAR][: args.lines]
    bank_lines = [
        BankLine(
            company=company,
            account=account,
            statement=statements[booking.month],
            position=i,
            booking_date=booking,
            value_date=booking,
            amount=amount,
            currency="EUR",
            label="VIR" if amount > 0 else "PRLV",
            fingerprint=f"{i:012d}",
            status="matched" if field else "unmatched",
        )
        for i, (booking, amount, field, _) in enumerate(wanted)
    ]
    BankLine.objects.bulk_create(bank_lines, batch_size=batch)
    made = list(
        BankLine.objects.filter(account=account).order_by("position").only("pk", "booking_date")
    )
    matches = []
    for line, (booking, amount, field, obj) in zip(made, wanted, strict=True):
        if field is None or (field == "payment" and rng.random() < 0.05):
            continue
        matches.append(
            BankMatch(
                company=company,
                line_id=line.pk,
                amount=amount,
                matched_on=booking + dt.timedelta(days=1),
                **{field: obj},
            )
        )
    BankMatch.objects.bulk_create(matches, batch_size=batch)
    # Balances: opening 0, each month's closing the running sum of its lines.
    running = Decimal("0")
    for month in range(1, 13):
        st = statements[month]
        moved = sum((w[1] for w in wanted if w[0].month == month), Decimal("0"))
        BankStatement.objects.filter(pk=st.pk).update(
            opening_balance=running, closing_balance=running + moved, balance_gap=0
        )
        running += moved
    return account, len(entries), len(bank_lines), len(matches)


def timed(fn, runs=3):
    """(result, best wall, median wall, best CPU): CPU = this process + the PostgreSQL
    backend (on a shared machine the wall clock counts the waits for a core)."""
    from cpu import backend_cpu

    times, cpus = [], []
    for _ in range(runs):
        t, c, b = time.perf_counter(), time.process_time(), backend_cpu() or 0.0
        result = fn()
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c + (backend_cpu() or 0.0) - b)
    return result, min(times), statistics.median(times), min(cpus)


def main(argv=None) -> int:
    args = parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    server = None
    if url.startswith(("postgres://", "postgresql://")):
        url, server = prepare_postgres(url)
        os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from encaisse.banking.reconciliation_report import reconciliation_report, snapshot

    try:
        call_command("migrate", verbosity=0)
        info = machine()
        print(f"machine : {info['nproc']} CPU, {info['cpu']}, {info['ram_gb']} GB RAM")
        print(f"database: {database_version(connection)}")
        print(f"load    : {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
        t = time.perf_counter()
        account, n_entries, n_lines, n_matches = load(args)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(
            f"book    : {args.payments} payments, {n_entries} bank-journal entries, "
            f"{n_lines} statement lines, {n_matches} matches, loaded in "
            f"{time.perf_counter() - t:.1f} s"
        )
        account.refresh_from_db()
        for as_of in (dt.date(YEAR, 6, 30), dt.date(YEAR, 12, 31)):
            report, best, median, cpu = timed(lambda d=as_of: reconciliation_report(account, d))
            counts = ", ".join(f"{s.key} {s.count}" for s in report.sections)
            print(
                f"{as_of}: page (25 per section)  best {best * 1000:.0f} ms, median "
                f"{median * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms; bank {report.bank.amount}, "
                f"book {report.book_balance}, residual {report.residual}; items: {counts}"
            )
            _, best, median, cpu = timed(
                lambda d=as_of: snapshot(reconciliation_report(account, d, limit=None))
            )
            print(
                f"{as_of}: every item (snapshot) best {best * 1000:.0f} ms, median "
                f"{median * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms"
            )
    finally:
        connection.close()
        if server is not None and not os.environ.get("ENCAISSE_BENCH_KEEP"):
            drop_postgres(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
