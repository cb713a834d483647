"""Every change of state of invoices and credit notes.

drafts        create and edit draft invoices, their lines and totals
issuing       issue a draft in named steps: check, freeze, number, archive, post
credit_notes  credit notes from an issued invoice, within what remains creditable
"""

from .credit_notes import create_credit_note, creditable
from .drafts import create_invoice, delete_draft, preview_lines, preview_totals, update_invoice
from .issuing import issue_invoice

__all__ = [
    "create_credit_note",
    "create_invoice",
    "creditable",
    "delete_draft",
    "issue_invoice",
    "preview_lines",
    "preview_totals",
    "update_invoice",
]
