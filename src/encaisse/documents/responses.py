"""Serving an archived file over HTTP, the same way for the web UI and the API."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from .archive import Download


def attachment(download: Download) -> HttpResponse:
    """The stored bytes as they are, to save under the document's name; the ETag is the
    SHA-256 recorded in the archive, so a client can check what it got."""
    return HttpResponse(
        download.data,
        content_type=download.content_type,
        headers={
            "Content-Disposition": content_disposition_header(True, download.filename),
            "ETag": f'"{download.sha256}"',
            "Cache-Control": "private, no-cache",
        },
    )


def pdf_inline(data: bytes, filename: str) -> HttpResponse:
    """A PDF made on demand (a statement, a remittance slip), shown in the browser and
    saved under `filename`; not cached, since it is the records as they are now."""
    return HttpResponse(
        data,
        content_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition_header(False, filename),
            "Cache-Control": "private, no-cache",
        },
    )
