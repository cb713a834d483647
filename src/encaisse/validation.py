"""Parsing what users type into exact values, with errors for people."""

from decimal import Decimal, InvalidOperation

from encaisse.errors import ValidationFailed


def parse_decimal(
    value,
    field: str,
    label: str,
    *,
    places: int = 4,
    required: bool = True,
    allow_negative: bool = False,
) -> Decimal | None:
    """A Decimal from a str/int/Decimal (never a float), with at most `places` decimals.

    `label` starts the French message: « Le prix unitaire n'est pas un nombre. »; its
    article gives the agreement (« La quantité ne peut pas être négative. »).
    """
    feminine = _is_feminine(label)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationFailed("required", f"{label} est obligatoire.", field)
        return None
    if isinstance(value, float):
        value = repr(value)  # JSON numbers reach us as floats: keep their shortest text
    try:
        number = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise ValidationFailed("invalid_number", f"{label} n'est pas un nombre.", field) from None
    if not number.is_finite():
        raise ValidationFailed("invalid_number", f"{label} n'est pas un nombre.", field)
    if number < 0 and not allow_negative:
        negative = "négative" if feminine else "négatif"
        raise ValidationFailed("negative", f"{label} ne peut pas être {negative}.", field)
    if -number.as_tuple().exponent > places:
        raise ValidationFailed("too_many_decimals", f"{label} a plus de {places} décimales.", field)
    if abs(number) >= Decimal(10) ** 10:
        large = "grande" if feminine else "grand"
        raise ValidationFailed("too_large", f"{label} est trop {large}.", field)
    return number


def _is_feminine(label: str) -> bool:
    """Whether the noun a label names is feminine, read from its article: « La remise »,
    « Ligne 2 : la quantité » (the part after the last colon is the noun)."""
    noun = label.rsplit(":", 1)[-1].strip().lower()
    return noun.startswith(("la ", "une "))
