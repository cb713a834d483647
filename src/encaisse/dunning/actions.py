"""What a collector does with a reminder: send it (validating it), edit its message,
postpone it, cancel it, record the registered-mail number of its letter."""

import datetime as dt

from django.db import transaction

from encaisse import clock
from encaisse.audit import services as audit
from encaisse.companies.permissions import COLLECT, require
from encaisse.errors import Conflict, NotFound, ValidationFailed
from encaisse.legal import FORMAL_NOTICE_DAYS
from encaisse.money import ZERO, format_eur
from encaisse.receivables.services.payments import parse_date
from encaisse.validation import clean_column

from .models import (
    Channel,
    Reminder,
    ReminderItem,
    ReminderStatus,
    Template,
)
from .planning import fill, plan, write_items

LETTER_CHANNELS = (Channel.LETTER, Channel.LETTER_AND_EMAIL, Channel.REGISTERED)
EMAIL_CHANNELS = (Channel.EMAIL, Channel.LETTER_AND_EMAIL)
REGISTERED_REF_LENGTH = Reminder._meta.get_field("registered_mail_ref").max_length
# From the formal reminder on, letters state the penalties and fees accrued.
PENALTY_TEMPLATES = (Template.FORMAL, Template.FORMAL_NOTICE, Template.PRE_LITIGATION)


def get_reminder(company, pk) -> Reminder:
    reminder = (
        Reminder.objects.filter(company=company, pk=pk if str(pk).isdigit() else None)
        .select_related("customer", "scenario")
        .first()
    )
    if reminder is None:
        raise NotFound("Relance introuvable.")
    return reminder


def reminders(company, *, status=None, level=None, collector=None, customer=None):
    qs = Reminder.objects.filter(company=company).select_related("customer", "sent_by")
    if status:
        qs = qs.filter(status__in=status if isinstance(status, list | tuple) else [status])
    if level not in (None, ""):
        qs = qs.filter(level=level)
    if collector is not None:
        qs = qs.filter(customer__collector=collector)
    if customer is not None:
        qs = qs.filter(customer=customer)
    return qs


def _locked(reminder: Reminder) -> Reminder:
    return (
        Reminder.objects.select_for_update()
        .select_related("customer", "scenario", "company")
        .get(pk=reminder.pk)
    )


def _check_open(reminder: Reminder) -> None:
    if reminder.status == ReminderStatus.SENT:
        raise Conflict(
            "already_sent", f"Cette relance a déjà été envoyée le {reminder.sent_on:%d/%m/%Y}."
        )
    if reminder.status == ReminderStatus.CANCELLED:
        raise Conflict("cancelled", "Cette relance est annulée.")


def _refresh(reminder: Reminder, on: dt.date) -> bool:
    """Bring a reminder proposed earlier up to `on` (payments, disputes and promises since
    then), so what is sent is right on the day it is sent. False, the reminder cancelled,
    when nothing is due any more."""
    p = plan(reminder.company, on, [reminder.customer_id]).get(reminder.customer_id)
    if p is None:
        reminder.status = ReminderStatus.CANCELLED
        reminder.hold_reason = "Plus rien à relancer à cette date."
        reminder.save(update_fields=["status", "hold_reason", "updated_at"])
        return False
    fill(reminder, p, on)
    reminder.digest = p.digest
    reminder.save()
    reminder.items.all().delete()
    write_items([(reminder, p)])
    return True


def _penalties(reminder: Reminder, on: dt.date) -> list[ReminderItem]:
    """The reminder's items, what of each invoice's lateness is still to claim on `on` put
    on its first item (the engine computing per invoice): L.441-10 penalties and the
    recovery fee from a professional, interest at the legal rate since the formal notice
    from a consumer (collection.penalties applies the invoice's regime); their sums on the
    reminder. Nothing saved: the send stores them (`_send`), the reminder's page and the
    letter's preview show them (`claimed_amounts`), so that all three say the same."""
    from encaisse.collection.claims import outstanding

    seen = set()
    items = list(
        reminder.items.select_related(
            "invoice", "invoice__company", "invoice__customer", "installment"
        )
    )
    for item in items:
        item.penalties = item.recovery_fee = ZERO
        if item.amount_due <= 0 or item.days_late <= 0 or item.invoice_id in seen:
            continue
        seen.add(item.invoice_id)
        item.penalties, item.recovery_fee = outstanding(item.invoice, on)
    reminder.penalties = sum((i.penalties for i in items), ZERO)
    reminder.recovery_fees = sum((i.recovery_fee for i in items), ZERO)
    return items


def claimed_amounts(reminder: Reminder) -> list[ReminderItem]:
    """The reminder's items with the penalties and fees its letter claims: as stored
    once sent; until then as the send will compute them on the letter's date (the day
    it was proposed; a send on a later day first brings the reminder up to that day).
    The reminder's `penalties` and `recovery_fees` are set to their sums (not saved).
    Raises as the engine does when a reference rate is missing."""
    if reminder.status == ReminderStatus.SENT or reminder.template not in PENALTY_TEMPLATES:
        return list(reminder.items.select_related("invoice", "installment"))
    return _penalties(reminder, reminder.proposed_on)


def send_reminder(
    reminder: Reminder,
    *,
    by,
    on: dt.date | None = None,
    to=None,
    registered_mail_ref: str = "",
    automatic: bool = False,
) -> Reminder:
    """Validate and send a proposed (or postponed) reminder on `on` (today by default):
    its amounts brought up to that day, the letter rendered and kept, the e-mail queued
    for the e-mail channels. `automatic`: sent by the run, for a level that needs no
    validation (no user then). A registered letter needs its registered-mail number
    (`registered_mail_ref`), printed on it: without it, the formal notice proves
    nothing."""
    if not automatic:
        require(by, reminder.company, COLLECT)
    today = clock.today()
    on = today if on is None else on
    if on > today:
        raise ValidationFailed("future_date", "Une relance ne part pas dans le futur.", "on")
    ref = _registered_ref(registered_mail_ref, "registered_mail_ref", required=False)
    with transaction.atomic():
        reminder = _locked(reminder)
        _check_open(reminder)
        if on < reminder.proposed_on:
            raise ValidationFailed(
                "before_proposal",
                f"La relance a été proposée le {reminder.proposed_on:%d/%m/%Y} : elle ne "
                "peut pas partir avant.",
                "on",
            )
        nothing_due = on > reminder.proposed_on and not _refresh(reminder, on)
        if not nothing_due:
            _send(reminder, on, by, to, ref, automatic)
    if nothing_due:  # raised once the cancellation is saved
        raise Conflict(
            "nothing_due",
            f"Plus rien n'est à relancer chez {reminder.customer.legal_name} au "
            f"{on:%d/%m/%Y} : la relance est annulée.",
        )
    return reminder


def _send(reminder: Reminder, on, by, to, ref, automatic) -> None:
    from encaisse.documents.reminders import reminder_pdf
    from encaisse.mailing.invoices import recipients
    from encaisse.mailing.services import queue_mail

    from .messages import default_message, letter_filename

    if reminder.status == ReminderStatus.HELD:
        raise Conflict("held", f"Relance suspendue : {reminder.hold_reason}")
    if reminder.is_registered and not ref:
        # Checked here, after the refresh: the level (and its channel) is the day's.
        raise ValidationFailed(
            "registered_mail_ref_required",
            "Indiquez le numéro du recommandé : une lettre recommandée ne part pas sans lui.",
            "registered_mail_ref",
        )
    if reminder.template in PENALTY_TEMPLATES:
        ReminderItem.objects.bulk_update(_penalties(reminder, on), ["penalties", "recovery_fee"])
    if reminder.template in (Template.FORMAL_NOTICE, Template.PRE_LITIGATION):
        # The formal notice's deadline, and the last letter's before litigation.
        reminder.deadline = on + dt.timedelta(days=FORMAL_NOTICE_DAYS)
    reminder.status = ReminderStatus.SENT
    reminder.sent_on = on
    reminder.sent_by = audit.actor(by)
    reminder.registered_mail_ref = ref
    reminder.postponed_until = None
    pdf = reminder_pdf(reminder) if reminder.channel in LETTER_CHANNELS else None
    reminder.letter_pdf = pdf
    if reminder.channel in EMAIL_CHANNELS:
        subject, body = default_message(reminder)
        attachments = []
        if pdf is not None:
            attachments.append(
                {
                    "filename": letter_filename(reminder),
                    "content_type": "application/pdf",
                    "content": pdf,
                }
            )
        reminder.mail = queue_mail(
            reminder.company,
            to=recipients(reminder.customer, to),
            subject=reminder.subject or subject,
            body=reminder.body or body,
            attachments=attachments,
            customer=reminder.customer,
            by=by,
        )
    reminder.save()
    audit.record(
        "reminder.sent",
        reminder,
        by=by,
        changes={
            "customer": reminder.customer.legal_name,
            "level": reminder.level,
            "channel": reminder.get_channel_display(),
            "principal": format_eur(reminder.principal),
            "penalties": format_eur(reminder.penalties),
            "recovery_fees": format_eur(reminder.recovery_fees),
            "automatic": automatic,
        },
    )


def edit_reminder(reminder: Reminder, data: dict, *, by) -> Reminder:
    """Change the subject and message of a reminder not yet sent (blank: the level's
    default text)."""
    require(by, reminder.company, COLLECT)
    subject = clean_column(Reminder, "subject", " ".join((data.get("subject") or "").split()))
    body = clean_column(Reminder, "body", (data.get("body") or "").strip())
    with transaction.atomic():
        reminder = _locked(reminder)
        _check_open(reminder)
        before = [reminder.subject, reminder.body]
        reminder.subject, reminder.body = subject, body
        reminder.save(update_fields=["subject", "body", "updated_at"])
        audit.record(
            "reminder.edited",
            reminder,
            by=by,
            changes={"subject": [before[0], subject], "body": [before[1], body]},
        )
    return reminder


def postpone_reminder(reminder: Reminder, until, *, by, reason: str = "") -> Reminder:
    """Postpone to a later day: the runs until then leave it aside (updating its items)."""
    require(by, reminder.company, COLLECT)
    if not until:
        raise ValidationFailed("required", "Indiquez la date de report.", "until")
    until = parse_date(until, "until", "La date de report")
    if until <= clock.today():
        raise ValidationFailed(
            "not_later", "La date de report doit être postérieure à aujourd'hui.", "until"
        )
    with transaction.atomic():
        reminder = _locked(reminder)
        _check_open(reminder)
        if reminder.status == ReminderStatus.HELD:
            raise Conflict("held", f"Relance suspendue : {reminder.hold_reason}")
        reminder.status = ReminderStatus.POSTPONED
        reminder.postponed_until = until
        reminder.save(update_fields=["status", "postponed_until", "updated_at"])
        audit.record(
            "reminder.postponed",
            reminder,
            by=by,
            changes={"until": until, "reason": (reason or "").strip()},
        )
    return reminder


def cancel_reminder(reminder: Reminder, reason: str, *, by) -> Reminder:
    """Drop a proposal. The items stay at their level: the next run proposes them again
    when they are still due."""
    require(by, reminder.company, COLLECT)
    reason = clean_column(Reminder, "hold_reason", (reason or "").strip(), field="reason")
    if not reason:
        raise ValidationFailed("required", "Indiquez le motif de l'annulation.", "reason")
    with transaction.atomic():
        reminder = _locked(reminder)
        _check_open(reminder)
        reminder.status = ReminderStatus.CANCELLED
        reminder.hold_reason = reason
        reminder.save(update_fields=["status", "hold_reason", "updated_at"])
        audit.record("reminder.cancelled", reminder, by=by, changes={"reason": reason})
    return reminder


def _registered_ref(value, field: str, *, required: bool) -> str:
    """A registered-mail number as typed, its spaces folded (La Poste prints them in
    groups: "1A 123 456 7890 1")."""
    ref = " ".join((value or "").split())
    if required and not ref:
        raise ValidationFailed("required", "Indiquez le numéro du recommandé.", field)
    if len(ref) > REGISTERED_REF_LENGTH:
        raise ValidationFailed(
            "too_long", f"Le numéro a {REGISTERED_REF_LENGTH} caractères au plus.", field
        )
    return ref


def record_registered_mail(reminder: Reminder, ref: str, *, by) -> Reminder:
    """The registered-mail number of a letter sent: corrects the number given at the
    send (a registered letter never goes without one), or adds it to an ordinary letter
    the collector chose to send registered."""
    require(by, reminder.company, COLLECT)
    ref = _registered_ref(ref, "ref", required=True)
    with transaction.atomic():
        reminder = _locked(reminder)
        if reminder.status != ReminderStatus.SENT or reminder.channel not in LETTER_CHANNELS:
            raise Conflict(
                "not_a_letter_sent", "Seul un courrier envoyé a un numéro de recommandé."
            )
        before = reminder.registered_mail_ref
        reminder.registered_mail_ref = ref
        reminder.save(update_fields=["registered_mail_ref", "updated_at"])
        audit.record(
            "reminder.registered_mail_recorded",
            reminder,
            by=by,
            changes={"registered_mail_ref": [before, ref]},
        )
    return reminder
