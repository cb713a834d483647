"""The EPC QR code (« QR code SEPA », GiroCode): a SEPA credit transfer a banking app fills
by scanning the document, printed on invoices, dunning letters and statements.

European Payments Council, EPC069-12 « Quick Response Code: guidelines to enable data
capture for the initiation of a SEPA credit transfer », version 002 of the data: lines
separated by a line feed, in this order —

    BCD          service tag
    002          version (the BIC may be left out within the EEA)
    1            character set: 1 = UTF-8
    SCT          identification: SEPA credit transfer
    BIC          8 or 11 characters, or empty
    name         the beneficiary, 1 to 70 characters
    IBAN         the beneficiary's account
    EUR123.45    amount, 0.01 to 999999999.99, at most 2 decimals (empty: the payer types it)
    purpose      4-letter purpose code (empty here)
    reference    structured remittance: an ISO 11649 RF reference, at most 35 characters
    text         unstructured remittance, at most 140 characters (only without reference)

The payload ends with its last filled line (no trailing line feed) and has at most 331
bytes; the symbol is a QR code of error correction level M (not boosted: the guidelines
fix M), version 13 at most. `segno` draws it as SVG, which the Typst templates embed:
the same payload gives the same SVG, so a document renders to the same bytes.

`transfer_qr(...)` returns "" instead of a code when there is nothing a bank would
accept: no IBAN, an IBAN outside SEPA, a currency other than the euro, an amount out of
range, or a payload too long. Documents then print the bank details without a code.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

import segno
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

SERVICE_TAG = "BCD"
VERSION = "002"
UTF8 = "1"
SEPA_CREDIT_TRANSFER = "SCT"
MAX_NAME = 70
MAX_REFERENCE = 35
MAX_TEXT = 140
MAX_PAYLOAD_BYTES = 331
MAX_QR_VERSION = 13
MIN_AMOUNT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999.99")
ERROR_CORRECTION = "M"
QUIET_ZONE = 4  # modules of white around the symbol (ISO/IEC 18004)
# Version 002 may leave the BIC out only when the payer's and the payee's banks are in
# the European Economic Area (EU, Iceland, Liechtenstein, Norway): a SEPA IBAN from
# elsewhere (Monaco, Switzerland, the United Kingdom...) needs its BIC.
EEA = frozenset(
    {
        *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR"),
        *("HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI"),
        *("SK", "IS", "LI", "NO"),
        # French overseas departments and collectivities with IBANs of their own.
        *("GF", "GP", "MQ", "RE", "YT", "PM", "BL", "MF"),
    }
)
CAPTION = "Scannez pour payer par virement"


@dataclass(frozen=True)
class Transfer:
    """What the code asks the payer's bank to do."""

    name: str  # the beneficiary (the seller's legal name)
    iban: str
    amount: Decimal | None  # None: the payer types the amount
    bic: str = ""
    reference: str = ""  # RF creditor reference (structured), or
    text: str = ""  # unstructured remittance information


class NotPayable(ValueError):
    """The transfer cannot be written as an EPC QR code (see `payload`)."""


def _amount(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    if amount != amount.quantize(Decimal("0.01")) or not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        raise NotPayable(f"montant {amount} hors de 0,01 à 999 999 999,99 € ou non arrondi")
    return f"EUR{amount:.2f}"


def payload(transfer: Transfer) -> str:
    """The EPC069-12 version 002 text of `transfer`. Raises NotPayable when a field
    breaks the guidelines (IBAN not SEPA, BIC missing outside the EEA, lengths...)."""
    try:
        iban = IBAN(transfer.iban)
    except SchwiftyException as error:
        raise NotPayable(f"IBAN invalide : {error}") from None
    if not iban.in_sepa_zone:
        raise NotPayable(f"IBAN hors de la zone SEPA ({iban.country_code})")
    bic = (transfer.bic or "").replace(" ", "").upper()
    if bic and len(bic) not in (8, 11):
        raise NotPayable(f"BIC de {len(bic)} caractères")
    if not bic and iban.country_code not in EEA:
        raise NotPayable(f"BIC requis hors de l'EEE ({iban.country_code})")
    name = " ".join((transfer.name or "").split())[:MAX_NAME].strip()
    if not name:
        raise NotPayable("bénéficiaire sans nom")
    reference, text = transfer.reference, " ".join((transfer.text or "").split())
    if reference and text:
        raise NotPayable("référence structurée et texte libre à la fois")
    if len(reference) > MAX_REFERENCE or len(text) > MAX_TEXT:
        raise NotPayable("référence ou texte trop long")
    lines = [
        SERVICE_TAG,
        VERSION,
        UTF8,
        SEPA_CREDIT_TRANSFER,
        bic,
        name,
        iban.compact,
        _amount(transfer.amount),
        "",  # purpose
        reference,
        text,
    ]
    while lines[-1] == "":  # the payload ends with its last filled line
        lines.pop()
    data = "\n".join(lines)
    if len(data.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise NotPayable(f"{len(data.encode('utf-8'))} octets, {MAX_PAYLOAD_BYTES} au plus")
    return data


def symbol(data: str) -> segno.QRCode:
    """The QR code of an EPC payload: level M exactly, byte mode in UTF-8."""
    qr = segno.make_qr(data, error=ERROR_CORRECTION, boost_error=False, encoding="utf-8")
    if qr.version > MAX_QR_VERSION:  # 331 bytes fit version 13 at level M: never
        raise NotPayable(f"QR code de version {qr.version}")
    return qr


def svg(data: str) -> str:
    """The SVG of the EPC payload's QR code, sized by its viewBox (one unit a module, the
    4-module quiet zone included): the template gives it its printed width."""
    out = io.BytesIO()
    symbol(data).save(out, kind="svg", border=QUIET_ZONE, xmldecl=False, omitsize=True)
    return out.getvalue().decode("utf-8")


def transfer_qr(transfer: Transfer, *, currency: str = "EUR") -> str:
    """The SVG to print for `transfer`, or "" when it cannot be paid by an EPC QR code
    (not in euros, no or a non-SEPA IBAN, amount out of range, payload too long)."""
    if currency != "EUR" or not transfer.iban:
        return ""
    try:
        return svg(payload(transfer))
    except NotPayable:
        return ""
