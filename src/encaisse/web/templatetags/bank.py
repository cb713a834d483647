"""Template helpers of the banking pages: {% load bank %}."""

from django import template

from encaisse.banking.services.imports import money as money_in

register = template.Library()


@register.filter
def iban(value: str) -> str:
    """FR7630003012340123456789057 -> FR76 3000 3012 3401 2345 6789 057."""
    value = value or ""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


@register.filter
def money(amount, currency="EUR") -> str:
    """An amount with its currency (« 12,34 € », « 12,34 CHF »); empty when unknown."""
    return money_in(amount, currency or "EUR") if amount is not None else "—"


STATUS_CLASSES = {
    "unmatched": "badge-line-unmatched",
    "proposed": "badge-line-proposed",
    "matched": "badge-line-matched",
    "assigned": "badge-line-matched",
    "ignored": "",
}


@register.filter
def line_badge(status: str) -> str:
    return STATUS_CLASSES.get(status, "")
