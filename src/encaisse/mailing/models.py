"""The outbox: every mail encaisse sends is first a row here, then sent by `send-mail`.

A mail is queued in the same transaction as the business change that asks for it, and
sent later, outside any transaction: a rollback never leaves a sent mail behind, and a
failing mail server leaves the row failed with its reason, to be retried, never lost.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class MailStatus(models.TextChoices):
    QUEUED = "queued", "En attente"
    SENT = "sent", "Envoyé"
    FAILED = "failed", "Échec"


class OutgoingMail(models.Model):
    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    to = models.JSONField("destinataires", default=list)
    cc = models.JSONField("copie à", default=list, blank=True)
    subject = models.CharField("objet", max_length=255)
    body = models.TextField("message")
    status = models.CharField(
        "statut", max_length=10, choices=MailStatus.choices, default=MailStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    # When the next try may happen: null = now. A failed mail with no next attempt has
    # used all its tries and waits for someone to press "Réessayer".
    next_attempt_at = models.DateTimeField("prochaine tentative", null=True, blank=True)
    last_error = models.TextField("motif de l'échec", blank=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)
    invoice = models.ForeignKey(
        "sales.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mails",
        verbose_name="document",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mails",
        verbose_name="client",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "e-mail sortant"
        verbose_name_plural = "e-mails sortants"
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=~Q(status="sent"),
                name="mail_pending_idx",
            ),
            models.Index(fields=["company", "created_at"]),
        ]

    def __str__(self):
        return f"E-mail « {self.subject} » à {', '.join(self.to)}"


class MailAttachment(models.Model):
    """A file sent with a mail: either a reference to an archived document (read from
    the archive when the mail is sent, so the bytes sent are the stored ones and are not
    copied into the outbox), or bytes of its own."""

    mail = models.ForeignKey(OutgoingMail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField("nom du fichier", max_length=200)
    content_type = models.CharField(max_length=100, default="application/octet-stream")
    document = models.ForeignKey(
        "sales.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    document_format = models.CharField(max_length=10, blank=True)  # "pdf", "xml"...
    content = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "pièce jointe"
        constraints = [
            models.CheckConstraint(
                condition=(Q(document__isnull=False) & Q(content__isnull=True))
                | (Q(document__isnull=True) & Q(content__isnull=False)),
                name="attachment_document_or_bytes",
            )
        ]

    def __str__(self):
        return self.filename
