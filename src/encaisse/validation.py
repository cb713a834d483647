"""Checking what users type, with errors for people: numbers into exact Decimals, free
text that documents can print, dates inside a sane window."""

import datetime as dt
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from encaisse import fonts
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


# ---------------------------------------------------------------------------
# Text: what a document (PDF), an e-invoice (XML) or an e-mail will carry

# A multi-line text (notes, letters, comments) has no length in the database; past this
# it is a paste gone wrong, not a note.
TEXT_AREA_MAX = 10_000
# Invisible joiners that Arabic-script and Indic orthographies need; every other format
# character (soft hyphen, zero-width space, bidirectional overrides, BOM...) is refused:
# it makes two equal-looking names differ (search, duplicates, bank labels) and an
# override can disguise a name on a printed invoice.
JOINERS = frozenset("\u200c\u200d")
# Control, format, surrogate, private use, unassigned, line and paragraph separators.
INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# The pictographs of the supplementary plane (emoji, cards, dominoes...): DejaVu Sans
# draws a few of them in black and white, but an emoji has no place on an invoice and a
# rule « emoji are refused » is one a user can follow, unlike « 😀 but not 🥐 ».
# Long-standing symbols of the basic plane (★ ✓ ☎ ✈) stay, where the fonts draw them.
PICTOGRAPHS = range(0x1F000, 0x1FB00)


def text_fault(value: str, *, multiline: bool = False) -> tuple[str, str] | None:
    """(code, French message) for the first character of `value` that a document cannot
    print or XML 1.0 cannot carry; None when every one is fine.

    Printable means drawn by a shipped font (`encaisse.fonts.drawable`); that also keeps
    out what XML 1.0 forbids (controls, U+FFFE, lone surrogates). `multiline` lets
    through line breaks and tabs.
    """
    drawable = fonts.drawable()
    for char in value:
        if multiline and char in "\r\n\t":
            continue
        point = ord(char)
        if char in "\r\n":
            return "line_break", "Une seule ligne : le retour à la ligne n'est pas accepté ici."
        if char == "\t":
            return "tab", "La tabulation n'est pas acceptée ici."
        if unicodedata.category(char) in INVISIBLE and char not in JOINERS:
            message = f"Caractère invisible ou de contrôle U+{point:04X} refusé."
            return "invisible_character", message
        if point in PICTOGRAPHS:
            return (
                "emoji",
                f"« {char} » (U+{point:04X}) : les émojis ne peuvent pas figurer sur les "
                "factures et les lettres.",
            )
        if point not in drawable:
            return (
                "unprintable_character",
                f"Le caractère « {char} » (U+{point:04X}) ne peut pas être imprimé sur les "
                "factures et les lettres : retirez-le.",
            )
    return None


def clean_text(
    value: str,
    field: str,
    *,
    max_length: int | None = None,
    multiline: bool = False,
    label: str = "",
) -> str:
    """`value` in Unicode NFC (and, multi-line, with \\n line breaks), or ValidationFailed
    naming `field` when it is too long or holds a character `text_fault` refuses.
    `label` starts the message when the error is not shown next to its field."""
    value = unicodedata.normalize("NFC", value)
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    prefix = f"{label} : " if label else ""
    if max_length is not None and len(value) > max_length:
        raise ValidationFailed(
            "too_long",
            f"{prefix}{max_length} caractères au plus ({len(value)} saisis).",
            field,
        )
    fault = text_fault(value, multiline=multiline)
    if fault:
        raise ValidationFailed(fault[0], prefix + fault[1], field)
    return value


def text_column(model, name: str):
    """The CharField or TextField `name` of `model`, or None if it is not a text column."""
    try:
        column = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return column if isinstance(column, models.CharField | models.TextField) else None


def clean_column(model, name: str, value: str, *, field: str | None = None, label=None) -> str:
    """`clean_text` with the limits of the column `model.name`: its max_length (a TextField
    has none in the database: TEXT_AREA_MAX, and it may hold line breaks). The message
    starts with the column's verbose name unless `label` says otherwise."""
    column = text_column(model, name)
    multiline = isinstance(column, models.TextField)
    return clean_text(
        value,
        field or name,
        max_length=column.max_length or TEXT_AREA_MAX,
        multiline=multiline,
        label=str(column.verbose_name).capitalize() if label is None else label,
    )


def clean_model_texts(model, data: dict, *, prefix: str = "") -> dict:
    """`data` with each string bound for a text column of `model` checked by
    `clean_column`; other keys pass unchanged. The field named is `prefix + key`."""
    return {
        key: clean_column(model, key, value, field=prefix + key)
        if isinstance(value, str) and text_column(model, key) is not None
        else value
        for key, value in data.items()
    }


# ---------------------------------------------------------------------------
# Dates a user types

# The window of every date typed in a form or the API: a mistyped year (0024, 2204,
# 9999) is refused where it is typed, and the services that add days to a date (terms,
# tolerances, dunning offsets, at most a few thousand days) stay inside the calendar.
DATE_MIN = dt.date(2000, 1, 1)
DATE_MAX = dt.date(2099, 12, 31)


def parse_date(value, field: str, label: str = "La date") -> dt.date:
    """A date from a date or an ISO text (AAAA-MM-JJ), inside DATE_MIN..DATE_MAX."""
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except (TypeError, ValueError):
            raise ValidationFailed(
                "invalid_date", f"{label} est invalide (AAAA-MM-JJ).", field
            ) from None
    return check_date(value, field, label)


def check_date(value: dt.date, field: str, label: str = "La date") -> dt.date:
    """`value` if it lies inside DATE_MIN..DATE_MAX, else ValidationFailed on `field`."""
    if not DATE_MIN <= value <= DATE_MAX:
        raise ValidationFailed(
            "date_out_of_range",
            f"{label} doit être comprise entre le {DATE_MIN:%d/%m/%Y} et le {DATE_MAX:%d/%m/%Y}.",
            field,
        )
    return value
