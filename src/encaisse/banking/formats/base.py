"""What every statement format reads: the seam between the parsers and the import.

One module per format (`camt053`, `cfonb120`, `ofx`, `mt940`) exposes `sniff(data) ->
bool` and `parse(data) -> list[Statement]`; `formats.parse(data)` picks the format.
A parser keeps what the bank said, converts nothing it does not have to (amounts to
signed Decimals, dates to dates, text to str) and refuses a file it cannot read with
`MalformedStatement`, naming the line or element and what is wrong.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from encaisse.errors import ValidationFailed


class MalformedStatement(ValidationFailed):
    """A file that cannot be read as a statement: nothing of it is imported."""

    def __init__(self, message: str, where: str = ""):
        text = f"{where} : {message}" if where else message
        super().__init__("malformed_statement", text, "file")
        self.where = where


# What the import stores (banking.models BankLine, BankStatement): `formats.parse` cuts a
# longer text to its column and keeps it whole in `details`, so nothing is lost.
LINE_LIMITS = {
    "label": 500,
    "counterparty_name": 200,
    "counterparty_iban": 34,
    "end_to_end_id": 140,
    "creditor_reference": 140,
    "bank_reference": 140,
    "transaction_code": 40,
}
STATEMENT_LIMITS = {"reference": 140}


def _fit(item, limits: dict[str, int], details: list[str] | None) -> None:
    for name, limit in limits.items():
        value = getattr(item, name)
        if len(value) > limit:
            if details is not None:
                details.append(f"{name} {value}")
            setattr(item, name, value[: limit - 1] + "…")


@dataclass
class Line:
    """One movement as the bank reported it."""

    booking_date: dt.date
    amount: Decimal  # signed: > 0 a credit (money in), < 0 a debit
    label: str
    value_date: dt.date | None = None
    counterparty_name: str = ""
    counterparty_iban: str = ""
    end_to_end_id: str = ""
    creditor_reference: str = ""  # structured reference: RF (ISO 11649) or a bank's own
    remittance_info: str = ""  # unstructured remittance text (Ustrd, CFONB 05 LIB...)
    bank_reference: str = ""  # the bank's own id: FITID, AcctSvcrRef, CFONB/MT940 ref
    transaction_code: str = ""  # BkTxCd, CFONB operation code, TRNTYPE, MT940 type
    details: list[str] = field(default_factory=list)  # further texts, in file order
    where: str = ""  # where in the file: "ligne 12", "Stmt 1 / Ntry 3 / TxDtls 2"

    def fit(self) -> None:
        """Texts cut to what the import stores, the whole text kept in details."""
        _fit(self, LINE_LIMITS, self.details)


@dataclass
class Statement:
    """One statement of one account, with the balances the bank gave (if any)."""

    format: str  # "camt053", "cfonb120", "ofx", "mt940"
    currency: str
    lines: list[Line]
    account_iban: str = ""  # when the file gives it
    account_number: str = ""  # the bank's own identification (RIB, OFX ACCTID + type)
    bank_id: str = ""  # BIC or bank code
    reference: str = ""  # the statement's id or sequence number
    opening_date: dt.date | None = None
    opening_balance: Decimal | None = None
    closing_date: dt.date | None = None
    closing_balance: Decimal | None = None
    where: str = ""
    version: str = ""  # the format's version when the file says it ("camt.053.001.04", "102")
    # What the parser passed over without refusing the file (an MT940 :61: after the
    # end of its message...): the import shows them, it never drops them silently.
    warnings: list[str] = field(default_factory=list)

    def fit(self) -> None:
        _fit(self, STATEMENT_LIMITS, None)
        for line in self.lines:
            line.fit()
