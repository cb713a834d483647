"""Statements built by hand for the import's tests (the parsers have their own tests)."""

import datetime as dt
from decimal import Decimal

from encaisse.banking.formats.base import Line, Statement

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
