from decimal import Decimal

from django.db import models
from django.db.models import Q

from .vat import EXEMPTION_REASON_MAX, RATE_CHOICES, Exemption


class ItemKind(models.TextChoices):
    GOODS = "goods", "Bien"
    SERVICE = "service", "Prestation de services"


class Unit(models.TextChoices):
    """UN/ECE Recommendation 20 codes, as Factur-X wants them."""

    PIECE = "C62", "unité"
    HOUR = "HUR", "heure"
    DAY = "DAY", "jour"
    MONTH = "MON", "mois"
    KILOGRAM = "KGM", "kg"
    METRE = "MTR", "m"
    SQUARE_METRE = "MTK", "m²"
    LITRE = "LTR", "litre"
    LUMP_SUM = "LS", "forfait"


class Product(models.Model):
    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField("référence", max_length=50)
    label = models.CharField("désignation", max_length=300)
    kind = models.CharField("nature", max_length=10, choices=ItemKind.choices)
    unit = models.CharField("unité", max_length=3, choices=Unit.choices, default=Unit.PIECE)
    unit_price = models.DecimalField("prix unitaire HT", max_digits=14, decimal_places=4)
    vat_rate = models.DecimalField(
        "taux de TVA",
        max_digits=5,
        decimal_places=2,
        choices=RATE_CHOICES,
        default=Decimal("20.00"),
    )
    vat_exemption = models.CharField(
        "motif d'exonération", max_length=2, choices=Exemption.choices, blank=True
    )
    vat_exemption_reason = models.CharField(
        "mention d'exonération", max_length=EXEMPTION_REASON_MAX, blank=True
    )
    cost_price = models.DecimalField(
        "prix de revient HT", max_digits=14, decimal_places=4, null=True, blank=True
    )
    is_active = models.BooleanField("actif", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "article"
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "reference"], name="product_reference_unique"
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="product_price_positive"),
        ]

    def __str__(self):
        return f"{self.reference} — {self.label}"
