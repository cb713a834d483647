"""The demo's collection history: the last weeks of dunning as a collector would have
worked them, so the reminders, the agenda and the collection files have something to
show. Through the services, like the rest of the demo, each day with the clock at that
day (the dates the services default to "today" are that day's)."""

import contextlib
import datetime as dt

from encaisse import clock
from encaisse.collection.disputes import open_dispute
from encaisse.collection.models import ReferenceRate
from encaisse.collection.promises import record_promise
from encaisse.collection.rates import KINDS_IN_USE, next_half_year, rates_for
from encaisse.companies.models import Role
from encaisse.customers.models import Customer
from encaisse.dunning.actions import send_reminder
from encaisse.dunning.calls import log_call
from encaisse.dunning.models import CallOutcome, CallStep, ReminderStatus
from encaisse.dunning.run import run_dunning
from encaisse.dunning.scenarios import set_dunning_profile
from encaisse.errors import DomainError
from encaisse.money import format_decimal, q2
from encaisse.receivables import selectors

HISTORY_DAYS = 75
RUN_EVERY = 3  # days between two runs of the history
LEFT_TO_VALIDATE = 7  # the proposals of the last days are left for the collector


def fill_missing_rates(company, today: dt.date) -> list[str]:
    """Half-years up to today that the published table does not cover yet get the last
    known rate, as the demo company's own fictitious value (`is_demo`): its letters show
    penalties, labelled as such, and no other company on the database ever reads them
    (rates.rate_on). A real company refuses those dates until the published rate is
    entered."""
    notes = []
    for kind in KINDS_IN_USE:
        last = rates_for(company, kind).order_by("-valid_from").first()
        if last is None:
            continue
        day = next_half_year(last.valid_from)
        while day <= today:
            ReferenceRate.objects.create(
                kind=kind,
                valid_from=day,
                rate=last.rate,
                company=company,
                is_demo=True,
                source=f"taux du {last.valid_from:%d/%m/%Y} repris faute de taux publié",
            )
            notes.append(
                f"Taux fictif de démonstration : {ReferenceRate.Kind(kind).label} au "
                f"{day:%d/%m/%Y} ({format_decimal(last.rate)} %), propre à la société de "
                "démonstration."
            )
            day = next_half_year(day)
    return notes


def _late_customers(company, day: dt.date, days: int) -> list[int]:
    """Customers with an item at least `days` late on `day`, most late first."""
    rows = (
        selectors.open_installments(company, day)
        .filter(due_date__lte=day - dt.timedelta(days=days))
        .order_by("due_date", "pk")
        .values_list("customer_id", "invoice_id", "open_amount")
    )
    seen: dict[int, tuple] = {}
    for customer_id, invoice_id, amount in rows:
        seen.setdefault(customer_id, (invoice_id, q2(amount)))  # SQLite: a float
    return list(seen.items())


def make_collection(company, users: dict, today: dt.date) -> list[str]:
    notes = fill_missing_rates(company, today)
    collector, admin = users[Role.COLLECTION], users[Role.ADMIN]
    for customer in Customer.objects.filter(company=company).order_by("pk"):
        set_dunning_profile(customer, {"collector": collector.pk}, by=admin)
    start = today - dt.timedelta(days=HISTORY_DAYS)
    events = {
        today - dt.timedelta(days=21): _broken_promise,
        today - dt.timedelta(days=12): _dispute,
        today - dt.timedelta(days=3): _call_with_promise,
    }
    done = set()
    for day in _days(start, today, RUN_EVERY):
        with clock.at(day):  # the collector's day: every service sees it as today
            for when, event in events.items():
                if when <= day and when not in done:
                    done.add(when)
                    event(company, collector, day)
            report = run_dunning(company, day, by=collector)
            if day > today - dt.timedelta(days=LEFT_TO_VALIDATE):
                continue  # the collector's last days: proposals wait for today
            for reminder in report.proposed + report.updated:
                if reminder.status == ReminderStatus.PROPOSED:
                    # Refused sends (no e-mail address...) stay proposed, as in real life.
                    with contextlib.suppress(DomainError):
                        send_reminder(
                            reminder,
                            by=collector,
                            registered_mail_ref=f"1A {reminder.pk:05d} {day:%d%m} 9"
                            if reminder.level >= 3
                            else "",
                        )
    # Today's run: what the collector finds to validate this morning.
    run_dunning(company, today, by=collector)
    return notes


def _days(start: dt.date, end: dt.date, step: int):
    """start, start + step... before `end`."""
    day = start
    while day < end:
        yield day
        day += dt.timedelta(days=step)


def _broken_promise(company, collector, day):
    late = _late_customers(company, day, 20)
    if not late:
        return
    customer_id, (invoice_id, amount) = late[0]
    record_promise(
        company,
        {
            "customer": customer_id,
            "invoices": [invoice_id],
            "amount": amount,
            "promised_on": day + dt.timedelta(days=7),
            "promised_by": "Service comptabilité",
            "channel": "phone",
            "tolerance_days": 3,
        },
        by=collector,
    )


def _dispute(company, collector, day):
    late = _late_customers(company, day, 10)
    if len(late) < 2:
        return
    _, (invoice_id, _) = late[1]
    open_dispute(
        company,
        {
            "invoice": invoice_id,
            "category": "quality",
            "customer_words": "Le four livré chauffe mal : nous ne réglerons qu'après "
            "l'intervention du technicien.",
            "owner": collector.pk,
            "department": "logistics",
            "target_date": day + dt.timedelta(days=10),
        },
        by=collector,
    )


def _call_with_promise(company, collector, day):
    late = _late_customers(company, day, 15)
    if len(late) < 3:
        return
    customer_id, (invoice_id, amount) = late[2]
    log_call(
        company,
        {
            "customer": customer_id,
            "contact_name": "Mme Lefèvre, comptabilité",
            "steps": list(CallStep.values),
            "outcome": CallOutcome.PROMISE,
            "note": "Trésorerie tendue ce mois-ci ; règlement par virement promis.",
            "promise_invoices": [invoice_id],
            "promise_amount": amount,
            "promised_on": day + dt.timedelta(days=10),
        },
        by=collector,
    )
