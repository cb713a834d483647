"""Schemas of the report lane: the état de rapprochement and the cash forecast."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from ..fields import Id
from .payments import MoneyOut
from .reports import AsOfFilter

SECTION_KEYS = Literal["cheques", "issued", "receipts", "debits", "credits"]


class BankReconciliationFilters(AsOfFilter):
    account: Id = Field(description="Id du compte bancaire.")
    limit: int = Field(
        50, ge=0, le=500, description="Suspens donnés par section (0 : les totaux seuls)."
    )
    offset: int = Field(0, ge=0, le=10**9, description="Suspens sautés dans chaque section.")


class ReconciliationItemOut(Schema):
    kind: Literal["slip", "entry", "line"] = Field(
        description="slip : bordereau de remise ; entry : écriture (règlement, "
        "remboursement…) ; line : ligne de relevé."
    )
    ref: int = Field(description="Id du bordereau, de l'écriture ou de la ligne.")
    source_id: int | None = Field(description="Id du règlement ou du remboursement.")
    date: dt.date
    reference: str
    label: str
    detail: str
    age: int = Field(description="Jours entre la date et la date de l'état.")
    old: bool = Field(description="Plus ancien que le réglage de la société.")
    amount: MoneyOut = Field(description="Signé : + entrée d'argent, − sortie.")


class ReconciliationSectionOut(Schema):
    key: SECTION_KEYS
    title: str
    side: Literal["book", "bank"]
    count: int = Field(description="Tous les suspens de la section.")
    total: MoneyOut = Field(description="De tous les suspens de la section.")
    old_count: int
    items: list[ReconciliationItemOut] = Field(description="Au plus `limit`, depuis `offset`.")


class ReconciliationGapOut(Schema):
    statement: str
    closing_date: dt.date | None
    balance_gap: MoneyOut | None
    chain_gap: MoneyOut | None


class BankBalanceOut(Schema):
    amount: MoneyOut | None = Field(description="null : aucun relevé à cette date.")
    statement: str = Field(description="Le relevé dont le solde est lu.")
    base_date: dt.date | None
    base_balance: MoneyOut | None
    from_opening: bool = Field(description="Aucun relevé clos à la date : solde initial lu.")
    lines_after: MoneyOut = Field(description="Lignes passées après ce solde, jusqu'à la date.")
    lines_after_count: int
    gaps: list[ReconciliationGapOut] = Field(
        description="Écarts trouvés à l'import, jusqu'à la date."
    )


class BankReconciliationOut(Schema):
    account: int
    as_of: dt.date
    old_days: int
    book_balance: MoneyOut = Field(description="Grand livre du compte 512x à la date.")
    bank: BankBalanceOut
    book_items: MoneyOut = Field(description="(a)+(b)+(c) : écritures non passées en banque.")
    bank_items: MoneyOut = Field(description="(d)+(e) : opérations bancaires non comptabilisées.")
    adjusted_book: MoneyOut = Field(description="book_balance + bank_items − book_items.")
    residual: MoneyOut | None = Field(description="Solde bancaire − adjusted_book (non caché).")
    residual_note: str
    closed_until: dt.date | None = Field(description="Date du dernier état validé du compte.")
    sections: list[ReconciliationSectionOut]


class AccountBalanceOut(Schema):
    account: int
    name: str
    balance: MoneyOut = Field(description="En date de valeur, à la fin du jour.")


class ForecastWeekOut(Schema):
    number: int
    start: dt.date
    end: dt.date
    opening: MoneyOut
    receipts: MoneyOut = Field(description="Reste dû des échéances de la semaine.")
    receipts_count: int
    known: MoneyOut = Field(description="Lignes de relevé de date de valeur dans la semaine.")
    closing: MoneyOut
    below: bool = Field(description="Clôture sous le seuil d'alerte.")


class CashForecastOut(Schema):
    today: dt.date
    balance: MoneyOut
    accounts: list[AccountBalanceOut]
    weeks: list[ForecastWeekOut]
    overdue: MoneyOut = Field(description="« En retard » : échu avant aujourd'hui, non compté.")
    overdue_count: int
    later: MoneyOut = Field(description="Échu après les 13 semaines.")
    later_count: int
    threshold: MoneyOut | None
    alert: bool
