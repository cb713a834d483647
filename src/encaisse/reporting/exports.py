"""The aged balance as a real spreadsheet (numbers as numbers, totals as formulas) and
as CSV (French conventions: semicolon, comma decimals)."""

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .aged_balance import AgedBalance

MONEY_FORMAT = '#,##0.00 "€";-#,##0.00 "€"'


def _headers(result: AgedBalance) -> list[str]:
    return ["Client", *[b.label for b in result.buckets], "Crédits non lettrés", "Solde"]


def aged_balance_xlsx(result: AgedBalance) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Balance âgée"
    sheet.append([f"Balance âgée au {result.as_of:%d/%m/%Y}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(_headers(result))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    n = len(result.buckets)
    first_row = 3
    for offset, row in enumerate(result.rows):
        line = first_row + offset
        first_bucket, last_bucket = get_column_letter(2), get_column_letter(1 + n)
        credits = get_column_letter(2 + n)
        sheet.append(
            [
                row.customer_name,
                *row.amounts,
                row.unapplied,
                f"=SUM({first_bucket}{line}:{last_bucket}{line})-{credits}{line}",
            ]
        )
    last_row = first_row + len(result.rows) - 1
    total_row = ["Total"]
    for column in range(2, n + 4):
        letter = get_column_letter(column)
        total_row.append(f"=SUM({letter}{first_row}:{letter}{last_row})" if result.rows else 0)
    sheet.append(total_row)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=first_row, min_col=2):
        for cell in row:
            cell.number_format = MONEY_FORMAT
    sheet.column_dimensions["A"].width = 40
    for column in range(2, n + 4):
        sheet.column_dimensions[get_column_letter(column)].width = 16
    sheet.freeze_panes = "B3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def aged_balance_csv(result: AgedBalance) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(_headers(result))

    def amount(value):
        return f"{value:.2f}".replace(".", ",")

    for row in result.rows:
        writer.writerow(
            [
                row.customer_name,
                *map(amount, row.amounts),
                amount(row.unapplied),
                amount(row.balance),
            ]
        )
    writer.writerow(
        ["Total", *map(amount, result.totals), amount(result.unapplied), amount(result.balance)]
    )
    return out.getvalue()
