"""Promises to pay: recorded with their date and tolerance; kept, pending or broken is
derived for a date from the customer's payments, never stored (a stored flag would be
stale the day a payment arrives or is recorded late).

A promise is kept once the customer's payments received from the day it was recorded to
its due date (promised date + tolerance days), allocated or not, add up to its amount;
pending while its due date has not passed; broken after. A payment counts on the day its
money came in (Payment.received_on: a remitted cheque on its slip's date), the same day
that stops the penalties (collection.penalties) and makes an invoice paid.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, CharField, F, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Round

from encaisse import clock
from encaisse.audit import services as audit
from encaisse.companies.permissions import COLLECT, require
from encaisse.customers.models import Customer
from encaisse.errors import NotFound, ValidationFailed
from encaisse.money import ZERO, format_eur
from encaisse.receivables.models import Payment
from encaisse.receivables.selectors import MONEY, payment_received_on
from encaisse.receivables.services.payments import parse_date
from encaisse.sales.kinds import codes
from encaisse.sales.models import DocumentStatus, Invoice
from encaisse.validation import clean_column, parse_decimal

from .models import PromiseChannel, PromiseToPay

MAX_TOLERANCE_DAYS = 30


class PromiseStatus:
    PENDING = "pending"
    KEPT = "kept"
    BROKEN = "broken"

    LABELS = {PENDING: "En attente", KEPT: "Tenue", BROKEN: "Non tenue"}


def promises_as_of(company, as_of: dt.date):
    """Promises recorded by `as_of`, annotated with `received` (payments counted for
    each by that day) and `status`."""
    received = (
        Payment.objects.annotate(received_on=payment_received_on())
        .filter(
            # company first: the (company, customer, date) index of payments serves it.
            company=OuterRef("company"),
            customer=OuterRef("customer"),
            # A cheque is never remitted before it is received: bounding the date too
            # keeps the index useful.
            date__lte=OuterRef("due_by"),
            received_on__gte=OuterRef("recorded_on"),
            # Payments after the due date do not keep the promise, nor those not yet
            # received on `as_of`.
            received_on__lte=OuterRef("due_by"),
        )
        .filter(received_on__lte=as_of)
        .order_by()
        .values("customer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        PromiseToPay.objects.filter(company=company, recorded_on__lte=as_of)
        .annotate(
            received=Coalesce(
                Subquery(received, output_field=MONEY), Value(ZERO), output_field=MONEY
            )
        )
        # Rounded in SQL: SQLite sums decimals as floats (see receivables.selectors).
        .annotate(shortfall=Round(F("amount") - F("received"), 2, output_field=MONEY))
        .annotate(
            status=Case(
                When(shortfall__lte=0, then=Value(PromiseStatus.KEPT)),
                When(due_by__gte=as_of, then=Value(PromiseStatus.PENDING)),
                default=Value(PromiseStatus.BROKEN),
                output_field=CharField(),
            )
        )
    )


def promise_status(promise: PromiseToPay, as_of: dt.date) -> str:
    """Pending, kept or broken on `as_of` (pending for a day before it was recorded)."""
    row = promises_as_of(promise.company, as_of).filter(pk=promise.pk).values("status").first()
    return row["status"] if row else PromiseStatus.PENDING


def broken_promises(company, as_of: dt.date):
    """Promises broken on `as_of`: their due date has passed without the amount."""
    return (
        promises_as_of(company, as_of)
        .filter(status=PromiseStatus.BROKEN)
        .select_related("customer")
        .order_by("due_by", "pk")
    )


def record_promise(company, data: dict, *, by) -> PromiseToPay:
    """Record a customer's promise: customer, invoices (ids, issued, theirs), amount,
    promised_on, promised_by (the person's name), channel, tolerance_days (default 3),
    note, recorded_on (default today)."""
    require(by, company, COLLECT)
    customer = Customer.objects.filter(
        company=company,
        pk=data.get("customer") if str(data.get("customer", "")).isdigit() else None,
    ).first()
    if customer is None:
        raise NotFound("Client introuvable.")
    ids = list(data.get("invoices") or [])
    if not ids:
        raise ValidationFailed(
            "invoices_required", "Choisissez la ou les factures concernées.", "invoices"
        )
    if not all(str(i).isdigit() for i in ids):
        raise ValidationFailed("unknown_invoice", "Facture inconnue.", "invoices")
    invoices = list(
        Invoice.objects.filter(
            company=company,
            customer=customer,
            kind__in=codes(creates_receivable=True),
            status=DocumentStatus.ISSUED,
            pk__in=ids,
        )
    )
    if len(invoices) != len({int(i) for i in ids}):
        raise ValidationFailed(
            "unknown_invoice",
            f"Les factures doivent être des factures émises de {customer.legal_name}.",
            "invoices",
        )
    amount = parse_decimal(data.get("amount"), "amount", "Le montant promis", places=2)
    if amount <= 0:
        raise ValidationFailed("zero_amount", "Le montant promis doit être positif.", "amount")
    recorded_on = parse_date(
        data.get("recorded_on") or clock.today(), "recorded_on", "La date d'enregistrement"
    )
    if recorded_on > clock.today():
        raise ValidationFailed("future_date", "Cette date est dans le futur.", "recorded_on")
    if not data.get("promised_on"):
        raise ValidationFailed("required", "La date promise est obligatoire.", "promised_on")
    promised_on = parse_date(data["promised_on"], "promised_on", "La date promise")
    if promised_on < recorded_on:
        raise ValidationFailed(
            "promise_in_past", "La date promise ne peut pas être passée.", "promised_on"
        )
    tolerance = data.get("tolerance_days")
    tolerance = 3 if tolerance in (None, "") else tolerance
    if not str(tolerance).isdigit() or int(tolerance) > MAX_TOLERANCE_DAYS:
        raise ValidationFailed(
            "invalid_tolerance",
            f"La tolérance est un nombre de jours de 0 à {MAX_TOLERANCE_DAYS}.",
            "tolerance_days",
        )
    tolerance = int(tolerance)
    promised_by = clean_column(PromiseToPay, "promised_by", (data.get("promised_by") or "").strip())
    note = clean_column(PromiseToPay, "note", (data.get("note") or "").strip())
    if not promised_by:
        raise ValidationFailed(
            "required", "Indiquez qui a promis (nom de l'interlocuteur).", "promised_by"
        )
    channel = data.get("channel")
    if channel not in PromiseChannel.values:
        raise ValidationFailed("invalid_channel", "Canal inconnu.", "channel")
    with transaction.atomic():
        promise = PromiseToPay.objects.create(
            company=company,
            customer=customer,
            amount=amount,
            promised_on=promised_on,
            tolerance_days=tolerance,
            due_by=promised_on + dt.timedelta(days=tolerance),
            promised_by=promised_by,
            channel=channel,
            recorded_on=recorded_on,
            note=note,
            created_by=audit.actor(by),
        )
        promise.invoices.set(invoices)
        audit.record(
            "promise.recorded",
            promise,
            by=by,
            changes={
                "customer": customer.legal_name,
                "amount": format_eur(amount),
                "promised_on": promised_on,
                "tolerance_days": tolerance,
                "invoices": sorted(i.number for i in invoices),
            },
        )
    return promise


def received_for(promise: PromiseToPay, as_of: dt.date) -> Decimal:
    row = promises_as_of(promise.company, as_of).filter(pk=promise.pk).values("received").first()
    return row["received"] if row else ZERO
