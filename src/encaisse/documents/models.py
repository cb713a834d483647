"""The archive of issued documents: one append-only row per stored file, chained per company.

The chain
---------
Each company's archived files form one chain of links numbered 1, 2, 3... (`position`,
continuous, under the per-company head row `NumberSequence(company, "archive", 0)`). A
link records the file's SHA-256 (`sha256`) and size, and:

- `previous_sha256`: the `chain_hash` of the link before it (64 zeros for link 1);
- `chain_hash` = SHA-256 of the text
  ``encaisse-archive-1|previous_sha256|position|kind|number|format|storage_key|size|
  sha256|created_at (UTC, microseconds)``.

So each link's hash covers its own fields, its file's content, and through
`previous_sha256` every link before it. `documents.archive.verify_archive` walks the chain
in position order and reports the first:

- changed file byte: the stored file's SHA-256 (or size) differs from `sha256`;
- missing file: the storage no longer has `storage_key`;
- changed record: its recomputed `chain_hash` differs from the stored one (and, if the
  forger recomputed that too, the next link's `previous_sha256` no longer matches);
- deleted record: a gap in the positions, the next link's `previous_sha256` pointing at a
  hash that is not the one before it; a deleted last link: the head's counter is beyond
  the last position, and the issued document has no archive any more;
- inserted record: a position the head never handed out (beyond the counter) or a
  `previous_sha256`/`chain_hash` that does not follow; a position cannot be reused in the
  middle (unique constraint, and rows cannot be renumbered: the triggers refuse updates).

Rewriting the whole tail of a chain consistently (every hash recomputed, the head counter
moved) with the triggers dropped is not detectable from the database alone: the last
`chain_hash` that `encaisse verify-archive` prints is the value to keep outside (a
printed register, an e-mail to the accountant) to anchor the chain.

Rows are append-only: `save()` refuses an update, `delete()` refuses, and database
triggers (migration 0002) refuse UPDATE and DELETE from plain SQL.
"""

import datetime as dt
import hashlib

from django.db import models

from encaisse.errors import Conflict

GENESIS = "0" * 64
CHAIN_VERSION = "encaisse-archive-1"


class ArchiveFormat(models.TextChoices):
    PDF = "pdf", "PDF Factur-X"
    CII = "cii", "Factur-X (XML CII)"
    UBL = "ubl", "UBL 2.1"


class ArchiveAppendOnly(Conflict):
    def __init__(self):
        super().__init__(
            "archive_append_only",
            "Un document archivé ne peut être ni modifié ni supprimé.",
        )


def link_text(
    *,
    previous: str,
    position: int,
    kind: str,
    number: str,
    format: str,
    storage_key: str,
    size: int,
    sha256: str,
    created_at: dt.datetime,
) -> str:
    """The text a link's chain_hash is the SHA-256 of (see the module docstring)."""
    when = created_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    fields = [CHAIN_VERSION, previous, position, kind, number, format, storage_key, size]
    return "|".join(str(f) for f in [*fields, sha256, when])


def chain_hash_of(**fields) -> str:
    return hashlib.sha256(link_text(**fields).encode()).hexdigest()


class ArchivedDocument(models.Model):
    """One stored file of an issued document (its PDF, its CII XML, its UBL XML), one link
    of its company's chain. `kind` and `number` name the document so that documents other
    than invoices (statements, dunning letters) can be archived with `invoice` empty."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField("rang dans la chaîne")
    invoice = models.ForeignKey(
        "sales.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="archived_documents",
    )
    kind = models.CharField("type de document", max_length=20)
    number = models.CharField("numéro", max_length=35)
    format = models.CharField(max_length=10, choices=ArchiveFormat.choices)
    filename = models.CharField("nom du fichier", max_length=120)
    storage_key = models.CharField("emplacement", max_length=255, unique=True)
    size = models.PositiveBigIntegerField("taille (octets)")
    sha256 = models.CharField("SHA-256 du fichier", max_length=64)
    previous_sha256 = models.CharField("empreinte du maillon précédent", max_length=64)
    chain_hash = models.CharField("empreinte du maillon", max_length=64)
    created_at = models.DateTimeField("archivé le")

    class Meta:
        verbose_name = "document archivé"
        verbose_name_plural = "documents archivés"
        ordering = ["company", "position"]
        constraints = [
            models.UniqueConstraint(fields=["company", "position"], name="archive_position_unique"),
            models.UniqueConstraint(
                fields=["company", "kind", "number", "format"], name="archive_document_unique"
            ),
        ]
        indexes = [models.Index(fields=["invoice", "format"])]

    def __str__(self):
        return f"{self.number} ({self.get_format_display()}) — maillon {self.position}"

    def expected_chain_hash(self) -> str:
        """The chain_hash these fields give; differs from `chain_hash` if a field changed."""
        return chain_hash_of(
            previous=self.previous_sha256,
            position=self.position,
            kind=self.kind,
            number=self.number,
            format=self.format,
            storage_key=self.storage_key,
            size=self.size,
            sha256=self.sha256,
            created_at=self.created_at,
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ArchiveAppendOnly()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ArchiveAppendOnly()
