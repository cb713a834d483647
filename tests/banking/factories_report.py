"""TEST FACTORY of the report lane: bank accounts, statements, lines and matches written
as rows, until the import (h-import) and matching (h-match) services are merged. At the
merge the lead switches `match` and `undo` to `banking.services.matching.match_line` /
`unmatch_line`, and `statement` to the import service, keeping these signatures.

Nothing here checks what the services check (amounts, rights, closed periods): the
tests that need those checks call `reconciliation_report.check_can_match` themselves.
"""

import datetime as dt
import hashlib
import itertools
from decimal import Decimal

from encaisse.banking.models import (
    BankAccount,
    BankLine,
    BankMatch,
    BankStatement,
    LineStatus,
    StatementFile,
)

_counter = itertools.count(1)


def account(company, *, name="Compte courant", iban=None, ledger_account="512") -> BankAccount:
    return BankAccount.objects.create(
        company=company,
        name=name,
        iban=iban or company.iban or "FR7630006000011234567890189",
        ledger_account=ledger_account,
    )


def statement(
    account: BankAccount,
    *,
    opening: tuple[dt.date, str] | None,
    closing: tuple[dt.date, str] | None,
    lines: list[tuple[dt.date, str, str]],
    reference: str = "",
    chain_gap: str | None = None,
) -> tuple[BankStatement, list[BankLine]]:
    """One statement of `account` with its lines (booking date, amount, label), as an
    import would leave it (value date = booking date)."""
    n = next(_counter)
    data = f"{account.pk}-{n}".encode()
    file = StatementFile.objects.create(
        company=account.company,
        account=account,
        name=f"releve-{n}.xml",
        sha256=hashlib.sha256(data).hexdigest(),
        format="camt053",
        size=len(data),
        lines_imported=len(lines),
    )
    total = sum((Decimal(amount) for _, amount, _ in lines), Decimal("0"))
    opening_balance = Decimal(opening[1]) if opening else None
    closing_balance = Decimal(closing[1]) if closing else None
    balance_gap = None
    if opening_balance is not None and closing_balance is not None:
        balance_gap = opening_balance + total - closing_balance
    st = BankStatement.objects.create(
        company=account.company,
        account=account,
        file=file,
        reference=reference or f"REL-{n}",
        currency="EUR",
        opening_date=opening[0] if opening else None,
        opening_balance=opening_balance,
        closing_date=closing[0] if closing else None,
        closing_balance=closing_balance,
        balance_gap=balance_gap,
        chain_gap=Decimal(chain_gap) if chain_gap is not None else None,
    )
    made = [
        BankLine.objects.create(
            company=account.company,
            account=account,
            statement=st,
            position=position,
            booking_date=day,
            value_date=day,
            amount=Decimal(amount),
            currency="EUR",
            label=label,
            fingerprint=hashlib.sha256(f"{n}-{position}-{label}".encode()).hexdigest(),
        )
        for position, (day, amount, label) in enumerate(lines, start=1)
    ]
    return st, made


def match(line: BankLine, *, on: dt.date, amount=None, by=None, **counterpart) -> BankMatch:
    """A match of `line` (all of it unless `amount`) with one counterpart: payment=,
    remittance=, refund= or entry=."""
    made = BankMatch.objects.create(
        company=line.company,
        line=line,
        amount=Decimal(amount) if amount is not None else line.amount,
        matched_on=on,
        matched_by=by,
        explanation="test",
        **counterpart,
    )
    BankLine.objects.filter(pk=line.pk).update(status=LineStatus.MATCHED)
    return made


def undo(made: BankMatch, *, on: dt.date, by=None) -> BankMatch:
    BankMatch.objects.filter(pk=made.pk).update(undone_on=on, undone_by=by)
    BankLine.objects.filter(pk=made.line_id).update(status=LineStatus.UNMATCHED)
    made.refresh_from_db()
    return made
