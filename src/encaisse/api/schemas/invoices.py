import datetime as dt
from typing import Literal

from ninja import Field, Schema

from encaisse.customers.credit import OVERRIDE_REASON_MAX
from encaisse.sales.models import Invoice, InvoiceAllowance, InvoiceLine
from encaisse.sales.schedule import MAX_ROWS, issued_rows
from encaisse.sales.totals import compute_totals

from ..fields import DateIn, DecimalIn, DecimalOut, Id, Text, TextOf, VatRateIn
from ..pagination import PageParams
from .common import Input, PageOut

MAX_LINES = 1000


class LineIn(Input):
    product: Id | None = Field(None, description="Article du catalogue : il remplit les blancs.")
    description: TextOf(InvoiceLine.description) | None = None
    item_kind: TextOf(InvoiceLine.item_kind) | None = Field(None, description="goods ou service.")
    quantity: DecimalIn
    unit: TextOf(InvoiceLine.unit) | None = None
    unit_price: DecimalIn | None = None
    discount_percent: DecimalIn | None = None
    vat_rate: VatRateIn | None = None
    vat_exemption: TextOf(InvoiceLine.vat_exemption) | None = None
    vat_exemption_reason: TextOf(InvoiceLine.vat_exemption_reason) | None = None


class AllowanceIn(Input):
    is_charge: bool = Field(False, description="true : frais ; false : remise.")
    amount: DecimalIn = Field(description="Montant HT, positif.")
    reason: TextOf(InvoiceAllowance.reason)
    reason_code: TextOf(InvoiceAllowance.reason_code) | None = None
    vat_rate: VatRateIn | None = None
    vat_exemption: TextOf(InvoiceAllowance.vat_exemption) | None = None
    vat_exemption_reason: TextOf(InvoiceAllowance.vat_exemption_reason) | None = None


class InstallmentIn(Input):
    """One installment: a date or a number of days after issue, an amount incl. VAT or a
    percentage of the total incl. VAT (the last installment takes the rounding)."""

    due_date: DateIn | None = Field(None, description="Date d'échéance (ou days).")
    days: int | None = Field(None, description="Jours après la date d'émission (ou due_date).")
    amount: DecimalIn | None = Field(None, description="Montant TTC (ou percent).")
    percent: DecimalIn | None = Field(None, description="Pourcentage du total TTC (ou amount).")


SCHEDULE_DESCRIPTION = (
    "Échéancier : vide (une seule échéance) ou au moins deux échéances, dates croissantes, "
    "la dernière dans le délai légal (60 jours, ou 45 jours fin de mois), montants totalisant "
    "le TTC au centime."
)


class InvoiceIn(Input):
    customer: Id
    lines: list[LineIn] = Field(max_length=MAX_LINES)
    allowances: list[AllowanceIn] = Field(default_factory=list, max_length=MAX_LINES)
    schedule: list[InstallmentIn] = Field(
        default_factory=list, max_length=MAX_ROWS, description=SCHEDULE_DESCRIPTION
    )
    terms_kind: TextOf(Invoice.terms_kind) | None = Field(
        None, description="net, eom ou receipt ; vide : celles du client."
    )
    terms_days: int | None = Field(None, ge=0, le=999)
    customer_reference: TextOf(Invoice.customer_reference) | None = None
    notes: TextOf(Invoice.notes) | None = None
    delivery_date: DateIn | None = None


class InvoicePatch(Input):
    """A draft's changes: only the fields sent change; lines, allowances and schedule,
    when sent, replace the draft's (an empty schedule removes it)."""

    customer: Id | None = None
    lines: list[LineIn] | None = Field(None, max_length=MAX_LINES)
    allowances: list[AllowanceIn] | None = Field(None, max_length=MAX_LINES)
    schedule: list[InstallmentIn] | None = Field(
        None, max_length=MAX_ROWS, description=SCHEDULE_DESCRIPTION
    )
    terms_kind: TextOf(Invoice.terms_kind) | None = None
    terms_days: int | None = Field(None, ge=0, le=999)
    customer_reference: TextOf(Invoice.customer_reference) | None = None
    notes: TextOf(Invoice.notes) | None = None
    delivery_date: DateIn | None = None


class IssueIn(Input):
    issue_date: DateIn | None = Field(None, description="Date d'émission ; défaut : aujourd'hui.")
    override_reason: Text(OVERRIDE_REASON_MAX) | None = Field(
        None,
        description="Motif pour émettre au-delà de la limite de crédit du client (droit "
        "credit.override) ; sans lui, un dépassement est refusé (409 credit_limit_exceeded).",
    )


class CreditLineIn(Input):
    line: Id = Field(description="Id d'une ligne de la facture.")
    quantity: DecimalIn


class CreditNoteIn(Input):
    mode: Literal["full", "lines", "amount"] = "full"
    lines: list[CreditLineIn] | None = Field(None, max_length=MAX_LINES)
    amount: DecimalIn | None = Field(None, description="Montant HT à créditer (mode amount).")
    vat_rate: VatRateIn | None = Field(None, description="Taux du montant (mode amount).")
    reason: TextOf(Invoice.credit_reason) = ""
    issue: bool = Field(True, description="false : laisser l'avoir en brouillon.")
    issue_date: DateIn | None = Field(
        None, description="Date d'émission de l'avoir ; défaut : aujourd'hui."
    )


class LineOut(Schema):
    id: int
    position: int
    product: int | None = Field(None, validation_alias="product_id")
    description: str
    item_kind: str
    quantity: DecimalOut
    unit: str
    unit_price: DecimalOut
    discount_percent: DecimalOut
    vat_rate: DecimalOut
    vat_exemption: str
    vat_exemption_reason: str
    gross_amount: DecimalOut
    discount_amount: DecimalOut
    net_amount: DecimalOut
    credited_line: int | None = Field(None, validation_alias="credited_line_id")


class AllowanceOut(Schema):
    id: int
    is_charge: bool
    amount: DecimalOut
    reason: str
    reason_code: str
    vat_rate: DecimalOut
    vat_exemption: str
    vat_exemption_reason: str


class VatBreakdownOut(Schema):
    category: str
    rate: DecimalOut
    base: DecimalOut
    vat: DecimalOut
    exemption_reason: str


class CreditedInvoiceOut(Schema):
    id: int
    number: str
    issue_date: dt.date | None


class ScheduleRowOut(Schema):
    """A row as typed on the draft; once issued, due_date and amount are resolved."""

    due_date: dt.date | None
    days: int | None
    amount: DecimalOut | None
    percent: DecimalOut | None


class InstallmentOut(Schema):
    position: int
    due_date: dt.date
    amount: DecimalOut


class InvoiceOut(Schema):
    id: int
    kind: str
    status: str
    number: str | None = Field(description="Vide (null) tant que le document est un brouillon.")
    issue_date: dt.date | None
    delivery_date: dt.date | None
    due_date: dt.date | None
    customer: int = Field(validation_alias="customer_id")
    terms_kind: str
    terms_days: int | None
    customer_reference: str
    notes: str
    currency: str
    total_excl_vat: DecimalOut
    total_vat: DecimalOut
    total_incl_vat: DecimalOut
    vat_breakdown: list[VatBreakdownOut]
    lines: list[LineOut]
    allowances: list[AllowanceOut]
    credited_invoice: CreditedInvoiceOut | None = None
    credit_reason: str
    credit_notes: list[int] = Field(description="Ids des avoirs de cette facture.")
    schedule: list[ScheduleRowOut] = Field(description="Échéancier (vide : aucun).")
    installments: list[InstallmentOut] = Field(
        description="Échéances d'une facture émise (une seule sans échéancier) ; vide pour "
        "un brouillon ou un avoir. Leur règlement : relevé de compte du client."
    )
    created_at: dt.datetime
    issued_at: dt.datetime | None

    @staticmethod
    def resolve_number(obj: Invoice):
        return obj.number or None

    @staticmethod
    def resolve_lines(obj: Invoice):
        return list(obj.lines.all())

    @staticmethod
    def resolve_allowances(obj: Invoice):
        return list(obj.allowances.all())

    @staticmethod
    def resolve_vat_breakdown(obj: Invoice):
        return compute_totals(obj.lines.all(), obj.allowances.all()).breakdown

    @staticmethod
    def resolve_schedule(obj: Invoice):
        return obj.schedule or []

    @staticmethod
    def resolve_installments(obj: Invoice):
        # From the frozen document (no query): the schedule's rows, or one installment of
        # the total at the due date, as receivables.services.installments creates them.
        if not obj.is_issued or obj.is_credit_note or obj.total_incl_vat <= 0:
            return []
        rows = issued_rows(obj.schedule)
        if rows:
            return rows
        return [{"position": 1, "due_date": obj.due_date, "amount": obj.total_incl_vat}]

    @staticmethod
    def resolve_credit_notes(obj: Invoice):
        return sorted(note.pk for note in obj.credit_notes.all())


class InvoiceFilters(PageParams):
    status: Literal["draft", "issued"] | None = None
    kind: Literal["invoice", "credit_note"] | None = None
    customer: Id | None = None
    issued_from: DateIn | None = Field(None, description="Émis ce jour ou après.")
    issued_to: DateIn | None = Field(None, description="Émis ce jour ou avant.")
    number: Text(35) | None = Field(None, description="Numéro exact.")


class InvoicePage(PageOut):
    items: list[InvoiceOut]
