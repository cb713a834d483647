"""Collection: reference rates for late-payment penalties, disputes and promises to pay."""

from django.conf import settings
from django.db import models

# Printed before the source of every demo value (letters, pages, admin).
DEMO_LABEL = "Valeur fictive de démonstration"


class ReferenceRate(models.Model):
    """A published rate, in force from `valid_from` until the next row of the same kind,
    within its half-year (one row dated 1 January or 1 July per half-year: see
    rates.rate_on).

    Penalties are computed from these rows only: a day no row covers is an error to fix
    by adding the missing rate (in the admin), never a silent zero.

    Rows without a company are the published rates, read by every company. A row with a
    company is read by that company only, and wins over the published row of the same
    day: the demo's fictitious values live there (`is_demo`), so a real company on the
    same database never computes with them.
    """

    class Kind(models.TextChoices):
        ECB_MRO = "ecb_mro", "Taux BCE (opérations principales de refinancement)"
        LEGAL_INTEREST_PRO = "legal_interest_pro", "Taux de l'intérêt légal (autres cas)"
        LEGAL_INTEREST_PRIVATE = (
            "legal_interest_private",
            "Taux de l'intérêt légal (créancier personne physique)",
        )

    kind = models.CharField("type", max_length=32, choices=Kind.choices)
    valid_from = models.DateField("en vigueur à partir du")
    rate = models.DecimalField("taux (%)", max_digits=6, decimal_places=3)
    source = models.CharField("source", max_length=300)
    company = models.ForeignKey(
        "companies.Company",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="réservé à la société",
        help_text="Vide pour un taux publié (toutes les sociétés).",
    )
    is_demo = models.BooleanField("valeur fictive de démonstration", default=False)

    class Meta:
        verbose_name = "taux de référence"
        verbose_name_plural = "taux de référence"
        ordering = ["kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "valid_from"],
                condition=models.Q(company__isnull=True),
                name="reference_rate_unique_day",
                violation_error_message="Un taux publié de ce type existe déjà à cette date.",
            ),
            models.UniqueConstraint(
                fields=["kind", "valid_from", "company"],
                condition=models.Q(company__isnull=False),
                name="reference_rate_unique_day_company",
                violation_error_message="Cette société a déjà un taux de ce type à cette date.",
            ),
            # A fictitious value is never a published one: it always names its company.
            models.CheckConstraint(
                condition=models.Q(is_demo=False) | models.Q(company__isnull=False),
                name="reference_rate_demo_has_company",
                violation_error_message="Une valeur fictive de démonstration est réservée à "
                "une société : choisissez-la.",
            ),
        ]

    def __str__(self):
        demo = " (démonstration)" if self.is_demo else ""
        return f"{self.get_kind_display()} {self.rate} % au {self.valid_from:%d/%m/%Y}{demo}"

    @property
    def labelled_source(self) -> str:
        """The source as printed on letters and pages: a demo value says so, whatever
        its source text."""
        if self.is_demo:
            return f"{DEMO_LABEL} — {self.source}"
        return self.source


# --- disputes and promises


class DisputeCategory(models.TextChoices):
    PRICE = "price", "Prix"
    QUANTITY = "quantity", "Quantité"
    QUALITY = "quality", "Qualité"
    DELIVERY = "delivery", "Livraison"
    NOT_RECEIVED = "not_received", "Non reçu"
    DUPLICATE = "duplicate", "Doublon"
    ADMINISTRATIVE = "administrative", "Administratif"
    OTHER = "other", "Autre"


class Department(models.TextChoices):
    SALES = "sales", "Commercial"
    LOGISTICS = "logistics", "Logistique"
    ACCOUNTING = "accounting", "Comptabilité"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Ouvert"
    ESCALATED = "escalated", "Escaladé"
    RESOLVED_CREDIT_NOTE = "resolved_credit_note", "Résolu par avoir"
    RESOLVED_CORRECTION = "resolved_correction", "Résolu par correction"
    REJECTED = "rejected", "Rejeté"


# Open and escalated disputes both hold their amount back from the dunning.
OPEN_DISPUTE_STATUSES = (DisputeStatus.OPEN, DisputeStatus.ESCALATED)


class Dispute(models.Model):
    """A customer's contestation of an invoice, whole or in part (a litige).

    Whether a dispute holds its amount back on a day D is read from its dates
    (opened_on <= D < resolved_on), not from its status, so the amount in dispute on a
    past date stays the same whenever it is asked for.
    """

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="disputes"
    )
    invoice = models.ForeignKey("sales.Invoice", on_delete=models.PROTECT, related_name="disputes")
    amount = models.DecimalField("montant contesté (TTC)", max_digits=14, decimal_places=2)
    category = models.CharField("motif", max_length=20, choices=DisputeCategory.choices)
    customer_words = models.TextField("propos du client")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="responsable",
    )
    department = models.CharField("service", max_length=20, choices=Department.choices)
    target_date = models.DateField("date cible de résolution")
    status = models.CharField(
        "statut", max_length=24, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    opened_on = models.DateField("ouvert le")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # There is no manager in the data model: escalating records the day and whom it is
    # for in words, and the collector passes it on.
    escalated_on = models.DateField("escaladé le", null=True, blank=True)
    escalated_to = models.CharField("escaladé à", max_length=200, blank=True)
    resolved_on = models.DateField("résolu le", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    resolution_reason = models.TextField("motif de la résolution", blank=True)
    credit_note = models.ForeignKey(
        "sales.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="avoir",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "litige"
        ordering = ["opened_on", "pk"]
        indexes = [models.Index(fields=["company", "status", "opened_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="dispute_amount_positive"
            ),
        ]

    def __str__(self):
        return f"Litige n° {self.pk} ({self.get_category_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DISPUTE_STATUSES

    def age_days(self, as_of) -> int:
        return ((self.resolved_on or as_of) - self.opened_on).days


class PromiseChannel(models.TextChoices):
    PHONE = "phone", "Téléphone"
    EMAIL = "email", "E-mail"
    LETTER = "letter", "Courrier"
    VISIT = "visit", "Visite"


class PromiseToPay(models.Model):
    """A customer's dated commitment to pay an amount. Kept, pending or broken is derived
    for a date from the payments received (collection.promises), never stored."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="promises"
    )
    invoices = models.ManyToManyField("sales.Invoice", related_name="promises")
    amount = models.DecimalField("montant promis", max_digits=14, decimal_places=2)
    promised_on = models.DateField("date promise")
    tolerance_days = models.PositiveSmallIntegerField("tolérance (jours)", default=3)
    # promised_on + tolerance_days, both fixed at recording: stored so that the status
    # of many promises is one query.
    due_by = models.DateField("échéance tolérance comprise")
    promised_by = models.CharField("promis par", max_length=200)
    channel = models.CharField("canal", max_length=10, choices=PromiseChannel.choices)
    recorded_on = models.DateField("enregistrée le")
    note = models.TextField("note", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "promesse de paiement"
        verbose_name_plural = "promesses de paiement"
        ordering = ["promised_on", "pk"]
        indexes = [models.Index(fields=["company", "due_by"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="promise_amount_positive"
            ),
        ]

    def __str__(self):
        return f"Promesse n° {self.pk} du {self.promised_on:%d/%m/%Y}"


# --- penalties claimed or waived


class PenaltyClaimKind(models.TextChoices):
    INVOICED = "invoiced", "Facturées"
    WAIVED = "waived", "Abandonnées"


class PenaltyClaim(models.Model):
    """What was done with the penalties and recovery fee of one late invoice, computed
    up to `as_of`: invoiced (on `penalty_invoice`) or waived (with a reason).

    Amounts are those outstanding when the claim was made (collection.claims): the
    penalties still claimable later are the engine's figure minus the sum of these rows,
    and the 40 EUR fee is claimed or waived once per invoice.
    """

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        "sales.Invoice",
        on_delete=models.PROTECT,
        related_name="penalty_claims",
        verbose_name="facture en retard",
    )
    as_of = models.DateField("pénalités arrêtées au")
    penalties = models.DecimalField("pénalités", max_digits=14, decimal_places=2)
    recovery_fee = models.DecimalField("indemnité forfaitaire", max_digits=14, decimal_places=2)
    kind = models.CharField("suite donnée", max_length=10, choices=PenaltyClaimKind.choices)
    penalty_invoice = models.ForeignKey(
        "sales.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="penalty_claimed",
        verbose_name="facture de pénalités",
    )
    reason = models.TextField("motif", blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "pénalités réclamées ou abandonnées"
        verbose_name_plural = "pénalités réclamées ou abandonnées"
        ordering = ["as_of", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(penalties__gte=0, recovery_fee__gte=0)
                & (models.Q(penalties__gt=0) | models.Q(recovery_fee__gt=0)),
                name="penalty_claim_amounts_positive",
            ),
            # An invoiced claim names its invoice; a waiver has none and says why.
            models.CheckConstraint(
                condition=(
                    models.Q(kind="invoiced", penalty_invoice__isnull=False)
                    | (models.Q(kind="waived", penalty_invoice__isnull=True) & ~models.Q(reason=""))
                ),
                name="penalty_claim_kind_consistent",
            ),
        ]

    def __str__(self):
        return f"Pénalités {self.get_kind_display().lower()} au {self.as_of:%d/%m/%Y}"

    @property
    def total(self):
        return self.penalties + self.recovery_fee
