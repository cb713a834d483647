"""The archive: issued documents stored once, byte for byte, in a hash chain per company.

`archive_issued(invoice)` runs inside the issuing transaction: it renders the Factur-X
PDF, the CII XML and the UBL XML once, stores them, and appends one chain link per file
(see documents.models for the chain). `read()` gives back the stored bytes after checking
their hash; `verify_archive()` walks every chain and reports the first break.

Files are written before the links, under the issuing transaction: if that transaction
rolls back, its files stay behind without a record. They are harmless (no link points to
them, nothing serves them) and the next document to take the same number replaces them.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q

from encaisse import clock
from encaisse.companies.models import Company, NumberSequence
from encaisse.companies.sequences import lock_sequence
from encaisse.errors import Conflict, NotFound
from encaisse.sales.models import DocumentStatus, Invoice

from . import einvoice
from .models import GENESIS, ArchivedDocument, ArchiveFormat, chain_hash_of
from .storage import archive_storage

# The chain's head: the NumberSequence row (company, "archive", 0). Its lock serialises
# the writers of one company's chain; its counter is the last position handed out, so a
# deleted last link still shows.
HEAD_SERIES = "archive"
HEAD_YEAR = 0

SUFFIXES = {
    ArchiveFormat.PDF: ".pdf",
    ArchiveFormat.CII: "-factur-x.xml",
    ArchiveFormat.UBL: "-ubl.xml",
}
CONTENT_TYPES = {
    ArchiveFormat.PDF: "application/pdf",
    ArchiveFormat.CII: "application/xml",
    ArchiveFormat.UBL: "application/xml",
}
INVOICE_FORMATS = [ArchiveFormat.PDF, ArchiveFormat.CII, ArchiveFormat.UBL]


class ArchiveAltered(Conflict):
    """A stored file no longer matches its hash: it must not be served as the original."""

    def __init__(self, document: ArchivedDocument, problem: str):
        super().__init__(
            "archive_altered",
            f"Le document archivé {document.number} ({document.get_format_display()}) "
            f"n'est plus le document émis ({problem}). Lancez « encaisse verify-archive ».",
        )


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    data: bytes
    sha256: str


# ---------------------------------------------------------------- storing


def filename_for(number: str, format: str) -> str:
    # "/" is allowed in a number (BR-FR) but would make a sub-folder.
    return number.replace("/", "_") + SUFFIXES[format]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(storage, key: str, data: bytes) -> None:
    if storage.exists(key):
        if ArchivedDocument.objects.filter(storage_key=key).exists():
            raise Conflict("already_archived", f"{key} est déjà archivé ; rien n'a changé.")
        storage.delete(key)  # left by a rolled-back issue whose number is being reused
    saved = storage.save(key, ContentFile(data))
    if saved != key:  # a storage that renames instead of writing where it was told
        storage.delete(saved)
        raise RuntimeError(f"The archive storage wrote {saved!r} instead of {key!r}.")


def store(
    company: Company,
    *,
    kind: str,
    number: str,
    year: int,
    files: list[tuple[str, bytes]],
    invoice: Invoice | None = None,
) -> list[ArchivedDocument]:
    """Store `files` ([(format, bytes)]) of the document `kind` `number` and append one
    chain link each, in order; under the chain head's row lock until the transaction
    ends, so that two issuers of one company never fork the chain."""
    storage = archive_storage()
    written: list[str] = []
    try:
        with transaction.atomic():
            planned = []
            for format, data in files:
                filename = filename_for(number, format)
                key = f"{company.siren}/{year}/{filename}"
                _write(storage, key, data)
                written.append(key)
                planned.append((format, filename, key, len(data), sha256_of(data)))

            # Locked last and held to the commit: the rendering and writing above are
            # done without it, so issuers of one company queue for the inserts only.
            head = lock_sequence(company, HEAD_SERIES, HEAD_YEAR)
            previous = (
                ArchivedDocument.objects.filter(company=company)
                .order_by("-position")
                .values_list("chain_hash", flat=True)
                .first()
            ) or GENESIS
            now = clock.now()
            links = []
            for format, filename, key, size, digest in planned:
                head.last_number += 1
                fields = {
                    "position": head.last_number,
                    "kind": kind,
                    "number": number,
                    "format": format,
                    "storage_key": key,
                    "size": size,
                    "sha256": digest,
                    "created_at": now,
                }
                chain_hash = chain_hash_of(previous=previous, **fields)
                links.append(
                    ArchivedDocument.objects.create(
                        company=company,
                        invoice=invoice,
                        filename=filename,
                        previous_sha256=previous,
                        chain_hash=chain_hash,
                        **fields,
                    )
                )
                previous = chain_hash
            head.last_date = clock.today()
            head.save(update_fields=["last_number", "last_date"])
    except BaseException:
        for key in written:
            # if this fails the file stays an orphan, replaced by the next writer of the key
            with contextlib.suppress(OSError):
                storage.delete(key)
        raise
    return links


def archive_issued(invoice: Invoice) -> list[ArchivedDocument]:
    """Render and store the Factur-X PDF, the CII XML and the UBL XML of an issued invoice
    or credit note: three links of its company's chain. Called by `issue_invoice`, in its
    transaction: if archiving fails, the document is not issued."""
    if invoice.status != DocumentStatus.ISSUED:
        raise Conflict("not_issued", "Seul un document émis peut être archivé.")
    # Imported here: Typst is loaded on first use, not by every process importing this.
    from .rendering import facturx_pdf

    cii = einvoice.cii_xml(invoice)  # stored as is and embedded in the PDF: built once
    files = {
        ArchiveFormat.PDF: facturx_pdf(invoice, cii),
        ArchiveFormat.CII: cii,
        ArchiveFormat.UBL: einvoice.ubl_xml(invoice),
    }
    return store(
        invoice.company,
        kind=invoice.kind,
        number=invoice.number,
        year=invoice.issue_date.year,
        files=[(format, files[format]) for format in INVOICE_FORMATS],
        invoice=invoice,
    )


# ---------------------------------------------------------------- reading


def archived(invoice: Invoice, format: str) -> ArchivedDocument:
    """The archive record of `invoice` in `format`; Conflict for a draft."""
    if format not in ArchiveFormat.values:
        raise NotFound("Format de document inconnu.")
    if invoice.status != DocumentStatus.ISSUED:
        raise Conflict(
            "not_issued",
            "Un brouillon n'a pas encore de document : le PDF et les fichiers Factur-X et "
            "UBL sont produits et archivés à l'émission.",
        )
    document = ArchivedDocument.objects.filter(invoice=invoice, format=format).first()
    if document is None:
        raise NotFound(
            f"Aucun document archivé pour {invoice} dans ce format.", code="not_archived"
        )
    return document


MISSING_FILE = "fichier introuvable"
CHANGED_FILE = "fichier modifié : son empreinte SHA-256 ne correspond plus à celle archivée"


def _stored_bytes(storage, document: ArchivedDocument) -> tuple[bytes | None, str | None]:
    """(the file's bytes, None) when intact, else (None, what is wrong)."""
    if not storage.exists(document.storage_key):
        return None, MISSING_FILE
    with storage.open(document.storage_key, "rb") as handle:
        data = handle.read()
    if len(data) != document.size or sha256_of(data) != document.sha256:
        return None, CHANGED_FILE
    return data, None


def fetch(invoice: Invoice, format: str) -> Download:
    """The stored file of `invoice` in `format`, checked against its hash, with the name
    and content type to serve it under."""
    document = archived(invoice, format)
    data, problem = _stored_bytes(archive_storage(), document)
    if problem:
        raise ArchiveAltered(document, problem)
    return Download(document.filename, CONTENT_TYPES[document.format], data, document.sha256)


def read(invoice: Invoice, format: str) -> bytes:
    """The stored bytes of `invoice` in `format`; ArchiveAltered if they changed."""
    return fetch(invoice, format).data


# ---------------------------------------------------------------- verifying


@dataclass
class Break:
    """The first thing wrong in a chain: where (position, document) and what."""

    position: int | None
    number: str
    format: str
    problem: str

    def __str__(self):
        parts = [f"maillon {self.position}" if self.position else "hors chaîne"]
        if self.number:
            parts.append(f"{self.number} ({self.format})" if self.format else self.number)
        return f"{', '.join(parts)} : {self.problem}"


@dataclass
class ChainReport:
    company: Company
    checked: int = 0
    last_hash: str = GENESIS
    broken: Break | None = None


@dataclass
class ArchiveReport:
    chains: list[ChainReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(chain.broken is None for chain in self.chains)


def _missing(first: int, last: int) -> str:
    if first == last:
        return f"maillon {first} manquant"
    return f"maillons {first} à {last} manquants"


def _link_problem(document, *, expected, previous, head, storage) -> str | None:
    if document.position > head:
        return f"maillon inséré : le compteur de la chaîne n'a délivré que {head} rang(s)"
    if document.position != expected:
        return f"{_missing(expected, document.position - 1)} (enregistrement supprimé)"
    if document.previous_sha256 != previous:
        return (
            "ne suit pas le maillon précédent : un maillon a été inséré, supprimé ou "
            "modifié avant lui"
        )
    if document.expected_chain_hash() != document.chain_hash:
        return "enregistrement modifié : son empreinte de chaîne ne correspond plus"
    if document.invoice_id is not None and (
        document.invoice.number != document.number
        or document.invoice.company_id != document.company_id
    ):
        return "rattaché à un autre document que celui archivé"
    return _stored_bytes(storage, document)[1]


def _head(company: Company) -> int:
    return (
        NumberSequence.objects.filter(company=company, document_type=HEAD_SERIES, year=HEAD_YEAR)
        .values_list("last_number", flat=True)
        .first()
    ) or 0


def _unarchived(company: Company) -> Invoice | None:
    """The first issued invoice or credit note missing one of its archived files."""
    return (
        Invoice.objects.filter(company=company, status=DocumentStatus.ISSUED)
        .annotate(
            stored=Count(
                "archived_documents",
                filter=Q(archived_documents__format__in=INVOICE_FORMATS),
            )
        )
        .filter(stored__lt=len(INVOICE_FORMATS))
        .order_by("issue_date", "kind", "sequence_number")
        .first()
    )


def verify_chain(company: Company, storage=None) -> ChainReport:
    storage = storage or archive_storage()
    report = ChainReport(company)
    head = _head(company)
    links = (
        ArchivedDocument.objects.filter(company=company)
        .select_related("invoice")
        .order_by("position")
    )
    for document in links.iterator(chunk_size=500):
        problem = _link_problem(
            document,
            expected=report.checked + 1,
            previous=report.last_hash,
            head=head,
            storage=storage,
        )
        if problem:
            report.broken = Break(
                document.position, document.number, document.get_format_display(), problem
            )
            return report
        report.checked += 1
        report.last_hash = document.chain_hash
    if head > report.checked:
        report.broken = Break(
            report.checked + 1,
            "",
            "",
            f"{_missing(report.checked + 1, head)} en fin de chaîne (enregistrement supprimé)",
        )
        return report
    missing = _unarchived(company)
    if missing is not None:
        report.broken = Break(
            None, missing.number, "", "document émis dont un fichier n'est pas archivé"
        )
    return report


def verify_archive(company: Company | None = None) -> ArchiveReport:
    """Walk the chain of `company` (default: every company) and report the first break
    of each: changed file byte, missing file, changed, missing or inserted record."""
    companies = [company] if company is not None else Company.objects.order_by("siren")
    storage = archive_storage()
    return ArchiveReport([verify_chain(c, storage) for c in companies])
