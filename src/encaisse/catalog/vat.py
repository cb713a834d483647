"""French VAT rates and the exemption categories of EN 16931 (UNTDID 5305).

Rates in force in metropolitan France since 1 Jan 2014 (CGI art. 278 to 281 nonies):
20 % normal, 10 % intermediate, 5.5 % reduced, 2.1 % special. A line at 0 % must say why,
with its EN 16931 category and a reason printed on the invoice (CGI art. 242 nonies A, 13°).
"""

from decimal import Decimal

from django.db import models

from encaisse.errors import ValidationFailed
from encaisse.validation import clean_text

RATES = [Decimal("20.00"), Decimal("10.00"), Decimal("5.50"), Decimal("2.10"), Decimal("0.00")]
RATE_CHOICES = [(r, f"{r.normalize():f} %".replace(".", ",")) for r in RATES]


class Exemption(models.TextChoices):
    """EN 16931 VAT category codes for a line without French VAT."""

    EXEMPT = "E", "Exonération (art. 261 et s. du CGI)"
    REVERSE_CHARGE = "AE", "Autoliquidation"
    INTRA_EU = "K", "Livraison intracommunautaire"
    EXPORT = "G", "Exportation hors UE"
    OUT_OF_SCOPE = "O", "Hors champ de la TVA"


DEFAULT_REASONS = {
    Exemption.EXEMPT: "Exonération de TVA, article 261 du CGI",
    Exemption.REVERSE_CHARGE: "Autoliquidation, article 283-2 du CGI",
    Exemption.INTRA_EU: "Exonération de TVA, article 262 ter I du CGI",
    Exemption.EXPORT: "Exonération de TVA, article 262 I du CGI",
    Exemption.OUT_OF_SCOPE: "Hors champ d'application de la TVA",
}

STANDARD = "S"  # EN 16931 category of a taxed line
EXEMPTION_REASON_MAX = 200  # the vat_exemption_reason columns (catalog and sales)


def clean_vat(rate, exemption: str, reason: str, *, field_prefix: str = "") -> tuple:
    """Check a (rate, exemption, reason) triple; return it normalized.

    A rate must be one of the French rates; 0 % needs an exemption category (its reason
    defaults to the usual wording); a positive rate has none.
    """
    rate = Decimal(str(rate)).quantize(Decimal("0.01"))
    if rate not in RATES:
        raise ValidationFailed(
            "invalid_vat_rate",
            f"Le taux de TVA {rate} % n'existe pas (20 ; 10 ; 5,5 ; 2,1 ou 0 %).",
            f"{field_prefix}vat_rate",
        )
    exemption = exemption or ""
    reason = clean_text(
        (reason or "").strip(),
        f"{field_prefix}vat_exemption_reason",
        max_length=EXEMPTION_REASON_MAX,
        label="La mention d'exonération",
    )
    if rate == 0:
        if exemption not in Exemption.values:
            raise ValidationFailed(
                "vat_exemption_required",
                "Une ligne à 0 % de TVA doit indiquer le motif d'exonération.",
                f"{field_prefix}vat_exemption",
            )
        reason = reason or DEFAULT_REASONS[exemption]
    else:
        exemption, reason = "", ""
    return rate, exemption, reason


def category(rate: Decimal, exemption: str) -> str:
    return exemption or STANDARD
