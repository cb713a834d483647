from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from encaisse.catalog.models import ItemKind, Unit
from encaisse.catalog.vat import RATE_CHOICES, Exemption
from encaisse.errors import Conflict

from . import references
from .kinds import DocumentKind, Kind, kind_of
from .terms import PaymentTermsKind


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    ISSUED = "issued", "Émise"


class OperationNature(models.TextChoices):
    """Nature of the operations (e-invoicing reform; first letter of BT-23)."""

    GOODS = "goods", "Livraison de biens"
    SERVICES = "services", "Prestation de services"
    MIXED = "mixed", "Mixte (biens et services)"


class IssuedDocumentError(Conflict):
    def __init__(self, number: str = ""):
        super().__init__(
            "document_issued",
            f"Le document {number} est émis : il ne peut plus être modifié ni supprimé. "
            "Corrigez-le par un avoir.".replace("  ", " "),
        )


class Invoice(models.Model):
    """An invoice or a credit note: a draft while it is prepared, frozen once issued.

    Issuing fills the number, the dates, the seller's and buyer's identity as they are
    that day (the snapshots printed on the document) and the totals; from then on the
    row and its lines are refused any change by this model and by database triggers.
    """

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(
        "type", max_length=20, choices=DocumentKind.choices, default=DocumentKind.INVOICE
    )
    status = models.CharField(
        "statut", max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    number = models.CharField("numéro", max_length=35, blank=True)
    sequence_year = models.PositiveSmallIntegerField(null=True, blank=True)
    sequence_number = models.PositiveIntegerField(null=True, blank=True)
    issue_date = models.DateField("date d'émission", null=True, blank=True)
    delivery_date = models.DateField("date de livraison / prestation", null=True, blank=True)
    due_date = models.DateField("date d'échéance", null=True, blank=True)
    terms_kind = models.CharField(
        "conditions de paiement",
        max_length=10,
        choices=PaymentTermsKind.choices,
        default=PaymentTermsKind.NET,
    )
    terms_days = models.PositiveSmallIntegerField("délai (jours)", null=True, blank=True)
    customer_reference = models.CharField("référence commande client", max_length=100, blank=True)
    credited_invoice = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name="facture corrigée",
    )
    credit_reason = models.CharField("motif de l'avoir", max_length=300, blank=True)
    notes = models.TextField("mentions complémentaires", blank=True)
    operation_nature = models.CharField(
        "nature des opérations", max_length=10, choices=OperationNature.choices, blank=True
    )
    currency = models.CharField(max_length=3, default="EUR")
    total_excl_vat = models.DecimalField(
        "total HT", max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    total_vat = models.DecimalField("TVA", max_digits=14, decimal_places=2, default=Decimal("0.00"))
    total_incl_vat = models.DecimalField(
        "total TTC", max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    seller = models.JSONField("vendeur (à l'émission)", default=dict, blank=True)
    buyer = models.JSONField("acheteur (à l'émission)", default=dict, blank=True)
    mentions = models.JSONField("mentions légales (à l'émission)", default=dict, blank=True)
    # The installment schedule (sales.schedule): rows as typed on a draft, resolved at
    # issue. Null, not a default []: a column with a default makes SQLite rebuild the
    # table, which would drop the freeze triggers of migration 0002.
    schedule = models.JSONField("échéancier", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "facture ou avoir"
        verbose_name_plural = "factures et avoirs"
        ordering = ["-issue_date", "-sequence_number", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind", "sequence_year", "sequence_number"],
                condition=Q(status="issued"),
                name="invoice_sequence_unique",
            ),
            models.UniqueConstraint(
                fields=["company", "number"], condition=~Q(number=""), name="invoice_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | (
                    ~Q(number="")
                    & Q(issue_date__isnull=False)
                    & Q(sequence_number__isnull=False)
                    & Q(due_date__isnull=False)
                ),
                name="invoice_issued_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "kind", "status", "issue_date"]),
            models.Index(fields=["company", "customer", "issue_date"]),
            models.Index(fields=["company", "due_date"]),
            # The lists' order (drafts first, then newest): on PostgreSQL DESC puts NULLs
            # first, as the order does, so the first page is read from the index alone.
            models.Index(
                fields=["company", "-issue_date", "-sequence_number", "-id"],
                name="sales_invoice_list_order",
            ),
            # documents.render_pending, every minute: the last days' issues only.
            models.Index(fields=["issued_at"], name="sales_invoice_issued_at"),
        ]

    def __str__(self):
        label = self.get_kind_display()
        return f"{label} {self.number}" if self.number else f"{label} brouillon n° {self.pk}"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.__dict__.get("status")
        return instance

    @property
    def is_issued(self) -> bool:
        return self.status == DocumentStatus.ISSUED

    @property
    def kind_spec(self) -> Kind:
        """The row of this document's kind in the kinds table (`sales.kinds`)."""
        return kind_of(self)

    @property
    def payment_reference(self) -> str:
        """The RF creditor reference to quote when paying (sales.references): computed
        from the number, '' for a draft or a credit note."""
        return references.payment_reference(self)

    @property
    def is_credit_note(self) -> bool:
        # Still read by collection/, dunning/, web/ and api/; new code reads kind_spec.
        return self.kind == DocumentKind.CREDIT_NOTE

    @property
    def issued_word(self) -> str:
        """« émise » (une facture) or « émis » (un avoir): the word agrees with the kind."""
        return "émis" if self.is_credit_note else "émise"

    def save(self, *args, **kwargs):
        if getattr(self, "_stored_status", None) == DocumentStatus.ISSUED:
            raise IssuedDocumentError(self.number)
        super().save(*args, **kwargs)
        self._stored_status = self.status

    def delete(self, *args, **kwargs):
        if self.is_issued or getattr(self, "_stored_status", None) == DocumentStatus.ISSUED:
            raise IssuedDocumentError(self.number)
        return super().delete(*args, **kwargs)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField("désignation", max_length=500)
    item_kind = models.CharField("nature", max_length=10, choices=ItemKind.choices)
    quantity = models.DecimalField("quantité", max_digits=14, decimal_places=4)
    unit = models.CharField("unité", max_length=3, choices=Unit.choices, default=Unit.PIECE)
    unit_price = models.DecimalField("prix unitaire HT", max_digits=14, decimal_places=4)
    discount_percent = models.DecimalField(
        "remise %", max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    vat_rate = models.DecimalField("TVA", max_digits=5, decimal_places=2, choices=RATE_CHOICES)
    vat_exemption = models.CharField(max_length=2, choices=Exemption.choices, blank=True)
    vat_exemption_reason = models.CharField(max_length=200, blank=True)
    gross_amount = models.DecimalField(max_digits=14, decimal_places=2)
    discount_amount = models.DecimalField(max_digits=14, decimal_places=2)
    net_amount = models.DecimalField("montant HT", max_digits=14, decimal_places=2)
    credited_line = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_lines"
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "ligne"

    def __str__(self):
        return self.description

    def _refuse_if_issued(self):
        if Invoice.objects.filter(pk=self.invoice_id, status=DocumentStatus.ISSUED).exists():
            raise IssuedDocumentError(self.invoice.number)

    def save(self, *args, **kwargs):
        self._refuse_if_issued()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_issued()
        return super().delete(*args, **kwargs)


class InvoiceAllowance(models.Model):
    """A document-level allowance (remise, BG-20) or charge (frais, BG-21).

    Amounts are excl. VAT and positive; `is_charge` says which way they go. Each carries
    the VAT category and rate whose base it changes (EN 16931 BR-CO-... rules).
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="allowances")
    position = models.PositiveIntegerField(default=0)
    is_charge = models.BooleanField("frais (sinon remise)", default=False)
    amount = models.DecimalField("montant HT", max_digits=14, decimal_places=2)
    reason = models.CharField("motif", max_length=200)
    reason_code = models.CharField("code motif (UNTDID 5189 / 7161)", max_length=3, blank=True)
    vat_rate = models.DecimalField("TVA", max_digits=5, decimal_places=2, choices=RATE_CHOICES)
    vat_exemption = models.CharField(max_length=2, choices=Exemption.choices, blank=True)
    vat_exemption_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "remise ou frais de pied de facture"

    def __str__(self):
        return f"{'Frais' if self.is_charge else 'Remise'} {self.reason} {self.amount}"

    def save(self, *args, **kwargs):
        if Invoice.objects.filter(pk=self.invoice_id, status=DocumentStatus.ISSUED).exists():
            raise IssuedDocumentError(self.invoice.number)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Invoice.objects.filter(pk=self.invoice_id, status=DocumentStatus.ISSUED).exists():
            raise IssuedDocumentError(self.invoice.number)
        return super().delete(*args, **kwargs)

    @property
    def signed_amount(self):
        return self.amount if self.is_charge else -self.amount
