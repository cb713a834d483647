import datetime as dt
from typing import Literal

from ninja import Field, Schema

from encaisse.customers.models import RiskClass, Segment

from ..fields import DateIn, DecimalOut, Id, Text
from ..pagination import PageParams
from .common import PageOut
from .payments import MoneyOut

AS_OF_HELP = "Date de situation (AAAA-MM-JJ) ; défaut : aujourd'hui ; pas dans le futur."


class AsOfFilter(Schema):
    as_of: DateIn | None = Field(None, description=AS_OF_HELP)


# Statement of a customer


class StatementItemOut(Schema):
    kind: str = Field(description="invoice, payment ou credit_note.")
    reference: str
    date: dt.date
    due_date: dt.date | None
    amount: DecimalOut
    open_amount: MoneyOut = Field(description="Positif : dû par le client ; négatif : crédit.")
    days_overdue: int


class StatementAllocationOut(Schema):
    id: int
    amount: DecimalOut
    allocated_on: dt.date
    undone_on: dt.date | None
    undo_reason: str
    debit: str = Field(description="Facture réglée, ou remboursement.")
    credit: str = Field(description="Règlement, avoir ou écart qui la règle.")

    @staticmethod
    def resolve_debit(obj):
        return obj.installment.invoice.number if obj.installment_id else obj.refund.number

    @staticmethod
    def resolve_credit(obj):
        credit = obj.payment or obj.credit_note or obj.write_off
        return credit.number


class BehaviourOut(Schema):
    settled: int = Field(description="Échéances soldées sur les 12 derniers mois.")
    average_days_late: DecimalOut | None
    paid_late_share: DecimalOut | None = Field(description="Part réglée en retard, en %.")


class StatementOut(Schema):
    customer: int
    customer_name: str
    as_of: dt.date
    balance: MoneyOut = Field(
        description="Factures − avoirs − règlements + remboursements − écarts, à la date."
    )
    overdue: MoneyOut
    items: list[StatementItemOut] = Field(description="Éléments non lettrés à la date.")
    allocations: list[StatementAllocationOut] = Field(description="Lettrages faits à la date.")
    behaviour: BehaviourOut

    @staticmethod
    def resolve_customer(obj):
        return obj.customer.pk

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.legal_name


# Aged balance


class AgedBalanceFilters(AsOfFilter, PageParams):
    salesperson: Id | None = Field(None, description="Id de l'utilisateur commercial.")
    segment: Literal[tuple(Segment.values)] | None = None
    risk_class: Literal[tuple(RiskClass.values)] | None = None
    customer: Id | None = None
    buckets: Text(100) | None = Field(
        None, description="Bornes des tranches en jours, « 30,60,90 » ; défaut : la société."
    )
    format: Literal["json", "csv", "xlsx"] = Field(
        "json",
        description="csv (séparateur ;) ou xlsx : fichier à télécharger, toutes les lignes.",
    )


class BucketOut(Schema):
    label: str
    first_day: int | None = Field(description="Jours de retard, inclus ; null : non échu.")
    last_day: int | None = Field(description="Inclus ; null : sans limite.")


class AgedRowOut(Schema):
    customer: int = Field(validation_alias="customer_id")
    customer_name: str
    amounts: list[MoneyOut] = Field(description="Une somme par tranche.")
    open_items: MoneyOut
    unapplied: MoneyOut = Field(description="Règlements et avoirs non lettrés.")
    balance: MoneyOut = Field(description="open_items − unapplied.")


class AgedBalanceOut(PageOut):
    as_of: dt.date
    buckets: list[BucketOut]
    rows: list[AgedRowOut] = Field(description="La page des clients (count : tous les clients).")
    totals: list[MoneyOut] = Field(description="Par tranche, de tous les clients.")
    unapplied: MoneyOut = Field(description="De tous les clients.")
    balance: MoneyOut = Field(description="Somme des soldes de tous les clients.")


class AgedItemsFilters(AsOfFilter, PageParams):
    customer: Id
    bucket: int = Field(ge=0, le=100, description="Rang de la tranche : 0 non échu, 1 la première…")
    buckets: Text(100) | None = Field(None, description="Les mêmes bornes que la balance.")


class AgedItemOut(Schema):
    installment: int = Field(validation_alias="pk")
    invoice: int = Field(validation_alias="invoice_id")
    invoice_number: str
    issue_date: dt.date
    due_date: dt.date
    amount: MoneyOut
    open_amount: MoneyOut

    @staticmethod
    def resolve_invoice_number(obj):
        return obj.invoice.number


class AgedItemPage(PageOut):
    items: list[AgedItemOut]


# DSO


class DsoFilters(AsOfFilter):
    months: int = Field(12, ge=1, le=36, description="Période en mois (1 à 36).")
    customer: Id | None = Field(None, description="Le DSO d'un client ; défaut : toute la société.")


class CountbackStepOut(Schema):
    start: dt.date
    end: dt.date
    revenue: MoneyOut = Field(description="CA TTC du mois (factures − avoirs).")
    absorbed: MoneyOut = Field(description="Créances absorbées par ce mois.")
    days: DecimalOut = Field(description="Jours comptés pour ce mois.")

    @staticmethod
    def resolve_start(obj):
        return obj.month.start

    @staticmethod
    def resolve_end(obj):
        return obj.month.end

    @staticmethod
    def resolve_revenue(obj):
        return obj.month.revenue


class DsoOut(Schema):
    as_of: dt.date
    months: int
    customer: int | None = None
    receivables: MoneyOut = Field(description="Créances à la date (solde de la balance âgée).")
    revenue: MoneyOut = Field(description="CA TTC de la période (factures − avoirs).")
    period_days: int
    simple: DecimalOut | None = Field(
        description="Créances ÷ CA de la période × jours ; null sans CA."
    )
    countback: DecimalOut | None = Field(
        description="Épuisement du CA mois par mois ; null si la période ne suffit pas."
    )
    steps: list[CountbackStepOut] = Field(description="Le détail du calcul par épuisement.")


class DsoTrendFilters(AsOfFilter):
    months: int = Field(3, ge=1, le=36, description="Période de chaque point, en mois.")
    points: int = Field(12, ge=1, le=24, description="Nombre de fins de mois.")


# FEC


class FecFilters(Schema):
    year: int = Field(ge=1900, le=9999, description="Année de clôture de l'exercice.")
