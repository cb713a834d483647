"""Template filters for French display: amounts, quantities, dates, query strings."""

import datetime as dt

from django import template

from encaisse import legal
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


@register.simple_tag(takes_context=True)
def page_query(context, page, number):
    """The current query string on page `number` of `page` (shortcuts.page_of), under the
    page's own parameter."""
    return query(context, **{getattr(page, "param", "page"): number})


@register.filter
def get(mapping, key):
    """mapping[key] in a template (errors of a line by field name)."""
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def shown(bound_field):
    """A form field's value as text, for a page shown read-only: a choice's label, oui/non,
    the text the input would hold, « — » when empty."""
    value = bound_field.value()
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    choices = getattr(bound_field.field, "choices", None)
    if choices is not None:
        labels = {}
        for key, label in choices:
            # Grouped choices: (group label, [(key, label), ...]).
            pairs = label if isinstance(label, list | tuple) else [(key, label)]
            labels.update({str(k): v for k, v in pairs})
        return labels.get(str(value), value)
    # As the input would show it (a localized amount: « 120 000,00 »).
    return bound_field.field.widget.format_value(value) or "—"


@register.filter
def owes_legal_interest(party) -> bool:
    """A consumer (customer or invoice): legal interest from the formal notice, no
    L.441-10 penalty nor fee. The decision is `legal.late_payment_regime`'s."""
    return legal.late_payment_regime(party) is legal.LatePaymentRegime.CONSUMER


@register.simple_tag
def consumer_regime_note() -> str:
    return legal.CONSUMER_REGIME_NOTE
