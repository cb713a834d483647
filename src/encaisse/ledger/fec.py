"""The Fichier des Écritures Comptables (LPF art. A.47 A-1).

18 columns in the order of the text, tab-separated, one header line, dates AAAAMMJJ,
amounts with a comma and no thousands separator, debit and credit in two columns,
entries in the order they were validated with their continuous numbers; file name
SIRENFECAAAAMMJJ.txt from the closing date. Encoded ISO 8859-15 (one of the encodings
the text lists), lines ended by CR LF.
"""

import datetime as dt

from django.db.models import Sum

from encaisse.errors import ValidationFailed

from .chart import CUSTOMERS, DOUBTFUL, customer_account_code
from .models import FiscalYear, JournalEntry, JournalLine

COLUMNS = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
]
SEPARATOR = "\t"
ENCODING = "iso-8859-15"


def _date(day: dt.date | None) -> str:
    return day.strftime("%Y%m%d") if day else ""


def _amount(value) -> str:
    return f"{value:.2f}".replace(".", ",")


def _text(value: str) -> str:
    """No separator or line break may appear inside a field."""
    return " ".join(str(value).replace(SEPARATOR, " ").split())


def fiscal_period(company, year: int) -> tuple[dt.date, dt.date]:
    """The fiscal year ending in `year` (a declared one, else the calendar year)."""
    declared = FiscalYear.objects.filter(company=company, end__year=year).first()
    if declared is not None:
        return declared.start, declared.end
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def file_name(company, closing: dt.date) -> str:
    return f"{company.siren}FEC{_date(closing)}.txt"


def fec_lines(company, start: dt.date, end: dt.date) -> list[str]:
    entries = JournalEntry.objects.filter(company=company, date__range=(start, end))
    debit = entries.aggregate(d=Sum("lines__debit"), c=Sum("lines__credit"))
    if debit["d"] != debit["c"]:
        raise ValidationFailed(
            "unbalanced_ledger", "Les écritures de l'exercice ne sont pas équilibrées."
        )
    rows = (
        JournalLine.objects.filter(entry__in=entries)
        .select_related("entry", "account", "customer")
        .order_by("entry__validated_on", "entry__year", "entry__number", "id")
    )
    lines = [SEPARATOR.join(COLUMNS)]
    for row in rows:
        entry = row.entry
        # Doubtful debts (416) stay in the customer's subledger, like 411.
        aux = row.customer is not None and row.account.number in (CUSTOMERS, DOUBTFUL)
        lines.append(
            SEPARATOR.join(
                [
                    entry.journal,
                    _text(entry.get_journal_display()),
                    f"{entry.year}-{entry.number:06d}",
                    _date(entry.date),
                    row.account.number,
                    _text(row.account.label),
                    customer_account_code(row.customer) if aux else "",
                    _text(row.customer.legal_name) if aux else "",
                    _text(entry.piece_ref),
                    _date(entry.piece_date),
                    _text(row.label),
                    _amount(row.debit),
                    _amount(row.credit),
                    "",
                    "",
                    _date(entry.validated_on),
                    "",
                    "",
                ]
            )
        )
    return lines


def export_fec(company, year: int) -> tuple[str, bytes]:
    """(file name, content) of the FEC of the fiscal year ending in `year`."""
    start, end = fiscal_period(company, year)
    content = "\r\n".join(fec_lines(company, start, end)) + "\r\n"
    return file_name(company, end), content.encode(ENCODING, errors="replace")
