"""The demo's bank: a year of the company's account as its bank sent it, one CFONB 120
file a month (the French banks' format), each imported and reconciled through the
services the day it arrived, so the review screen, the reconciliation report and the
cash view open on a book a credit manager recognises:

- every payment recorded by hand comes back from the bank a day later (transfers, direct
  debits, bills of exchange, card takings) and is found by the engine; cheques go to the
  bank on a weekly remittance slip, credited two days later as one line;
- the bank's own lines (account fees, salaries, social charges, the main supplier's
  direct debit, the founders' capital contribution) are assigned to their accounts the
  first time by the accountant, who leaves a rule for each: later months are assigned by
  the rules;
- the current month, not yet worked through: customers who paid open invoices that
  nobody has typed (the number as they write it, one with 0.40 € of fees deducted), a
  payer naming nothing whose amount fits two customers, a credit nobody can identify and
  a card commission nobody has booked: what the review screen and the report show.
"""

import datetime as dt
import unicodedata
from collections import defaultdict
from decimal import Decimal

from encaisse import clock
from encaisse.banking import review
from encaisse.banking.models import BankLine, LineStatus
from encaisse.banking.services.accounts import ensure_company_account
from encaisse.banking.services.imports import import_file
from encaisse.banking.services.reconcile import reconcile
from encaisse.companies.models import Role
from encaisse.receivables.models import Installment, Payment, PaymentMethod
from encaisse.receivables.services.payments import create_remittance_slip

_POSITIVE = "{ABCDEFGHI"
_NEGATIVE = "}JKLMNOPQR"
# The bank's own lines of each month, and the account the accountant assigns them to.
MONTHLY = [  # (day, amount, label, interbank code, account, entry label, rule)
    (5, "-12.50", "FRAIS TENUE DE COMPTE", "B1", "627", "Frais bancaires", "FRAIS TENUE"),
    (12, "-9840.00", "PRLV SEPA MINOTERIE DU CENTRE", "01", "401", "Minoterie du Centre",
     "MINOTERIE"),
    (15, "-6120.00", "PRLV SEPA URSSAF CENTRE", "01", "431", "URSSAF", "URSSAF"),
    (27, "-18450.00", "VIR SEPA EMIS SALAIRES", "06", "421", "Salaires du mois", "SALAIRES"),
]  # fmt: skip
CAPITAL = ("25000.00", "VERSEMENT APPORT ASSOCIES", "05", "455", "Apport en compte courant",
           "APPORT ASSOCIES")  # fmt: skip
LABELS = {
    PaymentMethod.TRANSFER: "VIR SEPA RECU",
    PaymentMethod.DIRECT_DEBIT: "REMISE PRLV SEPA",
    PaymentMethod.BILL_OF_EXCHANGE: "REMISE LCR",
    PaymentMethod.CARD: "REMISE CB",
}


def _ascii(text: str, size: int) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    return plain[:size].ljust(size)


def _amount(value: Decimal) -> str:
    """13 digits and the sign-and-last-digit character, two decimals."""
    digits = f"{int(abs(value) * 100):014d}"
    return digits[:13] + (_NEGATIVE if value < 0 else _POSITIVE)[int(digits[13])]


class Cfonb:
    """A CFONB 120 statement of one account (records 01, 04, 05, 07)."""

    def __init__(self, iban: str, opening: Decimal):
        bban = iban[4:]
        self.bank, self.branch, self.account = bban[0:5], bban[5:10], bban[10:21]
        self.opening = opening
        self.lines: list[tuple] = []

    def add(self, day: dt.date, amount, label: str, code: str, *complements) -> None:
        self.lines.append((day, Decimal(amount), label, code, complements))

    @property
    def closing(self) -> Decimal:
        return self.opening + sum((line[1] for line in self.lines), Decimal(0))

    def _head(self, code: str, internal: str = "    ") -> str:
        return f"{code}{self.bank}{internal}{self.branch}EUR2 {self.account}"

    def _balance(self, code: str, day: dt.date, amount: Decimal) -> str:
        return (self._head(code) + "  " + f"{day:%d%m%y}" + " " * 50 + _amount(amount)).ljust(120)

    def bytes(self, first: dt.date, last: dt.date) -> bytes:
        records = [self._balance("01", first, self.opening)]
        for entry, (day, amount, label, code, complements) in enumerate(
            sorted(self.lines, key=lambda line: line[0]), start=1
        ):
            records.append(
                self._head("04", "0001" if amount > 0 else "0002")
                + code
                + f"{day:%d%m%y}  {day:%d%m%y}"
                + _ascii(label, 31)
                + f"  {entry:07d}  "
                + _amount(amount)
                + f"DEMO{first:%y%m}{entry:08d}"
            )
            for qualifier, text in complements:
                records.append(
                    (self._head("05") + code + f"{day:%d%m%y}" + " " * 5 + qualifier).ljust(48)
                    + _ascii(text, 70)
                    + "  "
                )
        records.append(self._balance("07", last, self.closing))
        assert all(len(r) == 120 for r in records), "CFONB records are 120 characters"
        return ("\r\n".join(records) + "\r\n").encode("ascii")


def _remit_cheques(company, accounting, today: dt.date) -> list:
    """The week's cheques on one slip, each Friday (or the last cheque's day)."""
    weeks = defaultdict(list)
    cheques = Payment.objects.filter(
        company=company, method=PaymentMethod.CHEQUE, remittance__isnull=True
    ).order_by("date", "pk")
    for cheque in cheques:
        friday = cheque.date + dt.timedelta(days=(4 - cheque.date.weekday()) % 7)
        weeks[min(friday, today - dt.timedelta(days=3))].append(cheque)
    slips = []
    for day in sorted(weeks):
        if day < max(c.date for c in weeks[day]):
            continue  # this week's cheques, still in the drawer
        with clock.at(day):
            slips.append(
                create_remittance_slip(company, [c.pk for c in weeks[day]], by=accounting, on=day)
            )
    return slips


def _months(first: dt.date, today: dt.date):
    start = first.replace(day=1)
    while start <= today:
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        yield start, min(end, today - dt.timedelta(days=1))
        start = end + dt.timedelta(days=1)


def _current_month(statement: Cfonb, company, today: dt.date) -> None:
    """What the accountant has not worked through yet (see the module's docstring)."""
    open_items = list(
        Installment.objects.filter(
            company=company, open_amount__gt=0, invoice__customer__siren__gt=""
        )
        .select_related("invoice", "customer")
        .order_by("due_date", "pk")[:40]
    )
    paid_on = today - dt.timedelta(days=3)
    for n, item in enumerate(open_items[:6]):
        number = item.invoice.number
        written = [number, number.split("-", 1)[-1], number.replace("-", " ")][n % 3]
        statement.add(
            paid_on,
            item.open_amount - (Decimal("0.40") if n == 4 else 0),
            f"VIR SEPA RECU {item.customer.legal_name}",
            "05",
            ("NPY", item.customer.legal_name),
            ("LCC", f"FACTURE {written}"),
        )
    by_amount: dict[Decimal, list] = defaultdict(list)
    for item in open_items[6:]:
        by_amount[item.open_amount].append(item)
    twins = next((i for i in by_amount.values() if len({x.customer_id for x in i}) > 1), None)
    if twins:
        statement.add(paid_on, twins[0].open_amount, "VIR SEPA RECU REGLEMENT", "05")
    statement.add(
        today - dt.timedelta(days=2),
        "45.00",
        "VIR SEPA RECU M DURAND",
        "05",
        ("NPY", "M OU MME DURAND"),
        ("LCC", "REMBOURSEMENT"),
    )
    statement.add(today - dt.timedelta(days=4), "-8.40", "COMMISSION CB REMISE", "B1")


def make_bank(company, users: dict, today: dt.date) -> list[str]:
    """Import and reconcile the demo's year of statements; return notes for the summary."""
    account = ensure_company_account(company)
    if account is None:
        return ["Banque : pas de compte bancaire, pas de relevé de démonstration."]
    accounting = users[Role.ACCOUNTING]
    slips = _remit_cheques(company, accounting, today)
    credits = defaultdict(list)  # booking day -> [(amount, label, code, complements)]
    for payment in (
        Payment.objects.filter(company=company)
        .exclude(method__in=[PaymentMethod.CHEQUE, PaymentMethod.CASH])
        .select_related("customer")
    ):
        name = payment.customer.legal_name
        credits[payment.date + dt.timedelta(days=1)].append(
            (payment.amount, f"{LABELS[payment.method]} {name}", "05",
             [("NPY", name), ("LCC", payment.reference)])
        )  # fmt: skip
    for slip in slips:
        total = sum(Payment.objects.filter(remittance=slip).values_list("amount", flat=True))
        credits[slip.date + dt.timedelta(days=2)].append(
            (total, f"REMISE CHEQUES BORDEREAU {slip.number}", "02", [])
        )
    first_day = min(credits) if credits else today - dt.timedelta(days=30)
    opening, files = Decimal(0), 0
    rules = [(CAPITAL[1], *CAPITAL[3:])] + [(row[2], *row[4:]) for row in MONTHLY]
    for start, end in _months(first_day, today):
        statement = Cfonb(account.iban, opening)
        if not files:
            statement.add(start, CAPITAL[0], CAPITAL[1], CAPITAL[2])
        for day in sorted(d for d in credits if start <= d <= end):
            for amount, label, code, complements in credits[day]:
                statement.add(day, amount, label, code, *complements)
        for day, amount, label, code, *_ in MONTHLY:
            if start.replace(day=day) <= end:
                statement.add(start.replace(day=day), amount, label, code)
        current = end >= today - dt.timedelta(days=1)
        if current:
            _current_month(statement, company, today)
        arrived = end + dt.timedelta(days=1)
        with clock.at(arrived):
            import_file(
                company,
                account,
                statement.bytes(start, end),
                name=f"releve-{start:%Y-%m}.cfo",
                by=accounting,
            )
            report = reconcile(company, by=accounting)
            rules = _assign_with_rules(company, accounting, rules)
        opening, files = statement.closing, files + 1
    return [f"Banque : {files} relevés CFONB importés ; le dernier : {report.summary()}."]


def _assign_with_rules(company, accounting, pending: list[tuple]) -> list[tuple]:
    """The bank's own lines assigned by the accountant the first time they come, each
    leaving a rule « libellé contient X → compte » for the engine; return those still to
    come."""
    left = []
    for label, account, entry_label, rule in pending:
        line = (
            BankLine.objects.filter(company=company, label=label, status=LineStatus.UNMATCHED)
            .order_by("booking_date", "pk")
            .first()
        )
        if line is None:
            left.append((label, account, entry_label, rule))
        else:
            review.assign(line, account, entry_label, by=accounting, rule=rule)
    return left
