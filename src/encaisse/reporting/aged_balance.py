"""The aged balance (balance âgée): receivables by how overdue they are, as of a date.

One SQL statement per side: open installments (what invoices still owe, net of the
allocations in force on that date) bucketed by days past due, and unapplied credits
(payments and credit notes not yet allocated on that date), both grouped by customer.
A customer's total is open items − unapplied credits: what it owes on that date, equal to
its invoices − credit notes − payments + refunds − write-offs.

Today (any date from the company's latest movement on, receivables.selectors.
stored_is_current) both sides read the stored amounts from their partial indexes
(installments WHERE open_amount > 0, payments and credit notes WHERE unallocated_amount
> 0), with no allocation to sum; a past date is replayed from the dated allocations.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction

from encaisse.errors import ValidationFailed
from encaisse.money import ZERO, q2
from encaisse.receivables.selectors import open_installments, stored_is_current
from encaisse.sales.kinds import codes

# An allocation counts on :as_of when made by then and not undone by then.
ACTIVE = "a.allocated_on <= %(as_of)s AND (a.undone_on IS NULL OR a.undone_on > %(as_of)s)"


MAX_DAYS = 9999


@dataclass(frozen=True)
class Bucket:
    label: str
    first_day: int | None  # days past due, inclusive; None: not yet due
    last_day: int | None  # inclusive; None: no upper bound


@dataclass
class AgedRow:
    customer_id: int
    customer_name: str
    amounts: list[Decimal]  # one per bucket
    unapplied: Decimal = ZERO  # credits not yet allocated (positive number)

    @property
    def open_items(self) -> Decimal:
        return sum(self.amounts, ZERO)

    @property
    def balance(self) -> Decimal:
        return self.open_items - self.unapplied


@dataclass
class AgedBalance:
    as_of: dt.date
    buckets: list[Bucket]
    rows: list[AgedRow] = field(default_factory=list)

    @property
    def totals(self) -> list[Decimal]:
        return [sum((r.amounts[i] for r in self.rows), ZERO) for i in range(len(self.buckets))]

    @property
    def overdue(self) -> Decimal:
        """Every bucket but the first ("not yet due")."""
        return sum(self.totals[1:], ZERO)

    @property
    def unapplied(self) -> Decimal:
        return sum((r.unapplied for r in self.rows), ZERO)

    @property
    def balance(self) -> Decimal:
        return sum((r.balance for r in self.rows), ZERO)


def sql_money(value) -> Decimal:
    """A SUM from the database as exact cents. PostgreSQL returns numeric (exact); SQLite
    sums its decimals as binary floats, exact enough at the cent far beyond any balance,
    so rounding its text form to the cent gives the exact figure back."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):  # PostgreSQL: exact, and a sum of numeric(14, 2) has
        return value  # two decimals already (the str() round trip cost 0.4 s at 50,000 rows)
    return q2(Decimal(str(value)))


def make_buckets(bounds) -> list[Bucket]:
    """[30, 60, 90] -> not due, 1–30, 31–60, 61–90, over 90."""
    try:
        bounds = [int(b) for b in bounds]
    except (TypeError, ValueError):
        raise ValidationFailed(
            "invalid_buckets", "Les tranches sont des nombres de jours.", "buckets"
        ) from None
    # An upper bound too: a bucket boundary is as_of minus that many days.
    if not bounds or bounds != sorted(set(bounds)) or bounds[0] < 1 or bounds[-1] > MAX_DAYS:
        raise ValidationFailed(
            "invalid_buckets",
            f"Les tranches doivent être croissantes, d'au moins 1 jour et d'au plus {MAX_DAYS}.",
            "buckets",
        )
    buckets = [Bucket("Non échu", None, 0)]
    first = 1
    for bound in bounds:
        buckets.append(Bucket(f"{first}–{bound} j", first, bound))
        first = bound + 1
    buckets.append(Bucket(f"+ {bounds[-1]} j", first, None))
    return buckets


def _bucket_sql(buckets: list[Bucket], params: dict) -> str:
    """The index of o.due_date's bucket, comparing with precomputed boundary dates (no
    date arithmetic in SQL: the same statement runs on SQLite and PostgreSQL). Grouping
    by (customer, bucket) sums each row once: one SUM(CASE ...) column per bucket added
    as many zeros and took twice as long on the bench."""
    whens = ["WHEN o.due_date >= %(as_of)s THEN 0"]  # not yet due
    for index in range(1, len(buckets) - 1):
        whens.append(f"WHEN o.due_date >= {_lowest(buckets, index, params)} THEN {index}")
    return f"CASE {' '.join(whens)} ELSE {len(buckets) - 1} END"


def _lowest(buckets: list[Bucket], index: int, params: dict) -> str:
    """The parameter holding the earliest due date of bucket `index` (not the last)."""
    if index == 0:
        return "%(as_of)s"
    params[f"b{index}_lo"] = params["as_of"] - dt.timedelta(days=buckets[index].last_day)
    return f"%(b{index}_lo)s"


def _bucket_sums(buckets: list[Bucket], params: dict) -> str:
    """One SUM of o.open_amount per bucket, each FILTERed on its range of due dates
    (SQLite 3.30+ and PostgreSQL): on rows read in customer order, cheaper than a bucket
    computed per row then compared (about 150 ms against 190 on the bench's 127,000
    open items)."""
    sums = []
    for index in range(len(buckets)):
        within = []
        if index < len(buckets) - 1:
            within.append(f"o.due_date >= {_lowest(buckets, index, params)}")
        if index > 0:
            within.append(f"o.due_date < {_lowest(buckets, index - 1, params)}")
        sums.append(f"SUM(o.open_amount) FILTER (WHERE {' AND '.join(within)}) AS b{index}")
    return ", ".join(sums)


def _customer_filter(filters: dict, params: dict) -> str:
    clauses = []
    for key, column in (
        ("salesperson", "c.salesperson_id"),
        ("segment", "c.segment"),
        ("risk_class", "c.risk_class"),
        ("customer", "c.id"),
    ):
        if filters.get(key) not in (None, ""):
            params[f"f_{key}"] = filters[key]
            clauses.append(f"{column} = %(f_{key})s")
    return "".join(f" AND {c}" for c in clauses)


def _candidates(table: str, columns: str, date_column: str, where_customer: str) -> str:
    """Rows of `table` (installments or payments) that may still be open on as_of: never
    settled, settled after as_of, or reopened by an undo (a row never reopened is settled
    on as_of exactly when settled_on <= as_of, see Installment.settled_on). Three
    disjoint arms, each served by its own index (receivables migration 0004: partial and,
    on PostgreSQL, covering), rather than one OR that makes PostgreSQL read the table."""
    join = " JOIN customers_customer c ON c.id = r.customer_id" if where_customer else ""
    where = f"r.company_id = %(company)s AND r.{date_column} <= %(as_of)s{where_customer}"
    return " UNION ALL ".join(
        f"SELECT {columns} FROM {table} r{join} WHERE {where} AND {arm}"
        for arm in (
            "r.settled_on IS NULL",
            "r.settled_on > %(as_of)s",
            "r.reopened AND r.settled_on <= %(as_of)s",
        )
    )


def _allocated(column: str, row_id: str) -> str:
    """Σ allocations in force on as_of of one row: a correlated subquery that PostgreSQL
    answers from the covering index on (column, allocated_on), one probe per candidate
    (a hash join would read every allocation of the book)."""
    return (
        f"COALESCE((SELECT SUM(a.amount) FROM receivables_allocation a"
        f" WHERE a.{column} = {row_id} AND {ACTIVE}), 0)"
    )


def _pivot(rows_sql: str, count: int) -> str:
    """One row per customer with one column per bucket, from (customer_id, bucket,
    amount) rows already grouped by (customer, bucket) when they are replayed (a
    SUM(CASE ...) per bucket over every replayed item took twice as long on the bench);
    a bucket without anything is NULL."""
    columns = ", ".join(
        f"SUM(CASE WHEN p.bucket = {k} THEN p.amount END) AS b{k}" for k in range(count)
    )
    return f"SELECT p.customer_id, {columns} FROM ({rows_sql}) p GROUP BY p.customer_id"


def _debit_totals(pivot_sql: str, count: int) -> str:
    """The per-customer rows of `pivot_sql` added up, as one row of customer 0 with no
    name (aged_totals)."""
    columns = ", ".join(f"SUM(g.b{k})" for k in range(count))
    return f"SELECT 0, {columns}, '' FROM ({pivot_sql}) g HAVING COUNT(*) > 0"


def _credit_totals(grouped_sql: str, count: int = 0) -> str:
    return f"SELECT 0, SUM(g.unapplied), '' FROM ({grouped_sql}) g HAVING COUNT(*) > 0"


def _with_names(grouped_sql: str, count: int = 0) -> str:
    """Customer names joined in SQL: an IN list of tens of thousands of ids costs more."""
    return (
        f"SELECT g.*, c.legal_name FROM ({grouped_sql}) g"
        f" JOIN customers_customer c ON c.id = g.customer_id"
    )


def _no_jit(cursor) -> None:
    """PostgreSQL compiles a plan whose estimated cost passes jit_above_cost; these
    statements run once, and on the 1,000,000-invoice bench the compilation took about
    1 s of each statement (docs/benchmarks.md). Off for this transaction only."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL jit = off")


def _stored_sql(
    buckets: list[Bucket], params: dict, where_customer: str, finish
) -> tuple[str, str]:
    """Both sides from the stored amounts: what each row still owes or holds now, read
    from the partial indexes of the rows not settled (index-only scans on PostgreSQL)."""
    join = " JOIN customers_customer c ON c.id = r.customer_id" if where_customer else ""

    def owing(table: str, column: str) -> str:
        return (
            f"FROM {table} r{join} WHERE r.company_id = %(company)s"
            f" AND r.{column} > 0{where_customer}"
        )

    pivot = f"""
        SELECT o.customer_id, {_bucket_sums(buckets, params)}
        FROM (SELECT r.customer_id, r.due_date, r.open_amount
              {owing("receivables_installment", "open_amount")}) o
        GROUP BY o.customer_id
    """
    debit_sql = finish[0](pivot, len(buckets))
    credit_sql = finish[1](
        f"""
        SELECT customer_id, SUM(unapplied) AS unapplied FROM (
            SELECT r.customer_id, r.unallocated_amount AS unapplied
            {owing("receivables_payment", "unallocated_amount")}
            UNION ALL
            SELECT r.customer_id, r.unallocated_amount
            {owing("receivables_creditnotecredit", "unallocated_amount")}
        ) credit
        GROUP BY customer_id
        """
    )
    return debit_sql, credit_sql


def aged_balance(company, as_of: dt.date, bounds=None, **filters) -> AgedBalance:
    """Receivables of `company` on `as_of`, per customer, in the company's buckets (or
    `bounds`); filters: salesperson, segment, risk_class, customer (ids or codes)."""
    return _aged(company, as_of, bounds, filters, (_with_names, _with_names))


def aged_totals(company, as_of: dt.date, bounds=None, **filters) -> AgedBalance:
    """The totals of aged_balance() only, as one row (customer 0, no name) for all
    customers: what the home page shows (balance, overdue), without a row per customer."""
    return _aged(company, as_of, bounds, filters, (_debit_totals, _credit_totals))


def _aged(company, as_of, bounds, filters, finish) -> AgedBalance:
    """`finish`: the (debit, credit) wrappers of the per-customer sums, names joined or
    totals only. Today from the stored amounts, a past date replayed."""
    buckets = make_buckets(bounds or company.aging_buckets)
    params = {"company": company.pk, "as_of": as_of}
    where_customer = _customer_filter(filters, params)
    sides = _stored_sql if stored_is_current(company, as_of) else _replay_sql
    debit_sql, credit_sql = sides(buckets, params, where_customer, finish)
    return _run(company, as_of, buckets, params, debit_sql, credit_sql)


def _replay_sql(
    buckets: list[Bucket], params: dict, where_customer: str, finish
) -> tuple[str, str]:
    """Both sides as of a past date, replayed: the rows that may be open then, each with
    the sum of its allocations in force that day."""
    installments = _candidates(
        "receivables_installment",
        "r.id, r.customer_id, r.due_date, r.amount",
        "issue_date",
        where_customer,
    )
    # Only candidates (rows not known settled by as_of) get their allocations summed;
    # MATERIALIZED so that the sum runs once per row, not once per bucket column.
    debit_sql = f"""
        WITH item AS ({installments}), open_item AS MATERIALIZED (
            SELECT i.customer_id, i.due_date,
                   i.amount - {_allocated("installment_id", "i.id")} AS open_amount
            FROM item i
        )
    """ + finish[0](
        _pivot(
            f"""
            SELECT o.customer_id, {_bucket_sql(buckets, params)} AS bucket,
                   SUM(o.open_amount) AS amount
            FROM open_item o WHERE o.open_amount > 0
            GROUP BY o.customer_id, bucket
            """,
            len(buckets),
        ),
        len(buckets),
    )
    payments = _candidates(
        "receivables_payment", "r.id, r.customer_id, r.amount", "date", where_customer
    )
    # The documents that are the customer's money (credit notes): from the kinds table.
    credit_kinds = codes(creates_receivable=False)
    params.update({f"credit_kind_{i}": code for i, code in enumerate(credit_kinds)})
    kinds_sql = ", ".join(f"%(credit_kind_{i})s" for i in range(len(credit_kinds)))
    credit_sql = f"""
        WITH payment AS ({payments}), note_allocated AS (
            SELECT a.credit_note_id, SUM(a.amount) AS total
            FROM receivables_allocation a
            WHERE a.company_id = %(company)s AND a.credit_note_id IS NOT NULL AND {ACTIVE}
            GROUP BY a.credit_note_id
        )
    """ + finish[1](
        f"""
        SELECT customer_id, SUM(unapplied) AS unapplied FROM (
            SELECT p.customer_id, p.amount - {_allocated("payment_id", "p.id")} AS unapplied
            FROM payment p
            UNION ALL
            SELECT n.customer_id, n.total_incl_vat - COALESCE(al.total, 0)
            FROM sales_invoice n
            JOIN customers_customer c ON c.id = n.customer_id
            LEFT JOIN note_allocated al ON al.credit_note_id = n.id
            WHERE n.company_id = %(company)s AND n.kind IN ({kinds_sql})
              AND n.status = 'issued' AND n.issue_date <= %(as_of)s{where_customer}
        ) credit
        WHERE unapplied > 0
        GROUP BY customer_id
        """
    )
    return debit_sql, credit_sql


def _run(company, as_of, buckets, params, debit_sql, credit_sql) -> AgedBalance:
    rows: dict[int, AgedRow] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        _no_jit(cursor)
        cursor.execute(debit_sql, params)
        exact = connection.vendor == "postgresql"  # numeric sums, nothing to convert
        for customer_id, *amounts, name in cursor.fetchall():
            rows[customer_id] = AgedRow(
                customer_id,
                name,
                [ZERO if a is None else a for a in amounts]
                if exact
                else [sql_money(a) for a in amounts],
            )
        cursor.execute(credit_sql, params)
        for customer_id, amount, name in cursor.fetchall():
            row = rows.get(customer_id)
            if row is None:
                row = rows[customer_id] = AgedRow(customer_id, name, [ZERO] * len(buckets))
            row.unapplied = sql_money(amount)
    return AgedBalance(as_of, buckets, sorted(rows.values(), key=lambda r: r.customer_name))


def bucket_items(company, as_of: dt.date, customer, bucket_index: int, bounds=None):
    """The open installments behind one cell of the aged balance (drill-down)."""
    buckets = make_buckets(bounds or company.aging_buckets)
    if not 0 <= bucket_index < len(buckets):
        raise ValidationFailed("invalid_bucket", "Tranche inconnue.", "bucket")
    bucket = buckets[bucket_index]
    items = open_installments(company, as_of, customer).select_related("invoice")
    if bucket.first_day is None:
        items = items.filter(due_date__gte=as_of)
    else:
        items = items.filter(due_date__lte=as_of - dt.timedelta(days=bucket.first_day))
        if bucket.last_day is not None:
            items = items.filter(due_date__gte=as_of - dt.timedelta(days=bucket.last_day))
    return items.order_by("due_date", "pk")
