"""A customer's collection file (dossier débiteur) as of a date: what the collector has
on screen when calling. Contacts, open items with the last dunning level sent, penalties
accrued, one timeline of every reminder, call, promise, dispute, payment and credit
incident, how the customer pays, and what its lateness costs.

Read only, set-based per kind of row (a handful of queries per file, whatever the
customer's history), and as of a date like every figure of encaisse.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Max, Sum
from django.urls import NoReverseMatch, reverse

from encaisse.collection import claims
from encaisse.collection.models import Dispute, DisputeStatus
from encaisse.collection.penalties import penalties as penalty_table
from encaisse.collection.promises import PromiseStatus, promises_as_of
from encaisse.errors import DomainError
from encaisse.legal import LatePaymentRegime, late_payment_regime
from encaisse.money import HUNDRED, ZERO, format_eur, q2
from encaisse.receivables.models import Allocation, Payment
from encaisse.receivables.selectors import active_on, customer_balance, open_installments
from encaisse.reporting.late_cost import late_cost
from encaisse.sales.models import Invoice

from .models import Call, CallOutcome, Reminder, ReminderItem, ReminderStatus
from .scenarios import is_excluded

DAYS_PLACES = Decimal("0.1")
BEHAVIOUR_MONTHS = 12
TREND_MONTHS = 3
# Average days late of the last 3 months against the 3 before: a change of up to 2 days
# either way is noise (one invoice paid on a Monday instead of a Friday), not a trend.
TREND_TOLERANCE_DAYS = Decimal("2")
# The timeline shows the newest entries; each kind is read newest first up to this many,
# so that the merged list's first TIMELINE_LIMIT entries are exactly the newest overall.
TIMELINE_LIMIT = 200
NOTHING_CLAIMED = claims.Outstanding(ZERO, ZERO)


class Trend:
    IMPROVING = "improving"
    STABLE = "stable"
    WORSENING = "worsening"

    LABELS = {IMPROVING: "en amélioration", STABLE: "stable", WORSENING: "en dégradation"}


@dataclass(frozen=True)
class OpenItem:
    installment_id: int
    invoice_id: int
    invoice_number: str
    position: int
    issue_date: dt.date
    due_date: dt.date
    amount: Decimal
    open_amount: Decimal
    days_late: int  # negative: not due yet
    level: int | None  # the highest dunning level sent for it, None if never reminded
    level_sent_on: dt.date | None


@dataclass(frozen=True)
class PenaltyRow:
    invoice_id: int
    invoice_number: str
    penalties: Decimal
    recovery_fee: Decimal
    outstanding: Decimal  # what of both is not yet invoiced nor waived
    error: str = ""  # the engine's refusal (a day without a known rate), shown as is

    @property
    def total(self) -> Decimal:
        return self.penalties + self.recovery_fee


@dataclass(frozen=True)
class TimelineEntry:
    date: dt.date
    kind: str  # reminder, call, promise, dispute_opened, dispute_resolved, payment, incident
    label: str
    detail: str = ""
    amount: Decimal | None = None
    object_id: int | None = None
    url: str | None = None


@dataclass
class Behaviour:
    """Installments settled in the 12 months up to the date; a settled installment is
    late by settled_on − due_date days (0 when paid by the due date), settled_on being
    the day its last money came in (Allocation.paid_on), not the day it was matched."""

    since: dt.date  # exclusive
    settled_count: int = 0
    settled_amount: Decimal = ZERO
    late_count: int = 0
    late_amount: Decimal = ZERO
    average_days_late: Decimal | None = None  # weighted by amount
    recent_average: Decimal | None = None  # last 3 months
    previous_average: Decimal | None = None  # the 3 months before
    trend: str | None = None  # Trend.*, None when either window has nothing settled

    @property
    def late_share_count(self) -> Decimal | None:
        if not self.settled_count:
            return None
        return _ratio(Decimal(self.late_count) * HUNDRED, Decimal(self.settled_count))

    @property
    def late_share_amount(self) -> Decimal | None:
        if not self.settled_amount:
            return None
        return _ratio(self.late_amount * HUNDRED, self.settled_amount)

    @property
    def trend_label(self) -> str:
        return Trend.LABELS.get(self.trend, "non mesurable")


@dataclass
class CollectionFile:
    customer: object
    as_of: dt.date
    contacts: list = field(default_factory=list)
    balance: Decimal = ZERO
    items: list[OpenItem] = field(default_factory=list)
    penalties: list[PenaltyRow] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    behaviour: Behaviour | None = None
    late_cost: Decimal | None = None  # None while the company's financing rate is unknown
    financing_rate: Decimal | None = None
    excluded: bool = False

    @property
    def overdue(self) -> Decimal:
        return sum((i.open_amount for i in self.items if i.days_late > 0), ZERO)

    @property
    def open_total(self) -> Decimal:
        return sum((i.open_amount for i in self.items), ZERO)

    @property
    def level(self) -> int | None:
        """The highest level sent on an item still open."""
        levels = [i.level for i in self.items if i.level is not None]
        return max(levels) if levels else None

    @property
    def penalties_total(self) -> Decimal:
        return sum((r.penalties for r in self.penalties), ZERO)

    @property
    def recovery_fees_total(self) -> Decimal:
        return sum((r.recovery_fee for r in self.penalties), ZERO)

    @property
    def outstanding_total(self) -> Decimal:
        return sum((r.outstanding for r in self.penalties), ZERO)

    @property
    def consumer(self) -> bool:
        """A private person: legal interest from the formal notice, no penalty nor fee."""
        return late_payment_regime(self.customer) is LatePaymentRegime.CONSUMER

    @property
    def penalty_errors(self) -> list[str]:
        """The engine's refusals, each once (a missing rate refuses every invoice)."""
        return list(dict.fromkeys(r.error for r in self.penalties if r.error))

    @property
    def collector(self):
        return self.customer.collector

    @property
    def exclusion_reason(self) -> str:
        return self.customer.dunning_exclusion_reason if self.excluded else ""

    @property
    def excluded_until(self) -> dt.date | None:
        return self.customer.dunning_excluded_until if self.excluded else None


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    return (numerator / denominator).quantize(DAYS_PLACES, rounding=ROUND_HALF_UP)


def _url(name: str, *args, query: str = "", anchor: str = "") -> str | None:
    """A page of the web UI, or None while it does not exist (pages of other parts of
    the dunning may land later)."""
    try:
        return reverse(f"web:{name}", args=args) + query + anchor
    except NoReverseMatch:
        return None


# ---------------------------------------------------------------- open items


def levels_sent(customer, as_of: dt.date, installment_ids) -> dict[int, tuple[int, dt.date]]:
    """{installment id: (highest level sent by `as_of`, the last day a reminder was sent
    for it)}: one grouped query over the items of the customer's sent reminders."""
    rows = (
        ReminderItem.objects.filter(
            reminder__company=customer.company,
            reminder__customer=customer,
            reminder__status=ReminderStatus.SENT,
            reminder__sent_on__lte=as_of,
            installment_id__in=list(installment_ids),
        )
        .order_by()
        .values("installment_id")
        .annotate(level=Max("level"), sent_on=Max("reminder__sent_on"))
    )
    return {r["installment_id"]: (r["level"], r["sent_on"]) for r in rows}


def open_items(customer, as_of: dt.date) -> list[OpenItem]:
    rows = list(
        open_installments(customer.company, as_of, customer)
        .order_by("due_date", "pk")
        .values(
            "pk",
            "invoice_id",
            "invoice__number",
            "position",
            "issue_date",
            "due_date",
            "amount",
            "open_amount",
        )
    )
    levels = levels_sent(customer, as_of, [r["pk"] for r in rows])
    return [
        OpenItem(
            installment_id=r["pk"],
            invoice_id=r["invoice_id"],
            invoice_number=r["invoice__number"],
            position=r["position"],
            issue_date=r["issue_date"],
            due_date=r["due_date"],
            amount=r["amount"],
            open_amount=q2(r["open_amount"]),
            days_late=(as_of - r["due_date"]).days,
            level=levels.get(r["pk"], (None, None))[0],
            level_sent_on=levels.get(r["pk"], (None, None))[1],
        )
        for r in rows
    ]


def penalty_rows(items: list[OpenItem], as_of: dt.date) -> list[PenaltyRow]:
    """Penalties and recovery fee accrued by `as_of` on each invoice with an overdue
    item, and what of them is still to claim (not invoiced nor waived)."""
    ids = sorted({i.invoice_id for i in items if i.days_late > 0})
    already = claims.claimed(ids)
    rows = []
    for invoice in Invoice.objects.filter(pk__in=ids).select_related("company", "customer"):
        try:
            table = penalty_table(invoice, as_of)
            left = claims.outstanding(
                invoice, as_of, table=table, already=already.get(invoice.pk, NOTHING_CLAIMED)
            )
        except DomainError as exc:
            rows.append(PenaltyRow(invoice.pk, invoice.number, ZERO, ZERO, ZERO, exc.message))
            continue
        rows.append(
            PenaltyRow(invoice.pk, invoice.number, table.penalties, table.recovery_fee, left.total)
        )
    return sorted(rows, key=lambda r: r.invoice_number)


# ---------------------------------------------------------------- behaviour


def _weighted_days(rows) -> Decimal | None:
    amount = sum((r[0] for r in rows), ZERO)
    if not amount:
        return None
    return _ratio(sum((a * d for a, d in rows), ZERO), amount)


def payment_behaviour(customer, as_of: dt.date) -> Behaviour:
    """Over the installments settled in the 12 months up to `as_of` (settled: fully
    allocated by allocations in force on `as_of`, on the latest of their credits' dates,
    Allocation.paid_on): average
    days late weighted by amount, share paid late by count and by amount, and the trend
    of the last 3 months against the 3 before."""
    since = as_of - relativedelta(months=BEHAVIOUR_MONTHS)
    recent_from = as_of - relativedelta(months=TREND_MONTHS)
    previous_from = as_of - relativedelta(months=2 * TREND_MONTHS)
    rows = (
        Allocation.objects.filter(
            active_on(as_of),
            company=customer.company,
            customer=customer,
            installment__isnull=False,
            paid_on__lte=as_of,  # a cheque remitted after as_of was not money in yet
        )
        .order_by()
        .values("installment_id", "installment__amount", "installment__due_date")
        .annotate(total=Sum("amount"), settled_on=Max("paid_on"))
        .filter(settled_on__gt=since)
    )
    behaviour = Behaviour(since=since)
    settled = []  # (amount, days late, settled on)
    for r in rows:
        amount = r["installment__amount"]
        if q2(r["total"]) != amount:  # partly paid: not settled yet
            continue
        days = max(0, (r["settled_on"] - r["installment__due_date"]).days)
        settled.append((amount, days, r["settled_on"]))
    for amount, days, _ in settled:
        behaviour.settled_count += 1
        behaviour.settled_amount += amount
        if days > 0:
            behaviour.late_count += 1
            behaviour.late_amount += amount
    behaviour.average_days_late = _weighted_days([(a, d) for a, d, _ in settled])
    behaviour.recent_average = _weighted_days([(a, d) for a, d, s in settled if s > recent_from])
    behaviour.previous_average = _weighted_days(
        [(a, d) for a, d, s in settled if previous_from < s <= recent_from]
    )
    if behaviour.recent_average is not None and behaviour.previous_average is not None:
        change = behaviour.recent_average - behaviour.previous_average
        if change > TREND_TOLERANCE_DAYS:
            behaviour.trend = Trend.WORSENING
        elif change < -TREND_TOLERANCE_DAYS:
            behaviour.trend = Trend.IMPROVING
        else:
            behaviour.trend = Trend.STABLE
    return behaviour


# ---------------------------------------------------------------- timeline


def _reminder_entries(customer, as_of):
    entries = []
    sent = (
        Reminder.objects.filter(
            company=customer.company,
            customer=customer,
            status=ReminderStatus.SENT,
            sent_on__lte=as_of,
        )
        .select_related("sent_by")
        .order_by("-sent_on", "-pk")[:TIMELINE_LIMIT]
    )
    for r in sent:
        detail = f"{r.get_channel_display()} · {r.get_template_display()}"
        if r.registered_mail_ref:
            detail += f" · recommandé n° {r.registered_mail_ref}"
        entries.append(
            TimelineEntry(
                r.sent_on,
                "reminder",
                f"Relance de niveau {r.level} envoyée",
                detail + _amounts(r),
                r.total,
                r.pk,
                _url("reminder_detail", r.pk),
            )
        )
    pending = Reminder.objects.filter(
        company=customer.company,
        customer=customer,
        status__in=(ReminderStatus.PROPOSED, ReminderStatus.POSTPONED, ReminderStatus.HELD),
        proposed_on__lte=as_of,
    ).order_by("-proposed_on", "-pk")[:TIMELINE_LIMIT]
    for r in pending:
        state = r.get_status_display().lower()
        if r.status == ReminderStatus.POSTPONED and r.postponed_until:
            state += f" au {r.postponed_until:%d/%m/%Y}"
        entries.append(
            TimelineEntry(
                r.proposed_on,
                "reminder",
                f"Relance de niveau {r.level} proposée ({state})",
                f"{r.get_channel_display()} · {r.get_template_display()}" + _amounts(r),
                r.total,
                r.pk,
                _url("reminder_detail", r.pk),
            )
        )
    return entries


def _amounts(reminder) -> str:
    text = f" · principal {format_eur(reminder.principal)}"
    if reminder.penalties:
        text += f", pénalités {format_eur(reminder.penalties)}"
    if reminder.recovery_fees:
        text += f", indemnités {format_eur(reminder.recovery_fees)}"
    return text


def _call_entries(customer, as_of):
    calls = (
        Call.objects.filter(company=customer.company, customer=customer, called_on__lte=as_of)
        .select_related("by")
        .order_by("-called_on", "-pk")[:TIMELINE_LIMIT]
    )
    entries = []
    for c in calls:
        label = f"Appel : {c.get_outcome_display().lower()}"
        if c.outcome == CallOutcome.CALLBACK and c.callback_on:
            label += f" {c.callback_on:%d/%m/%Y}"
        who = c.contact_name or "interlocuteur non noté"
        by = c.by.get_full_name() or c.by.get_username()
        detail = f"{who} · par {by}"
        if c.note:
            detail += f" · {c.note}"
        entries.append(
            TimelineEntry(
                c.called_on,
                "call",
                label,
                detail,
                None,
                c.pk,
                _url("collection_file", customer.pk, anchor=f"#call-{c.pk}"),
            )
        )
    return entries


def _promise_entries(customer, as_of):
    promises = (
        promises_as_of(customer.company, as_of)
        .filter(customer=customer)
        .prefetch_related("invoices")
        .order_by("-recorded_on", "-pk")[:TIMELINE_LIMIT]
    )
    url = _url("promises", query=f"?customer={customer.pk}")
    return [
        TimelineEntry(
            p.recorded_on,
            "promise",
            f"Promesse de {format_eur(p.amount)} pour le {p.promised_on:%d/%m/%Y} "
            f"({PromiseStatus.LABELS[p.status].lower()})",
            f"{p.promised_by} · {p.get_channel_display().lower()} · factures "
            + ", ".join(sorted(i.number for i in p.invoices.all())),
            p.amount,
            p.pk,
            url,
        )
        for p in promises
    ]


def _dispute_entries(customer, as_of):
    base = Dispute.objects.filter(company=customer.company, customer=customer).select_related(
        "invoice"
    )
    entries = []
    for d in base.filter(opened_on__lte=as_of).order_by("-opened_on", "-pk")[:TIMELINE_LIMIT]:
        entries.append(
            TimelineEntry(
                d.opened_on,
                "dispute_opened",
                f"Litige ouvert sur la facture {d.invoice.number}",
                f"{d.get_category_display()} · « {d.customer_words} »",
                d.amount,
                d.pk,
                _url("dispute_detail", d.pk),
            )
        )
    for d in base.filter(resolved_on__lte=as_of).order_by("-resolved_on", "-pk")[:TIMELINE_LIMIT]:
        entries.append(
            TimelineEntry(
                d.resolved_on,
                "dispute_resolved",
                f"Litige clos sur la facture {d.invoice.number} "
                f"({DisputeStatus(d.status).label.lower()})",
                d.resolution_reason,
                d.amount,
                d.pk,
                _url("dispute_detail", d.pk),
            )
        )
    return entries


def _payment_entries(customer, as_of):
    payments = Payment.objects.filter(
        company=customer.company, customer=customer, date__lte=as_of
    ).order_by("-date", "-pk")[:TIMELINE_LIMIT]
    return [
        TimelineEntry(
            p.date,
            "payment",
            f"Règlement {p.number} reçu ({p.get_method_display()})",
            p.reference,
            p.amount,
            p.pk,
            _url("payment_detail", p.pk),
        )
        for p in payments
    ]


def _incident_entries(customer, as_of):
    incidents = customer.incidents.filter(date__lte=as_of).order_by("-date", "-pk")[:TIMELINE_LIMIT]
    return [
        TimelineEntry(
            i.date,
            "incident",
            f"Incident : {i.get_kind_display().lower()}",
            i.note,
            None,
            i.pk,
            _url("customer_detail", customer.pk, anchor="#credit"),
        )
        for i in incidents
    ]


# Same day: the newest kind of fact first (a payment often answers the call of that day).
KIND_ORDER = {
    "payment": 6,
    "dispute_resolved": 5,
    "call": 4,
    "promise": 3,
    "dispute_opened": 2,
    "reminder": 1,
    "incident": 0,
}

KIND_LABELS = {
    "reminder": "Relance",
    "call": "Appel",
    "promise": "Promesse",
    "dispute_opened": "Litige",
    "dispute_resolved": "Litige",
    "payment": "Règlement",
    "incident": "Incident",
}


def timeline(customer, as_of: dt.date) -> list[TimelineEntry]:
    """Every reminder, call, promise, dispute, payment and credit incident of the
    customer by `as_of`, newest first (at most TIMELINE_LIMIT)."""
    entries = (
        _reminder_entries(customer, as_of)
        + _call_entries(customer, as_of)
        + _promise_entries(customer, as_of)
        + _dispute_entries(customer, as_of)
        + _payment_entries(customer, as_of)
        + _incident_entries(customer, as_of)
    )
    entries.sort(key=lambda e: (e.date, KIND_ORDER[e.kind], e.object_id or 0), reverse=True)
    return entries[:TIMELINE_LIMIT]


# ---------------------------------------------------------------- the file


def collection_file(customer, as_of: dt.date) -> CollectionFile:
    company = customer.company
    items = open_items(customer, as_of)
    cost = late_cost(company, as_of, customer)
    return CollectionFile(
        customer=customer,
        as_of=as_of,
        contacts=list(customer.contacts.all()),
        balance=q2(customer_balance(customer, as_of)),
        items=items,
        penalties=penalty_rows(items, as_of),
        timeline=timeline(customer, as_of),
        behaviour=payment_behaviour(customer, as_of),
        late_cost=cost.cost,
        financing_rate=cost.rate,
        excluded=is_excluded(customer, as_of),
    )
