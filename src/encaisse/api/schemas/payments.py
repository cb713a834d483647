import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import PlainSerializer, WithJsonSchema

from encaisse.money import q2
from encaisse.receivables.models import Allocation, Payment, PaymentMethod

from ..fields import DateIn, DecimalIn, DecimalOut, Id, Text, TextOf
from ..pagination import PageParams
from .common import Input, PageOut

MAX_ITEMS = 1000
METHODS_HELP = "transfer, cheque, card, direct_debit, cash ou lcr (effet de commerce)."

# A sum computed by the database (SQLite gives "0" or "1000" back): always two decimals.
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(lambda d: str(q2(d)), return_type=str),
    WithJsonSchema({"type": "string", "example": "123.40", "pattern": r"^-?\d+\.\d{2}$"}),
]

Method = Literal[tuple(PaymentMethod.values)]


class PaymentIn(Input):
    customer: Id
    amount: DecimalIn = Field(description="Montant reçu, positif.")
    date: DateIn | None = Field(None, description="Date de réception ; défaut : aujourd'hui.")
    method: Method = Field(description=METHODS_HELP)
    payer: TextOf(Payment.payer) | None = Field(
        None, description="Défaut : la raison sociale du client."
    )
    reference: TextOf(Payment.reference) | None = Field(
        None,
        description="Libellé du virement, n° de chèque… Les numéros de facture cités "
        "orientent la proposition de lettrage.",
    )
    bank_account: Text(50) | None = Field(None, description="IBAN du compte du payeur.")


class AllocationItemIn(Input):
    installment: Id | None = Field(None, description="Id de l'échéance (voir /proposal).")
    invoice: Id | None = Field(
        None, description="Id de la facture, si elle n'a qu'une échéance (au lieu d'installment)."
    )
    amount: DecimalIn = Field(description="Montant lettré, positif.")


class AllocateIn(Input):
    items: list[AllocationItemIn] | None = Field(
        None,
        max_length=MAX_ITEMS,
        description="Échéances et montants ; absent : la proposition de lettrage est appliquée.",
    )
    allocated_on: DateIn | None = Field(
        None, description="Date du lettrage ; défaut : aujourd'hui."
    )


class UndoIn(Input):
    reason: TextOf(Allocation.undo_reason) = Field(description="Motif du délettrage (obligatoire).")
    undone_on: DateIn | None = Field(None, description="Date du délettrage ; défaut : aujourd'hui.")


class AllocationOut(Schema):
    id: int
    amount: DecimalOut
    allocated_on: dt.date
    undone_on: dt.date | None
    undo_reason: str
    active: bool = Field(description="false : lettrage défait.")
    installment: int | None = Field(None, validation_alias="installment_id")
    invoice: int | None = Field(None, description="Id de la facture réglée.")
    invoice_number: str | None = None
    refund: int | None = Field(None, validation_alias="refund_id")
    payment: int | None = Field(None, validation_alias="payment_id")
    credit_note: int | None = Field(None, validation_alias="credit_note_id")
    write_off: int | None = Field(None, validation_alias="write_off_id")

    @staticmethod
    def resolve_active(obj: Allocation):
        return obj.undone_on is None

    @staticmethod
    def resolve_invoice(obj: Allocation):
        return obj.installment.invoice_id if obj.installment_id else None

    @staticmethod
    def resolve_invoice_number(obj: Allocation):
        return obj.installment.invoice.number if obj.installment_id else None


class PaymentOut(Schema):
    id: int
    number: str
    customer: int = Field(validation_alias="customer_id")
    date: dt.date
    amount: DecimalOut
    method: str
    payer: str
    reference: str
    bank_account: str
    remittance: int | None = Field(None, validation_alias="remittance_id")
    allocated: MoneyOut = Field(description="Lettré à ce jour (lettrages défaits exclus).")
    unallocated: MoneyOut = Field(description="Reste à lettrer : crédit du client.")
    settled_on: dt.date | None = Field(description="Date où le règlement a été lettré en entier.")
    created_at: dt.datetime


class PaymentDetailOut(PaymentOut):
    allocations: list[AllocationOut] = Field(description="Y compris les lettrages défaits.")


class PaymentFilters(PageParams):
    customer: Id | None = None
    date_from: DateIn | None = Field(None, description="Reçu ce jour ou après.")
    date_to: DateIn | None = Field(None, description="Reçu ce jour ou avant.")
    method: Method | None = None
    unallocated: bool | None = Field(
        None, description="true : seulement ceux qui ont un reste à lettrer ; false : soldés."
    )
    reference: Text(140) | None = Field(None, description="Recherche dans la référence.")


class PaymentPage(PageOut):
    items: list[PaymentOut]


class AllocationProposalItemOut(Schema):
    installment: int
    invoice: int
    invoice_number: str
    due_date: dt.date
    open_amount: MoneyOut = Field(description="Ce que doit encore l'échéance.")
    amount: MoneyOut = Field(description="Montant proposé.")
    reason: str = Field(description="« référence » (citée par le payeur) ou « plus ancienne ».")


class AllocationProposalOut(Schema):
    payment: int
    available: MoneyOut = Field(description="Reste à lettrer du règlement.")
    items: list[AllocationProposalItemOut]
