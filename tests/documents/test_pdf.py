"""PDF rendering: every case is a valid Factur-X PDF/A-3b whose text says what it must.

Set ENCAISSE_PDF_DUMP=/some/dir to keep the rendered PDFs (to look at them).
"""

import io
import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from encaisse.documents import rendering, validation

from .conftest import CASES

NNBSP, NBSP = "\u202f", "\u00a0"


def dump(name: str, pdf: bytes) -> None:
    folder = os.environ.get("ENCAISSE_PDF_DUMP")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.pdf").write_bytes(pdf)


def text_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def xmp(pdf: bytes) -> bytes:
    return PdfReader(io.BytesIO(pdf)).xmp_metadata.stream.get_data()


@pytest.mark.parametrize("case", CASES)
def test_every_case_is_a_valid_facturx_pdf(build, case):
    invoice = build(case)
    pdf = rendering.facturx_pdf(invoice)
    dump(case, pdf)
    report = validation.validate(pdf)
    assert report.ok, "\n".join(str(f) for f in report.fatal)
    metadata = xmp(pdf)
    assert re.search(rb"<pdfaid:part>3</pdfaid:part>", metadata)
    assert re.search(rb"<pdfaid:conformance>B</pdfaid:conformance>", metadata)
    text = "\n".join(text_of(pdf))
    assert invoice.number in text
