"""Schemas of the bank lines' matching endpoints (names prefixed: the import lane
publishes the lines themselves)."""

import datetime as dt

from ninja import Field, Schema

from ..fields import DecimalIn, DecimalOut, Id, Text
from .common import Input

MAX_ITEMS = 1000


class MatchAllocationIn(Input):
    installment: Id | None = Field(None, description="Id de l'échéance réglée.")
    invoice: Id | None = Field(
        None,
        description="Id de la facture (ses échéances ouvertes, la plus ancienne d'abord) ou "
        "d'un avoir dont le crédit est utilisé (au lieu d'installment).",
    )
    amount: DecimalIn = Field(description="Montant, positif.")


class MatchPartIn(Input):
    customer: Id | None = Field(None, description="Client ; défaut : celui des factures.")
    allocations: list[MatchAllocationIn] = Field(max_length=MAX_ITEMS)
    write_off: DecimalIn | None = Field(None, description="Écart passé en pertes (frais).")


class LineMatchIn(Input):
    """One way of matching: allocations (or parts), payment(s), remittance, refund, or
    account + label."""

    allocations: list[MatchAllocationIn] | None = Field(
        None,
        max_length=MAX_ITEMS,
        description="Factures/échéances réglées par la ligne ; la somme (moins les avoirs) "
        "fait le montant de la ligne.",
    )
    customer: Id | None = Field(None, description="Client (avec allocations).")
    write_off: DecimalIn | None = Field(
        None, description="Écart passé en pertes, au plus le seuil de la société."
    )
    parts: list[MatchPartIn] | None = Field(
        None, max_length=100, description="Ligne répartie entre plusieurs clients."
    )
    payments: list[Id] | None = Field(
        None,
        max_length=MAX_ITEMS,
        description="Règlements déjà saisis (un, ou un lot de prélèvements).",
    )
    remittance: Id | None = Field(None, description="Bordereau de remise de chèques.")
    refund: Id | None = Field(None, description="Remboursement (ligne au débit).")
    account: Text(10) | None = Field(None, description="Compte comptable (627, 661…).")
    label: Text(100) | None = Field(None, description="Libellé de l'écriture (avec account).")


class LineUnmatchIn(Input):
    reason: Text(200) = Field(description="Motif de l'annulation (obligatoire).")


class LineMatchOut(Schema):
    id: int
    amount: DecimalOut
    payment: int | None = Field(None, validation_alias="payment_id")
    remittance: int | None = Field(None, validation_alias="remittance_id")
    refund: int | None = Field(None, validation_alias="refund_id")
    entry: int | None = Field(None, validation_alias="entry_id")
    automatic: bool
    score: int | None
    explanation: str
    matched_on: dt.date
    undone_on: dt.date | None


class MatchedLineOut(Schema):
    id: int
    booking_date: dt.date
    amount: DecimalOut
    label: str
    status: str
    matches: list[LineMatchOut]


class CandidateItemOut(Schema):
    installment: int
    invoice: int
    number: str
    position: int
    amount: str


class CandidateNoteOut(Schema):
    credit_note: int
    number: str
    amount: str


class LineCandidateOut(Schema):
    kind: str
    customer: int | None
    customer_name: str
    items: list[CandidateItemOut]
    credit_notes: list[CandidateNoteOut]
    write_off: str
    payments: list[int]
    remittance: int | None
    refund: int | None
    account: str
    label: str
    score: int
    reasons: list[str]
    explanation: str


class LineProposalsOut(Schema):
    line: int
    score: int = Field(description="Score du meilleur candidat (0 : aucun).")
    candidates: list[LineCandidateOut]
