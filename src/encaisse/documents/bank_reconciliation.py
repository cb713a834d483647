"""The état de rapprochement as PDF, rendered on demand (like the customer statement): from
the report's snapshot (`banking.reconciliation_report.snapshot`), live or as validated,
formatted here, laid out by `templates/typst/bank_reconciliation.typ`."""

from __future__ import annotations

import datetime as dt

from encaisse.money import ZERO, format_eur, to_decimal
from encaisse.sales.services.issuing import seller_snapshot

from .rendering import _logo_path, format_date, format_iban, render_pdf, seller_context

# Items printed per section; the rest is counted (the Excel export has them all).
PDF_ITEMS = 300


def _money(value) -> str:
    return "" if value is None else format_eur(to_decimal(value))


def bank_reconciliation_filename(snap: dict) -> str:
    return f"etat-rapprochement-{snap['account']['id']}-{snap['as_of']}.pdf"


def bank_reconciliation_context(company, snap: dict, validated: dict | None = None) -> dict:
    """Everything `bank_reconciliation.typ` prints, formatted. `validated`: {"by", "at"}
    of a validated report, else the PDF says it is a working copy."""
    as_of = format_date(snap["as_of"])
    bank = snap["bank"]
    if snap["bank_balance"] is None:
        bank_note = "Aucun relevé : solde bancaire inconnu."
    elif bank["from_opening"]:
        bank_note = f"Solde initial du relevé {bank['statement']} et lignes jusqu'au {as_of}."
    else:
        bank_note = f"Solde final du relevé {bank['statement']} du {format_date(bank['base_date'])}"
        if bank["lines_after_count"]:
            bank_note += f", plus {bank['lines_after_count']} ligne(s) passée(s) ensuite"
        bank_note += "."
    sections = []
    for section in snap["sections"]:
        items = section["items"][:PDF_ITEMS]
        sections.append(
            {
                "title": section["title"],
                "side": "book" if section["key"] in ("cheques", "issued", "receipts") else "bank",
                "count": str(section["count"]),
                "total": _money(section["total"]),
                "more": (
                    f"… et {section['count'] - len(items)} autre(s) : voir l'export Excel."
                    if section["count"] > len(items)
                    else ""
                ),
                "items": [
                    {
                        "date": format_date(i["date"]),
                        "reference": i["reference"],
                        "label": i["label"],
                        "detail": i["detail"],
                        "age": f"{i['age']} j",
                        "old": i["old"],
                        "amount": _money(i["amount"]),
                    }
                    for i in items
                ],
            }
        )
    residual = to_decimal(snap["residual"]) if snap["residual"] is not None else None
    return {
        "title": "ÉTAT DE RAPPROCHEMENT",
        "as_of": as_of,
        "seller": seller_context(seller_snapshot(company), _logo_path(_Owner(company))),
        "account": {
            "name": snap["account"]["name"],
            "iban": format_iban(snap["account"]["iban"]),
            "ledger": snap["account"]["ledger_account"],
        },
        "book_balance": _money(snap["book_balance"]),
        "bank_balance": _money(snap["bank_balance"]) or "inconnu",
        "bank_note": bank_note,
        "book_items": _money(snap["book_items"]),
        "bank_items": _money(snap["bank_items"]),
        "adjusted_book": _money(snap["adjusted_book"]),
        "residual": _money(residual) if residual not in (None, ZERO) else "",
        "residual_note": snap.get("residual_note", ""),
        "old_days": str(snap["old_days"]),
        "sections": sections,
        "gaps": [
            f"Relevé {g['statement']} du {format_date(g['closing_date'])} : "
            + ", ".join(
                x
                for x in (
                    f"écart de solde {_money(g['balance_gap'])}" if g["balance_gap"] else "",
                    f"écart de chaînage {_money(g['chain_gap'])}" if g["chain_gap"] else "",
                )
                if x
            )
            for g in bank["gaps"]
        ],
        "validated": (
            f"Validé par {validated['by']} le {validated['at']}"
            if validated
            else "Document de travail : état non validé."
        ),
    }


class _Owner:
    """What `rendering._logo_path` reads: an object with a `company`."""

    def __init__(self, company):
        self.company = company


def bank_reconciliation_pdf(company, snap: dict, validated: dict | None = None) -> bytes:
    day = dt.date.fromisoformat(snap["as_of"])
    return render_pdf(
        "bank_reconciliation",
        bank_reconciliation_context(company, snap, validated),
        timestamp=dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC),
    )
