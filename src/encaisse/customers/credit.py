"""Credit control: a customer's credit limit, its incidents, its exposure, and the check
made when an invoice is issued (sales/services/issuing.py).

Exposure = what the customer owes today (open receivables, net of its unallocated
credits) + the invoice being issued. Confirmed orders not yet invoiced will count too once
orders exist; there are none in encaisse yet.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from encaisse import clock
from encaisse.audit import services as audit
from encaisse.companies.permissions import CREDIT_OVERRIDE, EDIT_CUSTOMERS, require
from encaisse.errors import Conflict, ValidationFailed
from encaisse.money import HUNDRED, ZERO, format_eur, q2
from encaisse.receivables.selectors import customer_balance
from encaisse.validation import clean_column, clean_text, parse_decimal

from .models import CreditIncident, CreditLimitOrigin, Customer, IncidentKind

# A customer is "near" its limit from this share of it used: far enough ahead to call
# the customer or ask the insurer for more cover before an invoice is refused.
NEAR_LIMIT_PERCENT = Decimal("80")
OVERRIDE_REASON_MAX = 500

LIMIT_FIELDS = [
    "credit_limit",
    "credit_limit_origin",
    "credit_insurer",
    "credit_covered_amount",
    "credit_cover_date",
]


def _amount(value, field: str, label: str, *, required: bool) -> Decimal | None:
    number = parse_decimal(value, field, label, places=2, required=required)
    return None if number is None else q2(number)


def set_credit_limit(
    customer: Customer,
    *,
    limit,
    origin: str,
    insurer: str | None = None,
    covered_amount=None,
    cover_date: dt.date | None = None,
    by,
) -> Customer:
    """Set (or, with origin manual and no limit, remove) the customer's credit limit.

    A manual limit is any amount >= 0 (0: every invoice needs an override, for customers
    who must pay in advance). An insured limit needs the insurer, the covered amount and
    the date of the cover; it defaults to the covered amount and cannot exceed it: above
    the cover the company would carry the risk alone, which is a manual decision.
    """
    require(by, customer.company, CREDIT_OVERRIDE)
    if origin not in CreditLimitOrigin.values:
        raise ValidationFailed(
            "invalid_origin", "Origine de la limite de crédit inconnue.", "credit_limit_origin"
        )
    limit = _amount(limit, "credit_limit", "La limite de crédit", required=False)
    insurer = clean_column(Customer, "credit_insurer", (insurer or "").strip())
    if origin == CreditLimitOrigin.INSURANCE:
        if not insurer:
            raise ValidationFailed(
                "required", "L'assureur-crédit est obligatoire.", "credit_insurer"
            )
        covered_amount = _amount(
            covered_amount, "credit_covered_amount", "Le montant garanti", required=True
        )
        if covered_amount == 0:
            raise ValidationFailed(
                "not_positive", "Le montant garanti doit être positif.", "credit_covered_amount"
            )
        if cover_date is None:
            raise ValidationFailed(
                "required", "La date de la garantie est obligatoire.", "credit_cover_date"
            )
        if cover_date > clock.today():
            raise ValidationFailed(
                "future_date",
                "La date de la garantie ne peut pas être à venir.",
                "credit_cover_date",
            )
        if limit is None:
            limit = covered_amount
        elif limit > covered_amount:
            raise ValidationFailed(
                "limit_over_cover",
                f"Une limite assurée ne peut pas dépasser le montant garanti "
                f"({format_eur(covered_amount)}).",
                "credit_limit",
            )
    else:
        # A manual limit keeps no trace of a former cover: it would read as still insured.
        insurer, covered_amount, cover_date = "", None, None
    values = {
        "credit_limit": limit,
        "credit_limit_origin": origin if limit is not None else "",
        "credit_insurer": insurer,
        "credit_covered_amount": covered_amount,
        "credit_cover_date": cover_date,
    }
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        before = audit.snapshot(customer, LIMIT_FIELDS)
        for key, value in values.items():
            setattr(customer, key, value)
        customer.save(update_fields=[*LIMIT_FIELDS, "updated_at"])
        changes = audit.diff(before, audit.snapshot(customer, LIMIT_FIELDS))
        if changes:
            audit.record("customer.credit_limit_set", customer, by=by, changes=changes)
    return customer


def record_incident(
    customer: Customer, *, date: dt.date, kind: str, note: str = "", by
) -> CreditIncident:
    """Log a payment incident, a rejected debit, a collective proceeding..."""
    require(by, customer.company, EDIT_CUSTOMERS)
    if kind not in IncidentKind.values:
        raise ValidationFailed("invalid_kind", "Nature d'incident inconnue.", "kind")
    if date is None:
        raise ValidationFailed("required", "La date de l'incident est obligatoire.", "date")
    if date > clock.today():
        raise ValidationFailed("future_date", "Un incident ne peut pas être à venir.", "date")
    with transaction.atomic():
        incident = CreditIncident.objects.create(
            customer=customer,
            date=date,
            kind=kind,
            note=clean_column(CreditIncident, "note", (note or "").strip()),
            by=audit.actor(by),
        )
        audit.record(
            "customer.incident_recorded",
            customer,
            by=by,
            changes={"kind": incident.get_kind_display(), "date": date, "note": incident.note},
        )
    return incident


def exposure(customer: Customer, as_of: dt.date, extra=ZERO) -> Decimal:
    """The customer's open receivables on `as_of` + `extra` (the invoice being issued).

    The balance is net of unallocated payments and credit notes: that money is the
    customer's, already in the company's hands, so it covers the next invoice as much as
    an allocated one would; a customer in credit has a negative balance and may be
    invoiced that much beyond its limit. Confirmed orders not yet invoiced are not counted
    because orders do not exist yet in encaisse.
    """
    return customer_balance(customer, as_of) + extra


@dataclass(frozen=True)
class Excess:
    limit: Decimal
    exposure: Decimal  # with the invoice being issued

    @property
    def over_by(self) -> Decimal:
        return self.exposure - self.limit


def check_issue(customer: Customer, amount: Decimal, *, by, override_reason: str = ""):
    """Called in the issuing transaction of an invoice of `amount` TTC (not for credit
    notes, which lower the exposure). Returns None when within the limit, the Excess when
    a user with the right overrides it with a reason (to be audited on the invoice);
    raises Conflict otherwise, Forbidden for a reason given without the right."""
    if override_reason:  # kept in the audit trail, shown on the invoice's history
        clean_text(override_reason, "override_reason", max_length=OVERRIDE_REASON_MAX)
    if customer.credit_limit is None:
        return None
    # The customer's row lock serializes the issuing of its invoices: two invoices issued
    # at once must not both pass on the same room under the limit.
    limit = (Customer.objects.select_for_update().values_list("credit_limit", flat=True)).get(
        pk=customer.pk
    )
    if limit is None:
        return None
    # Today, whatever the issue date: the exposure is what the customer owes now.
    total = exposure(customer, clock.today(), amount)
    if total <= limit:
        return None
    excess = Excess(limit, total)
    if not (override_reason or "").strip():
        raise Conflict(
            "credit_limit_exceeded",
            f"Émettre cette facture porterait l'encours de {customer.legal_name} à "
            f"{format_eur(total)}, au-delà de sa limite de crédit de {format_eur(limit)} "
            f"(dépassement de {format_eur(excess.over_by)}).",
            "override_reason",
        )
    require(by, customer.company, CREDIT_OVERRIDE)
    return excess


def use_percent(limit: Decimal | None, balance: Decimal) -> Decimal | None:
    """Share of the limit used, in percent to one decimal; None without a limit or with a
    zero limit (then any exposure is over it)."""
    if not limit:
        return None
    return (balance * HUNDRED / limit).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Position:
    customer: Customer
    exposure: Decimal

    @property
    def limit(self) -> Decimal:
        return self.customer.credit_limit

    @property
    def use_percent(self) -> Decimal | None:
        return use_percent(self.limit, self.exposure)

    @property
    def over_by(self) -> Decimal:
        return max(self.exposure - self.limit, ZERO)

    @property
    def is_over(self) -> bool:
        return self.exposure > self.limit

    @property
    def is_near(self) -> bool:
        percent = self.use_percent
        return self.is_over or (percent is not None and percent >= NEAR_LIMIT_PERCENT)


def positions(company, as_of: dt.date, *, show: str = "near") -> list[Position]:
    """Customers with a credit limit and their exposure on `as_of`, most used first.

    show: "over" (over the limit), "near" (over or at NEAR_LIMIT_PERCENT and more),
    "all". The balances come from the aged balance's two set-based statements (one
    grouped row per customer), the customers with a limit from one more query: the cost
    does not grow with a query per customer.
    """
    from encaisse.reporting.aged_balance import aged_balance  # reporting reads customers

    balances = {row.customer_id: row.balance for row in aged_balance(company, as_of).rows}
    customers = Customer.objects.filter(company=company, credit_limit__isnull=False)
    rows = [Position(c, balances.get(c.pk, ZERO)) for c in customers]
    if show == "over":
        rows = [r for r in rows if r.is_over]
    elif show == "near":
        rows = [r for r in rows if r.is_near]
    # Over first, then by share used; a zero limit has no percentage: its amount over
    # sorts it among those over.
    return sorted(
        rows,
        key=lambda r: (
            not r.is_over,
            -(r.use_percent or ZERO),
            -r.over_by,
            r.customer.legal_name,
        ),
    )
