"""The état de rapprochement and the cash forecast as spreadsheets: numbers as numbers,
dates as dates, every section and every item."""

import datetime as dt
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from encaisse.reporting.exports import MONEY_FORMAT

DATE_FORMAT = "DD/MM/YYYY"


def _money(value):
    return None if value is None else Decimal(str(value))


def _day(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def reconciliation_xlsx(snap: dict) -> bytes:
    """One sheet: the balances, then each section with its items and total."""
    book = Workbook()
    sheet = book.active
    sheet.title = "État de rapprochement"
    as_of = _day(snap["as_of"])
    account = snap["account"]
    sheet.append([f"État de rapprochement au {as_of:%d/%m/%Y}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([f"{account['name']} — {account['iban']} — compte {account['ledger_account']}"])
    sheet.append([])
    summary = [
        ("Solde comptable", snap["book_balance"]),
        ("+ Opérations bancaires non comptabilisées", snap["bank_items"]),
        ("− Écritures non passées en banque", snap["book_items"]),
        ("= Solde comptable rapproché", snap["adjusted_book"]),
        ("Solde bancaire", snap["bank_balance"]),
        ("Écart non expliqué", snap["residual"]),
    ]
    for label, value in summary:
        sheet.append(["", label, "", "", "", _money(value)])
        sheet.cell(sheet.max_row, 6).number_format = MONEY_FORMAT
    if snap.get("residual_note"):
        sheet.append(["", snap["residual_note"]])
    for section in snap["sections"]:
        sheet.append([])
        sheet.append([f"{section['title']} ({section['count']})"])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        sheet.append(["Date", "Pièce", "Libellé", "Détail", "Âge (jours)", "Montant", "Ancien"])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for item in section["items"]:
            sheet.append(
                [
                    _day(item["date"]),
                    item["reference"],
                    item["label"],
                    item["detail"],
                    item["age"],
                    _money(item["amount"]),
                    "oui" if item["old"] else "",
                ]
            )
            sheet.cell(sheet.max_row, 1).number_format = DATE_FORMAT
            sheet.cell(sheet.max_row, 6).number_format = MONEY_FORMAT
        sheet.append(["Total", "", "", "", "", _money(section["total"])])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        sheet.cell(sheet.max_row, 6).number_format = MONEY_FORMAT
    for column, width in zip("ABCDEFG", (12, 16, 46, 30, 11, 16, 8), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def forecast_xlsx(result, series) -> bytes:
    """Sheet 1: the 13 weeks; sheet 2: the balances by value date, one column per account."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Prévision 13 semaines"
    sheet.append([f"Trésorerie prévisionnelle au {result.today:%d/%m/%Y}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(
        [
            "Semaine",
            "Du",
            "Au",
            "Solde d'ouverture",
            "Encaissements attendus",
            "Opérations bancaires connues",
            "Solde de clôture",
            "Sous le seuil",
        ]
    )
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for week in result.weeks:
        sheet.append(
            [
                week.number,
                week.start,
                week.end,
                week.opening,
                week.receipts,
                week.known,
                week.closing,
                "oui" if week.below else "",
            ]
        )
        for col in (2, 3):
            sheet.cell(sheet.max_row, col).number_format = DATE_FORMAT
        for col in (4, 5, 6, 7):
            sheet.cell(sheet.max_row, col).number_format = MONEY_FORMAT
    sheet.append([])
    sheet.append(["En retard (échu avant aujourd'hui)", "", "", "", result.overdue])
    sheet.append(["Au-delà de 13 semaines", "", "", "", result.later])
    if result.threshold is not None:
        sheet.append(["Seuil d'alerte", "", "", "", result.threshold])
    for row in sheet.iter_rows(min_row=sheet.max_row - 2, min_col=5, max_col=5):
        for cell in row:
            cell.number_format = MONEY_FORMAT
    for column, width in zip("ABCDEFGH", (34, 12, 12, 18, 18, 18, 18, 12), strict=True):
        sheet.column_dimensions[column].width = width
    balances = book.create_sheet("Soldes en valeur")
    balances.append(["Date", *[s.account.name for s in series], "Total"])
    for cell in balances[1]:
        cell.font = Font(bold=True)
    if series:
        for index, (day, _) in enumerate(series[0].points):
            amounts = [s.points[index][1] for s in series]
            balances.append([day, *amounts, sum(amounts, Decimal("0.00"))])
            balances.cell(balances.max_row, 1).number_format = DATE_FORMAT
            for col in range(2, len(amounts) + 3):
                balances.cell(balances.max_row, col).number_format = MONEY_FORMAT
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
