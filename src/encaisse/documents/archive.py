"""The archive: issued documents stored once, byte for byte, in a hash chain per company.

Issuing commits the document frozen and numbered, and queues the job `documents.render`
(documents/jobs.py) in the same transaction. The job calls `archive_issued(invoice)`: it
renders the Factur-X PDF, the CII XML and the UBL XML outside any lock, then `append`s
them in one short transaction that locks the document's row (two executions of its job
queue there), checks whether it is archived already (then it does nothing: at least once,
idempotent, the same document is never archived twice), writes the files and appends one
chain link per file under the chain head's lock (see documents.models for the chain).
The chain is therefore in the order documents were rendered, not in number order.
`read()` gives back the stored bytes after checking their hash; `verify_archive()` walks
every chain and reports the first break, and the issued documents still without their
files after a grace time.

Files are written before the links, in that short transaction: if it rolls back (or its
worker dies before the commit), its files stay behind without a record. They are harmless
(no link points to them, nothing serves them) and the job's next attempt replaces them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from encaisse import clock
from encaisse.companies.models import Company, NumberSequence
from encaisse.companies.sequences import lock_sequence
from encaisse.errors import Conflict, NotFound
from encaisse.jobs.models import Job, JobState
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


class DocumentNotReady(Conflict):
    """An issued document whose files are still being rendered (the job that archives
    them runs within seconds of the issue): ask again in a moment."""

    def __init__(self, invoice: Invoice):
        super().__init__(
            "document_not_ready",
            f"Le document de {invoice} est en cours de génération : il sera disponible "
            "dans quelques secondes.",
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


def is_archived(invoice: Invoice) -> bool:
    """Whether the files of `invoice` are in the archive (all or none: `append` stores
    the three in one transaction)."""
    return ArchivedDocument.objects.filter(invoice=invoice).exists()


def render_files(invoice: Invoice) -> list[tuple[str, bytes]]:
    """The Factur-X PDF, the CII XML and the UBL XML of an issued invoice or credit note,
    rendered from what was frozen at issue; writes nothing, takes no lock."""
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
    return [(format, files[format]) for format in INVOICE_FORMATS]


def append(invoice: Invoice, files: list[tuple[str, bytes]]) -> list[ArchivedDocument]:
    """Store the rendered `files` of `invoice` as links of its company's chain, unless it
    is archived already: then nothing is written and its links are returned. One short
    transaction: the document's row is locked first, so that two executions of its render
    job never both write (the second waits, then finds the first's links), then the
    chain head (in `store`)."""
    with transaction.atomic():
        Invoice.objects.select_for_update(of=("self",)).filter(pk=invoice.pk).values("pk").get()
        existing = list(ArchivedDocument.objects.filter(invoice=invoice).order_by("position"))
        if existing:
            return existing
        return store(
            invoice.company,
            kind=invoice.kind,
            number=invoice.number,
            year=invoice.issue_date.year,
            files=files,
            invoice=invoice,
        )


def archive_issued(invoice: Invoice) -> list[ArchivedDocument]:
    """Render and store the Factur-X PDF, the CII XML and the UBL XML of an issued invoice
    or credit note: three links of its company's chain. Run by the job `documents.render`
    after the issue has committed; at least once and idempotent: a document archived
    already is neither rendered nor stored again."""
    if invoice.status != DocumentStatus.ISSUED:
        raise Conflict("not_issued", "Seul un document émis peut être archivé.")
    existing = list(ArchivedDocument.objects.filter(invoice=invoice).order_by("position"))
    if existing:
        return existing
    return append(invoice, render_files(invoice))


# ---------------------------------------------------------------- reading


def archived(invoice: Invoice, format: str) -> ArchivedDocument:
    """The archive record of `invoice` in `format`; Conflict for a draft, and
    DocumentNotReady (409 `document_not_ready`) for a document issued but not archived
    yet (its render job has not run)."""
    if format not in ArchiveFormat.values:
        raise NotFound("Format de document inconnu.")
    if invoice.status != DocumentStatus.ISSUED:
        raise Conflict(
            "not_issued",
            "Un brouillon n'a pas encore de document : le PDF et les fichiers Factur-X et "
            "UBL sont produits et archivés à l'émission.",
        )
    document = ArchivedDocument.objects.filter(invoice=invoice, format=format).first()
    if document is None and not is_archived(invoice):
        raise DocumentNotReady(invoice)
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
    # Issued documents whose files are not archived yet, within the grace time: « en
    # cours » (their render job has not run yet), not a break.
    pending: list[str] = field(default_factory=list)


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


# How long an issued document may wait for its files before verify-archive calls it a
# problem: its render job runs within seconds; minutes mean a stopped worker or a failure.
GRACE = dt.timedelta(minutes=10)


def _unarchived(company: Company):
    """The issued invoices and credit notes missing one of their archived files, oldest
    issue first."""
    return (
        Invoice.objects.filter(company=company, status=DocumentStatus.ISSUED)
        .annotate(
            stored=Count(
                "archived_documents",
                filter=Q(archived_documents__format__in=INVOICE_FORMATS),
            )
        )
        .filter(stored__lt=len(INVOICE_FORMATS))
        .order_by("issued_at", "issue_date", "kind", "sequence_number")
    )


def _render_jobs(invoices) -> dict[int, tuple[str, dt.datetime]]:
    """{invoice id: (state, when queued) of its render job} for those that have one."""
    from .jobs import render_key

    keys = {render_key(invoice.pk): invoice.pk for invoice in invoices}
    rows = Job.objects.filter(key__in=list(keys)).values_list("key", "state", "created_at")
    return {keys[key]: (state, created) for key, state, created in rows}


def verify_chain(company: Company, storage=None, grace: dt.timedelta = GRACE) -> ChainReport:
    """Walk `company`'s chain in position order (the order documents were archived in,
    which is the order they were rendered in, not their numbers' order: nothing here
    compares a link's number with its neighbours'), then look for issued documents
    without their files: a break when issued more than `grace` ago, else pending."""
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
    cutoff = timezone.now() - grace
    missing = list(_unarchived(company).only("number", "issued_at"))
    jobs = _render_jobs(missing)
    for invoice in missing:
        # Waiting since its render job was queued (at the issue's commit; the demo issues
        # on past days, so its issued_at says nothing of that), else since its issue. A
        # job done means the files were archived: missing now, they were removed.
        state, since = jobs.get(invoice.pk, (None, invoice.issued_at))
        if state == JobState.DONE:
            problem = "document émis dont un fichier n'est pas archivé"
        elif since is not None and since >= cutoff:
            report.pending.append(invoice.number)
            continue
        else:
            minutes = int(grace.total_seconds() // 60)
            problem = (
                f"document émis dont un fichier n'est pas archivé (depuis plus de {minutes} min)"
            )
        report.broken = Break(None, invoice.number, "", problem)
        break
    return report


def verify_archive(company: Company | None = None, *, grace: dt.timedelta = GRACE) -> ArchiveReport:
    """Walk the chain of `company` (default: every company) and report the first break
    of each: changed file byte, missing file, changed, missing or inserted record, an
    issued document still without its files `grace` after its issue (younger ones are
    listed as pending: their render job is on its way)."""
    companies = [company] if company is not None else Company.objects.order_by("siren")
    storage = archive_storage()
    return ArchiveReport([verify_chain(c, storage, grace) for c in companies])
