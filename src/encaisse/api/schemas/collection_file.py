"""The collection file of a customer (dossier de recouvrement)."""

import datetime as dt

from ninja import Field, Schema

from ..fields import DecimalOut
from .payments import MoneyOut


class CollectionContactOut(Schema):
    id: int
    name: str
    job_title: str
    email: str
    phone: str
    is_billing_contact: bool


class CollectionItemOut(Schema):
    installment: int = Field(validation_alias="installment_id")
    invoice: int = Field(validation_alias="invoice_id")
    invoice_number: str
    position: int
    issue_date: dt.date
    due_date: dt.date
    amount: MoneyOut
    open_amount: MoneyOut
    days_late: int = Field(description="Négatif : pas encore échu.")
    level: int | None = Field(description="Plus haut niveau de relance envoyé ; null : aucun.")
    level_sent_on: dt.date | None


class CollectionPenaltyOut(Schema):
    invoice: int = Field(validation_alias="invoice_id")
    invoice_number: str
    penalties: MoneyOut
    recovery_fee: MoneyOut
    outstanding: MoneyOut = Field(description="Ni facturé ni abandonné à ce jour.")
    error: str = Field(description="Refus du calcul (taux inconnu), vide sinon.")


class TimelineEntryOut(Schema):
    date: dt.date
    kind: str = Field(
        description="reminder, call, promise, dispute_opened, dispute_resolved, payment, incident."
    )
    label: str
    detail: str
    amount: MoneyOut | None
    object_id: int | None
    url: str | None = Field(description="Page de l'interface web.")


class CollectionBehaviourOut(Schema):
    since: dt.date = Field(description="Échéances soldées après cette date (exclue).")
    settled_count: int
    settled_amount: MoneyOut
    late_count: int
    late_amount: MoneyOut
    average_days_late: DecimalOut | None = Field(description="Pondéré par les montants.")
    late_share_count: DecimalOut | None = Field(description="En % du nombre.")
    late_share_amount: DecimalOut | None = Field(description="En % du montant.")
    recent_average: DecimalOut | None = Field(description="Les 3 derniers mois.")
    previous_average: DecimalOut | None = Field(description="Les 3 mois précédents.")
    trend: str | None = Field(description="improving, stable, worsening ; null : non mesurable.")
    trend_label: str


class CollectionFileOut(Schema):
    customer: int
    customer_name: str
    as_of: dt.date
    balance: MoneyOut
    overdue: MoneyOut
    level: int | None
    collector: int | None
    excluded: bool
    exclusion_reason: str
    excluded_until: dt.date | None
    contacts: list[CollectionContactOut]
    items: list[CollectionItemOut]
    penalties: list[CollectionPenaltyOut]
    penalties_total: MoneyOut
    recovery_fees_total: MoneyOut
    outstanding_total: MoneyOut
    timeline: list[TimelineEntryOut]
    behaviour: CollectionBehaviourOut
    late_cost: MoneyOut | None = Field(description="null : taux de financement non renseigné.")
    financing_rate: DecimalOut | None

    @staticmethod
    def resolve_customer(obj):
        return obj.customer.pk

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.legal_name

    @staticmethod
    def resolve_collector(obj):
        return obj.customer.collector_id
