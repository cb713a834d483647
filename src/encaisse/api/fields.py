"""Field types shared by the API's schemas.

Money and quantities travel as JSON strings ("12.50") or numbers, and never through a
float: the request parser reads JSON numbers as Decimal (see parser.py), these types keep
str/int/Decimal as they came, and the services parse them with `parse_decimal`, which
gives the French message and the field of a bad value. Output amounts are strings with
their stored decimals ("123.40", quantities "2.0000").
"""

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

MAX_ID = 2**63 - 1  # BigAutoField; larger ids cannot exist (and SQLite would overflow)
MAX_DECIMAL_TEXT = 40  # characters of a number given as text

DECIMAL_EXAMPLE = "12.50"


def _decimal_input(value: Any) -> str | int | Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise PydanticCustomError("decimal_type", "nombre attendu (« 12.50 » ou 12.50)")
    if isinstance(value, str) and len(value) > MAX_DECIMAL_TEXT:
        raise PydanticCustomError("decimal_type", "nombre trop long")
    if isinstance(value, int) and abs(value) >= 10**18:
        raise PydanticCustomError("decimal_type", "nombre trop grand")
    return value


def _vat_rate_input(value: Any) -> Decimal:
    value = _decimal_input(value)
    try:
        rate = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise PydanticCustomError("vat_rate", "taux de TVA invalide") from None
    if not rate.is_finite() or not (0 <= rate <= 100) or -rate.as_tuple().exponent > 2:
        raise PydanticCustomError("vat_rate", "taux de TVA invalide (20 ; 10 ; 5.5 ; 2.1 ou 0)")
    return rate


_DECIMAL_IN_SCHEMA = {
    "anyOf": [{"type": "string", "example": DECIMAL_EXAMPLE}, {"type": "number"}],
    "description": "Nombre décimal exact, de préférence en texte (« 12.50 »).",
}

# A quantity, price or amount as typed: str, int or Decimal, parsed by the services.
DecimalIn = Annotated[
    str | int | Decimal,
    PlainValidator(_decimal_input),
    WithJsonSchema(_DECIMAL_IN_SCHEMA),
]

# A VAT rate in percent, checked enough here that the services can read it as a Decimal.
VatRateIn = Annotated[
    Decimal,
    PlainValidator(_vat_rate_input),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "example": "20"}, {"type": "number"}],
            "description": "Taux de TVA en pourcentage : 20, 10, 5.5, 2.1 ou 0.",
        }
    ),
]

# Output: exact decimals as strings.
DecimalOut = Annotated[
    Decimal,
    PlainSerializer(lambda d: str(d), return_type=str),
    WithJsonSchema({"type": "string", "example": "123.40", "pattern": r"^-?\d+(\.\d+)?$"}),
]

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _text_check(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("invalid_text", "caractère nul interdit")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("invalid_text", "caractères invalides") from None
    return value


def Text(max_length: int, **kwargs):
    """A string of at most `max_length` characters, without NUL or lone surrogates."""
    return Annotated[str, Field(max_length=max_length, **kwargs), AfterValidator(_text_check)]
