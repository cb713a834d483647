"""The stored open amounts, recomputed from the allocations in set-based SQL.

Installment.open_amount, Payment.unallocated_amount and CreditNoteCredit.unallocated_amount
are each the row's amount less the allocations not undone that name it. The services keep
them row by row in their own transaction (services.allocation.refresh_settled); this
module recomputes them for a whole book or one company, in one statement per side: the
migration's fill (receivables 0006), `encaisse receivables check-open-amounts` and its
`--fix`, the benchmark's load. Same SQL on SQLite (3.33+, UPDATE ... FROM) and PostgreSQL.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from encaisse.money import q2
from encaisse.sales.kinds import codes


@dataclass(frozen=True)
class Side:
    name: str  # "installment", "payment", "credit_note"
    table: str  # where the stored amount lives
    key: str  # its primary key column
    column: str  # the stored amount
    link: str  # Allocation's column naming the row
    source: str  # the table holding the amount (and the document's number)
    amount: str  # the amount column of `source`
    label: str  # French, for the command's output


SIDES = (
    Side(
        "installment",
        "receivables_installment",
        "id",
        "open_amount",
        "installment_id",
        "receivables_installment",
        "amount",
        "échéance",
    ),
    Side(
        "payment",
        "receivables_payment",
        "id",
        "unallocated_amount",
        "payment_id",
        "receivables_payment",
        "amount",
        "règlement",
    ),
    Side(
        "credit_note",
        "receivables_creditnotecredit",
        "credit_note_id",
        "unallocated_amount",
        "credit_note_id",
        "sales_invoice",
        "total_incl_vat",
        "avoir",
    ),
)


@dataclass(frozen=True)
class Difference:
    side: str
    pk: int
    document: str  # the invoice's, payment's or credit note's number
    stored: Decimal | None  # None: the credit note has no stored row
    computed: Decimal


def _computed(side: Side, company_id: int | None, params: dict) -> str:
    """SELECT id, company_id, customer_id, issue date, amount, stored, computed, document
    for every row of `side` (of one company): computed = amount − Σ allocations not undone,
    rounded to the cent in SQL (SQLite sums decimals as floats)."""
    mine = ""
    if company_id is not None:
        params["company"] = company_id
        mine = " AND company_id = %(company)s"
    allocated = (
        f"SELECT {side.link} AS id, SUM(amount) AS total FROM receivables_allocation"
        f" WHERE undone_on IS NULL AND {side.link} IS NOT NULL{mine} GROUP BY {side.link}"
    )
    computed = f"ROUND(r.{side.amount} - COALESCE(s.total, 0), 2)"
    where = "r.company_id = %(company)s" if company_id is not None else "1 = 1"
    if side.name == "installment":
        return f"""SELECT r.id, r.company_id, r.customer_id, r.issue_date, r.amount,
                   r.open_amount AS stored, {computed} AS computed, f.number AS document
            FROM receivables_installment r
            JOIN sales_invoice f ON f.id = r.invoice_id
            LEFT JOIN ({allocated}) s ON s.id = r.id WHERE {where}"""
    if side.name == "payment":
        return f"""SELECT r.id, r.company_id, r.customer_id, r.date, r.amount,
                   r.unallocated_amount AS stored, {computed} AS computed, r.number AS document
            FROM receivables_payment r
            LEFT JOIN ({allocated}) s ON s.id = r.id WHERE {where}"""
    kinds = codes(creates_receivable=False)
    params.update({f"kind_{i}": code for i, code in enumerate(kinds)})
    in_kinds = ", ".join(f"%(kind_{i})s" for i in range(len(kinds)))
    return f"""SELECT r.id, r.company_id, r.customer_id, r.issue_date, r.total_incl_vat,
               k.unallocated_amount AS stored, {computed} AS computed, r.number AS document
        FROM sales_invoice r
        LEFT JOIN receivables_creditnotecredit k ON k.credit_note_id = r.id
        LEFT JOIN ({allocated}) s ON s.id = r.id
        WHERE {where} AND r.kind IN ({in_kinds}) AND r.status = 'issued'"""


def _differing(side: Side, company_id: int | None, params: dict) -> str:
    return (
        f"SELECT * FROM ({_computed(side, company_id, params)}) d"
        " WHERE d.stored IS NULL OR d.stored <> d.computed"
    )


def differences(company_id: int | None = None) -> list[Difference]:
    """Every stored amount that differs from its recomputation (of one company or all),
    and every issued credit note without its stored row."""
    found = []
    with connection.cursor() as cursor:
        for side in SIDES:
            params: dict = {}
            differing = _differing(side, company_id, params)
            cursor.execute(
                f"SELECT id, document, stored, computed FROM ({differing}) x ORDER BY id", params
            )
            for pk, document, stored, computed in cursor.fetchall():
                found.append(
                    Difference(
                        side.name,
                        pk,
                        document,
                        None if stored is None else q2(Decimal(str(stored))),
                        q2(Decimal(str(computed))),
                    )
                )
    return found


def fix(company_id: int | None = None) -> dict[str, int]:
    """Set every stored amount to its recomputation, set-based: one UPDATE ... FROM per
    side touching only the rows that differ (the migration's fill: new columns start at
    0, so on a book mostly settled only the open rows are written), and one INSERT of the
    missing credit-note rows. Returns the number of rows written per side."""
    written = {}
    with connection.cursor() as cursor:
        for side in SIDES:
            params: dict = {}
            differing = _differing(side, company_id, params)
            count = 0
            if side.name == "credit_note":
                cursor.execute(
                    f"""INSERT INTO receivables_creditnotecredit
                        (credit_note_id, company_id, customer_id, issue_date, amount,
                         unallocated_amount)
                    SELECT d.id, d.company_id, d.customer_id, d.issue_date, d.total_incl_vat,
                           d.computed
                    FROM ({differing}) d WHERE d.stored IS NULL""",
                    params,
                )
                count += cursor.rowcount
                params = {}
                differing = _differing(side, company_id, params)
            cursor.execute(
                f"""UPDATE {side.table} SET {side.column} = d.computed
                FROM ({differing}) d WHERE d.id = {side.table}.{side.key}""",
                params,
            )
            written[side.name] = count + max(cursor.rowcount, 0)
    return written
