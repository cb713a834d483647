"""The collector's agenda (« Agenda des relances »): what to do today, in sections.

- Calls to make: reminders of the phone channel waiting for the collector, calls whose
  callback day has come (and no call since), customers whose promise to pay broke
  (due date, tolerance included, passed yesterday or earlier) and who were neither
  called nor sent a reminder since.
- Letters and e-mails to validate: proposed reminders of a level that needs validation.
- Promises due today: pending promises between their promised day and their due date.
- Disputes to chase: open (or escalated) disputes past their target date.
- Customers newly over their credit limit: over it today, not over it 7 days ago (those
  over for longer are on the Encours page; repeating them every day would bury the news).

Scope: the customers whose collector is `user`; all customers with `everyone`, and also
when the company has named no collector at all (else the agenda would be empty for
everybody until collectors are named).

A section's rows are `Rows`: read a page at a time (its length is a COUNT, a slice reads
only that slice), so that an agenda of 100,000 reminders to validate shows its count and
a page of them, never all of them.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models import Exists, OuterRef, Q

from encaisse.collection.models import OPEN_DISPUTE_STATUSES, Dispute
from encaisse.collection.promises import PromiseStatus, broken_promises, promises_as_of
from encaisse.customers.credit import positions
from encaisse.customers.models import Customer
from encaisse.money import format_eur

from .models import Call, Channel, Reminder, ReminderStatus

# "Newly" over the limit: not over it this many days ago.
NEWLY_OVER_DAYS = 7


@dataclass
class Row:
    """One thing to do about one customer. `reminder`, `dispute`, `promise`, `call`:
    the record it is about, when there is one (the page links to it)."""

    customer: Customer
    what: str
    detail: str = ""
    amount: Decimal | None = None
    date: dt.date | None = None
    reminder: Reminder | None = None
    dispute: Dispute | None = None
    promise: object = None
    call: Call | None = None


class Rows(Sequence):
    """A section's rows, one part after the other: a (queryset, make) pair is counted and
    sliced in SQL, each record it reads made a Row by `make`; a list is already rows."""

    def __init__(self, *parts):
        self.parts = parts

    @cached_property
    def lengths(self) -> list[int]:
        return [len(p) if isinstance(p, list) else p[0].count() for p in self.parts]

    def __len__(self) -> int:
        return sum(self.lengths)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0] if index >= 0 else list(self)[index]
        start, stop, step = index.indices(len(self))
        assert step == 1, "a section is read a page at a time"
        rows = []
        for part, length in zip(self.parts, self.lengths, strict=True):
            if start < length and stop > 0:
                lo, hi = max(start, 0), min(stop, length)
                if isinstance(part, list):
                    rows += part[lo:hi]
                else:
                    queryset, make = part
                    rows += [make(record) for record in queryset[lo:hi]]
            start, stop = start - length, stop - length
        return rows

    def __iter__(self):
        return iter(self[:])


def _rows(queryset, make: Callable) -> Rows:
    return Rows((queryset, make))


@dataclass
class Section:
    key: str
    title: str
    empty: str
    rows: Sequence[Row] = field(default_factory=list)


@dataclass
class Desk:
    today: dt.date
    everyone: bool
    # True when the company names no collector: the agenda shows every customer.
    no_collectors: bool
    sections: list[Section]

    @property
    def count(self) -> int:
        return sum(len(s.rows) for s in self.sections)


def _scope(qs, user, everyone: bool, path: str = "customer__"):
    return qs if everyone else qs.filter(**{f"{path}collector": user})


def calls_to_make(company, user, today: dt.date, everyone: bool) -> Rows:
    phone = _scope(
        Reminder.objects.filter(
            company=company, status=ReminderStatus.PROPOSED, channel=Channel.PHONE
        ),
        user,
        everyone,
    ).select_related("customer", "customer__collector")
    phone_rows = (
        phone.order_by("proposed_on", "pk"),
        lambda r: Row(
            r.customer,
            f"Appel de relance (niveau {r.level})",
            f"Proposé le {r.proposed_on:%d/%m/%Y}",
            r.total,
            r.proposed_on,
            reminder=r,
        ),
    )
    # A callback is done once a later call to the customer was logged.
    later = Call.objects.filter(customer=OuterRef("customer")).filter(
        Q(called_on__gt=OuterRef("called_on"))
        | Q(called_on=OuterRef("called_on"), pk__gt=OuterRef("pk"))
    )
    callbacks = _scope(
        Call.objects.filter(company=company, callback_on__lte=today).exclude(Exists(later)),
        user,
        everyone,
    ).select_related("customer", "customer__collector")
    callback_rows = (
        callbacks.order_by("callback_on", "pk"),
        lambda c: Row(
            c.customer,
            "Rappeler" + (f" ({c.contact_name})" if c.contact_name else ""),
            f"Appel du {c.called_on:%d/%m/%Y} : {c.get_outcome_display().lower()}"
            + (f" — {c.note}" if c.note else ""),
            None,
            c.callback_on,
            call=c,
        ),
    )
    # Broken promises (broken_promises: due_by < today, so broken yesterday or earlier),
    # the latest per customer, unless the customer was called or reminded after it.
    called_since = Call.objects.filter(
        customer=OuterRef("customer"), called_on__gt=OuterRef("due_by")
    )
    reminded_since = Reminder.objects.filter(
        customer=OuterRef("customer"), status=ReminderStatus.SENT, sent_on__gt=OuterRef("due_by")
    )
    broken = (
        _scope(broken_promises(company, today), user, everyone)
        .exclude(Exists(called_since))
        .exclude(Exists(reminded_since))
    )
    seen, broken_rows = set(), []
    for p in sorted(broken, key=lambda p: (p.due_by, p.pk), reverse=True):
        if p.customer_id in seen:
            continue
        seen.add(p.customer_id)
        broken_rows.append(
            Row(
                p.customer,
                "Promesse non tenue",
                f"{format_eur(p.amount)} promis pour le {p.promised_on:%d/%m/%Y} "
                f"par {p.promised_by}, reçu {format_eur(p.received)}",
                p.amount - p.received,
                p.due_by,
                promise=p,
            )
        )
    return Rows(phone_rows, callback_rows, broken_rows)


def to_validate(company, user, today: dt.date, everyone: bool) -> Rows:
    qs = _scope(
        Reminder.objects.filter(
            company=company, status=ReminderStatus.PROPOSED, needs_validation=True
        ).exclude(channel=Channel.PHONE),
        user,
        everyone,
    ).select_related("customer", "customer__collector")
    return _rows(
        qs.order_by("-level", "proposed_on", "pk"),
        lambda r: Row(
            r.customer,
            f"{r.get_template_display()} (niveau {r.level})",
            # Sent only with its number (actions.send_reminder): say so before the click.
            f"{r.get_channel_display()} · n° de recommandé à saisir"
            if r.is_registered
            else r.get_channel_display(),
            # The principal: penalties and fees are computed for the letter (its page).
            r.principal,
            r.proposed_on,
            reminder=r,
        ),
    )


def promises_due(company, user, today: dt.date, everyone: bool) -> Rows:
    qs = _scope(
        promises_as_of(company, today).filter(
            status=PromiseStatus.PENDING, promised_on__lte=today, due_by__gte=today
        ),
        user,
        everyone,
    ).select_related("customer", "customer__collector")
    return _rows(
        qs.order_by("promised_on", "pk"),
        lambda p: Row(
            p.customer,
            f"Promesse de {format_eur(p.amount)}",
            f"Promise pour le {p.promised_on:%d/%m/%Y} par {p.promised_by}, "
            f"tolérance jusqu'au {p.due_by:%d/%m/%Y} ; reçu {format_eur(p.received)}",
            p.amount - p.received,
            p.promised_on,
            promise=p,
        ),
    )


def disputes_to_chase(company, user, today: dt.date, everyone: bool) -> Rows:
    qs = _scope(
        Dispute.objects.filter(
            company=company, status__in=OPEN_DISPUTE_STATUSES, target_date__lt=today
        ),
        user,
        everyone,
    ).select_related("customer", "customer__collector", "invoice", "owner")
    return _rows(
        qs.order_by("target_date", "pk"),
        lambda d: Row(
            d.customer,
            f"Litige n° {d.pk} — facture {d.invoice.number}",
            f"{d.get_category_display()}, {d.get_status_display().lower()}, responsable "
            f"{d.owner.get_full_name() or d.owner.get_username()}",
            d.amount,
            d.target_date,
            dispute=d,
        ),
    )


def newly_over_limit(company, user, today: dt.date, everyone: bool) -> list[Row]:
    # Only customers with a limit can pass it: without any, no aged balance to compute.
    if not _scope(
        Customer.objects.filter(company=company, credit_limit__isnull=False), user, everyone, ""
    ).exists():
        return []
    now = positions(company, today, show="over")
    if not everyone:
        now = [p for p in now if p.customer.collector_id == user.pk]
    if not now:
        return []
    before = {
        p.customer.pk
        for p in positions(company, today - dt.timedelta(days=NEWLY_OVER_DAYS), show="over")
    }
    return [
        Row(
            p.customer,
            "Limite de crédit dépassée",
            f"Encours {format_eur(p.exposure)} pour une limite de {format_eur(p.limit)}",
            p.over_by,
            today,
        )
        for p in now
        if p.customer.pk not in before
    ]


def desk(company, user, today: dt.date, *, everyone: bool = False) -> Desk:
    no_collectors = not Customer.objects.filter(company=company, collector__isnull=False).exists()
    everyone = everyone or no_collectors
    args = (company, user, today, everyone)
    sections = [
        Section(
            "calls",
            "Appels à passer",
            "Aucun appel à passer.",
            calls_to_make(*args),
        ),
        Section(
            "validate",
            "Courriers et e-mails à valider",
            "Aucune relance à valider.",
            to_validate(*args),
        ),
        Section(
            "promises",
            "Promesses attendues aujourd'hui",
            "Aucune promesse attendue aujourd'hui.",
            promises_due(*args),
        ),
        Section(
            "disputes",
            "Litiges à relancer (date cible dépassée)",
            "Aucun litige en retard.",
            disputes_to_chase(*args),
        ),
        Section(
            "credit",
            "Nouveaux dépassements de limite de crédit",
            f"Aucun client passé au-delà de sa limite depuis {NEWLY_OVER_DAYS} jours.",
            newly_over_limit(*args),
        ),
    ]
    return Desk(today, everyone, no_collectors, sections)
