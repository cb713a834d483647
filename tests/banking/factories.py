"""Statements built by hand for the import's tests (the parsers have their own tests),
and bank lines written directly for the reconciliation's tests (match lane: `make_line`,
its statement renamed `line_statement` at the review lane's merge of both lanes)."""

import datetime as dt
import itertools
from decimal import Decimal

from encaisse.banking.formats.base import Line, Statement
from encaisse.banking.models import BankAccount, BankLine, BankStatement, StatementFile

SG = "FR7630003012340123456789057"  # Société Générale, RIB 30003 01234 01234567890 57
CIC = "FR7610278012340001234567873"


def day(n: int, month: int = 1) -> dt.date:
    return dt.date(2024, month, n)


def line(amount, booking: dt.date, label="VIR SEPA CLIENT", **kwargs) -> Line:
    return Line(booking_date=booking, amount=Decimal(amount), label=label, **kwargs)


def statement(
    lines,
    opening,
    opening_date: dt.date | None,
    closing_date: dt.date | None,
    closing=None,
    *,
    iban=SG,
    currency="EUR",
    reference="",
    format="camt053",
    **kwargs,
) -> Statement:
    """A statement whose closing balance is, unless given, opening + lines."""
    if closing is None and opening is not None:
        closing = Decimal(opening) + sum((Decimal(x.amount) for x in lines), Decimal("0"))
    return Statement(
        format=format,
        currency=currency,
        lines=list(lines),
        account_iban=iban,
        reference=reference,
        opening_date=opening_date,
        opening_balance=None if opening is None else Decimal(opening),
        closing_date=closing_date,
        closing_balance=None if closing is None else Decimal(closing),
        **kwargs,
    )


def make_sg_account(company, by):
    """The company's Société Générale account (journal BQ2, 5121)."""
    from encaisse.banking.services.accounts import create_account

    return create_account(
        company,
        {"name": "Société Générale", "iban": SG, "journal": "BQ2", "ledger_account": "5121"},
        by=by,
    )


# --- match lane --- (stands in for the import service in the matching tests)

_counter = itertools.count(1)
ACCOUNT_IBAN = "FR7630006000011234567890189"


def bank_account(company, iban: str = ACCOUNT_IBAN, name: str = "Compte courant") -> BankAccount:
    account, _ = BankAccount.objects.get_or_create(
        company=company, iban=iban, defaults={"name": name, "ledger_account": "512"}
    )
    return account


def line_statement(account: BankAccount, day: dt.date) -> BankStatement:
    n = next(_counter)
    file = StatementFile.objects.create(
        company=account.company,
        account=account,
        name=f"releve-{n}.xml",
        sha256=f"{n:064d}",
        format="camt053",
        size=1,
    )
    return BankStatement.objects.create(
        company=account.company,
        account=account,
        file=file,
        reference=f"REL{n}",
        currency="EUR",
        opening_date=day,
        closing_date=day,
    )


def make_line(
    company,
    amount,
    label: str = "",
    *,
    on: dt.date,
    account: BankAccount | None = None,
    within: BankStatement | None = None,
    **fields,
) -> BankLine:
    """One statement line (a statement of its own unless `within`)."""
    account = account or (within.account if within else bank_account(company))
    within = within or line_statement(account, on)
    n = next(_counter)
    return BankLine.objects.create(
        company=company,
        account=account,
        statement=within,
        position=n,
        booking_date=on,
        value_date=on,
        amount=Decimal(str(amount)),
        currency="EUR",
        label=label,
        fingerprint=f"line-{n}",
        **fields,
    )
