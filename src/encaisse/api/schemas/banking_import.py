"""Schemas of the statement import and of the statements and lines it wrote."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from encaisse.banking.models import LineStatus

from ..fields import DateIn, DecimalOut, Id, Text
from ..pagination import PageParams
from .common import PageOut

LineStatusIn = Literal[tuple(LineStatus.values)]


class StatementGapOut(Schema):
    kind: Literal["balance", "chain"] = Field(
        description="balance : solde initial + opérations ≠ solde final ; chain : solde "
        "initial ≠ solde final du relevé précédent du compte."
    )
    amount: str = Field(description="Écart signé, en texte exact (« 12.34 »).")
    text: str = Field(description="L'écart en mots, avec les dates entre lesquelles il se trouve.")


class BankImportOut(Schema):
    file: int | None = Field(description="Id du fichier importé (ou déjà importé).")
    already_imported: bool
    job: int | None = Field(description="Id de la tâche, pour un fichier importé en tâche de fond.")
    message: str = Field(description="Le résumé de l'import, en français.")
    statements: int = Field(description="Relevés du fichier.")
    statements_skipped: int = Field(description="Relevés déjà importés en entier (ignorés).")
    lines_imported: int
    lines_skipped: int = Field(description="Lignes déjà importées par un fichier précédent.")
    gaps: list[StatementGapOut]
    warnings: list[str] = Field(
        description="Ce que le fichier contenait d'inattendu sans être refusé (montré, "
        "jamais ignoré en silence)."
    )


class BankStatementOut(Schema):
    id: int
    account: int = Field(validation_alias="account_id")
    account_iban: str
    file: int = Field(validation_alias="file_id")
    file_name: str
    reference: str
    currency: str
    opening_date: dt.date | None
    opening_balance: DecimalOut | None
    opening_derived: bool = Field(
        description="Solde initial absent du fichier (OFX) : déduit du solde final et des lignes."
    )
    closing_date: dt.date | None
    closing_balance: DecimalOut | None
    balance_gap: DecimalOut | None = Field(description="Solde initial + lignes - solde final.")
    chain_gap: DecimalOut | None = Field(
        description="Solde initial - solde final du relevé précédent du compte."
    )
    previous: int | None = Field(None, validation_alias="previous_id")
    lines: int = Field(validation_alias="line_count")
    gaps: list[StatementGapOut]

    @staticmethod
    def resolve_account_iban(obj):
        return obj.account.iban

    @staticmethod
    def resolve_file_name(obj):
        return obj.file.name


class BankStatementFilters(PageParams):
    account: Text(34) | None = Field(None, description="IBAN ou id du compte.")


class BankStatementPage(PageOut):
    items: list[BankStatementOut]


class BankLineOut(Schema):
    id: int
    account: int = Field(validation_alias="account_id")
    statement: int = Field(validation_alias="statement_id")
    booking_date: dt.date
    value_date: dt.date | None
    amount: DecimalOut = Field(description="Signé : positif au crédit (encaissement).")
    currency: str
    label: str
    counterparty_name: str
    counterparty_iban: str
    end_to_end_id: str
    creditor_reference: str
    remittance_info: str
    bank_reference: str
    transaction_code: str
    status: LineStatusIn


class BankLineDetailOut(BankLineOut):
    details: str = Field(description="Les autres textes de la ligne, un par ligne.")


class BankLineFilters(PageParams):
    status: LineStatusIn | None = None
    account: Text(34) | None = Field(None, description="IBAN ou id du compte.")
    date_from: DateIn | None = Field(None, description="Date d'opération ce jour ou après.")
    date_to: DateIn | None = Field(None, description="Date d'opération ce jour ou avant.")
    q: Text(100) | None = Field(
        None, description="Recherche dans le libellé, la contrepartie et les références."
    )


class BankLinePage(PageOut):
    items: list[BankLineOut]


__all__ = ["Id"]
