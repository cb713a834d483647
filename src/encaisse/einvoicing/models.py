"""Lifecycle of an e-invoice: the statuses exchanged between the platforms of the reform.

Codes and labels from the French e-invoicing reform's lifecycle (DGFiP external
specifications / AFNOR XP Z12-012): 200 to 213. Four are mandatory: 200 Déposée,
210 Refusée, 212 Encaissée (for the invoices that need it, see services.requires_collected)
and 213 Rejetée; the others are optional and may come from the platforms.
"""

from django.conf import settings
from django.db import models


class LifecycleStatus(models.TextChoices):
    DEPOSITED = "200", "Déposée"
    ISSUED_BY_PLATFORM = "201", "Émise par la plateforme"
    RECEIVED_BY_PLATFORM = "202", "Reçue par la plateforme"
    MADE_AVAILABLE = "203", "Mise à disposition"
    IN_HAND = "204", "Prise en charge"
    APPROVED = "205", "Approuvée"
    PARTIALLY_APPROVED = "206", "Approuvée partiellement"
    DISPUTED = "207", "En litige"
    SUSPENDED = "208", "Suspendue"
    COMPLETED = "209", "Complétée"
    REFUSED = "210", "Refusée"
    PAYMENT_SENT = "211", "Paiement transmis"
    COLLECTED = "212", "Encaissée"
    REJECTED = "213", "Rejetée"


# After these the invoice goes no further: a rejected invoice (213, refused by the
# platforms' checks) counts as never issued and a refused one (210, by the buyer) is
# cancelled by a credit note; either way a new document is issued, not a new status.
FINAL_STATUSES = frozenset({LifecycleStatus.REFUSED, LifecycleStatus.REJECTED})


class EventSource(models.TextChoices):
    MANUAL = "manual", "Saisie manuelle"
    IMPORT = "import", "Import de fichier"
    AUTOMATIC = "automatic", "Automatique"


class LifecycleEvent(models.Model):
    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        "sales.Invoice", on_delete=models.PROTECT, related_name="lifecycle_events"
    )
    status = models.CharField("statut", max_length=3, choices=LifecycleStatus.choices)
    date = models.DateField("date")
    source = models.CharField(
        "origine", max_length=10, choices=EventSource.choices, default=EventSource.MANUAL
    )
    note = models.CharField("commentaire", max_length=500, blank=True)
    # 212 "Encaissée": the amount collected (payments, not credit notes nor write-offs),
    # which the platform reports with the status.
    amount = models.DecimalField(
        "montant encaissé", max_digits=14, decimal_places=2, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The current status is the latest event: by date, then by entry order.
        ordering = ["-date", "-id"]
        verbose_name = "statut du cycle de vie"
        verbose_name_plural = "statuts du cycle de vie"
        indexes = [models.Index(fields=["invoice", "date"])]

    def __str__(self):
        return f"{self.status} {self.get_status_display()} le {self.date:%d/%m/%Y}"

    @property
    def code_and_label(self) -> str:
        return f"{self.status} – {self.get_status_display()}"
