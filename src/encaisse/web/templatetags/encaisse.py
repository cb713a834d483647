"""Template filters for French display: amounts, quantities, dates, query strings."""

import datetime as dt

from django import template

from encaisse.money import format_decimal, format_eur, q2

register = template.Library()


@register.filter
def eur(value):
    """1234.5 -> « 1 234,50 € »; empty for None."""
    return format_eur(value)


@register.filter
def price(value):
    """A unit price: two decimals at least, up to four when it has them (12.5 -> 12,50)."""
    if value is None:
        return ""
    if value == q2(value):
        return format_eur(value, symbol=False)
    return format_decimal(value)


@register.filter
def num(value):
    """Quantities and rates without trailing zeros: 2.5000 -> « 2,5 »."""
    return format_decimal(value)


@register.filter
def dmy(value):
    """A date as dd/mm/yyyy (a datetime in local time), or an ISO date string."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        from django.utils import timezone

        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


@register.simple_tag(takes_context=True)
def query(context, **changes):
    """The current query string with some parameters changed (pagination links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def get(mapping, key):
    """mapping[key] in a template (errors of a line by field name)."""
    if not mapping:
        return None
    return mapping.get(key)
