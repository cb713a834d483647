"""PDFs rendered on demand, never archived: the customer statement (relevé de compte)
and the cheque remittance slip (bordereau de remise de chèques).

Neither is an issued document: a statement is a view of the account on a date and a slip
a list for the bank, both can be printed again at any time from the records, so they are
not stored or chained in the archive. They print the company and the customer as they are
now (no snapshot), with the same header, customer box and footer as the invoices
(`common.typ`, via `rendering.seller_context` and `rendering.buyer_context`).
"""

from __future__ import annotations

import datetime as dt

from encaisse import legal
from encaisse.money import ZERO, format_eur
from encaisse.receivables.models import RemittanceSlip
from encaisse.reporting.statement import statement
from encaisse.sales.kinds import KINDS, codes
from encaisse.sales.services.issuing import buyer_snapshot, seller_snapshot

from .rendering import (
    _logo_path,
    account_qr,
    buyer_context,
    format_date,
    format_iban,
    format_reference,
    render_pdf,
    seller_context,
)

PAYMENT_LABEL = "Règlement"
MAX_LISTED_REFERENCES = 6


def _timestamp(day: dt.date) -> dt.datetime:
    """The document's own date as PDF metadata: the same bytes for the same records."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _seller(owner) -> dict:
    """The company of `owner` (a customer, a slip) as printed today, logo included
    (`_logo_path` only reads `owner.company`)."""
    return seller_context(seller_snapshot(owner.company), _logo_path(owner))


# ---------------------------------------------------------------- customer statement


def statement_filename(customer, as_of: dt.date) -> str:
    return f"releve-compte-{customer.pk}-{as_of.isoformat()}.pdf"


def statement_context(customer, as_of: dt.date) -> dict:
    """Everything `statement.typ` prints, formatted, from `reporting.statement`."""
    company = customer.company
    account = statement(customer, as_of)
    # Debits: documents that create a receivable; credits: payments and credit notes.
    debit_kinds = codes(creates_receivable=True)
    invoices = [i for i in account.items if i.kind in debit_kinds]
    credits = [i for i in account.items if i.kind not in debit_kinds]
    snapshot = seller_snapshot(company)
    seller = seller_context(snapshot, _logo_path(customer))
    balance = account.balance
    if balance > 0:
        balance_label = "Solde dû"
    elif balance < 0:
        balance_label = "Solde en votre faveur"
    else:
        balance_label = "Solde"
    numbers = list(dict.fromkeys(i.reference for i in invoices))
    # Listed when they fit in a line or two; a long statement just asks for them.
    references = ", ".join(numbers) if len(numbers) <= MAX_LISTED_REFERENCES else ""
    # The EPC QR code pays the balance due: one open invoice, its RF reference; several,
    # their numbers as text (rendering.account_qr).
    qr = account_qr(snapshot, balance, [i.reference for i in invoices if i.open_amount > 0])
    rf = f"{format_reference(qr['rf'])} (facture {references})" if qr["rf"] else ""
    return {
        "title": "RELEVÉ DE COMPTE",
        "as_of": format_date(as_of),
        "seller": seller,
        "buyer": buyer_context(buyer_snapshot(customer), company.country or "FR"),
        "invoices": [
            {
                "date": format_date(i.date),
                "number": i.reference,
                "due_date": format_date(i.due_date),
                "late": f"{i.days_overdue} j" if i.days_overdue else "à échoir",
                "overdue": i.days_overdue > 0,
                "amount": format_eur(i.amount),
                "open": format_eur(i.open_amount),
            }
            for i in invoices
        ],
        "credits": [
            {
                "kind": KINDS[i.kind].label if i.kind in KINDS else PAYMENT_LABEL,
                "date": format_date(i.date),
                "number": i.reference,
                "amount": format_eur(i.amount),
                "open": format_eur(i.open_amount),
            }
            for i in credits
        ],
        "totals": {
            "invoices": format_eur(sum((i.open_amount for i in invoices), ZERO)),
            "credits": format_eur(sum((i.open_amount for i in credits), ZERO)),
            "overdue": format_eur(account.overdue) if account.overdue else "",
            "balance_label": f"{balance_label} au {format_date(as_of)}",
            "balance": format_eur(abs(balance)),
        },
        "payment": {
            # Only when something is owed: a customer in credit has nothing to pay.
            "due": balance > 0,
            "iban": seller["iban"],
            "bic": seller["bic"],
            "reference": references,
            "rf": rf,
            "qr": qr["qr"],
            "qr_caption": qr["qr_caption"],
        },
        # What late payment costs this customer, worded as on its invoices (the same
        # builder: the L.441-10 clause and the fee for a professional, legal interest
        # from the formal notice for a consumer).
        "mentions": [
            text.strip()
            for text in legal.late_payment_mentions(customer, company.late_penalty_clause).values()
            if text.strip()
        ],
    }


def statement_pdf(customer, as_of: dt.date) -> bytes:
    """The relevé de compte of `customer` on `as_of`, as PDF/A-3b bytes."""
    return render_pdf("statement", statement_context(customer, as_of), timestamp=_timestamp(as_of))


# ---------------------------------------------------------------- remittance slip


def remittance_filename(slip: RemittanceSlip) -> str:
    return f"bordereau-remise-{slip.number}.pdf"


def remittance_slip_context(slip: RemittanceSlip) -> dict:
    company = slip.company
    cheques = list(slip.payments.select_related("customer").order_by("date", "id"))
    total = sum((c.amount for c in cheques), ZERO)
    count = len(cheques)
    return {
        "title": "BORDEREAU DE REMISE DE CHÈQUES",
        "number": str(slip.number),
        "date": format_date(slip.date),
        "seller": _seller(slip),
        "account": format_iban(slip.bank_account) if slip.bank_account else "",
        "bic": company.bic if slip.bank_account == company.iban else "",
        "cheques": [
            {
                "rank": str(rank),
                "drawer": c.payer or c.customer.legal_name,
                "customer": c.customer.legal_name,
                "reference": c.reference,
                "received": format_date(c.date),
                "amount": format_eur(c.amount),
            }
            for rank, c in enumerate(cheques, start=1)
        ],
        "count": f"{count} chèque{'s' if count > 1 else ''}",
        "total": format_eur(total),
    }


def remittance_slip_pdf(slip: RemittanceSlip) -> bytes:
    """The printable bordereau de remise, as PDF/A-3b bytes."""
    return render_pdf(
        "remittance_slip", remittance_slip_context(slip), timestamp=_timestamp(slip.date)
    )
