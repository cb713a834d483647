"""Collection: reference rates for late-payment penalties, disputes and promises to pay."""

from django.db import models


class ReferenceRate(models.Model):
    """A published rate, in force from `valid_from` until the next row of the same kind.

    Penalties are computed from these rows only: a day no row covers is an error to fix
    by adding the missing rate (in the admin), never a silent zero.
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

    class Meta:
        verbose_name = "taux de référence"
        verbose_name_plural = "taux de référence"
        ordering = ["kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "valid_from"], name="reference_rate_unique_day"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.rate} % au {self.valid_from:%d/%m/%Y}"


# --- disputes and promises
