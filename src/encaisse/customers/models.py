from django.conf import settings
from django.db import models
from django.db.models import Q

from encaisse.sales.terms import PaymentTermsKind


class CustomerKind(models.TextChoices):
    PROFESSIONAL = "professional", "Professionnel"
    CONSUMER = "consumer", "Particulier"


class Segment(models.TextChoices):
    """Drives the dunning scenario and the reports' filters."""

    STRATEGIC = "strategic", "Stratégique"
    STANDARD = "standard", "Standard"
    RISKY = "risky", "À risque"
    PUBLIC = "public", "Secteur public"


class RiskClass(models.TextChoices):
    LOW = "A", "A — risque faible"
    MODERATE = "B", "B — risque modéré"
    HIGH = "C", "C — risque élevé"
    CRITICAL = "D", "D — risque critique"


class CreditLimitOrigin(models.TextChoices):
    MANUAL = "manual", "Fixée par la société"
    INSURANCE = "insurance", "Assurance-crédit"


class Customer(models.Model):
    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    legal_name = models.CharField("raison sociale / nom", max_length=200)
    kind = models.CharField(
        "type", max_length=20, choices=CustomerKind.choices, default=CustomerKind.PROFESSIONAL
    )
    siren = models.CharField("SIREN", max_length=9, blank=True)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    vat_number = models.CharField("n° de TVA intracommunautaire", max_length=20, blank=True)
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    billing_line1 = models.CharField("adresse de facturation", max_length=200, blank=True)
    billing_line2 = models.CharField("complément", max_length=200, blank=True)
    billing_postal_code = models.CharField("code postal", max_length=10, blank=True)
    billing_city = models.CharField("ville", max_length=100, blank=True)
    billing_country = models.CharField("pays", max_length=2, default="FR")
    delivery_line1 = models.CharField("adresse de livraison", max_length=200, blank=True)
    delivery_line2 = models.CharField("complément", max_length=200, blank=True)
    delivery_postal_code = models.CharField("code postal", max_length=10, blank=True)
    delivery_city = models.CharField("ville", max_length=100, blank=True)
    delivery_country = models.CharField("pays", max_length=2, blank=True)
    terms_kind = models.CharField(
        "conditions de paiement",
        max_length=10,
        choices=PaymentTermsKind.choices,
        blank=True,
        help_text="Vide : conditions par défaut de la société.",
    )
    terms_days = models.PositiveSmallIntegerField("délai (jours)", null=True, blank=True)
    einvoicing_address = models.CharField(
        "adresse de facturation électronique", max_length=100, blank=True
    )
    notes = models.TextField("notes", blank=True)
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="commercial",
    )
    segment = models.CharField(
        "segment", max_length=20, choices=Segment.choices, default=Segment.STANDARD
    )
    risk_class = models.CharField(
        "classe de risque", max_length=1, choices=RiskClass.choices, default=RiskClass.LOW
    )
    # Credit control (customers/credit.py): null limit = no limit; 0 = every invoice needs
    # an override (customers who pay in advance). Set only through set_credit_limit.
    credit_limit = models.DecimalField(
        "limite de crédit", max_digits=14, decimal_places=2, null=True, blank=True
    )
    credit_limit_origin = models.CharField(
        "origine de la limite", max_length=10, choices=CreditLimitOrigin.choices, blank=True
    )
    credit_insurer = models.CharField("assureur-crédit", max_length=100, blank=True)
    credit_covered_amount = models.DecimalField(
        "montant garanti", max_digits=14, decimal_places=2, null=True, blank=True
    )
    credit_cover_date = models.DateField("date de la garantie", null=True, blank=True)
    # Dunning (encaisse.dunning): who chases this customer, and an exclusion from the
    # dunning with its reason, until a date (no date: until lifted).
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="gestionnaire de recouvrement",
    )
    dunning_exclusion_reason = models.CharField(
        "motif d'exclusion des relances", max_length=200, blank=True
    )
    dunning_excluded_until = models.DateField("exclu des relances jusqu'au", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "client"
        ordering = ["legal_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "siren"], condition=~Q(siren=""), name="customer_siren_unique"
            )
        ]
        indexes = [
            models.Index(fields=["company", "legal_name"]),
            models.Index(fields=["company", "billing_city"]),
        ]

    def __str__(self):
        return self.legal_name

    @property
    def is_professional(self) -> bool:
        return self.kind == CustomerKind.PROFESSIONAL

    @property
    def billing_address(self) -> dict:
        return {
            "line1": self.billing_line1,
            "line2": self.billing_line2,
            "postal_code": self.billing_postal_code,
            "city": self.billing_city,
            "country": self.billing_country,
        }

    @property
    def delivery_address(self) -> dict | None:
        """The delivery address when one is set, else None (deliveries go to billing)."""
        if not (self.delivery_line1 or self.delivery_city):
            return None
        return {
            "line1": self.delivery_line1,
            "line2": self.delivery_line2,
            "postal_code": self.delivery_postal_code,
            "city": self.delivery_city,
            "country": self.delivery_country or self.billing_country,
        }


class Civility(models.TextChoices):
    MADAME = "madame", "Madame"
    MONSIEUR = "monsieur", "Monsieur"


class Contact(models.Model):
    """A person (or a department) at a customer. `name` is what lists show: the first
    and last names when given (customers.services.add_contact writes it), else a name
    as typed ("Service comptable"). Civility and last name make the greeting."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    civility = models.CharField("civilité", max_length=10, choices=Civility.choices, blank=True)
    first_name = models.CharField("prénom", max_length=90, blank=True)
    last_name = models.CharField("nom de famille", max_length=100, blank=True)
    name = models.CharField("nom", max_length=200)
    job_title = models.CharField("fonction", max_length=100, blank=True)
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    is_billing_contact = models.BooleanField("destinataire des factures", default=False)

    class Meta:
        verbose_name = "contact"
        ordering = ["-is_billing_contact", "name"]

    def __str__(self):
        return self.name

    @property
    def greeting(self) -> str:
        """« Bonjour Monsieur Martin, » (civility and last name), « Bonjour Madame, »
        (civility only), « Bonjour, » without a civility: never a first name nor a
        department in a greeting."""
        if not self.civility:
            return "Bonjour,"
        words = [Civility(self.civility).label, self.last_name.strip()]
        return f"Bonjour {' '.join(w for w in words if w)},"


class IncidentKind(models.TextChoices):
    PAYMENT_INCIDENT = "payment_incident", "Incident de paiement"
    REJECTED_DEBIT = "rejected_debit", "Prélèvement rejeté"
    RETURNED_CHEQUE = "returned_cheque", "Chèque impayé"
    COLLECTIVE_PROCEEDINGS = "collective_proceedings", "Procédure collective"
    OTHER = "other", "Autre"


class CreditIncident(models.Model):
    """A fact that tells about the customer's solvency, kept for whoever sets its limit."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="incidents")
    date = models.DateField("date")
    kind = models.CharField("nature", max_length=30, choices=IncidentKind.choices)
    note = models.TextField("note", blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="saisi par",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "incident"
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} du {self.date:%d/%m/%Y}"
