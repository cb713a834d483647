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
    count = _count(rows)
    if job is not None:
        from encaisse.jobs.runner import progress

        progress(job, 0, count)

        def counted():
            for done, row in enumerate(_iterate(rows), start=1):
                if done % PROGRESS_EVERY == 0:
                    progress(job, done, count)
                yield row

        name = f"{filename}-{timezone.localdate().isoformat()}.xlsx"
        return _store(job, name, count, _workbook(title, columns, counted()).save)
    if count <= INLINE_ROWS:
        return xlsx_response(filename, title, columns, _iterate(rows))
    return _start(request, title, count)


def export_content(request, name: str, content_type: str, title: str, count: int, make):
    """The same for an export whose file is made at once (`make()` -> bytes: the aged
    balance with its formulas): given as `name` up to INLINE_ROWS rows, else by a job."""
    job = getattr(request, "export_job", None)
    if job is not None:
        return _store(job, name, count, lambda out: out.write(make()))
    if count <= INLINE_ROWS:
        response = HttpResponse(make(), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return _start(request, title, count)


def _start(request, title: str, count: int):
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


def _store(job, name: str, count: int, write) -> dict:
    """`write(file)` into a temporary file, then into the default storage: a folder of the
    data directory, or a shared one (S3...) when the application servers and the workers
    are different machines."""
    with tempfile.TemporaryFile() as out:
        write(out)
        out.seek(0)
        stored = default_storage.save(f"exports/{job.company_id}/{job.pk}-{name}", File(out))
    return {"file": stored, "filename": name, "rows": count}


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
