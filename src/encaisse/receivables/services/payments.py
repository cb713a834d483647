"""Payments received and cheque remittance slips."""

import datetime as dt

from django.db import transaction
from django.db.models import Max

from encaisse import clock, identifiers
from encaisse.audit import services as audit
from encaisse.companies.models import Company
from encaisse.companies.permissions import RECORD_PAYMENTS, require
from encaisse.companies.sequences import lock_sequence
from encaisse.customers.models import Customer
from encaisse.errors import NotFound, ValidationFailed
from encaisse.ledger.periods import ensure_open
from encaisse.ledger.posting import post_payment
from encaisse.money import format_eur
from encaisse.validation import parse_date, parse_decimal

from ..models import Allocation, Payment, PaymentMethod, RemittanceSlip

SERIES = {"payment": "RG", "refund": "RB", "write_off": "EC"}


def next_number(company, series: str, day: dt.date) -> str:
    """The next number of a receivables series (RG2026-00001), under the series lock."""
    sequence = lock_sequence(company, series, day.year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{SERIES[series]}{day.year}-{sequence.last_number:05d}"


def not_in_future(day: dt.date, field: str) -> dt.date:
    if day > clock.today():
        raise ValidationFailed("future_date", "Cette date est dans le futur.", field)
    return day


def record_payment(company: Company, data: dict, *, by) -> Payment:
    """A payment received: date, amount, method, customer, payer, reference."""
    require(by, company, RECORD_PAYMENTS)
    try:
        customer = Customer.objects.get(company=company, pk=data.get("customer"))
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise NotFound("Client introuvable.") from None
    amount = parse_decimal(data.get("amount"), "amount", "Le montant", places=2)
    if amount <= 0:
        raise ValidationFailed("zero_amount", "Le montant doit être positif.", "amount")
    date = not_in_future(parse_date(data.get("date") or clock.today(), "date", "La date"), "date")
    method = data.get("method")
    if method not in PaymentMethod.values:
        raise ValidationFailed("invalid_method", "Mode de règlement inconnu.", "method")
    bank_account = (
        identifiers.iban(data["bank_account"], "bank_account") if data.get("bank_account") else ""
    )
    ensure_open(company, date)
    with transaction.atomic():
        payment = Payment.objects.create(
            number=next_number(company, "payment", date),
            company=company,
            customer=customer,
            date=date,
            amount=amount,
            unallocated_amount=amount,
            method=method,
            payer=(data.get("payer") or customer.legal_name).strip()[:200],
            reference=(data.get("reference") or "").strip()[:140],
            bank_account=bank_account,
            created_by=audit.actor(by),
        )
        post_payment(payment)
        audit.record(
            "payment.recorded",
            payment,
            by=by,
            changes={
                "customer": customer.legal_name,
                "amount": format_eur(amount),
                "date": date,
                "method": payment.get_method_display(),
                "reference": payment.reference,
            },
        )
        audit.record(
            "customer.payment_recorded",
            customer,
            by=by,
            changes={"payment": payment.pk, "amount": format_eur(amount)},
        )
    return payment


def create_remittance_slip(
    company: Company, payment_ids, *, by, on=None, bank_account: str = ""
) -> RemittanceSlip:
    """Group cheques not yet remitted into a numbered slip for the bank."""
    require(by, company, RECORD_PAYMENTS)
    on = not_in_future(parse_date(on or clock.today(), "date", "La date"), "date")
    ensure_open(company, on)
    with transaction.atomic():
        cheques = list(
            Payment.objects.select_for_update().filter(company=company, pk__in=list(payment_ids))
        )
        if not cheques or len(cheques) != len(set(payment_ids)):
            raise ValidationFailed(
                "unknown_payment", "Choisissez des chèques de la société.", "payments"
            )
        for cheque in cheques:
            if cheque.method != PaymentMethod.CHEQUE:
                raise ValidationFailed("not_a_cheque", f"{cheque} n'est pas un chèque.", "payments")
            if cheque.remittance_id is not None:
                raise ValidationFailed(
                    "already_remitted", f"{cheque} est déjà sur le {cheque.remittance}.", "payments"
                )
            if cheque.date > on:
                raise ValidationFailed(
                    "cheque_after_slip", f"{cheque} est postérieur à la date de remise.", "payments"
                )
        # Slip numbers follow each other: the company row serializes their creation.
        Company.objects.select_for_update().filter(pk=company.pk).first()
        last = RemittanceSlip.objects.filter(company=company).aggregate(n=Max("number"))["n"] or 0
        slip = RemittanceSlip.objects.create(
            company=company,
            number=last + 1,
            date=on,
            bank_account=bank_account or company.iban,
            created_by=audit.actor(by),
        )
        Payment.objects.filter(pk__in=[c.pk for c in cheques]).update(remittance=slip)
        # A cheque's money counts as received when it is remitted: what it settles
        # stops accruing penalties from the slip's date on, even if matched earlier.
        Allocation.objects.filter(payment__in=cheques).update(paid_on=on)
        audit.record(
            "remittance.created",
            slip,
            by=by,
            changes={"cheques": len(cheques), "total": format_eur(sum(c.amount for c in cheques))},
        )
    return slip
