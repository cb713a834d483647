"""The payment reference of an invoice: an ISO 11649 RF creditor reference derived from
its number, so that a transfer quoting it is matched to the invoice without doubt.

The body is the number's letters and digits, upper case: FA2026-00123 -> FA202600123,
reference RF83 FA20 2600 123. Computed, never stored: every invoice already issued has
one (issued rows are frozen, so a stored column could not be filled for them), and the
same number always gives the same reference.

Unique within a company: a number is prefix + year + "-" + the series' sequence number,
and the sequence number is unique per company, kind and year, so two invoices of the
company differ in their year or sequence digits, which end the body. Only the kinds that
create a receivable have one (a credit note is not paid to the seller). Two such kinds
would need prefixes whose letters and digits differ (today there is one: the invoice).

At most 21 characters: a prefix has at most 12 (companies.models.PREFIX_VALIDATOR), the
year 4 and the sequence 5 up to 99,999 invoices a year: 21. Beyond (a 12-character
prefix and a 100,000th invoice in a year), the body keeps its last 21 characters: the
year and the sequence number, which make it unique, are at the end.
"""

from __future__ import annotations

from encaisse.identifiers import RF_MAX_BODY, rf_reference


def reference_body(number: str) -> str:
    """'FA2026-00123' -> 'FA202600123': the number's ASCII letters and digits, upper case,
    the last 21 of them. To find the invoice of a reference read in a bank label
    (identifiers.find_rf), compare its body (`rf[4:]`) with this: no check digits to
    compute for each open invoice."""
    body = "".join(char for char in number if char.isascii() and char.isalnum()).upper()
    return body[-RF_MAX_BODY:]


def reference_of_number(number: str) -> str:
    """The RF reference of the invoice numbered `number` (one that creates a receivable:
    the caller knows the kind), compact."""
    return rf_reference(reference_body(number))


def payment_reference(invoice) -> str:
    """The RF reference of an issued invoice (compact: 'RF83FA202600123'); '' for a draft
    (no number yet) or a document that is not paid to the seller (a credit note)."""
    if not invoice.number or not invoice.kind_spec.creates_receivable:
        return ""
    return reference_of_number(invoice.number)
