"""The installments (échéances) of an issued invoice."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from encaisse.sales.models import Invoice
from encaisse.sales.schedule import issued_rows

from .. import selectors
from ..models import Installment


def create_installments(invoice: Invoice) -> list[Installment]:
    """Called by the issuing transaction: one installment per row of the invoice's
    schedule (resolved at issue), or one for the whole amount at the invoice's due date.
    Credit notes have none: they are credits, not debts."""
    if not invoice.kind_spec.creates_receivable or invoice.total_incl_vat <= 0:
        return []
    if invoice.schedule:
        rows = [(row.position, row.due_date, row.amount) for row in issued_rows(invoice.schedule)]
    else:
        rows = [(1, invoice.due_date, invoice.total_incl_vat)]
    return [
        Installment.objects.create(
            company_id=invoice.company_id,
            customer_id=invoice.customer_id,
            invoice=invoice,
            position=position,
            due_date=due_date,
            amount=amount,
            open_amount=amount,
            issue_date=invoice.issue_date,
        )
        for position, due_date, amount in rows
    ]


@dataclass(frozen=True)
class InstallmentState:
    """An installment and what remains of it on a date; the status is derived then."""

    position: int
    due_date: dt.date
    amount: Decimal
    paid: Decimal
    open_amount: Decimal
    status: str

    @property
    def status_label(self) -> str:
        return selectors.InvoiceStatus.LABELS[self.status]


def installment_states(invoice: Invoice, as_of: dt.date) -> list[InstallmentState]:
    """Each installment of `invoice` on `as_of` with its status (paid, partly paid,
    overdue, open) from the allocations in force that day: derived, never stored."""
    states = []
    rows = selectors.installments_as_of(invoice.company, as_of).filter(invoice=invoice)
    for row in rows.order_by("position"):
        if row.open_amount <= 0:
            status = selectors.InvoiceStatus.PAID
        elif row.due_date < as_of:
            status = selectors.InvoiceStatus.OVERDUE
        elif row.open_amount < row.amount:
            status = selectors.InvoiceStatus.PARTLY_PAID
        else:
            status = selectors.InvoiceStatus.OPEN
        states.append(
            InstallmentState(
                row.position,
                row.due_date,
                row.amount,
                row.allocated,
                row.open_amount,
                status,
            )
        )
    return states
