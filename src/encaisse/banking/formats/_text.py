"""Small helpers the format modules share: decoding a bank's bytes, reading dates."""

import codecs
import datetime as dt
import re

from encaisse.identifiers import find_rf as identifiers_find_rf
from encaisse.identifiers import is_valid_rf

from .base import MalformedStatement

_IBAN_RE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")


def decode(data: bytes, declared: str = "") -> str:
    """The text of a file: the declared charset if any, else UTF-8 (BOM or not), else CP1252.

    French banks still send CP1252/latin-1 exports; a byte that CP1252 leaves undefined
    (0x81, 0x8D...) falls back to latin-1, which decodes every byte.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError, ValueError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def full_year(yy: int) -> int:
    """Two-digit years: 70-99 are 1970-1999, 00-69 are 2000-2069."""
    return 1900 + yy if yy >= 70 else 2000 + yy


def date_ddmmyy(text: str, where: str, what: str = "date") -> dt.date:
    if not re.fullmatch(r"\d{6}", text):
        raise MalformedStatement(f"{what} invalide « {text} » (JJMMAA attendu)", where)
    try:
        return dt.date(full_year(int(text[4:6])), int(text[2:4]), int(text[0:2]))
    except ValueError:
        raise MalformedStatement(f"{what} invalide « {text} »", where) from None


def date_yymmdd(text: str, where: str, what: str = "date") -> dt.date:
    if not re.fullmatch(r"\d{6}", text):
        raise MalformedStatement(f"{what} invalide « {text} » (AAMMJJ attendu)", where)
    try:
        return dt.date(full_year(int(text[0:2])), int(text[2:4]), int(text[4:6]))
    except ValueError:
        raise MalformedStatement(f"{what} invalide « {text} »", where) from None


def looks_like_iban(value: str) -> bool:
    """IBAN-shaped (country, 2 digits, 10-30 letters or digits), checksum not checked."""
    return bool(_IBAN_RE.fullmatch(value.replace(" ", "").upper()))


def is_iban(value: str) -> bool:
    """A well-formed IBAN (ISO 13616 mod-97 check), spaces ignored."""
    value = value.replace(" ", "").upper()
    if not _IBAN_RE.fullmatch(value):
        return False
    moved = value[4:] + value[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


# RF, 2 check digits, then up to 21 characters, possibly printed in groups of four.
def is_rf(value: str) -> bool:
    """An ISO 11649 creditor reference (identifiers.is_valid_rf)."""
    return is_valid_rf(value)


def find_rf(*texts: str) -> str:
    """The first valid RF creditor reference written in these texts, whole or printed in
    groups of four ("RF18 5390 0754 7034"); or "" (identifiers.find_rf)."""
    for text in texts:
        found = identifiers_find_rf(text or "")
        if found:
            return found[0]
    return ""


def squash(text: str) -> str:
    """Runs of blanks made one space, ends trimmed."""
    return " ".join(text.split())
