"""The engine's automatic matches applied set-based: what `split_line` (one payment
recorded and allocated per line, write-offs) and `assign_line` do, for many lines in one
transaction, with the same rows, numbers, entries and audit records, in a few dozen
queries instead of forty per line.

The same checks first, on rows locked in the services' order (lines, then the credits
and installments in id order): the lines still to do, the periods open, each
installment owing at least what is allocated to it, each credit note holding what is
used. Anything that does not hold raises a domain error and the caller applies that
chunk line by line through the services instead (which refuse what must be refused).
"""

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import DateTimeField, F, JSONField, Sum
from django.db.models.base import ModelState
from django.utils import timezone

from encaisse import bulk, clock
from encaisse.audit import services as audit
from encaisse.audit.models import AuditEntry
from encaisse.companies.models import NumberSequence
from encaisse.companies.sequences import lock_sequence
from encaisse.einvoicing.services import collect_paid
from encaisse.errors import Conflict, ValidationFailed
from encaisse.ledger import chart
from encaisse.ledger.models import Journal, JournalEntry, JournalLine
from encaisse.ledger.periods import ensure_open
from encaisse.ledger.posting import ENTRY_SERIES
from encaisse.money import ZERO, format_eur
from encaisse.receivables.models import (
    Allocation,
    CreditNoteCredit,
    Installment,
    Payment,
    Refund,
    RemittanceSlip,
    WriteOff,
)
from encaisse.receivables.services.payments import SERIES
from encaisse.sales.models import Invoice

from ..models import BankLine, BankMatch, LineStatus, MatchOperation, MatchProposal
from . import matching

CENT = Decimal("0.01")


def money(value: int) -> Decimal:
    return (Decimal(value) * CENT).quantize(CENT)


def make(model, **values):
    """A model instance for `insert`, built without Model.__init__ (its descriptors and
    signals cost more than the row's insert): attribute names (`customer_id`), the
    fields' defaults for the others."""
    obj = model.__new__(model)
    obj._state = ModelState()
    for field in model._meta.concrete_fields:
        if field.attname not in values and not field.primary_key:
            values[field.attname] = field.get_default()
    obj.__dict__.update(values)
    return obj


def insert(model, objs: list) -> None:
    """Insert model instances, setting their primary keys: COPY on PostgreSQL
    (encaisse.bulk.insert); on SQLite one prepared INSERT run over every row, ids given
    from the table's sequence (the transaction holds SQLite's only write lock: no other
    writer can take them meanwhile). Django's bulk_create builds one SQL text per batch
    of a few rows there, which costs more than the rows themselves."""
    if not objs:
        return
    if connection.vendor != "sqlite":
        # COPY takes JSON as its text (psycopg would send a list as an array).
        for field in model._meta.concrete_fields:
            if isinstance(field, JSONField):
                for obj in objs:
                    value = getattr(obj, field.attname)
                    setattr(obj, field.attname, json.dumps(value, cls=DjangoJSONEncoder))
        bulk.insert(model, objs)
        return
    meta = model._meta
    table = meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        cursor.execute(f'SELECT max("{meta.pk.column}") FROM "{table}"')
        start = max(row[0] if row else 0, cursor.fetchone()[0] or 0)
        now = timezone.now()
        fields = meta.concrete_fields
        for offset, obj in enumerate(objs, start=1):
            obj.pk = start + offset
            for field in fields:
                if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                    setattr(obj, field.attname, now)
        columns = ", ".join(f'"{f.column}"' for f in fields)
        marks = ", ".join("?" for _ in fields)
        # sqlite3 adapts ints, texts, dates and Decimals itself (Django registers the
        # adapters); aware datetimes and JSON go through their fields.
        db = connections[DEFAULT_DB_ALIAS]
        preps = [
            (f.attname, f.get_db_prep_save if isinstance(f, DateTimeField | JSONField) else None)
            for f in fields
        ]
        rows = [
            tuple(
                prep(getattr(obj, name), db) if prep else getattr(obj, name) for name, prep in preps
            )
            for obj in objs
        ]
        cursor.cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', rows)


def update(model, objs: list, names: list[str]) -> None:
    """UPDATE each row's `names` columns to its values, one prepared statement."""
    if not objs:
        return
    meta = model._meta
    fields = [meta.get_field(n) for n in names]
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    sql = (
        f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {sets} "
        f"WHERE {connection.ops.quote_name(meta.pk.column)} = %s"
    )
    rows = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


class _Numbers:
    """Numbers of a series reserved in one update per (series, year)."""

    def __init__(self, company):
        self.company = company
        self.counts = defaultdict(int)

    def reserve(self, series: str, years) -> dict:
        """{year: iterator of the next numbers} for len(years) documents."""
        wanted = defaultdict(int)
        for year in years:
            wanted[year] += 1
        out = {}
        for year, count in sorted(wanted.items()):
            sequence = lock_sequence(self.company, series, year)
            NumberSequence.objects.filter(pk=sequence.pk).update(
                last_number=F("last_number") + count
            )
            out[year] = iter(range(sequence.last_number + 1, sequence.last_number + count + 1))
        return out


def _entries(company, journal, specs) -> list[JournalEntry]:
    """Write balanced entries; `specs`: [(date, label, piece_ref, source, lines)] with lines
    [(account, customer_id, debit, credit)]. Numbered in order under the entry lock."""
    accounts = chart.accounts(company, {n for spec in specs for n, *_ in spec[4]})
    numbers = _Numbers(company).reserve(ENTRY_SERIES, [s[0].year for s in specs])
    today = clock.today()
    entries = []
    for day, label, piece_ref, source, lines in specs:
        debit = sum((line[2] for line in lines), ZERO)
        credit = sum((line[3] for line in lines), ZERO)
        if debit != credit:
            raise AssertionError(f"Unbalanced entry {label}: {debit} != {credit}")
        entries.append(
            make(
                JournalEntry,
                company_id=company.pk,
                journal=journal,
                year=day.year,
                number=next(numbers[day.year]),
                date=day,
                label=label[:200],
                piece_ref=piece_ref[:50],
                piece_date=day,
                validated_on=today,
                source_type=source._meta.label_lower,
                source_id=source.pk,
            )
        )
    insert(JournalEntry, entries)
    insert(
        JournalLine,
        [
            make(
                JournalLine,
                entry_id=entry.pk,
                account_id=accounts[number].pk,
                customer_id=customer,
                label=entry.label,
                debit=d,
                credit=c,
            )
            for entry, spec in zip(entries, specs, strict=True)
            for number, customer, d, c in spec[4]
            if d or c
        ],
    )
    return entries


def _audit(company, by, action, objects_changes):
    """The audit records the services would write, one per object: `objects_changes`
    [(model instance or (object_type, id, repr), changes)]."""
    actor = audit.actor(by)
    actor_id = actor.pk if actor else None
    insert(
        AuditEntry,
        [
            make(
                AuditEntry,
                company_id=company.pk,
                actor_id=actor_id,
                action=action,
                object_type=obj[0] if isinstance(obj, tuple) else obj._meta.label_lower,
                object_id=str(obj[1] if isinstance(obj, tuple) else obj.pk),
                object_repr=(obj[2] if isinstance(obj, tuple) else str(obj))[:200],
                changes=changes,
            )
            for obj, changes in objects_changes
        ],
    )


def _lock_lines(company, rows):
    ids = [line.pk for line, _ in rows]
    free = set(
        BankLine.objects.select_for_update()
        .filter(
            company_id=company.pk,
            pk__in=ids,
            status__in=[LineStatus.UNMATCHED, LineStatus.PROPOSED],
        )
        .values_list("pk", flat=True)
    )
    free -= set(
        BankMatch.objects.filter(line_id__in=ids, undone_on__isnull=True).values_list(
            "line_id", flat=True
        )
    )
    if free != set(ids):
        raise Conflict("already_matched", "Une ligne de relevé est déjà rapprochée.")


def apply_many(company, book, rows, *, by, on: dt.date | None = None) -> None:
    """Apply [(line, candidate)] of kinds "installments" and "rule" in one transaction."""
    on = on or clock.today()
    with transaction.atomic():
        _lock_lines(company, rows)
        if any(line.booking_date > on for line, _ in rows):
            # record_payment refuses a future date: those lines go through the services.
            raise ValidationFailed("future_date", "Une ligne est datée d'après aujourd'hui.")
        for day in sorted({line.booking_date for line, _ in rows} | {on}):
            ensure_open(company, day)
        matched = [(line, c) for line, c in rows if c.kind == "installments"]
        assigned = [(line, c) for line, c in rows if c.kind == "rule"]
        records = [(line, c) for line, c in rows if c.kind in RECORD_KINDS]
        if matched:
            _apply_installments(company, book, matched, by=by, on=on)
        if assigned:
            _apply_rules(company, assigned, by=by, on=on)
        if records:
            _apply_records(company, records, by=by, on=on)


RECORD_KINDS = ("payment", "payments", "remittance", "refund")


def _apply_records(company, rows, *, by, on):
    """Lines matched to what is already recorded: payments (one, or a direct-debit
    batch), a cheque remittance slip, a refund. Checked as match_payments,
    match_remittance and match_refund check."""
    actor = audit.actor(by)
    actor_id = actor.pk if actor else None
    live = BankMatch.objects.filter(company_id=company.pk, undone_on__isnull=True)
    payment_ids = sorted({pk for _, c in rows for pk in c.payments})
    payments = {
        p.pk: p
        for p in Payment.objects.select_for_update()
        .filter(company_id=company.pk, pk__in=payment_ids, remittance__isnull=True)
        .order_by("pk")
    }
    slips = {
        pk: total
        for pk, total in RemittanceSlip.objects.filter(
            company_id=company.pk, pk__in=[c.remittance for _, c in rows if c.remittance]
        )
        .annotate(total=Sum("payments__amount"))
        .values_list("pk", "total")
    }
    refunds = {
        r.pk: r
        for r in Refund.objects.filter(
            company_id=company.pk, pk__in=[c.refund for _, c in rows if c.refund]
        )
    }
    taken = set(live.filter(payment_id__in=payment_ids).values_list("payment_id", flat=True))
    taken_slips = set(live.filter(remittance_id__in=slips).values_list("remittance_id", flat=True))
    taken_refunds = set(live.filter(refund_id__in=refunds).values_list("refund_id", flat=True))
    matches, per_line = [], []
    for line, c in rows:
        common = dict(
            company_id=company.pk,
            line_id=line.pk,
            automatic=True,
            score=c.score,
            explanation=c.explanation[:500],
            matched_on=on,
            matched_by_id=actor_id,
        )
        if c.payments:
            if (
                any(pk not in payments or pk in taken for pk in c.payments)
                or sum((payments[pk].amount for pk in c.payments), ZERO) != line.amount
            ):
                raise Conflict("stale_book", "Un règlement a changé depuis le calcul.")
            made = [
                make(BankMatch, amount=payments[pk].amount, payment_id=pk, **common)
                for pk in c.payments
            ]
        elif c.remittance:
            if c.remittance in taken_slips or slips.get(c.remittance) != line.amount:
                raise Conflict("stale_book", "Un bordereau a changé depuis le calcul.")
            made = [make(BankMatch, amount=line.amount, remittance_id=c.remittance, **common)]
        else:
            refund = refunds.get(c.refund)
            if refund is None or c.refund in taken_refunds or refund.amount != -line.amount:
                raise Conflict("stale_book", "Un remboursement a changé depuis le calcul.")
            made = [make(BankMatch, amount=line.amount, refund_id=c.refund, **common)]
        matches += made
        per_line.append(made)
    insert(BankMatch, matches)
    operations = [
        make(
            MatchOperation,
            company_id=company.pk,
            line_id=line.pk,
            kind=MatchOperation.Kind.MATCH,
            done_on=on,
            done_by_id=actor_id,
        )
        for line, _ in rows
    ]
    insert(MatchOperation, operations)
    through = MatchOperation.matches.through
    insert(
        through,
        [
            make(through, matchoperation_id=op.pk, bankmatch_id=m.pk)
            for op, made in zip(operations, per_line, strict=True)
            for m in made
        ],
    )
    _statuses(rows, LineStatus.MATCHED)
    _audit(
        company,
        by,
        "bank_line.matched",
        [
            (line, {"automatic": True, "score": c.score, "explanation": c.explanation})
            for line, c in rows
        ],
    )


def _apply_installments(company, book, rows, *, by, on):
    actor = audit.actor(by)
    actor_id = actor.pk if actor else None
    # The credits used, then the installments, locked in id order; what they hold now.
    note_ids = sorted({pk for _, c in rows for pk, _ in c.notes})
    notes = {
        n.pk: n
        for n in CreditNoteCredit.objects.select_for_update()
        .filter(company_id=company.pk, pk__in=note_ids)
        .order_by("pk")
    }
    note_dates = dict(Invoice.objects.filter(pk__in=note_ids).values_list("pk", "issue_date"))
    used = defaultdict(Decimal)
    for _, c in rows:
        for pk, amount in c.notes:
            used[pk] += money(amount)
    for pk, amount in used.items():
        if pk not in notes or notes[pk].unallocated_amount < amount:
            raise Conflict("stale_book", "Un avoir a changé depuis le calcul.")
    item_ids = sorted({pk for _, c in rows for pk, _ in c.items})
    installments = {
        i.pk: i
        for i in Installment.objects.select_for_update()
        .filter(company_id=company.pk, pk__in=item_ids)
        .order_by("pk")
    }
    settled = defaultdict(Decimal)
    for _, c in rows:
        for pk, amount in c.items:
            settled[pk] += money(amount)
        for pk, amount in c.write_offs:
            settled[pk] += money(amount)
    for pk, amount in settled.items():
        if pk not in installments or installments[pk].open_amount < amount:
            raise Conflict("stale_book", "Une échéance a changé depuis le calcul.")
    customers = book.customers
    # Payments: numbered, inserted, posted.
    numbers = _Numbers(company).reserve("payment", [line.booking_date.year for line, _ in rows])
    payments = []
    for line, c in rows:
        amount = line.amount
        payments.append(
            make(
                Payment,
                company_id=company.pk,
                number=f"{SERIES['payment']}{line.booking_date.year}-"
                f"{next(numbers[line.booking_date.year]):05d}",
                customer_id=c.customer,
                date=line.booking_date,
                amount=amount,
                # Allocated whole below (checked): stored as refresh_settled would.
                unallocated_amount=ZERO,
                settled_on=on,
                method=matching._method(line),
                payer=(matching._payer(line) or customers.get(c.customer, ""))[:200],
                reference=matching._reference(line),
                bank_account=matching._iban_or_blank(line.counterparty_iban),
                created_by_id=actor_id,
            )
        )
    insert(Payment, payments)
    # Write-offs (one per line that has one): numbered, inserted.
    losses = defaultdict(list)  # line id -> [(installment id, WriteOff)]
    with_loss = [(line, pk, a) for line, c in rows for pk, a in c.write_offs]
    if with_loss:
        numbers = _Numbers(company).reserve("write_off", [on.year for _ in with_loss])
        for line, pk, amount in with_loss:
            losses[line.pk].append(
                (
                    pk,
                    make(
                        WriteOff,
                        company_id=company.pk,
                        number=f"{SERIES['write_off']}{on.year}-{next(numbers[on.year]):05d}",
                        customer_id=installments[pk].customer_id,
                        date=on,
                        amount=money(amount),
                        reason=f"Écart de règlement (frais bancaires), relevé du "
                        f"{line.booking_date:%d/%m/%Y}",
                        created_by_id=actor_id,
                    ),
                )
            )
        insert(WriteOff, [w for pairs in losses.values() for _, w in pairs])
    # Allocations: credit notes first, then the payment, then the write-off.
    allocations, by_line = [], defaultdict(list)
    for (line, c), payment in zip(rows, payments, strict=True):
        note_left = [[pk, money(a)] for pk, a in c.notes]
        for pk, amount in c.items:
            amount = money(amount)
            for row in note_left:
                take = min(row[1], amount)
                if take > 0:
                    allocation = make(
                        Allocation,
                        company_id=company.pk,
                        customer_id=c.customer,
                        installment_id=pk,
                        credit_note_id=row[0],
                        amount=take,
                        allocated_on=max(on, note_dates[row[0]]),
                        paid_on=note_dates[row[0]],
                        created_by_id=actor_id,
                    )
                    allocations.append(allocation)
                    by_line[line.pk].append(allocation)
                    row[1] -= take
                    amount -= take
            if amount > 0:
                allocation = make(
                    Allocation,
                    company_id=company.pk,
                    customer_id=c.customer,
                    installment_id=pk,
                    payment_id=payment.pk,
                    amount=amount,
                    allocated_on=on,
                    paid_on=payment.date,
                    created_by_id=actor_id,
                )
                allocations.append(allocation)
                by_line[line.pk].append(allocation)
        for pk, loss in losses.get(line.pk, ()):
            allocations.append(
                make(
                    Allocation,
                    company_id=company.pk,
                    customer_id=c.customer,
                    installment_id=pk,
                    write_off_id=loss.pk,
                    amount=loss.amount,
                    allocated_on=on,
                    paid_on=on,
                    created_by_id=actor_id,
                )
            )
    paid = defaultdict(Decimal)
    for allocation in allocations:
        if allocation.payment_id:
            paid[allocation.payment_id] += allocation.amount
    if any(paid[p.pk] != p.amount for p in payments):
        raise Conflict("stale_book", "Un règlement ne serait pas lettré en entier.")
    insert(Allocation, allocations)
    # The stored amounts, from the rows locked above and what was just allocated (as
    # refresh_settled recomputes them; `encaisse receivables check-open-amounts` agrees).
    changed, settled_invoices = [], set()
    for pk, amount in settled.items():
        installment = installments[pk]
        installment.open_amount -= amount
        if installment.open_amount == 0:
            installment.settled_on = on
            settled_invoices.add(installment.invoice_id)
        changed.append(installment)
    update(Installment, changed, ["open_amount", "settled_on"])
    for pk, amount in used.items():
        notes[pk].unallocated_amount -= amount
    update(CreditNoteCredit, list(notes.values()), ["unallocated_amount"])
    if settled_invoices:
        collect_paid(settled_invoices)
    # The books: payments (bank journal), write-offs (miscellaneous).
    _entries(
        company,
        Journal.BANK,
        [
            (
                p.date,
                f"Règlement {customers.get(p.customer_id, '')} {p.reference}".strip(),
                p.number,
                p,
                [
                    (chart.BANK, None, p.amount, ZERO),
                    (chart.CUSTOMERS, p.customer_id, ZERO, p.amount),
                ],
            )
            for p in payments
        ],
    )
    if losses:
        _entries(
            company,
            Journal.MISC,
            [
                (
                    w.date,
                    f"Écart de règlement {customers.get(w.customer_id, '')}",
                    w.number,
                    w,
                    [
                        (chart.LOSSES, None, w.amount, ZERO),
                        (chart.CUSTOMERS, w.customer_id, ZERO, w.amount),
                    ],
                )
                for pairs in losses.values()
                for _, w in pairs
            ],
        )
    # What the reconciliation keeps: matches, operations, statuses.
    matches = [
        make(
            BankMatch,
            company_id=company.pk,
            line_id=line.pk,
            amount=p.amount,
            payment_id=p.pk,
            automatic=True,
            score=c.score,
            explanation=c.explanation[:500],
            matched_on=on,
            matched_by_id=actor_id,
        )
        for (line, c), p in zip(rows, payments, strict=True)
    ]
    insert(BankMatch, matches)
    operations = [
        make(
            MatchOperation,
            company_id=company.pk,
            line_id=line.pk,
            kind=MatchOperation.Kind.MATCH,
            recorded_payments=[p.pk],
            allocations=[a.pk for a in by_line[line.pk]],
            write_offs=[w.pk for _, w in losses.get(line.pk, ())],
            done_on=on,
            done_by_id=actor_id,
        )
        for (line, _), p in zip(rows, payments, strict=True)
    ]
    _operations(operations, matches)
    _statuses(rows, LineStatus.MATCHED)
    _audit(
        company,
        by,
        "payment.recorded",
        [
            (
                p,
                {
                    "customer": customers.get(p.customer_id, ""),
                    "amount": format_eur(p.amount),
                    "date": p.date.isoformat(),
                    "method": p.get_method_display(),
                    "reference": p.reference,
                },
            )
            for p in payments
        ],
    )
    _audit(
        company,
        by,
        "customer.payment_recorded",
        [
            (
                ("customers.customer", p.customer_id, customers.get(p.customer_id, "")),
                {"payment": p.pk, "amount": format_eur(p.amount)},
            )
            for p in payments
        ],
    )
    numbers = dict(Installment.objects.filter(pk__in=item_ids).values_list("pk", "invoice__number"))
    allocated = defaultdict(list)
    for allocation in allocations:
        if allocation.payment_id:
            allocated[allocation.payment_id].append(
                f"{numbers[allocation.installment_id]}: {format_eur(allocation.amount)}"
            )
    _audit(
        company,
        by,
        "payment.allocated",
        [(p, {"allocations": allocated[p.pk], "date": on.isoformat()}) for p in payments],
    )
    if losses:
        _audit(
            company,
            by,
            "write_off.recorded",
            [
                (w, {"invoice": numbers[pk], "amount": format_eur(w.amount)})
                for pairs in losses.values()
                for pk, w in pairs
            ],
        )
    _audit(
        company,
        by,
        "bank_line.matched",
        [
            (
                line,
                {
                    "payments": [p.number],
                    "automatic": True,
                    "score": c.score,
                    "explanation": c.explanation,
                },
            )
            for (line, c), p in zip(rows, payments, strict=True)
        ],
    )


def _operations(operations, matches):
    insert(MatchOperation, operations)
    through = MatchOperation.matches.through
    insert(
        through,
        [
            make(through, matchoperation_id=op.pk, bankmatch_id=m.pk)
            for op, m in zip(operations, matches, strict=True)
        ],
    )


def _statuses(rows, status):
    ids = [line.pk for line, _ in rows]
    BankLine.objects.filter(pk__in=ids).update(status=status)
    MatchProposal.objects.filter(line_id__in=ids).delete()


def _apply_rules(company, rows, *, by, on):
    actor = audit.actor(by)
    actor_id = actor.pk if actor else None
    operations = [
        make(
            MatchOperation,
            company_id=company.pk,
            line_id=line.pk,
            kind=MatchOperation.Kind.ASSIGN,
            account=c.account,
            label=c.label[:200],
            done_on=on,
            done_by_id=actor_id,
        )
        for line, c in rows
    ]
    insert(MatchOperation, operations)
    specs = []
    for (line, c), op in zip(rows, operations, strict=True):
        bank = line.account.ledger_account or chart.BANK
        amount = abs(line.amount)
        lines = (
            [(bank, None, amount, ZERO), (c.account, None, ZERO, amount)]
            if line.amount > 0
            else [(c.account, None, amount, ZERO), (bank, None, ZERO, amount)]
        )
        specs.append((line.booking_date, c.label, f"REL{line.pk}", op, lines))
    entries = _entries(company, Journal.BANK, specs)
    matches = [
        make(
            BankMatch,
            company_id=company.pk,
            line_id=line.pk,
            amount=line.amount,
            entry_id=entry.pk,
            automatic=True,
            score=c.score,
            explanation=c.explanation[:500],
            matched_on=on,
            matched_by_id=actor_id,
        )
        for (line, c), entry in zip(rows, entries, strict=True)
    ]
    insert(BankMatch, matches)
    through = MatchOperation.matches.through
    insert(
        through,
        [
            make(through, matchoperation_id=op.pk, bankmatch_id=m.pk)
            for op, m in zip(operations, matches, strict=True)
        ],
    )
    _statuses(rows, LineStatus.ASSIGNED)
    _audit(
        company,
        by,
        "bank_line.assigned",
        [(line, {"account": c.account, "label": c.label, "automatic": True}) for line, c in rows],
    )
