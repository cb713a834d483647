"""Field types shared by the API's schemas.

Money and quantities travel as JSON strings ("12.50") or numbers, and never through a
float: the request parser reads JSON numbers as Decimal (see parser.py), these types keep
str/int/Decimal as they came, and the services parse them with `parse_decimal`, which
gives the French message and the field of a bad value. Output amounts are strings with
their stored decimals ("123.40", quantities "2.0000").
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from django.db import models
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from encaisse import validation
from encaisse.errors import ValidationFailed

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


def _text_check(multiline: bool):
    def check(value: str) -> str:
        try:
            return validation.clean_text(value, "", multiline=multiline)
        except ValidationFailed as exc:
            # The reason goes through the context: pydantic formats the template, and a
            # message is not a template.
            reason = exc.message.removesuffix(".")  # the API's message ends the sentence
            raise PydanticCustomError("invalid_text", "{reason}", {"reason": reason}) from None

    return check


_SINGLE_LINE = _text_check(multiline=False)
_MULTILINE = _text_check(multiline=True)


def Text(max_length: int, *, multiline: bool = False, **kwargs):
    """A string of at most `max_length` characters that documents can print and XML can
    carry (`validation.clean_text`: no control or invisible character, nothing the PDF
    fonts cannot draw; line breaks and tabs only when `multiline`), in Unicode NFC.

    For a value stored in a column, use `TextOf`: it takes the column's limit."""
    check = _MULTILINE if multiline else _SINGLE_LINE
    return Annotated[str, Field(max_length=max_length, **kwargs), AfterValidator(check)]


def TextOf(attribute, *, max_length: int | None = None, **kwargs):
    """`Text` for a value stored in the model field `attribute` (`Customer.legal_name`):
    its max_length (a TextField, multi-line, has TEXT_AREA_MAX); `max_length` may only
    lower it."""
    column = attribute.field
    limit = column.max_length or validation.TEXT_AREA_MAX
    if max_length is not None and max_length > limit:
        raise ValueError(f"{column} holds {limit} characters, not {max_length}")
    multiline = isinstance(column, models.TextField)
    return Text(max_length or limit, multiline=multiline, **kwargs)


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The window in the OpenAPI document, for clients and fuzzers: years 2000 to 2099.
DATE_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
DATE_HELP = (
    f"Date AAAA-MM-JJ, du {validation.DATE_MIN.isoformat()} au {validation.DATE_MAX.isoformat()}."
)


def _date_input(value: Any) -> Any:
    # pydantic reads a number as a Unix time and "2024-01-01T10:00" as a date: neither
    # is a date someone typed.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return value
    raise PydanticCustomError("date_type", "date attendue (AAAA-MM-JJ)")


def _date_bounds(value: dt.date) -> dt.date:
    if value < validation.DATE_MIN:
        raise PydanticCustomError(
            "greater_than_equal", "date trop ancienne", {"ge": validation.DATE_MIN.isoformat()}
        )
    if value > validation.DATE_MAX:
        raise PydanticCustomError(
            "less_than_equal", "date trop lointaine", {"le": validation.DATE_MAX.isoformat()}
        )
    return value


# A date typed by a user: "AAAA-MM-JJ" only, inside validation.DATE_MIN..DATE_MAX.
DateIn = Annotated[
    dt.date,
    BeforeValidator(_date_input),
    AfterValidator(_date_bounds),
    WithJsonSchema(
        {"type": "string", "format": "date", "pattern": DATE_PATTERN, "description": DATE_HELP}
    ),
]
