"""The demo's bank: the last two weeks of the company's account as its bank would send
them, a CFONB 120 file (the French banks' format), imported and reconciled through the
services, so the review screen, the reconciliation report and the cash view open on
something a credit manager recognises:

- the transfers already recorded by hand in those two weeks, credited by the bank (the
  engine finds the payments recorded);
- customers who paid open invoices that nobody has typed yet, the number in the label
  as banks and customers write it (prefix dropped, spaces), one with 0.40 € of fees
  deducted (written off under the company's threshold);
- a payer naming no invoice whose amount fits two of them (a proposal for a person);
- a credit nobody can identify, and the bank's own debits (fees, a card commission, a
  social charge) not yet booked: the reconciliation report's outstanding items.
"""

import datetime as dt
import unicodedata
from decimal import Decimal

from encaisse import clock
from encaisse.banking.services.accounts import ensure_company_account
from encaisse.banking.services.imports import import_file
from encaisse.banking.services.reconcile import reconcile
from encaisse.companies.models import Role
from encaisse.receivables.models import Installment, Payment, PaymentMethod

DAYS = 14
_POSITIVE = "{ABCDEFGHI"
_NEGATIVE = "}JKLMNOPQR"


def _ascii(text: str, size: int) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    return plain[:size].ljust(size)


def _amount(value: Decimal) -> str:
    """13 digits and the sign-and-last-digit character, two decimals."""
    cents = int(abs(value) * 100)
    digits = f"{cents:014d}"
    table = _NEGATIVE if value < 0 else _POSITIVE
    return digits[:13] + table[int(digits[13])]


class Cfonb:
    """A CFONB 120 statement of one account (records 01, 04, 05, 07)."""

    def __init__(self, iban: str):
        bban = iban[4:]
        self.bank, self.branch, self.account = bban[0:5], bban[5:10], bban[10:21]
        self.records: list[str] = []
        self.entry = 0

    def _head(self, code: str, internal: str = "    ") -> str:
        return f"{code}{self.bank}{internal}{self.branch}EUR2 {self.account}"

    def balance(self, code: str, day: dt.date, amount: Decimal) -> None:
        record = self._head(code) + "  " + f"{day:%d%m%y}" + " " * 50 + _amount(amount)
        self.records.append(record.ljust(120))

    def operation(
        self, day: dt.date, amount: Decimal, label: str, code: str, *complements: tuple[str, str]
    ) -> None:
        self.entry += 1
        record = (
            self._head("04", "0001" if amount > 0 else "0002")
            + code
            + f"{day:%d%m%y}"
            + "  "
            + f"{day:%d%m%y}"
            + _ascii(label, 31)
            + "  "
            + f"{self.entry:07d}"
            + "  "
            + _amount(amount)
            + f"DEMO{self.entry:012d}"
        )
        self.records.append(record)
        for qualifier, text in complements:
            self.records.append(
                (self._head("05") + code + f"{day:%d%m%y}" + " " * 5 + qualifier).ljust(48)
                + _ascii(text, 70)
                + "  "
            )

    def bytes(self) -> bytes:
        assert all(len(r) == 120 for r in self.records), "CFONB records are 120 characters"
        return ("\r\n".join(self.records) + "\r\n").encode("ascii")


def make_bank(company, users: dict, today: dt.date) -> list[str]:
    """Import and reconcile the demo's statement; return notes for the summary."""
    account = ensure_company_account(company)
    if account is None:
        return ["Banque : pas de compte bancaire, pas de relevé de démonstration."]
    accounting = users[Role.ACCOUNTING]
    first = today - dt.timedelta(days=DAYS)
    statement = Cfonb(account.iban)
    opening = Decimal("24850.37")
    moves: list[Decimal] = []

    def add(day, amount, label, code, *complements):
        statement.operation(day, amount, label, code, *complements)
        moves.append(amount)

    # Transfers already recorded by hand, as the bank credits them (a day later).
    recorded = Payment.objects.filter(
        company=company,
        method=PaymentMethod.TRANSFER,
        date__gt=first,
        date__lt=today,
    ).select_related("customer")
    for payment in recorded.order_by("date", "pk")[:12]:
        add(
            payment.date + dt.timedelta(days=1),
            payment.amount,
            f"VIR SEPA {payment.customer.legal_name}",
            "05",
            ("NPY", payment.customer.legal_name),
            ("LCC", payment.reference),
        )
    # Open invoices paid, not typed yet: the number as customers write it.
    open_items = list(
        Installment.objects.filter(
            company=company, open_amount__gt=0, invoice__customer__siren__gt=""
        )
        .select_related("invoice", "customer")
        .order_by("due_date", "pk")[:40]
    )
    used = set()
    paid_on = today - dt.timedelta(days=3)
    for n, item in enumerate(open_items[:6]):
        number = item.invoice.number
        written = [number, number.split("-", 1)[-1], number.replace("-", " ")][n % 3]
        amount = item.open_amount - (Decimal("0.40") if n == 4 else 0)
        add(
            paid_on,
            amount,
            f"VIR SEPA RECU {item.customer.legal_name}",
            "05",
            ("NPY", item.customer.legal_name),
            ("LCC", f"FACTURE {written}"),
        )
        used.add(item.customer_id)
    # A payer naming nothing, whose amount fits invoices of two customers: a proposal.
    by_amount: dict[Decimal, list] = {}
    for item in open_items[6:]:
        by_amount.setdefault(item.open_amount, []).append(item)
    twins = next(
        (items for items in by_amount.values() if len({i.customer_id for i in items}) > 1),
        None,
    )
    if twins:
        add(paid_on, twins[0].open_amount, "VIR SEPA RECU REGLEMENT", "05")
    add(
        today - dt.timedelta(days=2),
        Decimal("45.00"),
        "VIR SEPA RECU M DURAND",
        "05",
        ("NPY", "M OU MME DURAND"),
        ("LCC", "REMBOURSEMENT"),
    )
    # The bank's own debits, not booked yet.
    add(first + dt.timedelta(days=3), Decimal("-12.50"), "FRAIS TENUE DE COMPTE", "B1")
    add(first + dt.timedelta(days=5), Decimal("-8.40"), "COMMISSION CB REMISE", "B1")
    add(today - dt.timedelta(days=4), Decimal("-1234.00"), "PRLV SEPA URSSAF", "01")

    body = statement.records  # the 01 record goes first, with the opening balance
    statement.records = []
    statement.balance("01", first, opening)
    statement.records += body
    statement.balance("07", today - dt.timedelta(days=1), opening + sum(moves, Decimal(0)))
    with clock.at(today):
        result = import_file(
            company,
            account,
            statement.bytes(),
            name=f"releve-{today:%Y%m%d}.cfo",
            by=accounting,
        )
        report = reconcile(company, by=accounting)
    return [f"Banque : relevé CFONB de {result.lines_imported} lignes importé, {report.summary()}."]
