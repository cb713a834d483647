"""The kinds of sales documents, and everything that differs between them, in one table.

Code that behaves differently for an invoice and a credit note reads the row of the
document's kind (`kind_of(invoice)`, or `invoice.spec`) rather than comparing `kind`
with a constant: a new kind (deposit invoice, proforma...) is then one row here, and
every place that must decide something about it shows up as a column to fill.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from encaisse.companies.permissions import ISSUE_CREDIT_NOTES, ISSUE_INVOICES


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", "Facture"
    CREDIT_NOTE = "credit_note", "Avoir"


@dataclass(frozen=True)
class Kind:
    code: str  # DocumentKind value, stored in Invoice.kind and in the series' name
    label: str  # "Facture": in sentences, lists, the audit trail
    title: str  # "FACTURE": the title printed on the document
    type_code: str  # UNTDID 1001 document type (EN 16931 BT-3)
    prefix_field: str  # the Company field holding the series' prefix
    issue_right: str  # the permission issuing it needs (companies.permissions)
    # An invoice is owed: issuing creates its installments, it is dunned, it may take the
    # customer over its credit limit, it is paid by transfer (bank details printed) and
    # gets 212 "Encaissée" once paid. A credit note is the customer's money: allocated to
    # invoices, never dunned nor credit-checked.
    creates_receivable: bool
    # A credit note corrects an issued invoice: it points to it, refers to it on the
    # document (BG-3), may not predate it, and credits at most what remains of it.
    corrects_invoice: bool
    is_einvoice: bool  # issued as Factur-X / UBL (both kinds today)
    # +1: in the sales journal (VE) the customer (411) is debited and revenue credited,
    # and the document adds to revenue and to what the customer owes; -1: the other way.
    sign: int
    total_label: str  # the label of the amount to pay on the document
    totals_title: str  # the title of the totals box on the document
    date_label: str  # the label of the delivery date on the document
    # Audit action names: "<audit_name>.issued", "<audit_name>.created"...
    audit_name: str

    @property
    def action_issued(self) -> str:
        return f"{self.audit_name}.issued"


KINDS: dict[str, Kind] = {
    DocumentKind.INVOICE: Kind(
        code=DocumentKind.INVOICE,
        label="Facture",
        title="FACTURE",
        type_code="380",  # commercial invoice
        prefix_field="invoice_prefix",
        issue_right=ISSUE_INVOICES,
        creates_receivable=True,
        corrects_invoice=False,
        is_einvoice=True,
        sign=1,
        total_label="Net à payer TTC",
        totals_title="Totaux",
        date_label="Date de livraison",
        audit_name="invoice",
    ),
    DocumentKind.CREDIT_NOTE: Kind(
        code=DocumentKind.CREDIT_NOTE,
        label="Avoir",
        title="AVOIR",
        type_code="381",  # credit note
        prefix_field="credit_note_prefix",
        issue_right=ISSUE_CREDIT_NOTES,
        creates_receivable=False,
        corrects_invoice=True,
        is_einvoice=True,
        sign=-1,
        total_label="Total TTC à déduire",
        totals_title="Total de l'avoir",
        date_label="Date de l'opération",
        audit_name="credit_note",
    ),
}


def kind_of(document_or_code) -> Kind:
    """The row of a document (anything with a `kind`) or of a kind code."""
    return KINDS[getattr(document_or_code, "kind", document_or_code)]


def codes(**columns) -> list[str]:
    """The kind codes whose columns have the given values, for queries:
    `Invoice.objects.filter(kind__in=codes(creates_receivable=True))`."""
    return [
        code
        for code, kind in KINDS.items()
        if all(getattr(kind, name) == value for name, value in columns.items())
    ]


def prefix(company, kind: Kind) -> str:
    """The company's prefix of the kind's series."""
    return getattr(company, kind.prefix_field)
