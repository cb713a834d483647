"""The outbox: queue a mail with the change that asks for it, send it later, retry.

`queue_mail` only writes rows, inside the caller's transaction. `send_queued` (the
`encaisse send-mail` command, and the scheduler's `mailing.send_queued` job every minute)
sends what is due through Django's email backend, one mail at a time and outside any
transaction: each mail is first claimed (attempts + 1, next try pushed back by a lease) in
a short transaction that reads it FOR UPDATE SKIP LOCKED, so two runs at once (two
workers) never send it twice, and a run that dies mid-send leaves the mail to be tried
again once the lease is over, never lost. A failure keeps the reason and schedules the
next try with a growing delay, up to MAX_ATTEMPTS tries; then the mail waits for a
manual retry.

A mail whose attached document is issued but not archived yet (its render job has not
run: documents/jobs.py) is not sent and not failed: it is deferred by ARCHIVE_WAIT, its
try not counted, and goes once the files exist.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from encaisse.audit import services as audit
from encaisse.companies.models import Company
from encaisse.companies.permissions import ISSUE_INVOICES, VIEW, require
from encaisse.documents import archive
from encaisse.errors import Conflict, ValidationFailed

from .models import MailAttachment, MailStatus, OutgoingMail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Delay before try n + 1 after the n-th failure: 5 min, 20 min, 1 h 20, 5 h 20.
BACKOFF_BASE = dt.timedelta(minutes=5)
BACKOFF_FACTOR = 4
# How long a claimed mail is left alone: longer than one send can take (EMAIL_TIMEOUT).
LEASE = dt.timedelta(minutes=10)
# How long a mail waits when its attached document is not archived yet (seconds away).
ARCHIVE_WAIT = dt.timedelta(seconds=30)
MAX_RECIPIENTS = 20


def parse_addresses(value, field_name: str, label: str, *, required: bool) -> list[str]:
    """A list of addresses, or one string of them separated by commas, semicolons or
    spaces; each checked. Duplicates dropped, order kept."""
    if isinstance(value, str):
        items = value.replace(";", ",").replace("\n", ",").replace(" ", ",").split(",")
    else:
        items = list(value or [])
    addresses: list[str] = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        try:
            validate_email(item)
        except ValidationError:
            raise ValidationFailed(
                "invalid_email",
                f"{label} : « {item} » n'est pas une adresse e-mail valide.",
                field_name,
            ) from None
        if item.lower() not in {a.lower() for a in addresses}:
            addresses.append(item)
    if required and not addresses:
        raise ValidationFailed(
            "no_recipient", f"{label} : indiquez au moins une adresse.", field_name
        )
    if len(addresses) > MAX_RECIPIENTS:
        raise ValidationFailed(
            "too_many_recipients", f"{label} : {MAX_RECIPIENTS} adresses au plus.", field_name
        )
    return addresses


def queue_mail(
    company: Company,
    *,
    to,
    subject: str,
    body: str,
    cc=(),
    attachments=(),
    invoice=None,
    customer=None,
    by=None,
) -> OutgoingMail:
    """Put a mail in the outbox. `attachments`: dicts with `filename`, `content_type` and
    either `document` + `format` (an archived document, read when sending) or `content`
    (bytes). Call it inside the transaction of the change that asks for the mail."""
    if by is not None:
        require(by, company, VIEW)
    to = parse_addresses(to, "to", "Destinataires", required=True)
    cc = parse_addresses(cc, "cc", "Copie à", required=False)
    subject = " ".join((subject or "").split())  # no line breaks in a header
    if not subject:
        raise ValidationFailed("required", "L'objet est obligatoire.", "subject")
    if len(subject) > 255:
        raise ValidationFailed("too_long", "L'objet a 255 caractères au plus.", "subject")
    body = (body or "").strip()
    if not body:
        raise ValidationFailed("required", "Le message est obligatoire.", "body")
    with transaction.atomic():
        mail = OutgoingMail.objects.create(
            company=company,
            to=to,
            cc=cc,
            subject=subject,
            body=body,
            invoice=invoice,
            customer=customer,
            created_by=audit.actor(by),
        )
        for item in attachments:
            document = item.get("document")
            MailAttachment.objects.create(
                mail=mail,
                filename=item["filename"],
                content_type=item.get("content_type") or "application/octet-stream",
                document=document,
                document_format=item.get("format", "") if document is not None else "",
                content=None if document is not None else bytes(item["content"]),
            )
        audit.record("mail.queued", mail, by=by, changes={"to": ", ".join(to), "subject": subject})
    return mail


def read_archived(document, fmt: str) -> bytes:
    """The stored bytes of an archived document: what is sent is what was issued."""
    return archive.read(document, fmt)


def _message(mail: OutgoingMail, connection) -> EmailMessage:
    reply_to = [mail.company.email] if mail.company.email else []
    message = EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=mail.to,
        cc=mail.cc,
        reply_to=reply_to,
        connection=connection,
    )
    for item in mail.attachments.all():
        if item.document_id is not None:
            content = read_archived(item.document, item.document_format)
        else:
            content = bytes(item.content)
        message.attach(item.filename, content, item.content_type)
    return message


def _due(now):
    return Q(status=MailStatus.QUEUED, next_attempt_at__isnull=True) | (
        Q(status__in=[MailStatus.QUEUED, MailStatus.FAILED], next_attempt_at__lte=now)
    )


def backoff(attempts: int) -> dt.timedelta:
    """Delay after the `attempts`-th failed try."""
    return BACKOFF_BASE * BACKOFF_FACTOR ** max(attempts - 1, 0)


@dataclass
class SendReport:
    sent: list[OutgoingMail] = field(default_factory=list)
    failed: list[OutgoingMail] = field(default_factory=list)
    # Waiting for their attached document's files (not a failure, not a try).
    deferred: list[OutgoingMail] = field(default_factory=list)


def _defer(mail: OutgoingMail, now) -> None:
    """Give the claim back: the try is not counted, the mail stays as it was (queued, or
    failed waiting for its next try) and is due again after ARCHIVE_WAIT."""
    OutgoingMail.objects.filter(pk=mail.pk).update(
        attempts=F("attempts") - 1, next_attempt_at=now + ARCHIVE_WAIT
    )


def _claim(now, pk: int | None = None) -> int | None:
    """Take the oldest due mail (or the mail `pk`, if due) for this run, or None.

    One short transaction: the row is read FOR UPDATE SKIP LOCKED on PostgreSQL (a row
    another run is claiming is skipped, not waited for; once that run has committed, the
    row no longer matches as due), then its lease is set. On SQLite, the IMMEDIATE
    transaction takes the write lock at BEGIN: claims are serialised."""
    with transaction.atomic():
        due = OutgoingMail.objects.filter(_due(now))
        if pk is not None:
            due = due.filter(pk=pk)
        claimed = (
            due.order_by("created_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
            .first()
        )
        if claimed is not None:
            OutgoingMail.objects.filter(pk=claimed).update(
                attempts=F("attempts") + 1, next_attempt_at=now + LEASE
            )
    return claimed


def _record_invoice_sent(mail: OutgoingMail) -> None:
    changes = {"to": ", ".join(mail.to), "subject": mail.subject}
    audit.record("invoice.mailed", mail.invoice, company=mail.company, changes=changes)
    if mail.customer_id:
        audit.record(
            "customer.invoice_mailed",
            mail.customer,
            company=mail.company,
            changes={"invoice": mail.invoice.number, **changes},
        )


def _claimed(now, ids=None):
    """The mails this run takes, one at a time: the due ones, oldest first, or those of
    `ids` that are due (one sent meanwhile by another run is passed over)."""
    if ids is None:
        while (pk := _claim(now)) is not None:
            yield pk
    else:
        for pk in ids:
            if _claim(now, pk) is not None:
                yield pk


def send_queued(limit: int | None = None, *, now=None, ids=None, on_progress=None) -> SendReport:
    """Send the mails that are due, oldest first; at most `limit`. `ids`: only those
    mails (a selection sent at once, `mailing.send_mails`), `on_progress(done, total)`
    told after each."""
    now = now or timezone.now()
    report = SendReport()
    connection = None
    for pk in _claimed(now, ids):
        connection = connection or get_connection()
        mail = OutgoingMail.objects.select_related("company", "invoice", "customer").get(pk=pk)
        try:
            _message(mail, connection).send()
        except archive.DocumentNotReady:  # read before anything is sent: try again soon
            _defer(mail, now)
            report.deferred.append(mail)
        except Exception as exc:  # any failure at all is kept as the reason
            reason = f"{type(exc).__name__} : {exc}"[:2000]
            log.warning("mail %s not sent: %s", mail.pk, reason)
            with transaction.atomic():
                mail.status = MailStatus.FAILED
                mail.last_error = reason
                mail.next_attempt_at = (
                    now + backoff(mail.attempts) if mail.attempts < MAX_ATTEMPTS else None
                )
                mail.save(update_fields=["status", "last_error", "next_attempt_at"])
                audit.record(
                    "mail.failed",
                    mail,
                    changes={"attempts": mail.attempts, "reason": reason},
                )
            report.failed.append(mail)
        else:
            with transaction.atomic():
                mail.status = MailStatus.SENT
                mail.sent_at = timezone.now()
                mail.next_attempt_at = None
                mail.save(update_fields=["status", "sent_at", "next_attempt_at"])
                audit.record("mail.sent", mail, changes={"to": ", ".join(mail.to)})
                if mail.invoice_id:
                    _record_invoice_sent(mail)
            report.sent.append(mail)
        done = len(report.sent) + len(report.failed)
        if on_progress is not None and ids is not None:
            on_progress(done, len(ids))
        if limit is not None and done >= limit:
            break
    return report


def retry_mail(mail: OutgoingMail, *, by) -> OutgoingMail:
    """Put a failed mail back in the queue now, whatever its tries so far."""
    require(by, mail.company, ISSUE_INVOICES)
    with transaction.atomic():
        mail = OutgoingMail.objects.select_for_update().get(pk=mail.pk)
        if mail.status != MailStatus.FAILED:
            raise Conflict("mail_not_failed", "Seul un e-mail en échec peut être renvoyé.")
        mail.status = MailStatus.QUEUED
        mail.next_attempt_at = None
        mail.save(update_fields=["status", "next_attempt_at"])
        audit.record("mail.retried", mail, by=by, changes={"attempts": mail.attempts})
    return mail


def outbox(company: Company, status: str = ""):
    qs = OutgoingMail.objects.filter(company=company).select_related("invoice", "customer")
    if status:
        qs = qs.filter(status=status)
    return qs
