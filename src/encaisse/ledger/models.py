"""Journal entries, append-only, and the fiscal years that close them."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Journal(models.TextChoices):
    SALES = "VE", "Ventes"
    BANK = "BQ", "Banque"
    MISC = "OD", "Opérations diverses"


class Account(models.Model):
    """An account of the company's chart (PCG numbering)."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    number = models.CharField("numéro", max_length=20)
    label = models.CharField("intitulé", max_length=100)

    class Meta:
        ordering = ["number"]
        verbose_name = "compte"
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="account_unique")]

    def __str__(self):
        return f"{self.number} {self.label}"


class FiscalYear(models.Model):
    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    start = models.DateField("début")
    end = models.DateField("clôture")
    closed_on = models.DateField("clôturé le", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-start"]
        verbose_name = "exercice"
        constraints = [
            models.UniqueConstraint(fields=["company", "start"], name="fiscal_year_unique"),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="fiscal_year_order"
            ),
        ]

    def __str__(self):
        return f"Exercice du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"


class JournalEntry(models.Model):
    """A balanced set of lines, numbered continuously per company and year of its date in
    the order entries are validated (FEC EcritureNum). Never changed: a mistake is
    reversed by a new entry."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    journal = models.CharField("journal", max_length=2, choices=Journal.choices)
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField("n° d'écriture")
    date = models.DateField("date")
    label = models.CharField("libellé", max_length=200)
    piece_ref = models.CharField("pièce", max_length=50)
    piece_date = models.DateField("date de la pièce")
    validated_on = models.DateField("validée le")
    source_type = models.CharField(max_length=40)  # "sales.invoice", "receivables.payment"
    source_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["year", "number"]
        verbose_name = "écriture"
        constraints = [
            models.UniqueConstraint(fields=["company", "year", "number"], name="entry_unique"),
            models.UniqueConstraint(
                fields=["source_type", "source_id", "journal"], name="entry_once_per_source"
            ),
        ]
        indexes = [models.Index(fields=["company", "date"])]

    def __str__(self):
        return f"{self.journal} {self.year}-{self.number} {self.label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("Journal entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Journal entries are append-only.")


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    label = models.CharField(max_length=200)
    debit = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    credit = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = "ligne d'écriture"
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gte=0, credit=0) | Q(debit=0, credit__gte=0)),
                name="line_one_side",
            )
        ]
        # An account's lines in entry order with their amounts (index-only on PostgreSQL):
        # the bank reconciliation report reads the 512x this way (docs/benchmarks.md).
        indexes = [
            models.Index(
                fields=["account", "entry"],
                include=["debit", "credit"],
                name="journal_line_account_entry",
            )
        ]

    def __str__(self):
        return f"{self.account.number} D {self.debit} C {self.credit}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("Journal lines are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Journal lines are append-only.")
