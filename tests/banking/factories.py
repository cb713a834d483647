"""Bank lines for the reconciliation's tests.

STANDS IN FOR THE IMPORT SERVICE UNTIL MERGE: `make_line` writes the StatementFile /
BankStatement / BankLine rows directly, as the import lane's service will. The lead
switches it to that service (or keeps it as a test helper) at merge.
"""

import datetime as dt
import itertools
from decimal import Decimal

from encaisse.banking.models import BankAccount, BankLine, BankStatement, StatementFile

_counter = itertools.count(1)
ACCOUNT_IBAN = "FR7630006000011234567890189"


def bank_account(company, iban: str = ACCOUNT_IBAN, name: str = "Compte courant") -> BankAccount:
    account, _ = BankAccount.objects.get_or_create(
        company=company, iban=iban, defaults={"name": name, "ledger_account": "512"}
    )
    return account


def statement(account: BankAccount, day: dt.date) -> BankStatement:
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
    within = within or statement(account, on)
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
