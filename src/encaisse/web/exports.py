"""Excel exports of the lists: numbers as numbers, dates as dates, one header row.

`export(request, ...)`: up to INLINE_ROWS rows the file is the answer; beyond, the export
runs as a job (`web.export`, web/jobs.py) that writes the file into the default storage,
and the user is sent to the job's page: its progress bar, then the download link.
"""

import datetime as dt
import tempfile
from decimal import Decimal
from urllib.parse import urlsplit

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
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


# Beyond this many rows an export runs in the background (a job with its progress bar).
INLINE_ROWS = 10_000
PROGRESS_EVERY = 1_000


def export(request, filename: str, title: str, columns: list[Column], rows):
    """The export of a list view: `rows` a queryset (or a list). Small: the file at once.
    Large: a job that builds it (the view is called again in the job, with the same
    query string, user and company, and `request.export_job` set), and a redirect to the
    job's page. In the job: the file is written to the storage and its name returned."""
    job = getattr(request, "export_job", None)
    if job is not None:
        return _export_file(job, filename, title, columns, rows)
    count = _count(rows)
    if count <= INLINE_ROWS:
        return xlsx_response(filename, title, columns, _iterate(rows))
    from encaisse.jobs.runner import enqueue

    # The page the export was asked from (the list with its filters), for a way back.
    referer = request.headers.get("referer", "")
    back = ""
    if url_has_allowed_host_and_scheme(referer, {request.get_host()}):
        parts = urlsplit(referer)
        back = parts.path + (f"?{parts.query}" if parts.query else "")
    started = enqueue(
        "web.export",
        company=request.company,
        by=request.user,
        label=f"Export « {title} » ({count:,} lignes)".replace(",", "\u202f"),
        path=request.path,
        query=request.GET.urlencode(),
        back=back,
    )
    return redirect("web:job_detail", started.pk)


def _count(rows) -> int:
    return len(rows) if isinstance(rows, list | tuple) else rows.count()


def _iterate(rows):
    return rows.iterator() if hasattr(rows, "iterator") else rows


def _export_file(job, filename: str, title: str, columns: list[Column], rows) -> dict:
    from encaisse.jobs.runner import progress

    total = _count(rows)
    progress(job, 0, total)

    def counted():
        for done, row in enumerate(_iterate(rows), start=1):
            if done % PROGRESS_EVERY == 0:
                progress(job, done, total)
            yield row

    workbook = _workbook(title, columns, counted())
    name = f"{filename}-{timezone.localdate().isoformat()}.xlsx"
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
        out.seek(0)
        # The default storage: a folder of the data directory, or a shared one (S3...)
        # when the application servers and the workers are different machines.
        stored = default_storage.save(f"exports/{job.company_id}/{job.pk}-{name}", File(out))
    return {"file": stored, "filename": name, "rows": total}


def xlsx_response(filename: str, title: str, columns: list[Column], rows) -> HttpResponse:
    """A one-sheet workbook of `rows`; streaming-friendly (write-only mode) for long lists."""
    workbook = _workbook(title, columns, rows)
    response = HttpResponse(content_type=XLSX)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    workbook.save(response)
    return response


def _workbook(title: str, columns: list[Column], rows) -> Workbook:
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
    return workbook


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
