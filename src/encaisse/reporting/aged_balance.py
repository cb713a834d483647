"""The aged balance (balance âgée): receivables by how overdue they are, as of a date.

One SQL statement per side: open installments (what invoices still owe, net of the
allocations in force on that date) bucketed by days past due, and unapplied credits
(payments and credit notes not yet allocated on that date), both grouped by customer.
A customer's total is open items − unapplied credits: what it owes on that date, equal to
its invoices − credit notes − payments + refunds − write-offs.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from encaisse.customers.models import Customer
from encaisse.errors import ValidationFailed
from encaisse.money import ZERO, q2
from encaisse.receivables.selectors import open_installments

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
    def unapplied(self) -> Decimal:
        return sum((r.unapplied for r in self.rows), ZERO)

    @property
    def balance(self) -> Decimal:
        return sum((r.balance for r in self.rows), ZERO)


def sql_money(value) -> Decimal:
    """A SUM from the database as exact cents. PostgreSQL returns numeric (exact); SQLite
    sums its decimals as binary floats, exact enough at the cent far beyond any balance,
    so rounding its text form to the cent gives the exact figure back."""
    return q2(Decimal(str(value))) if value is not None else ZERO


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
    """SUM(CASE ...) per bucket, comparing due dates with precomputed boundary dates (no
    date arithmetic in SQL: the same statement runs on SQLite and PostgreSQL)."""
    columns = []
    for index, bucket in enumerate(buckets):
        conditions = []
        if bucket.first_day is None:  # not yet due: due date on or after as_of
            conditions.append("i.due_date >= %(as_of)s")
        else:
            params[f"b{index}_hi"] = params["as_of"] - dt.timedelta(days=bucket.first_day)
            conditions.append(f"i.due_date <= %(b{index}_hi)s")
            if bucket.last_day is not None:
                params[f"b{index}_lo"] = params["as_of"] - dt.timedelta(days=bucket.last_day)
                conditions.append(f"i.due_date >= %(b{index}_lo)s")
        columns.append(
            f"SUM(CASE WHEN {' AND '.join(conditions)} THEN i.amount - COALESCE(al.total, 0)"
            f" ELSE 0 END)"
        )
    return ", ".join(columns)


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


def aged_balance(company, as_of: dt.date, bounds=None, **filters) -> AgedBalance:
    """Receivables of `company` on `as_of`, per customer, in the company's buckets (or
    `bounds`); filters: salesperson, segment, risk_class, customer (ids or codes)."""
    buckets = make_buckets(bounds or company.aging_buckets)
    params = {"company": company.pk, "as_of": as_of}
    where_customer = _customer_filter(filters, params)
    # Candidates: rows not known to be settled by as_of. A row never reopened by an undo
    # is settled on as_of exactly when settled_on <= as_of (see Installment.settled_on), so
    # only the others need their allocations summed.
    debit_sql = f"""
        WITH item AS (
            SELECT i.id, i.customer_id, i.due_date, i.amount
            FROM receivables_installment i
            JOIN customers_customer c ON c.id = i.customer_id
            WHERE i.company_id = %(company)s AND i.issue_date <= %(as_of)s{where_customer}
              AND (i.settled_on IS NULL OR i.settled_on > %(as_of)s OR i.reopened)
        ), allocated AS (
            SELECT a.installment_id, SUM(a.amount) AS total
            FROM receivables_allocation a JOIN item ON item.id = a.installment_id
            WHERE {ACTIVE}
            GROUP BY a.installment_id
        )
        SELECT i.customer_id, {_bucket_sql(buckets, params)}
        FROM item i LEFT JOIN allocated al ON al.installment_id = i.id
        WHERE i.amount > COALESCE(al.total, 0)
        GROUP BY i.customer_id
    """
    credit_sql = f"""
        WITH payment AS (
            SELECT p.id, p.customer_id, p.amount
            FROM receivables_payment p JOIN customers_customer c ON c.id = p.customer_id
            WHERE p.company_id = %(company)s AND p.date <= %(as_of)s{where_customer}
              AND (p.settled_on IS NULL OR p.settled_on > %(as_of)s OR p.reopened)
        ), payment_allocated AS (
            SELECT a.payment_id, SUM(a.amount) AS total
            FROM receivables_allocation a JOIN payment ON payment.id = a.payment_id
            WHERE {ACTIVE}
            GROUP BY a.payment_id
        ), note_allocated AS (
            SELECT a.credit_note_id, SUM(a.amount) AS total
            FROM receivables_allocation a
            WHERE a.company_id = %(company)s AND a.credit_note_id IS NOT NULL AND {ACTIVE}
            GROUP BY a.credit_note_id
        )
        SELECT customer_id, SUM(unapplied) FROM (
            SELECT p.customer_id, p.amount - COALESCE(al.total, 0) AS unapplied
            FROM payment p LEFT JOIN payment_allocated al ON al.payment_id = p.id
            UNION ALL
            SELECT n.customer_id, n.total_incl_vat - COALESCE(al.total, 0)
            FROM sales_invoice n
            JOIN customers_customer c ON c.id = n.customer_id
            LEFT JOIN note_allocated al ON al.credit_note_id = n.id
            WHERE n.company_id = %(company)s AND n.kind = 'credit_note'
              AND n.status = 'issued' AND n.issue_date <= %(as_of)s{where_customer}
        ) credit
        WHERE unapplied > 0
        GROUP BY customer_id
    """
    rows: dict[int, AgedRow] = {}
    with connection.cursor() as cursor:
        cursor.execute(debit_sql, params)
        for customer_id, *amounts in cursor.fetchall():
            rows[customer_id] = AgedRow(customer_id, "", [sql_money(a) for a in amounts])
        cursor.execute(credit_sql, params)
        for customer_id, amount in cursor.fetchall():
            row = rows.setdefault(customer_id, AgedRow(customer_id, "", [ZERO] * len(buckets)))
            row.unapplied = sql_money(amount)
    names = dict(Customer.objects.filter(pk__in=rows).values_list("pk", "legal_name"))
    for row in rows.values():
        row.customer_name = names[row.customer_id]
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
