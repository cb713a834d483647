"""Decimal money: the one rounding helper and French formatting.

Amounts are EUR, quantized to the cent with ROUND_HALF_UP at the points EN 16931 defines
(line net amount, VAT per rate on the sum of the bases, document totals).
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
# EN 16931: invoiced quantity and unit price may carry up to 4 decimals (BR-FR: 4 on
# quantities); amounts carry 2.
QUANTITY_PLACES = Decimal("0.0001")
PRICE_PLACES = Decimal("0.0001")
NBSP = "\u00a0"
NARROW_NBSP = "\u202f"


def q2(value: Decimal | int | str) -> Decimal:
    """Round to the cent, half up (the rounding of EN 16931 and French practice)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_decimal(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("Money is never a float: pass a str or a Decimal.")
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip().replace(" ", "").replace("\u202f", "").replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(f"Not a number: {value!r}") from exc


def percent_of(base: Decimal, rate_percent: Decimal) -> Decimal:
    """base × rate / 100, rounded to the cent."""
    return q2(base * rate_percent / HUNDRED)


def format_eur(amount: Decimal | None, symbol: bool = True) -> str:
    """1234.5 -> '1 234,50 €' (French typography: narrow no-break space for thousands)."""
    if amount is None:
        return ""
    amount = q2(amount)
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    text = sign + NARROW_NBSP.join(groups) + "," + cents
    return text + NBSP + "€" if symbol else text


def format_decimal(value: Decimal | None) -> str:
    """Quantities and rates without trailing zeros, French comma: 2.500 -> '2,5'."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")
