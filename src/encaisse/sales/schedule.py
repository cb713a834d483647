"""Installment schedules (échéanciers): several due dates for one invoice.

A draft stores its schedule as typed: each row has a due date or a number of days after
issue, and an amount or a percentage of the total incl. VAT. Days and percentages are
resolved at issue (dates from the issue date, amounts from the final total) and the
issued invoice keeps the resolved rows, frozen with it. The rules (checked on the draft
as if issued today, and again at issue): no schedule or at least two rows; amounts
positive and summing to the total to the cent; due dates strictly increasing, none
before the issue date, the last within the legal cap of art. L.441-10 C. com.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from encaisse.errors import ValidationFailed
from encaisse.money import HUNDRED, ZERO, format_decimal, format_eur, percent_of, q2
from encaisse.validation import parse_decimal

from .terms import (
    LEGAL_MAX_END_OF_MONTH_DAYS,
    LEGAL_MAX_NET_DAYS,
    PaymentTermsKind,
    due_date,
)

MAX_ROWS = 24
MAX_DAYS = 999


@dataclass(frozen=True)
class Installment:
    """One resolved row: its date and amount on a given issue date and total."""

    position: int
    due_date: dt.date
    amount: Decimal
    percent: Decimal | None = None


def _field(index: int, name: str) -> str:
    return f"schedule.{index}.{name}"


def _parse_date(value, index: int) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed(
            "invalid_date",
            f"Échéance {index} : date invalide (AAAA-MM-JJ).",
            _field(index, "due_date"),
        ) from None


def _parse_days(value, index: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        days = int(str(value).strip())
    except ValueError:
        days = -1
    if days < 0 or days > MAX_DAYS:
        raise ValidationFailed(
            "invalid_days",
            f"Échéance {index} : le nombre de jours après émission doit être un entier "
            f"entre 0 et {MAX_DAYS}.",
            _field(index, "days"),
        )
    return days


def _parse_row(raw: dict, index: int) -> dict:
    """One row as stored on the draft: {due_date, days, amount, percent}, one of each pair."""
    date = _parse_date(raw.get("due_date"), index)
    days = _parse_days(raw.get("days"), index)
    if (date is None) == (days is None):
        raise ValidationFailed(
            "schedule_date",
            f"Échéance {index} : indiquez soit une date, soit un nombre de jours après l'émission.",
            _field(index, "due_date"),
        )
    label = f"Échéance {index} : le montant"
    amount = parse_decimal(
        raw.get("amount"), _field(index, "amount"), label, places=2, required=False
    )
    percent = parse_decimal(
        raw.get("percent"),
        _field(index, "percent"),
        f"Échéance {index} : le pourcentage",
        places=2,
        required=False,
    )
    if (amount is None) == (percent is None):
        raise ValidationFailed(
            "schedule_amount",
            f"Échéance {index} : indiquez soit un montant, soit un pourcentage du total TTC.",
            _field(index, "amount"),
        )
    if amount is not None and amount <= 0:
        raise ValidationFailed(
            "schedule_amount", f"{label} doit être positif.", _field(index, "amount")
        )
    if percent is not None and not ZERO < percent < HUNDRED:
        raise ValidationFailed(
            "schedule_percent",
            f"Échéance {index} : le pourcentage doit être compris entre 0 et 100 (exclus).",
            _field(index, "percent"),
        )
    return {
        "due_date": date.isoformat() if date else None,
        "days": days,
        "amount": str(q2(amount)) if amount is not None else None,
        "percent": str(percent) if percent is not None else None,
    }


def parse(raw_rows) -> list[dict]:
    """The rows as the draft stores them, each checked on its own."""
    rows = [_parse_row(raw, i) for i, raw in enumerate(raw_rows or [], start=1)]
    if len(rows) == 1:
        raise ValidationFailed(
            "schedule_too_short",
            "Un échéancier compte au moins deux échéances (sinon, laissez-le vide : la "
            "facture a une seule échéance).",
            "schedule",
        )
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(
            "schedule_too_long",
            f"Un échéancier compte au plus {MAX_ROWS} échéances.",
            "schedule",
        )
    if len({row["percent"] is None for row in rows}) > 1:
        # Mixing both would leave no row to absorb the percentages' rounding.
        by_percent = rows[0]["percent"] is not None
        first = next(
            i for i, row in enumerate(rows, start=1) if (row["percent"] is not None) != by_percent
        )
        raise ValidationFailed(
            "schedule_mixed",
            "Exprimez toutes les échéances soit en montants, soit en pourcentages.",
            _field(first, "percent" if by_percent else "amount"),
        )
    return rows


def legal_limit(issue_date: dt.date, terms_kind: str) -> dt.date:
    """The latest lawful due date (C. com. L.441-10 II): 45 days end of month when the
    invoice's terms are end-of-month ones (the derogation the parties agreed), otherwise
    60 days from the issue date."""
    if terms_kind == PaymentTermsKind.END_OF_MONTH:
        return due_date(issue_date, terms_kind, LEGAL_MAX_END_OF_MONTH_DAYS)
    return due_date(issue_date, PaymentTermsKind.NET, LEGAL_MAX_NET_DAYS)


def resolve(
    rows: list[dict], total: Decimal, issue_date: dt.date, terms_kind: str
) -> list[Installment]:
    """The installments of `rows` for an invoice of `total` incl. VAT issued on
    `issue_date`; refuses a schedule that breaks a rule, naming the row and field."""
    if not rows:
        return []
    percents = rows[0]["percent"] is not None
    if percents:
        shares = [Decimal(row["percent"]) for row in rows]
        if sum(shares) != HUNDRED:
            raise ValidationFailed(
                "schedule_total",
                f"Les pourcentages de l'échéancier totalisent {format_decimal(sum(shares))} % "
                "au lieu de 100 %.",
                _field(len(rows), "percent"),
            )
        amounts = [percent_of(total, share) for share in shares]
        # Each share is rounded to the cent on its own, so their sum may miss the total
        # by a few cents: the last installment takes the difference, so that the
        # installments always add up to the invoice exactly.
        amounts[-1] = total - sum(amounts[:-1])
    else:
        shares = [None] * len(rows)
        amounts = [Decimal(row["amount"]) for row in rows]
        if sum(amounts) != total:
            raise ValidationFailed(
                "schedule_total",
                f"Les échéances totalisent {format_eur(sum(amounts))} au lieu du total TTC "
                f"de la facture, {format_eur(total)}.",
                _field(len(rows), "amount"),
            )
    limit = legal_limit(issue_date, terms_kind)
    installments: list[Installment] = []
    for index, (row, amount, share) in enumerate(zip(rows, amounts, shares, strict=True), start=1):
        field = _field(index, "days" if row["days"] is not None else "due_date")
        if amount <= 0:
            raise ValidationFailed(
                "schedule_amount",
                f"Échéance {index} : le montant doit être positif.",
                _field(index, "percent" if percents else "amount"),
            )
        if row["days"] is not None:
            date = issue_date + dt.timedelta(days=row["days"])
        else:
            date = dt.date.fromisoformat(row["due_date"])
        if date < issue_date:
            raise ValidationFailed(
                "schedule_before_issue",
                f"Échéance {index} : le {date:%d/%m/%Y} précède la date d'émission "
                f"({issue_date:%d/%m/%Y}).",
                field,
            )
        if installments and date <= installments[-1].due_date:
            raise ValidationFailed(
                "schedule_order",
                f"Échéance {index} : le {date:%d/%m/%Y} doit être postérieur à l'échéance "
                f"précédente ({installments[-1].due_date:%d/%m/%Y}).",
                field,
            )
        if date > limit:
            cap = (
                "45 jours fin de mois"
                if terms_kind == PaymentTermsKind.END_OF_MONTH
                else "60 jours à compter de la date d'émission"
            )
            raise ValidationFailed(
                "terms_exceed_legal_cap",
                f"Échéance {index} : le {date:%d/%m/%Y} dépasse le délai légal de {cap}, "
                f"soit le {limit:%d/%m/%Y} (art. L.441-10 du Code de commerce).",
                field,
            )
        installments.append(Installment(index, date, amount, share))
    return installments


def frozen(installments: list[Installment], rows: list[dict]) -> list[dict]:
    """The schedule an issued invoice keeps: the rows as typed, dates and amounts
    resolved."""
    return [
        {**row, "due_date": item.due_date.isoformat(), "amount": str(q2(item.amount))}
        for row, item in zip(rows, installments, strict=True)
    ]


def issued_rows(schedule) -> list[Installment]:
    """The installments of an issued invoice's frozen schedule."""
    return [
        Installment(
            i,
            dt.date.fromisoformat(row["due_date"]),
            Decimal(row["amount"]),
            Decimal(row["percent"]) if row.get("percent") else None,
        )
        for i, row in enumerate(schedule or [], start=1)
    ]


def describe(installments: list[Installment]) -> str:
    """The schedule in words, for the payment terms (BT-20) and the PDF:
    « Échéancier : 50 % soit 1 200,00 € le 15/01/2027 ; 1 200,00 € le 15/02/2027 »."""
    parts = []
    for item in installments:
        share = f"{format_decimal(item.percent)} % soit " if item.percent is not None else ""
        parts.append(f"{share}{format_eur(item.amount)} le {item.due_date:%d/%m/%Y}")
    return "Échéancier : " + " ; ".join(parts)
