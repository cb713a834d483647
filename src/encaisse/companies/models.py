import functools
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models

from encaisse import legal
from encaisse.sales.terms import PaymentTermsKind

# BR-FR: an invoice number has at most 35 characters: letters, digits and + - _ /.
PREFIX_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9+\-_/]{0,12}$",
    "Lettres, chiffres et + - _ / uniquement (12 caractères au plus).",
)


def default_aging_buckets() -> list[int]:
    return [30, 60, 90]


# How far back an issue date may go (Company.backdating_days). An invoice is issued when
# the goods are delivered or the service done (C. com. L.441-9), at the latest at the end
# of the month for a monthly invoice: a few days' delay is normal life, a month is the
# most a company may allow itself, past it the document would land in a VAT return
# already filed (monthly CA3) and in figures already reported.
DEFAULT_BACKDATING_DAYS = 10
MAX_BACKDATING_DAYS = 31

# The morning dunning run of each company (dunning/jobs.py, started by the scheduler): at
# this hour of the company's own time zone.
DEFAULT_DUNNING_HOUR = 7
DEFAULT_TIME_ZONE = "Europe/Paris"


@functools.cache
def time_zones() -> frozenset[str]:
    """The IANA time zones zoneinfo knows on this machine (Europe/Paris...)."""
    return frozenset(zoneinfo.available_timezones()) - {"localtime", "Factory"}


def validate_time_zone(value: str) -> None:
    if value not in time_zones():
        raise ValidationError(f"« {value} » n'est pas un fuseau horaire connu.")


class Company(models.Model):
    """The seller: its legal identity as printed on every document it issues."""

    legal_name = models.CharField("raison sociale", max_length=200)
    trade_name = models.CharField("nom commercial", max_length=200, blank=True)
    legal_form = models.CharField("forme juridique", max_length=50, blank=True)
    share_capital = models.DecimalField(
        "capital social (€)", max_digits=15, decimal_places=2, null=True, blank=True
    )
    siren = models.CharField("SIREN", max_length=9, unique=True)
    siret = models.CharField("SIRET du siège", max_length=14, blank=True)
    rcs_city = models.CharField("ville du RCS", max_length=100, blank=True)
    vat_number = models.CharField("n° de TVA intracommunautaire", max_length=20, blank=True)
    address_line1 = models.CharField("adresse", max_length=200, blank=True)
    address_line2 = models.CharField("complément d'adresse", max_length=200, blank=True)
    postal_code = models.CharField("code postal", max_length=10, blank=True)
    city = models.CharField("ville", max_length=100, blank=True)
    country = models.CharField("pays", max_length=2, default="FR")
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    iban = models.CharField("IBAN", max_length=34, blank=True)
    bic = models.CharField("BIC", max_length=11, blank=True)
    einvoicing_address = models.CharField(
        "adresse de facturation électronique",
        max_length=100,
        blank=True,
        help_text="Identifiant de réception des factures électroniques (schéma 0225).",
    )
    logo = models.FileField("logo", upload_to="logos/", blank=True)
    default_terms_kind = models.CharField(
        "conditions de paiement par défaut",
        max_length=10,
        choices=PaymentTermsKind.choices,
        default=PaymentTermsKind.NET,
    )
    default_terms_days = models.PositiveSmallIntegerField("délai par défaut (jours)", default=30)
    late_penalty_clause = models.TextField(
        "clause de pénalités de retard", blank=True, default=legal.LATE_PENALTY_CLAUSE
    )
    early_payment_discount_clause = models.CharField(
        "conditions d'escompte",
        max_length=300,
        blank=True,
        default="Pas d'escompte pour paiement anticipé.",
    )
    vat_on_debits = models.BooleanField(
        "option pour le paiement de la TVA d'après les débits", default=False
    )
    write_off_threshold = models.DecimalField(
        "seuil des écarts de règlement passés en pertes (€)",
        max_digits=8,
        decimal_places=2,
        default=Decimal("5.00"),
    )
    aging_buckets = models.JSONField(
        "tranches de la balance âgée (jours)",
        default=default_aging_buckets,
        help_text="Bornes hautes des tranches de retard : [30, 60, 90] donne 1–30, 31–60, "
        "61–90 et plus de 90 jours.",
    )
    # A numeric contractual rate, snapshotted into each invoice's mentions at issue; empty:
    # the legal default (ECB rate + 10 points, C. com. L.441-10). Never below three times
    # the legal interest rate (checked in services.update_company).
    late_penalty_rate = models.DecimalField(
        "taux contractuel des pénalités de retard (%)",
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
    )
    penalty_day_count = models.PositiveSmallIntegerField(
        "base de calcul des pénalités (jours par an)",
        choices=[(365, "365 jours"), (360, "360 jours")],
        default=365,
    )
    # What money costs the company (overdraft, factoring...), in percent a year: the cost of
    # late payment (reporting/late_cost.py) is overdue amounts × days late × this rate.
    # Empty: unknown, and that cost is not shown rather than shown as zero.
    financing_rate = models.DecimalField(
        "taux de financement (% par an)", max_digits=6, decimal_places=3, null=True, blank=True
    )
    # Banking (issue 13): the cash view warns when an account's forecast balance falls
    # below this threshold (empty: no alert); the reconciliation report flags outstanding
    # items older than bank_item_age_days.
    cash_alert_threshold = models.DecimalField(
        "seuil d'alerte de trésorerie", max_digits=14, decimal_places=2, null=True, blank=True
    )
    bank_item_age_days = models.PositiveSmallIntegerField(
        "ancienneté d'un suspens ancien (jours)",
        default=30,
        validators=[MaxValueValidator(3650)],
    )
    invoice_prefix = models.CharField(
        "préfixe des factures", max_length=12, default="FA", validators=[PREFIX_VALIDATOR]
    )
    credit_note_prefix = models.CharField(
        "préfixe des avoirs", max_length=12, default="AV", validators=[PREFIX_VALIDATOR]
    )
    backdating_days = models.PositiveSmallIntegerField(
        "antériorité maximale de la date d'émission (jours)",
        default=DEFAULT_BACKDATING_DAYS,
        validators=[MaxValueValidator(MAX_BACKDATING_DAYS)],
        help_text=f"Une facture ou un avoir peut être daté d'au plus ce nombre de jours avant "
        f"aujourd'hui (0 à {MAX_BACKDATING_DAYS}).",
    )
    dunning_hour = models.PositiveSmallIntegerField(
        "heure de la relance automatique",
        default=DEFAULT_DUNNING_HOUR,
        validators=[MaxValueValidator(23)],
        help_text="Chaque jour à cette heure (0 à 23, fuseau de la société), les relances "
        "dues sont proposées et les niveaux sans validation envoyés.",
    )
    time_zone = models.CharField(
        "fuseau horaire",
        max_length=64,
        default=DEFAULT_TIME_ZONE,
        validators=[validate_time_zone],
        help_text="Fuseau de la société (par exemple Europe/Paris, America/Martinique).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "société"
        ordering = ["legal_name"]

    def __str__(self):
        return self.legal_name

    def clean(self):
        # The admin edits companies without update_company: the L.441-10 floor of the
        # contractual penalty rate holds there too.
        from django.core.exceptions import ValidationError

        from encaisse.errors import DomainError

        from .services import check_late_penalty_rate

        stored = Company.objects.filter(pk=self.pk).first() if self.pk else None
        try:
            check_late_penalty_rate(self.late_penalty_rate, stored)
        except DomainError as exc:
            raise ValidationError({"late_penalty_rate": exc.message}) from None

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The company's time zone: its day and the hour of its dunning run."""
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def address_lines(self) -> list[str]:
        return [
            line
            for line in (
                self.address_line1,
                self.address_line2,
                f"{self.postal_code} {self.city}".strip(),
            )
            if line
        ]


class Role(models.TextChoices):
    ADMIN = "admin", "Administrateur"
    SALES = "sales", "Commercial / ADV"
    ACCOUNTING = "accounting", "Comptabilité"
    COLLECTION = "collection", "Recouvrement"
    READ_ONLY = "read_only", "Lecture seule"


class Membership(models.Model):
    """A user belongs to a company with one role; they see only their companies' data."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("rôle", max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = "appartenance"
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="membership_unique")
        ]

    def __str__(self):
        return f"{self.user} — {self.company} ({self.get_role_display()})"


class NumberSequence(models.Model):
    """The last number used in one series: a company, a document type, a year.

    Locked with SELECT ... FOR UPDATE by the issuing transaction, so two users issuing at
    once get consecutive numbers; the unique constraint on the documents makes a
    duplicate impossible even if that lock were forgotten.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    document_type = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)
    last_date = models.DateField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "document_type", "year"], name="sequence_unique"
            )
        ]

    def __str__(self):
        return f"{self.company_id}/{self.document_type}/{self.year}: {self.last_number}"
