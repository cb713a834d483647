"""The dunning run (`encaisse dunning run --as-of DATE` and the button on the reminders
page): plans what is due on a date (dunning.planning), keeps one open reminder per
customer up to date, and sends at once the levels that need no validation.

Idempotent for a date: items sent at a level are never proposed again at that level, and
an open reminder is updated in place, never doubled.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from encaisse import clock
from encaisse.bulk import insert
from encaisse.errors import DomainError, ValidationFailed

from .actions import send_reminder
from .models import OPEN_REMINDER_STATUSES, Reminder, ReminderItem, ReminderStatus
from .planning import fill, plan, write_items


@dataclass
class RunReport:
    as_of: dt.date
    proposed: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    held: list = field(default_factory=list)
    cancelled: list = field(default_factory=list)
    sent: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # (reminder, message): automatic sends refused

    def lines(self) -> list[tuple[int, str]]:
        """The run's counts in French (0 and 1 take the singular)."""

        def line(rows, one, many):
            return (len(rows), many if len(rows) > 1 else one)

        return [
            line(self.proposed, "nouvelle relance proposée", "nouvelles relances proposées"),
            line(self.updated, "relance en cours mise à jour", "relances en cours mises à jour"),
            line(
                self.held,
                "suspendue (litige, promesse, exclusion)",
                "suspendues (litige, promesse, exclusion)",
            ),
            line(
                self.sent,
                "envoyée automatiquement (niveau sans validation)",
                "envoyées automatiquement (niveaux sans validation)",
            ),
            line(
                self.cancelled, "annulée (plus rien à relancer)", "annulées (plus rien à relancer)"
            ),
            line(self.failed, "envoi automatique impossible", "envois automatiques impossibles"),
        ]

    def summary(self) -> str:
        return ", ".join(f"{count} {text}" for count, text in self.lines())

    def counts(self) -> dict:
        names = ("proposed", "updated", "held", "cancelled", "sent", "failed")
        return {name: len(getattr(self, name)) for name in names}


# What fill() may change on an open reminder, besides its items.
UPDATED_FIELDS = [
    "scenario",
    "level",
    "channel",
    "template",
    "needs_validation",
    "status",
    "proposed_on",
    "postponed_until",
    "hold_reason",
    "principal",
    "digest",
]


def _state(reminder: Reminder) -> tuple:
    # scenario_id, not scenario: reading the relation would fetch it, once per reminder.
    return tuple(
        getattr(reminder, "scenario_id" if name == "scenario" else name)
        for name in UPDATED_FIELDS
        if name != "proposed_on"
    )


def _open_reminders(company, customer_ids=None):
    open_reminders = Reminder.objects.filter(
        company=company, status__in=OPEN_REMINDER_STATUSES
    ).defer("letter_pdf")
    if customer_ids is not None:
        open_reminders = open_reminders.filter(customer_id__in=customer_ids)
    return open_reminders


def check_run_date(company, as_of, customer_ids=None) -> None:
    """Refuse a run date in the future or before the last run's proposals (also checked
    by the page before it queues the run as a job)."""
    if not isinstance(as_of, dt.date):
        raise ValidationFailed("invalid_date", "Date de relance invalide.", "as_of")
    if as_of > clock.today():
        # Letters dated later than today, and automatic sends refused: never.
        raise ValidationFailed(
            "future_date", "La date de relance ne peut pas être dans le futur.", "as_of"
        )
    # A run for a day before the last one would cancel what was proposed since.
    last = _open_reminders(company, customer_ids).aggregate(last=Max("proposed_on"))["last"]
    if last is not None and as_of < last:
        raise ValidationFailed(
            "before_last_run",
            f"Des relances en cours ont été proposées le {last:%d/%m/%Y} : lancez les "
            "relances à cette date ou après.",
            "as_of",
        )


def run_dunning(
    company, as_of: dt.date, *, by=None, customer_ids=None, on_progress=None
) -> RunReport:
    """Propose (and send, for the levels that need no validation) the reminders due on
    `as_of`. Idempotent for a date. `on_progress(done, total)` is told how far the
    automatic sends are (the job's progress bar)."""
    check_run_date(company, as_of, customer_ids)
    report = RunReport(as_of)
    open_reminders = _open_reminders(company, customer_ids)
    plans = plan(company, as_of, customer_ids)
    existing = {r.customer_id: r for r in open_reminders}
    to_send = []
    with transaction.atomic():
        for customer_id, reminder in existing.items():
            if customer_id not in plans:
                reminder.status = ReminderStatus.CANCELLED
                reminder.hold_reason = "Plus rien à relancer à cette date."
                reminder.save(update_fields=["status", "hold_reason", "updated_at"])
                report.cancelled.append(reminder)
        new, changed, carried = [], [], []
        for customer_id, p in plans.items():
            reminder = existing.get(customer_id)
            if reminder is None:
                reminder = Reminder(company=company, customer_id=p.customer_id)
                fill(reminder, p, as_of)
                reminder.digest = p.digest
                new.append((reminder, p))
                report.proposed.append(reminder)
                continue
            before = _state(reminder)
            fill(reminder, p, as_of)
            if reminder.digest != p.digest:
                reminder.digest = p.digest
                changed.append((reminder, p))
            elif _state(reminder) != before:
                changed.append((reminder, None))  # same items, new status
            else:
                carried.append(reminder)  # only a day later
            report.updated.append(reminder)
        insert(Reminder, [r for r, _ in new])
        now = timezone.now()
        for reminder, _ in changed:
            reminder.updated_at = now  # bulk_update skips auto_now
        Reminder.objects.bulk_update(
            [r for r, _ in changed], [*UPDATED_FIELDS, "updated_at"], batch_size=1000
        )
        ids = [r.pk for r in carried]
        for start in range(0, len(ids), 10_000):
            Reminder.objects.filter(pk__in=ids[start : start + 10_000]).update(proposed_on=as_of)
        rewritten = [(r, p) for r, p in changed if p is not None]
        ReminderItem.objects.filter(reminder__in=[r.pk for r, _ in rewritten]).delete()
        write_items(new + rewritten)
        for reminder in report.proposed + report.updated:
            if reminder.status == ReminderStatus.HELD:
                report.held.append(reminder)
            elif reminder.status == ReminderStatus.PROPOSED and not reminder.needs_validation:
                to_send.append(reminder)
    for done, reminder in enumerate(to_send):
        if on_progress is not None and done % 50 == 0:
            on_progress(done, len(to_send))
        try:
            send_reminder(reminder, by=by, on=as_of, automatic=True)
        except DomainError as error:
            Reminder.objects.filter(pk=reminder.pk).update(
                hold_reason=f"Envoi automatique impossible : {error.message}"
            )
            report.failed.append((reminder, error.message))
        else:
            report.sent.append(reminder)
    return report
