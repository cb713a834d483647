"""Planning the dunning: for a date, the level now due on every open item, grouped in
one reminder per customer.

Rules (issue 6):
- An item goes up one level at a time: level L+1 after L was sent, never two at once,
  so no level is skipped. Level L is due from its day (due date + offset) and, after a
  level was sent, no sooner than the gap between the two levels' offsets (a reminder
  sent late because of a hold does not bring the next one closer); a broken promise lifts
  that gap: the item comes back at the next level the day after the promise's deadline.
- The courtesy level (rank 0) goes only before or on the due date.
- Held back, with the reason on the item: every item of an excluded customer, the items
  under a pending promise, the disputed part of an item (all of it when the dispute
  covers what is open).
- A customer has at most one open reminder (proposed, postponed, held): a run updates it
  in place, cancels it when nothing is due any more, and sends it at once when its level
  needs no validation. Items already sent at a level are never proposed again at that
  level, so running twice for the same date sends nothing twice.

The run reads everything it needs in a handful of set-based queries (open installments,
levels sent, disputes, promises, customers, open reminders) and writes with bulk
statements: see bench/dunning.py and docs/benchmarks.md.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max, Q

from encaisse.bulk import copy_rows
from encaisse.collection.disputes import open_in_force
from encaisse.collection.models import Dispute
from encaisse.collection.promises import PromiseStatus, promises_as_of
from encaisse.customers.models import Customer
from encaisse.money import ZERO, format_eur
from encaisse.receivables.selectors import open_installments

from .models import (
    Reminder,
    ReminderItem,
    ReminderStatus,
)
from .scenarios import exclusion_text, scenarios_by_segment

DAY = dt.timedelta(days=1)


@dataclass
class PlannedItem:
    installment_id: int
    invoice_id: int
    invoice_number: str
    due_date: dt.date
    open_amount: Decimal
    level: int
    advances: bool
    held_amount: Decimal = ZERO
    hold_reason: str = ""

    @property
    def amount_due(self) -> Decimal:
        return self.open_amount - self.held_amount


@dataclass
class Plan:
    """What is due for one customer on a date."""

    customer_id: int
    scenario: object
    levels: dict  # {rank: DunningLevel} of the scenario
    items: list[PlannedItem] = field(default_factory=list)

    @property
    def advancing(self) -> list[PlannedItem]:
        return [i for i in self.items if i.advances and i.amount_due > 0]

    @property
    def held(self) -> list[PlannedItem]:
        return [i for i in self.items if i.hold_reason and i.amount_due <= 0]

    @property
    def level(self) -> int:
        """The letter's level: the highest of the items it claims, recalls included (a
        customer under formal notice for old invoices is not sent a friendly letter
        because a new invoice reaches level 1); a held reminder's, the held items'."""
        if not self.advancing:
            return max(i.level for i in self.held)
        return max(i.level for i in self.items if i.amount_due > 0)

    @property
    def is_held(self) -> bool:
        return not self.advancing

    @property
    def digest(self) -> str:
        """A fingerprint of what the reminder would say (its items, levels, amounts,
        holds): equal digests, nothing to rewrite."""
        text = repr(
            sorted(
                (
                    i.installment_id,
                    i.level,
                    i.advances,
                    str(i.open_amount),
                    str(i.held_amount),
                    i.hold_reason,
                )
                for i in self.items
            )
        )
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    @property
    def principal(self) -> Decimal:
        return sum((i.amount_due for i in self.items if i.amount_due > 0), ZERO)


def levels_sent(company, installment_ids=None, open_on=None) -> dict[int, tuple[int, dt.date]]:
    """{installment id: (highest level sent, the day it was sent)}, for the installments
    given, or those not settled by `open_on`."""
    # Only the items a reminder took to their level: a recall of an item at the level it
    # already had does not restart the gap before the next level.
    rows = ReminderItem.objects.filter(
        reminder__company=company, reminder__status=ReminderStatus.SENT, advances=True
    )
    if open_on is not None:
        rows = rows.filter(
            Q(installment__settled_on__isnull=True)
            | Q(installment__settled_on__gt=open_on)
            | Q(installment__reopened=True)
        )
    if installment_ids is not None:
        rows = rows.filter(installment_id__in=installment_ids)
    last: dict[int, tuple[int, dt.date]] = {}
    for installment_id, level, sent_on in rows.values_list(
        "installment_id", "level", "reminder__sent_on"
    ).order_by():
        known = last.get(installment_id)
        if known is None or (level, sent_on) > known:
            last[installment_id] = (level, sent_on)
    return last


def blocking_level(customer, as_of: dt.date) -> int:
    """The highest level sent on an item of the customer still open on `as_of` (0 when
    none): from the scenario's block level on, invoicing the customer needs an override."""
    open_ids = _open_rows(customer.company, as_of, customer).values("pk")
    level = ReminderItem.objects.filter(
        reminder__company=customer.company,
        reminder__customer=customer,
        reminder__status=ReminderStatus.SENT,
        installment__in=open_ids,
    ).aggregate(level=Max("level"))["level"]
    return level or 0


def _open_rows(company, as_of, customer=None):
    """Installments open on `as_of`: today their stored open amounts (a partial index of
    the rows owing something), a past date replayed (receivables.selectors)."""
    return open_installments(company, as_of, customer)


def _holds(company, as_of, customer_ids=None):
    """({invoice id: [disputed amount, reason]}, {invoice id: reason of a pending
    promise}, {invoice id: the day its latest broken promise came back})."""
    disputes: dict[int, list] = {}
    rows = Dispute.objects.filter(open_in_force(as_of), company=company)
    if customer_ids is not None:
        rows = rows.filter(customer_id__in=customer_ids)
    for invoice_id, pk, amount in rows.values_list("invoice_id", "pk", "amount").order_by("pk"):
        entry = disputes.setdefault(invoice_id, [ZERO, []])
        entry[0] += amount
        entry[1].append(f"n° {pk}")
    promises = promises_as_of(company, as_of).filter(
        status__in=[PromiseStatus.PENDING, PromiseStatus.BROKEN]
    )
    if customer_ids is not None:
        promises = promises.filter(customer_id__in=customer_ids)
    pending: dict[int, str] = {}
    broken: dict[int, dt.date] = {}
    for invoice_id, status, promised_on, due_by, amount in promises.values_list(
        "invoices__id", "status", "promised_on", "due_by", "amount"
    ):
        if status == PromiseStatus.PENDING:
            pending[invoice_id] = (
                f"Promesse de paiement de {format_eur(amount)} au {promised_on:%d/%m/%Y}"
            )
        else:
            back = due_by + DAY
            broken[invoice_id] = max(back, broken.get(invoice_id, back))
    return disputes, pending, broken


def plan(company, as_of: dt.date, customer_ids=None) -> dict[int, Plan]:
    """{customer id: Plan} for every customer with something to remind or held back."""
    default, by_segment = scenarios_by_segment(company)
    horizon = max(
        (-level.day_offset for s in {default, *by_segment.values()} for level in s.levels.all()),
        default=0,
    )
    rows = _open_rows(company, as_of).filter(due_date__lt=as_of + dt.timedelta(days=horizon + 1))
    if customer_ids is not None:
        rows = rows.filter(customer_id__in=customer_ids)
    rows = list(
        rows.values_list(
            "pk", "customer_id", "invoice_id", "invoice__number", "due_date", "open_amount"
        ).order_by("customer_id", "due_date", "pk")
    )
    if not rows:
        return {}
    if customer_ids is None:
        sent = levels_sent(company, open_on=as_of)
    else:
        sent = levels_sent(company, installment_ids=[row[0] for row in rows])
    # (segment, exclusion reason, excluded until) of every customer: model instances
    # for a hundred thousand customers cost seconds, and the plan needs three fields.
    customers = {
        pk: rest
        for pk, *rest in Customer.objects.filter(company=company).values_list(
            "pk", "segment", "dunning_exclusion_reason", "dunning_excluded_until"
        )
    }
    disputes, pending, broken = _holds(company, as_of, customer_ids)
    levels_of = {
        s.pk: {level.rank: level for level in s.levels.all()}
        for s in {default, *by_segment.values()}
    }
    plans: dict[int, Plan] = {}
    disputed_left = {pk: amount for pk, (amount, _) in disputes.items()}
    for pk, customer_id, invoice_id, number, due_date, open_amount in rows:
        segment, exclusion, excluded_until = customers[customer_id]
        scenario = by_segment.get(segment, default)
        levels = levels_of[scenario.pk]
        days_late = (as_of - due_date).days
        last = sent.get(pk)
        level = _level_due(levels, days_late, last, as_of, broken.get(invoice_id))
        current = last[0] if last else 0
        if level is None and days_late <= 0:
            continue  # not due yet, nothing to recall
        item = PlannedItem(
            pk,
            invoice_id,
            number,
            due_date,
            open_amount,
            level if level is not None else current,
            level is not None,
        )
        if exclusion and (excluded_until is None or excluded_until >= as_of):
            item.held_amount = open_amount
            item.hold_reason = exclusion_text(exclusion, excluded_until)
        elif invoice_id in pending:
            item.held_amount, item.hold_reason = open_amount, pending[invoice_id]
        elif disputed_left.get(invoice_id, ZERO) > 0:
            held = min(disputed_left[invoice_id], open_amount)
            disputed_left[invoice_id] -= held
            item.held_amount = held
            item.hold_reason = f"Litige {', '.join(disputes[invoice_id][1])} en cours" + (
                "" if held == open_amount else f" ({format_eur(held)} contestés)"
            )
        plans.setdefault(customer_id, Plan(customer_id, scenario, levels)).items.append(item)
    # A customer is reminded when one item advances; listed as held when an item that
    # would advance is held back; else (items only recalled) there is nothing to do.
    return {
        customer_id: p
        for customer_id, p in plans.items()
        if p.advancing or any(i.advances for i in p.held)
    }


def _level_due(levels, days_late, last, as_of, broken_back) -> int | None:
    """The level an item goes up to on `as_of`, or None."""
    if last is None:
        if 0 in levels and levels[0].day_offset <= days_late <= 0:
            return 0
        if days_late <= 0:
            return None
        rank, gap_from = 1, None
    else:
        rank, gap_from = last[0] + 1, last
        if rank == 1 and days_late <= 0:
            return None
    level = levels.get(rank)
    if level is None or days_late < level.day_offset:
        return None
    if gap_from is not None and gap_from[0] in levels:
        gap = level.day_offset - levels[gap_from[0]].day_offset
        earliest = gap_from[1] + dt.timedelta(days=gap)
        if as_of < earliest and not (broken_back and broken_back > gap_from[1]):
            return None
    return rank


def fill(reminder: Reminder, p: Plan, as_of: dt.date) -> None:
    # Every planned level exists in the scenario (_level_due reads it from there), but a
    # held-only plan may name an item's level of a scenario since edited: fall back to
    # the highest level the scenario has.
    level = p.levels.get(p.level) or p.levels[max(p.levels)]
    reminder.scenario_id = p.scenario.pk
    reminder.level = p.level
    reminder.channel = level.channel
    reminder.template = level.template
    reminder.needs_validation = level.needs_validation
    reminder.proposed_on = as_of
    reminder.principal = p.principal
    if p.is_held:
        reminder.status = ReminderStatus.HELD
        reminder.hold_reason = "\n".join(sorted({i.hold_reason for i in p.held}))
    elif reminder.status == ReminderStatus.POSTPONED and (
        reminder.postponed_until and reminder.postponed_until > as_of
    ):
        reminder.hold_reason = ""
    else:
        reminder.status = ReminderStatus.PROPOSED
        reminder.postponed_until = None
        reminder.hold_reason = ""


def write_items(reminders_and_plans) -> None:
    """Create the items of (reminder, plan) pairs, in bulk (encaisse.bulk)."""
    copy_rows(
        ReminderItem,
        ITEM_COLUMNS,
        (
            (
                reminder.pk,
                i.installment_id,
                i.invoice_id,
                i.level,
                i.advances,
                i.due_date,
                i.open_amount,
                i.held_amount,
                i.hold_reason[:300],
                ZERO,
                ZERO,
            )
            for reminder, p in reminders_and_plans
            for i in p.items
        ),
    )


ITEM_COLUMNS = [
    "reminder_id",
    "installment_id",
    "invoice_id",
    "level",
    "advances",
    "due_date",
    "open_amount",
    "held_amount",
    "hold_reason",
    "penalties",
    "recovery_fee",
]
