"""Excel exports of the lists: numbers as numbers, dates as dates, one header row."""

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "DD/MM/YYYY"


class Column:
    def __init__(self, title: str, value, *, width: int = 16, money: bool = False):
        self.title = title
        self.value = value  # a callable: row -> cell value
        self.width = width
        self.money = money


def xlsx_response(filename: str, title: str, columns: list[Column], rows) -> HttpResponse:
    """A one-sheet workbook of `rows`; streaming-friendly (write-only mode) for long lists."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_cell(sheet, column, column.value(row)) for column in columns])
    response = HttpResponse(content_type=XLSX)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    workbook.save(response)
    return response


def _cell(sheet, column: Column, value):
    if isinstance(value, Decimal):
        # openpyxl stores a Decimal as a number; Excel has no decimal type, and at the
        # cent a double is exact enough for display and sums of a list.
        cell = WriteOnlyCell(sheet, value=value)
        if column.money:
            cell.number_format = MONEY_FORMAT
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    return value
