"""Dunning: scenarios and their levels, the reminders a run proposes and sends, the calls
of the collectors and the pre-litigation cases."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    LETTER = "letter", "Courrier"
    LETTER_AND_EMAIL = "letter_email", "Courrier et e-mail"
    REGISTERED = "registered", "Lettre recommandée avec AR"
    PHONE = "phone", "Appel téléphonique"


class Template(models.TextChoices):
    COURTESY = "courtesy", "Rappel avant échéance"
    AMICABLE = "amicable", "Relance amiable"
    FORMAL = "formal", "Relance formelle"
    FORMAL_NOTICE = "formal_notice", "Mise en demeure"
    PRE_LITIGATION = "pre_litigation", "Précontentieux"


class DunningScenario(models.Model):
    """A company's list of dunning levels, applied to the customers of its segments (the
    company's default scenario serves the segments no scenario names)."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("nom", max_length=100)
    segments = models.JSONField("segments", default=list, blank=True)
    is_default = models.BooleanField("scénario par défaut", default=False)
    # Customers with an item sent at this level or above may not be invoiced without an
    # override (customers.credit.check_issue).
    block_level = models.PositiveSmallIntegerField(
        "blocage des facturations dès le niveau", default=3
    )

    class Meta:
        verbose_name = "scénario de relance"
        verbose_name_plural = "scénarios de relance"
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="dunning_scenario_name"),
            models.UniqueConstraint(
                fields=["company"], condition=Q(is_default=True), name="dunning_scenario_default"
            ),
        ]

    def __str__(self):
        return self.name


class DunningLevel(models.Model):
    """Rank 0 is the optional courtesy reminder (a negative offset: days before the due
    date); ranks 1 to 4 the amicable, formal, formal notice and pre-litigation levels."""

    scenario = models.ForeignKey(DunningScenario, on_delete=models.CASCADE, related_name="levels")
    rank = models.PositiveSmallIntegerField("niveau")
    day_offset = models.SmallIntegerField("jours après l'échéance")
    channel = models.CharField("canal", max_length=20, choices=Channel.choices)
    template = models.CharField("modèle", max_length=20, choices=Template.choices)
    needs_validation = models.BooleanField("à valider par un gestionnaire", default=True)

    class Meta:
        verbose_name = "niveau de relance"
        verbose_name_plural = "niveaux de relance"
        ordering = ["scenario", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "rank"], name="dunning_level_rank"),
        ]

    def __str__(self):
        return f"Niveau {self.rank} ({self.get_template_display()})"


class ReminderStatus(models.TextChoices):
    PROPOSED = "proposed", "À valider"
    POSTPONED = "postponed", "Reportée"
    HELD = "held", "Suspendue"
    SENT = "sent", "Envoyée"
    CANCELLED = "cancelled", "Annulée"


# A customer has at most one reminder in these statuses: the run updates it in place.
OPEN_REMINDER_STATUSES = (ReminderStatus.PROPOSED, ReminderStatus.POSTPONED, ReminderStatus.HELD)


class Reminder(models.Model):
    """One reminder to one customer: proposed by a run, then sent (or postponed, or
    cancelled when nothing is due any more). It lists every overdue item of the customer
    at its level; its level is the highest of them."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="reminders"
    )
    scenario = models.ForeignKey(DunningScenario, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField("niveau")
    channel = models.CharField("canal", max_length=20, choices=Channel.choices)
    template = models.CharField("modèle", max_length=20, choices=Template.choices)
    needs_validation = models.BooleanField(default=True)
    status = models.CharField(
        "statut", max_length=12, choices=ReminderStatus.choices, default=ReminderStatus.PROPOSED
    )
    proposed_on = models.DateField("proposée le")
    postponed_until = models.DateField("reportée au", null=True, blank=True)
    hold_reason = models.TextField("motif de suspension", blank=True)
    # The collector's edits of the message; blank means the level's default text.
    subject = models.CharField("objet", max_length=255, blank=True)
    body = models.TextField("message", blank=True)
    principal = models.DecimalField("principal", max_digits=14, decimal_places=2, default=0)
    penalties = models.DecimalField("pénalités", max_digits=14, decimal_places=2, default=0)
    recovery_fees = models.DecimalField(
        "indemnités forfaitaires", max_digits=14, decimal_places=2, default=0
    )
    deadline = models.DateField("date limite de paiement", null=True, blank=True)
    sent_on = models.DateField("envoyée le", null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    registered_mail_ref = models.CharField("n° de recommandé", max_length=40, blank=True)
    letter_pdf = models.BinaryField("lettre (PDF)", null=True, blank=True)
    mail = models.ForeignKey(
        "mailing.OutgoingMail", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A fingerprint of the planned items: a run rewrites an open reminder's items only
    # when it changes (dunning.run), so the daily runs touch what moved, not every row.
    digest = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "relance"
        ordering = ["-proposed_on", "-pk"]
        indexes = [
            models.Index(fields=["company", "status", "proposed_on"]),
            models.Index(fields=["company", "customer", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status__in=["proposed", "postponed", "held"]),
                name="reminder_one_open_per_customer",
            ),
        ]

    def __str__(self):
        return f"Relance n° {self.pk} — niveau {self.level}"

    @property
    def total(self):
        return self.principal + self.penalties + self.recovery_fees

    @property
    def is_registered(self) -> bool:
        """A registered letter with acknowledgment of receipt: its channel says so, and a
        formal notice always is one (its proof, C. civ. 1344). It is sent with its
        registered-mail number, printed on it (dunning.actions.send_reminder)."""
        return self.channel == Channel.REGISTERED or self.template == Template.FORMAL_NOTICE


class ReminderItem(models.Model):
    """One overdue installment in a reminder, at its level. `advances`: this reminder is
    the one that takes the item to `level` (else it only recalls an item already reminded
    at that level). A held item is listed with its reason and counts in no amount."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="items")
    # No database constraint on these two: a first run over a large book writes a million
    # items, and checking two foreign keys per row at commit doubled the run's time
    # (docs/benchmarks.md). They point at issued invoices and their installments, which
    # are never deleted (database triggers refuse it), and the run reads the ids it
    # writes from those very tables.
    installment = models.ForeignKey(
        "receivables.Installment",
        on_delete=models.PROTECT,
        related_name="reminder_items",
        db_constraint=False,
    )
    invoice = models.ForeignKey(
        "sales.Invoice",
        on_delete=models.PROTECT,
        related_name="reminder_items",
        db_constraint=False,
    )
    level = models.PositiveSmallIntegerField("niveau")
    advances = models.BooleanField(default=True)
    due_date = models.DateField("échéance")
    open_amount = models.DecimalField("reste dû", max_digits=14, decimal_places=2)
    held_amount = models.DecimalField(
        "montant suspendu", max_digits=14, decimal_places=2, default=0
    )
    hold_reason = models.CharField("motif de suspension", max_length=300, blank=True)
    penalties = models.DecimalField("pénalités", max_digits=14, decimal_places=2, default=0)
    recovery_fee = models.DecimalField("indemnité", max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = "ligne de relance"
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["installment", "level"])]

    def __str__(self):
        return f"{self.invoice} niveau {self.level}"

    @property
    def amount_due(self):
        return self.open_amount - self.held_amount

    @property
    def days_late(self) -> int:
        """Days late on the day the reminder was sent, or last proposed. Derived, not
        stored: an open reminder carried over to the next day keeps its rows untouched."""
        reminder = self.reminder
        return ((reminder.sent_on or reminder.proposed_on) - self.due_date).days


class CallOutcome(models.TextChoices):
    PROMISE = "promise", "Promesse de paiement"
    DISPUTE = "dispute", "Litige"
    WRONG_CONTACT = "wrong_contact", "Mauvais interlocuteur"
    NO_ANSWER = "no_answer", "Pas de réponse"
    CALLBACK = "callback", "Rappeler le"


class CallStep(models.TextChoices):
    """The five steps of a collection call, in their order."""

    IDENTIFY = "identify", "Identifier le bon interlocuteur"
    RECALL = "recall", "Rappeler les faits (factures, montants, échéances)"
    REASON = "reason", "Demander la raison du retard"
    COMMITMENT = "commitment", "Obtenir un engagement daté"
    CONFIRM = "confirm", "Confirmer par écrit"


class Call(models.Model):
    """A collection call and its outcome."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="calls"
    )
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contact_name = models.CharField("interlocuteur", max_length=200, blank=True)
    called_on = models.DateField("date de l'appel")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    steps = models.JSONField("étapes suivies", default=list, blank=True)
    outcome = models.CharField("issue", max_length=20, choices=CallOutcome.choices)
    callback_on = models.DateField("rappeler le", null=True, blank=True)
    note = models.TextField("compte rendu", blank=True)
    promise = models.ForeignKey(
        "collection.PromiseToPay", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dispute = models.ForeignKey(
        "collection.Dispute", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reminder = models.ForeignKey(
        Reminder, on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )
    confirmation_mail = models.ForeignKey(
        "mailing.OutgoingMail", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "appel de relance"
        verbose_name_plural = "appels de relance"
        ordering = ["-called_on", "-pk"]
        indexes = [
            models.Index(fields=["company", "customer", "called_on"]),
            models.Index(fields=["company", "callback_on"]),
        ]

    def __str__(self):
        return f"Appel du {self.called_on:%d/%m/%Y}"


class CaseStatus(models.TextChoices):
    PREPARED = "prepared", "Dossier constitué"
    AGENCY = "agency", "Transmis à un cabinet de recouvrement"
    COURT = "court", "Procédure judiciaire"
    RECOVERED = "recovered", "Recouvré"
    DOUBTFUL = "doubtful", "Créance douteuse (416, provision 491)"
    IRRECOVERABLE = "irrecoverable", "Créance irrécouvrable (654)"


class LitigationCase(models.Model):
    """A pre-litigation file: the claim against one customer as it stood when the file
    was made (amounts frozen), its documents, then what became of it."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="litigation_cases"
    )
    opened_on = models.DateField("constitué le")
    status = models.CharField(
        "statut", max_length=16, choices=CaseStatus.choices, default=CaseStatus.PREPARED
    )
    invoices = models.ManyToManyField("sales.Invoice", related_name="litigation_cases")
    formal_notice = models.ForeignKey(
        Reminder, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    principal = models.DecimalField("principal", max_digits=14, decimal_places=2)
    penalties = models.DecimalField("pénalités", max_digits=14, decimal_places=2)
    recovery_fees = models.DecimalField("indemnités forfaitaires", max_digits=14, decimal_places=2)
    file_pdf = models.BinaryField("dossier (PDF)", null=True, blank=True)
    file_zip = models.BinaryField("pièces (zip)", null=True, blank=True)
    agency = models.CharField("cabinet de recouvrement", max_length=200, blank=True)
    court_reference = models.CharField("référence de la procédure", max_length=100, blank=True)
    provision_amount = models.DecimalField(
        "provision", max_digits=14, decimal_places=2, null=True, blank=True
    )
    closed_on = models.DateField("clos le", null=True, blank=True)
    note = models.TextField("note", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "dossier précontentieux"
        verbose_name_plural = "dossiers précontentieux"
        ordering = ["-opened_on", "-pk"]
        indexes = [models.Index(fields=["company", "status"])]

    def __str__(self):
        return f"Dossier précontentieux n° {self.pk}"

    @property
    def total_claimed(self):
        return self.principal + self.penalties + self.recovery_fees


class CaseEvent(models.Model):
    """A change of status of a case, with its date and what was said about it."""

    case = models.ForeignKey(LitigationCase, on_delete=models.CASCADE, related_name="events")
    date = models.DateField("date")
    status = models.CharField("statut", max_length=16, choices=CaseStatus.choices)
    note = models.TextField("note", blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "étape du dossier"
        ordering = ["date", "pk"]

    def __str__(self):
        return f"{self.get_status_display()} le {self.date:%d/%m/%Y}"
