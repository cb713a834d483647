"""The reconciliation report (état de rapprochement) of one bank account as of a date D.

Two balances, and the outstanding items (suspens) that explain their difference:

- the **bank balance** on D, from the statements: the closing balance of the last
  statement closed on or before D, plus the lines booked after that closing up to D (an
  intraday or partial statement); without any statement closed by D, the earliest
  statement's opening balance plus the lines booked up to D. The bank's own closing
  balance is authoritative: a statement that does not chain with the previous one, or
  whose lines do not add up to its balances (`chain_gap`, `balance_gap`, found by the
  import), is listed under the report as a warning and shows in the residual, never
  "fixed";
- the **book balance** on D: the sum of the journal lines on the account's 512x ledger
  account (`BankAccount.ledger_account`) dated on or before D, whatever the journal.
  Today every payment and refund posts to `chart.BANK` "512" (ledger.posting), so an
  account whose ledger account is "512" reads them all; posting each payment to the 512x
  of the bank account it was received on is a follow-up.

A match (BankMatch) counts on D when it was made by D and not undone by D
(`matched_on <= D < undone_on`), its line is booked by D, and its counterpart is in the
book on D (the journal entry of its payment, refund or entry is dated by D on this
ledger account; a remittance slip dated by D). What the matches in force do not cover is
outstanding, classified:

- (a) ``cheques``: cheques remitted not yet credited: per remittance slip dated by D, its
  cheques in the book less what was matched to the slip or to the cheques;
- (b) ``issued``: refunds (transfers issued) not yet debited;
- (c) ``receipts``: other book entries not on the bank yet: payments by transfer, card,
  direct debit (and cheques not remitted by D), other entries on the ledger account;
- (d) ``debits``: bank debits not yet booked (lines < 0, or what their matches leave);
- (e) ``credits``: bank credits not yet identified (lines > 0).

Amounts are signed as money on the account (+ in, − out), so that

    book balance + (d + e) − (a + b + c) = bank balance

and the report shows the **residual** when it is not zero. By construction the items
account for every imported line and every book movement, so the residual is exactly the
part of the bank balance that the imported lines do not carry: the opening balance of
the first statement imported (the account's history before encaisse, absent from its
ledger) and the statements' gaps, each shown.

Set-based: one statement computes every item, ranks it in its section and sums the
sections (window functions), returning only the rows of the page asked for; two small
ones give the balances. See `docs/benchmarks.md` (bench/bank_report.py).
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction

from encaisse.errors import Conflict, NotFound, ValidationFailed
from encaisse.ledger.models import Account
from encaisse.money import ZERO, format_eur
from encaisse.receivables.models import PaymentMethod
from encaisse.reporting.aged_balance import sql_money

from .models import BankAccount, BankStatement, LineStatus

DEFAULT_OLD_DAYS = 30  # Company.bank_item_age_days: an item older than this is flagged

# The sections in the order the report prints them: (key, title, side).
SECTIONS = [
    ("cheques", "Chèques remis non encore crédités", "book"),
    ("issued", "Virements émis non encore débités", "book"),
    ("receipts", "Autres écritures non encore passées en banque", "book"),
    ("debits", "Débits bancaires non comptabilisés", "bank"),
    ("credits", "Crédits bancaires non identifiés", "bank"),
]
SECTION_TITLES = {key: title for key, title, _ in SECTIONS}
BOOK_SECTIONS = [key for key, _, side in SECTIONS if side == "book"]
BANK_SECTIONS = [key for key, _, side in SECTIONS if side == "bank"]

PAYMENT = "receivables.payment"
REFUND = "receivables.refund"
METHODS = dict(PaymentMethod.choices)
LINE_STATUSES = dict(LineStatus.choices)


@dataclass(frozen=True)
class Item:
    section: str
    kind: str  # "slip", "entry" or "line"
    ref: int  # the slip's, the journal entry's or the line's id
    date: dt.date
    amount: Decimal  # what is outstanding, signed: + money in, − money out
    age: int  # days from `date` to the report's date
    old: bool
    label: str
    reference: str  # a number: slip, payment, refund, entry piece, bank reference
    detail: str = ""  # method, counterparty, line status...
    source_id: int | None = None  # the payment or refund behind an entry

    def as_dict(self) -> dict:
        return {
            "section": self.section,
            "kind": self.kind,
            "ref": self.ref,
            "date": self.date.isoformat(),
            "amount": str(self.amount),
            "age": self.age,
            "old": self.old,
            "label": self.label,
            "reference": self.reference,
            "detail": self.detail,
            "source_id": self.source_id,
        }


@dataclass
class Section:
    key: str
    title: str
    count: int = 0
    total: Decimal = ZERO
    old_count: int = 0
    items: list[Item] = field(default_factory=list)  # the page asked for (or all)

    @property
    def side(self) -> str:
        return "book" if self.key in BOOK_SECTIONS else "bank"


@dataclass(frozen=True)
class Gap:
    statement_id: int
    reference: str
    closing_date: dt.date | None
    balance_gap: Decimal | None
    chain_gap: Decimal | None


@dataclass
class BankBalance:
    amount: Decimal | None  # None: no statement to read it from
    statement_id: int | None = None
    statement_reference: str = ""
    base_date: dt.date | None = None  # the closing (or opening) date the figure starts at
    base_balance: Decimal | None = None
    from_opening: bool = False  # no statement closed by D: the first opening was used
    lines_after: Decimal = ZERO  # lines booked after the base date, up to D
    lines_after_count: int = 0
    lines_total: Decimal = ZERO  # every line booked by D
    gaps: list[Gap] = field(default_factory=list)


@dataclass
class Report:
    account: BankAccount
    as_of: dt.date
    old_days: int
    bank: BankBalance
    book_balance: Decimal
    sections: list[Section]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    @property
    def book_items(self) -> Decimal:
        """(a) + (b) + (c): in the book, not on the bank yet."""
        return sum((s.total for s in self.sections if s.side == "book"), ZERO)

    @property
    def bank_items(self) -> Decimal:
        """(d) + (e): on the bank, not in the book yet."""
        return sum((s.total for s in self.sections if s.side == "bank"), ZERO)

    @property
    def adjusted_book(self) -> Decimal:
        """What the bank balance should be: book + (d + e) − (a + b + c)."""
        return self.book_balance + self.bank_items - self.book_items

    @property
    def residual(self) -> Decimal | None:
        """Bank balance − adjusted book balance: zero when the items explain it all."""
        if self.bank.amount is None:
            return None
        return self.bank.amount - self.adjusted_book

    @property
    def unimported(self) -> Decimal | None:
        """The part of the bank balance no imported line carries: the first statement's
        opening balance and the statements' gaps. Equal to the residual by construction;
        kept apart so that the page can say where the residual comes from."""
        if self.bank.amount is None:
            return None
        return self.bank.amount - self.bank.lines_total

    @property
    def old_count(self) -> int:
        return sum(s.old_count for s in self.sections)

    @property
    def item_count(self) -> int:
        return sum(s.count for s in self.sections)


# ---------------------------------------------------------------- the balances


def bank_balance(account: BankAccount, as_of: dt.date) -> BankBalance:
    """The bank's balance on `as_of` from the statements (see the module's docstring)."""
    last = (
        BankStatement.objects.filter(
            account=account, closing_date__lte=as_of, closing_balance__isnull=False
        )
        .order_by("-closing_date", "-pk")
        .first()
    )
    from_opening = False
    if last is not None:
        base_date, base_balance = last.closing_date, last.closing_balance
    else:
        first = (
            BankStatement.objects.filter(account=account, opening_balance__isnull=False)
            .order_by("opening_date", "pk")
            .first()
        )
        if first is None or (first.opening_date and first.opening_date > as_of):
            base_date, base_balance = None, None
        else:
            last, from_opening = first, True
            # The opening balance is the balance before the first line of its statement.
            base_date, base_balance = None, first.opening_balance
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT SUM(amount),
                   SUM(CASE WHEN %(base)s IS NULL OR booking_date > %(base)s
                            THEN amount ELSE 0 END),
                   SUM(CASE WHEN %(base)s IS NULL OR booking_date > %(base)s
                            THEN 1 ELSE 0 END)
            FROM banking_bankline
            WHERE account_id = %(account)s AND booking_date <= %(as_of)s
            """,
            {"account": account.pk, "as_of": as_of, "base": base_date},
        )
        total, after, after_count = cursor.fetchone()
    gaps = [
        Gap(s.pk, s.reference, s.closing_date, s.balance_gap, s.chain_gap)
        for s in BankStatement.objects.filter(account=account)
        .filter(closing_date__lte=as_of)
        .exclude(balance_gap__isnull=True, chain_gap__isnull=True)
        .exclude(balance_gap=0, chain_gap=0)
        .exclude(balance_gap=0, chain_gap__isnull=True)
        .exclude(balance_gap__isnull=True, chain_gap=0)
        .order_by("closing_date", "pk")[:20]
    ]
    result = BankBalance(
        amount=None,
        lines_total=sql_money(total),
        lines_after=sql_money(after),
        lines_after_count=int(after_count or 0),
        gaps=gaps,
    )
    if base_balance is None:
        return result
    result.amount = base_balance + result.lines_after
    result.statement_id = last.pk
    result.statement_reference = last.reference
    result.base_date = base_date if not from_opening else last.opening_date
    result.base_balance = base_balance
    result.from_opening = from_opening
    return result


def ledger_account(account: BankAccount) -> Account | None:
    return Account.objects.filter(
        company_id=account.company_id, number=account.ledger_account
    ).first()


def book_balance(account: BankAccount, as_of: dt.date, ledger: Account | None = None) -> Decimal:
    """Σ debit − credit of the journal lines on the account's 512x, dated by `as_of`."""
    ledger = ledger if ledger is not None else ledger_account(account)
    if ledger is None:
        return ZERO
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT SUM(jl.debit) - SUM(jl.credit)
            FROM ledger_journalline jl
            JOIN ledger_journalentry e ON e.id = jl.entry_id
            WHERE jl.account_id = %(ledger)s AND e.date <= %(as_of)s
            """,
            {"ledger": ledger.pk, "as_of": as_of},
        )
        return sql_money(cursor.fetchone()[0])


# ---------------------------------------------------------------- the items

# Every outstanding item, as (section, kind, ref, day, amount): `ledger_lines` is each
# journal entry's net on the ledger account (an index-only scan of journal_line_account_
# entry on PostgreSQL); `keyed` puts the entries dated by D under the item they belong to
# (the remittance slip of a cheque remitted by D, else the entry itself, `src` telling a
# payment 1 or a refund 2); `m` are the matches in force on D of the account's lines
# booked by D, and `mk` those whose counterpart is in the book, under the same keys. An
# item is its book amounts less its counted matches, a line its amount less its counted
# matches: one aggregation over both (UNION ALL), kept when not zero. What is left is
# compared with half a cent, not zero: SQLite sums decimals as binary floats (a slip of
# five cheques less its match is 1e-12, not 0); PostgreSQL is exact either way.
ITEMS_SQL = """
WITH ledger_lines AS MATERIALIZED (
    SELECT jl.entry_id, SUM(jl.debit) - SUM(jl.credit) AS amount
    FROM ledger_journalline jl
    WHERE jl.account_id = %(ledger)s
    GROUP BY jl.entry_id
),
keyed AS MATERIALIZED (
    SELECT e.id AS entry_id, e.source_id,
           CASE e.source_type WHEN 'receivables.payment' THEN 1
                              WHEN 'receivables.refund' THEN 2 ELSE 0 END AS src,
           jl.amount,
           CASE WHEN s.id IS NULL THEN 0 ELSE 1 END AS slip,
           COALESCE(s.id, e.id) AS ref,
           COALESCE(s.date, e.date) AS day
    FROM ledger_lines jl
    JOIN ledger_journalentry e ON e.id = jl.entry_id
    LEFT JOIN receivables_payment p
        ON e.source_type = 'receivables.payment' AND p.id = e.source_id
    LEFT JOIN receivables_remittanceslip s
        ON s.id = p.remittance_id AND s.date <= %(as_of)s
    WHERE e.date <= %(as_of)s /*EXCLUDED*/
),
m AS MATERIALIZED (
    SELECT bm.line_id, bm.amount, bm.payment_id, bm.remittance_id, bm.refund_id,
           bm.entry_id
    FROM banking_bankmatch bm
    JOIN banking_bankline l ON l.id = bm.line_id
    WHERE l.account_id = %(account)s AND l.booking_date <= %(as_of)s
      AND bm.matched_on <= %(as_of)s
      AND (bm.undone_on IS NULL OR bm.undone_on > %(as_of)s)
),
mk AS MATERIALIZED (
    SELECT m.line_id, m.amount, k.slip, k.ref
    FROM m JOIN keyed k ON k.src = 1 AND k.source_id = m.payment_id
    WHERE m.payment_id IS NOT NULL
    UNION ALL
    SELECT m.line_id, m.amount, k.slip, k.ref
    FROM m JOIN keyed k ON k.src = 2 AND k.source_id = m.refund_id
    WHERE m.refund_id IS NOT NULL
    UNION ALL
    SELECT m.line_id, m.amount, k.slip, k.ref
    FROM m JOIN keyed k ON k.entry_id = m.entry_id
    WHERE m.entry_id IS NOT NULL
    UNION ALL
    SELECT m.line_id, m.amount, 1, m.remittance_id
    FROM m
    WHERE m.remittance_id IS NOT NULL
      AND m.remittance_id IN (SELECT k.ref FROM keyed k WHERE k.slip = 1)
),
book_items AS (
    SELECT x.slip, x.ref, MIN(x.day) AS day, SUM(x.amount) AS amount,
           MAX(x.refund) AS refund
    FROM (
        SELECT k.slip, k.ref, k.day, k.amount, CASE WHEN k.src = 2 THEN 1 ELSE 0 END AS refund
        FROM keyed k
        UNION ALL
        SELECT mk.slip, mk.ref, NULL, -mk.amount, 0 FROM mk
    ) x
    GROUP BY x.slip, x.ref
    HAVING ABS(SUM(x.amount)) >= 0.005
),
line_items AS (
    SELECT x.line_id, MIN(x.day) AS day, SUM(x.amount) AS amount
    FROM (
        SELECT l.id AS line_id, l.booking_date AS day, l.amount
        FROM banking_bankline l
        WHERE l.account_id = %(account)s AND l.booking_date <= %(as_of)s
        UNION ALL
        SELECT mk.line_id, NULL, -mk.amount FROM mk
    ) x
    GROUP BY x.line_id
    HAVING ABS(SUM(x.amount)) >= 0.005
),
items AS (
    SELECT CASE WHEN b.slip = 1 THEN 'cheques'
                WHEN b.refund = 1 THEN 'issued'
                ELSE 'receipts' END AS section,
           CASE WHEN b.slip = 1 THEN 'slip' ELSE 'entry' END AS kind,
           b.ref, b.day, b.amount
    FROM book_items b
    UNION ALL
    SELECT CASE WHEN x.amount < 0 THEN 'debits' ELSE 'credits' END,
           'line', x.line_id, x.day, x.amount
    FROM line_items x
),
ranked AS (
    SELECT i.*,
           ROW_NUMBER() OVER (PARTITION BY i.section ORDER BY i.day, i.ref) AS rn,
           COUNT(*) OVER (PARTITION BY i.section) AS n,
           SUM(i.amount) OVER (PARTITION BY i.section) AS total,
           SUM(CASE WHEN i.day < %(old_before)s THEN 1 ELSE 0 END)
               OVER (PARTITION BY i.section) AS n_old
    FROM items i
)
SELECT r.section, r.kind, r.ref, r.day, r.amount, r.rn, r.n, r.total, r.n_old,
       s.number, (SELECT COUNT(*) FROM receivables_payment c WHERE c.remittance_id = s.id),
       e.label, e.piece_ref, e.source_type, e.source_id,
       p.number, p.method, p.reference, p.payer,
       rf.number, rf.method, rf.reference, cu.legal_name,
       l.label, l.counterparty_name, l.bank_reference, l.status, l.value_date
FROM ranked r
LEFT JOIN receivables_remittanceslip s ON r.kind = 'slip' AND s.id = r.ref
LEFT JOIN ledger_journalentry e ON r.kind = 'entry' AND e.id = r.ref
LEFT JOIN receivables_payment p ON e.source_type = 'receivables.payment' AND p.id = e.source_id
LEFT JOIN receivables_refund rf ON e.source_type = 'receivables.refund' AND rf.id = e.source_id
LEFT JOIN customers_customer cu ON cu.id = COALESCE(p.customer_id, rf.customer_id)
LEFT JOIN banking_bankline l ON r.kind = 'line' AND l.id = r.ref
WHERE r.rn = 1 OR (r.rn > %(offset)s AND r.rn <= %(stop)s)
ORDER BY r.section, r.rn
"""


def cancelled_entries(account: BankAccount, as_of: dt.date) -> set[int]:
    """The journal entries on the account's 512x that cancel each other by `as_of` and
    are no outstanding items: undoing a match (banking.services.matching.unmatch_line)
    cancels the payment it recorded by a refund of the same amount, and reverses an
    assignment's entry, both dated the day of the undo. From that day the pair nets to
    zero and no money moved; before it, the original stands alone (and was matched).
    Undos are rare: read in Python, a few queries when there are some."""
    from encaisse.ledger.models import JournalEntry

    from .models import BankMatch, MatchOperation

    undos = list(
        MatchOperation.objects.filter(
            line__account=account, kind=MatchOperation.Kind.UNDO, done_on__lte=as_of
        ).select_related("undo_of")
    )
    if not undos:
        return set()
    payments, refunds, operations = [], [], []
    for undo in undos:
        payments += list(undo.undo_of.recorded_payments or [])
        refunds += list(undo.refunds or [])
        operations.append(undo.pk)
    assigned = set(
        BankMatch.objects.filter(
            operations__in=[u.undo_of_id for u in undos], entry__isnull=False
        ).values_list("entry_id", flat=True)
    )
    from django.db.models import Q

    found = JournalEntry.objects.filter(company_id=account.company_id).filter(
        Q(source_type=PAYMENT, source_id__in=payments)
        | Q(source_type=REFUND, source_id__in=refunds)
        | Q(source_type=MatchOperation._meta.label_lower, source_id__in=operations)
    )
    return assigned | set(found.values_list("pk", flat=True))


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _item(row, as_of: dt.date, old_before: dt.date) -> Item:
    (section, kind, ref, day, amount, *_r) = row
    (slip_number, cheques, e_label, e_piece, source_type, source_id) = row[9:15]
    (p_number, p_method, p_reference, _payer) = row[15:19]
    (r_number, r_method, r_reference, customer) = row[19:23]
    (l_label, l_party, l_ref, l_status, _value_date) = row[23:28]
    day = _as_date(day)
    if kind == "slip":
        label = f"Bordereau de remise n° {slip_number}"
        reference = str(slip_number)
        detail = f"{cheques} chèque{'s' if cheques != 1 else ''}"
        source = None
    elif kind == "line":
        label = l_label
        reference = l_ref or ""
        parts = [l_party] if l_party else []
        if l_status and l_status != LineStatus.UNMATCHED:
            parts.append(LINE_STATUSES.get(l_status, l_status))
        detail = " · ".join(parts)
        source = None
    elif source_type == PAYMENT:
        label = f"Règlement {customer}"
        reference = p_number
        method = METHODS.get(p_method, p_method)
        detail = " · ".join(x for x in (method, p_reference) if x)
        source = source_id
    elif source_type == REFUND:
        label = f"Remboursement {customer}"
        reference = r_number
        detail = " · ".join(x for x in (METHODS.get(r_method, r_method), r_reference) if x)
        source = source_id
    else:
        label, reference, detail, source = e_label, e_piece, "", None
    return Item(
        section=section,
        kind=kind,
        ref=int(ref),
        date=day,
        amount=sql_money(amount),
        age=(as_of - day).days,
        old=day < old_before,
        label=label or "",
        reference=reference or "",
        detail=detail or "",
        source_id=source,
    )


def outstanding(
    account: BankAccount,
    as_of: dt.date,
    *,
    old_days: int = DEFAULT_OLD_DAYS,
    offsets: dict | None = None,
    limit: int | None = 25,
    ledger: Account | None = None,
) -> list[Section]:
    """The five sections on `as_of`, each with its count, total and old items, and the
    items from `offsets[section]` (default 0), `limit` of them (None: all)."""
    offsets = offsets or {}
    sections = {key: Section(key, title) for key, title, _ in SECTIONS}
    ledger = ledger if ledger is not None else ledger_account(account)
    old_before = as_of - dt.timedelta(days=old_days)
    # One offset for the statement: the smallest asked; rows past each section's own
    # window are dropped below (a page of one section asks for nothing in the others).
    offset = min(offsets.get(key, 0) for key in SECTION_TITLES)
    stop = (max(offsets.values(), default=0) + limit) if limit is not None else 10**12
    excluded = cancelled_entries(account, as_of)
    sql = ITEMS_SQL
    if excluded:
        ids = ", ".join(str(int(pk)) for pk in sorted(excluded))
        sql = sql.replace("/*EXCLUDED*/", f"AND e.id NOT IN ({ids})")
    # A transaction only on PostgreSQL, for SET LOCAL: SQLite's are IMMEDIATE (they take
    # the write lock), which a report must not.
    postgres = connection.vendor == "postgresql"
    with transaction.atomic() if postgres else nullcontext(), connection.cursor() as cursor:
        if postgres:
            # For this statement only: its hash aggregates over a year's book fit in
            # memory (the default 4 MB spills them to disk), and no JIT: the planner's
            # costs of its CTEs made PostgreSQL compile it, 3.7 s of a 5.8 s answer on
            # the bench's book for a statement that runs in a few hundred ms.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            sql,
            {
                "ledger": ledger.pk if ledger is not None else -1,
                "account": account.pk,
                "as_of": as_of,
                "old_before": old_before,
                "offset": offset,
                "stop": stop,
            },
        )
        rows = cursor.fetchall()
    for row in rows:
        section = sections[row[0]]
        rank, count, total, old_count = row[5], row[6], row[7], row[8]
        section.count, section.total, section.old_count = (
            int(count),
            sql_money(total),
            int(old_count or 0),
        )
        start = offsets.get(section.key, 0)
        if rank > start and (limit is None or rank <= start + limit):
            section.items.append(_item(row, as_of, old_before))
    return [sections[key] for key, _, _ in SECTIONS]


def old_days_of(company) -> int:
    return getattr(company, "bank_item_age_days", None) or DEFAULT_OLD_DAYS


def reconciliation_report(
    account: BankAccount,
    as_of: dt.date,
    *,
    offsets: dict | None = None,
    limit: int | None = 25,
) -> Report:
    """The état de rapprochement of `account` on `as_of` (items paged: `limit` per section
    from `offsets[section]`; `limit=None` for every item, as the exports and the frozen
    snapshot want)."""
    old_days = old_days_of(account.company)
    ledger = ledger_account(account)
    return Report(
        account=account,
        as_of=as_of,
        old_days=old_days,
        bank=bank_balance(account, as_of),
        book_balance=book_balance(account, as_of, ledger),
        sections=outstanding(
            account, as_of, old_days=old_days, offsets=offsets, limit=limit, ledger=ledger
        ),
    )


def account_of(company, pk) -> BankAccount:
    """The company's bank account `pk`, or NotFound (another company's is unknown)."""
    try:
        return BankAccount.objects.select_related("company").get(company=company, pk=int(pk))
    except (BankAccount.DoesNotExist, TypeError, ValueError):
        raise NotFound("Compte bancaire introuvable.") from None


def snapshot(report: Report) -> dict:
    """What a validated report freezes: the figures and every item, as JSON."""

    def money(value):
        return None if value is None else str(value)

    bank = report.bank
    return {
        "account": {
            "id": report.account.pk,
            "name": report.account.name,
            "iban": report.account.iban,
            "ledger_account": report.account.ledger_account,
        },
        "as_of": report.as_of.isoformat(),
        "old_days": report.old_days,
        "bank_balance": money(bank.amount),
        "bank": {
            "statement": bank.statement_reference,
            "base_date": bank.base_date.isoformat() if bank.base_date else None,
            "base_balance": money(bank.base_balance),
            "from_opening": bank.from_opening,
            "lines_after": money(bank.lines_after),
            "lines_after_count": bank.lines_after_count,
            "gaps": [
                {
                    "statement": g.reference,
                    "closing_date": g.closing_date.isoformat() if g.closing_date else None,
                    "balance_gap": money(g.balance_gap),
                    "chain_gap": money(g.chain_gap),
                }
                for g in bank.gaps
            ],
        },
        "book_balance": money(report.book_balance),
        "book_items": money(report.book_items),
        "bank_items": money(report.bank_items),
        "adjusted_book": money(report.adjusted_book),
        "residual": money(report.residual),
        "unimported": money(report.unimported),
        "residual_note": residual_explanation(report),
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "count": s.count,
                "total": money(s.total),
                "old_count": s.old_count,
                "items": [i.as_dict() for i in s.items],
            }
            for s in report.sections
        ],
    }


def residual_explanation(report: Report) -> str:
    """Where a non-zero residual comes from, in words (empty when it is zero)."""
    residual = report.residual
    if not residual:
        return ""
    bank = report.bank
    parts = []
    # A chain gap (this opening − the previous closing) adds to the bank's balance what
    # no line carries; a balance gap (opening + lines − closing) takes it away.
    gap_total = sum(((g.chain_gap or ZERO) - (g.balance_gap or ZERO) for g in bank.gaps), ZERO)
    opening = residual - gap_total
    if opening:
        parts.append(
            f"{format_eur(opening)} de solde bancaire antérieur aux lignes importées "
            "(solde initial du premier relevé, absent du grand livre d'encaisse)"
        )
    if gap_total:
        parts.append(f"{format_eur(gap_total)} d'écarts dans les relevés (voir ci-dessous)")
    return " ; ".join(parts)


# ---------------------------------------------------------------- closing


def closed_until(account: BankAccount) -> dt.date | None:
    """The date of the last validated report of `account`: the period it closes."""
    from .models import ReconciliationReport

    return (
        ReconciliationReport.objects.filter(account=account)
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )


def check_not_closed(account: BankAccount, day: dt.date) -> None:
    """Refuse a change dated `day` on `account` when a validated report covers that day
    (« période rapprochée au 31/10/2026 »). The primitive; the matching services call it
    through `check_can_match` and `check_can_unmatch` below."""
    until = closed_until(account)
    if until is not None and day <= until:
        raise Conflict(
            "bank_period_closed",
            f"Période rapprochée au {until:%d/%m/%Y} : l'état de rapprochement de ce compte "
            f"a été validé à cette date, rien ne peut plus y être rapproché ni dérapproché "
            f"jusqu'au {until:%d/%m/%Y}.",
        )


def check_can_match(line, on: dt.date) -> None:
    """Before a match of `line` dated `on`. A match dated in a closed period is refused.
    A line booked in a closed period but still outstanding there (an unidentified credit,
    a fee not booked when the report was validated) may be matched later: the match is
    dated after the closing, so the validated report stays true (on its date the line
    was outstanding), and the item is cleared in the next period's report, as
    outstanding items are carried forward. Refusing it would leave such a line
    unmatchable for ever."""
    check_not_closed(line.account, on)


def check_can_unmatch(match, on: dt.date) -> None:
    """Before undoing `match` on `on`: refused when the undo is dated in a closed period,
    and when the match counted in a validated report (made by its date, on a line booked
    by its date): what a closed period reconciled stays reconciled."""
    line = match.line
    check_not_closed(line.account, on)
    check_not_closed(line.account, max(match.matched_on, line.booking_date))


def check_as_of(as_of: dt.date, today: dt.date, field: str = "as_of") -> dt.date:
    if as_of > today:
        raise ValidationFailed(
            "future_date",
            f"La date de l'état ({as_of:%d/%m/%Y}) ne peut pas être dans le futur.",
            field,
        )
    return as_of


# ---------------------------------------------------------------- validation


def validate_report(account: BankAccount, as_of, *, by):
    """Validate (freeze) the report of `account` on `as_of`: its figures and every item
    are stored as they are now, with who and when; the period up to `as_of` is closed
    for matching (`check_not_closed`). Dates go forward: a report is validated after the
    last one, never in the future."""
    from django.db import transaction

    from encaisse import clock
    from encaisse.audit import services as audit
    from encaisse.companies.permissions import RECONCILE_BANK, require
    from encaisse.validation import parse_date

    from .models import ReconciliationReport

    require(by, account.company, RECONCILE_BANK)
    as_of = check_as_of(parse_date(as_of, "as_of", "La date de l'état"), clock.today())
    with transaction.atomic():
        # Two validations at once queue on the account's row.
        BankAccount.objects.select_for_update().filter(pk=account.pk).first()
        until = closed_until(account)
        if until is not None and as_of <= until:
            raise Conflict(
                "report_not_after_last",
                f"Un état de rapprochement est déjà validé au {until:%d/%m/%Y} : "
                "validez une date postérieure.",
                "as_of",
            )
        report = reconciliation_report(account, as_of, limit=None)
        frozen = ReconciliationReport.objects.create(
            company=account.company,
            account=account,
            as_of=as_of,
            bank_balance=report.bank.amount,
            book_balance=report.book_balance,
            book_items=report.book_items,
            bank_items=report.bank_items,
            residual=report.residual,
            item_count=report.item_count,
            old_count=report.old_count,
            snapshot=snapshot(report),
            validated_by=audit.actor(by),
            validated_at=clock.now(),
        )
        audit.record(
            "bank_reconciliation.validated",
            frozen,
            by=by,
            changes={
                "as_of": as_of,
                "bank_balance": format_eur(report.bank.amount),
                "book_balance": format_eur(report.book_balance),
                "residual": format_eur(report.residual),
                "items": report.item_count,
            },
        )
    return frozen
