"""The installments (échéances) of an issued invoice."""

from encaisse.sales.models import DocumentKind, Invoice

from ..models import Installment


def create_installments(invoice: Invoice) -> list[Installment]:
    """Called by the issuing transaction: one installment for the whole amount at the
    invoice's due date. Credit notes have none: they are credits, not debts."""
    if invoice.kind != DocumentKind.INVOICE or invoice.total_incl_vat <= 0:
        return []
    return [
        Installment.objects.create(
            company_id=invoice.company_id,
            customer_id=invoice.customer_id,
            invoice=invoice,
            position=1,
            due_date=invoice.due_date,
            amount=invoice.total_incl_vat,
            issue_date=invoice.issue_date,
        )
    ]
