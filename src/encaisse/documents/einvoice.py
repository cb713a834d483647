"""EN 16931 e-invoices (Factur-X CII and UBL 2.1) from an issued invoice or credit note.

One mapping, `data_dict(invoice)`, turns the issued document into the dict keyed by
EN 16931 business terms that `facturx.generate_xml` builds both syntaxes from. It reads
what was frozen at issue only: the `seller`, `buyer` and `mentions` snapshots, the
issued lines and allowances, the dates and totals; never the live company or customer,
so the XML of a past invoice is the same whenever it is rebuilt.

French CTC rules (BR-FR schematron, "Flux 2") met here:
- seller SIREN as legal identifier (BT-30, scheme 0002), SIRET as identifier (BT-29,
  scheme 0009), buyer SIREN/SIRET for a French business buyer (BR-FR-10, -11);
- electronic addresses BT-34 and BT-49 always present (BR-FR-12, -13), scheme 0225
  starting with the SIREN for a French business buyer (BR-FR-21);
- notes PMT, PMD and AAB once each (BR-FR-05, -06), and BAR, the kind of processing;
- billing frame BT-23: B1/S1/M1 by nature of the operations (BR-FR-08);
- a credit note (381) refers to the invoice it corrects, number and date (BR-FR-CO-05).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from facturx import generate_xml

from encaisse import legal
from encaisse.catalog.vat import Exemption
from encaisse.money import format_eur, q2
from encaisse.sales.models import DocumentStatus, Invoice, OperationNature
from encaisse.sales.totals import compute_totals

from .printable import xml_forbidden

logger = logging.getLogger(__name__)

PROFILE = "en16931"

# BT-3, the UNTDID 1001 document type code: the `type_code` of the kind (sales.kinds).

# BT-23, billing frame (cadre de facturation), BR-FR-08: first letter is the nature of
# the operations (B goods, S services, M mixed), 1 an ordinary invoice or credit note.
FRAME_LETTER = {
    OperationNature.GOODS: "B",
    OperationNature.SERVICES: "S",
    OperationNature.MIXED: "M",
}
ORDINARY_FRAME = "1"

# UNTDID 4451 note subject codes required by BR-FR-05.
RECOVERY_FEE_NOTE = "PMT"
LATE_PENALTY_NOTE = "PMD"
DISCOUNT_NOTE = "AAB"
# BR-FR-20: the kind of processing ("BAR" note): French B2B e-invoicing, international
# B2B or consumer sale (both e-reported).
PROCESSING_NOTE = "BAR"
B2B, B2B_INT, B2C = "B2B", "B2BINT", "B2C"

# ISO/IEC 6523 and CEF EAS codes.
SIRET_SCHEME = "0009"
SIREN_SCHEME = "0002"
FR_EINVOICING_SCHEME = "0225"  # annuaire de la facturation électronique
# EAS codes of VAT numbers, per country (CEF "Electronic Address Scheme" code list).
VAT_ENDPOINT_SCHEME = {
    "AT": "9914",
    "BE": "9925",
    "BG": "9926",
    "CY": "9928",
    "CZ": "9929",
    "DE": "9930",
    "EE": "9931",
    "ES": "9920",
    "FR": "9957",
    "GR": "9933",
    "HR": "9934",
    "HU": "9910",
    "IE": "9935",
    "IT": "0211",
    "LT": "9937",
    "LU": "9938",
    "LV": "9939",
    "MT": "9943",
    "NL": "9944",
    "PL": "9945",
    "PT": "9946",
    "RO": "9947",
    "SI": "9949",
    "SK": "9950",
    "CH": "9927",
    "GB": "9932",
}

# UNTDID 4461 payment means: 30 credit transfer.
CREDIT_TRANSFER = "30"
# UNTDID 5189 allowance reason: 95 discount.
DISCOUNT_REASON_CODE = "95"
# VATEX codes (CEF VAT exemption reason code list) for the categories that have one.
VATEX = {
    Exemption.REVERSE_CHARGE: "VATEX-EU-AE",
    Exemption.INTRA_EU: "VATEX-EU-IC",
    Exemption.EXPORT: "VATEX-EU-G",
    Exemption.OUT_OF_SCOPE: "VATEX-EU-O",
}
# BT-8 "invoice": VAT due on the invoice date, the VAT-on-debits option (code 5 in CII,
# 3 in UBL, mapped by facturx).
VAT_DUE_ON_INVOICE_DATE = "invoice"


class NotIssued(ValueError):
    """Only an issued document has a number, a date and snapshots to map."""


def amount(value) -> str:
    return f"{q2(value):.2f}"


def decimal_text(value: Decimal, min_places: int = 0) -> str:
    """Quantities and prices without useless zeros, at least `min_places` decimals."""
    text = format(value.normalize(), "f")
    places = len(text.split(".")[1]) if "." in text else 0
    if places < min_places:
        text = f"{value:.{min_places}f}"
    return text


def rate_text(rate: Decimal) -> str:
    return f"{rate:.2f}"  # BR-FR-16 accepts "20.00", "5.50", "2.10", "0.00"


def _split_address(value: str, default_scheme: str) -> tuple[str, str]:
    """'0225:732829320' -> ('0225', '732829320'); a bare value takes the default scheme."""
    scheme, sep, rest = value.partition(":")
    if sep and scheme and (scheme.isdigit() or scheme.isupper()) and len(scheme) <= 4:
        return scheme, rest.strip()
    return default_scheme, value.strip()


def _address(snapshot: dict) -> dict:
    return {
        key: value
        for key, value in {
            "addr_l1": snapshot.get("line1", ""),
            "addr_l2": snapshot.get("line2", ""),
            "postcode": snapshot.get("postal_code", ""),
            "city": snapshot.get("city", ""),
            "country_code": snapshot.get("country") or "FR",
        }.items()
        if value
    }


def seller_legal_info(seller: dict) -> str:
    """BT-33: legal form, share capital and RCS (CGI ann. II art. 242 nonies A)."""
    parts = []
    if seller.get("legal_form"):
        capital = seller.get("share_capital")
        parts.append(
            f"{seller['legal_form']} au capital de {format_eur(Decimal(capital))}"
            if capital
            else seller["legal_form"]
        )
    if seller.get("rcs_city"):
        parts.append(f"RCS {seller['rcs_city']} {seller.get('siren', '')}".strip())
    return " – ".join(parts)


def _seller(seller: dict, *, with_vat: bool) -> dict:
    siren = seller["siren"]
    scheme, endpoint = _split_address(
        seller.get("einvoicing_address") or siren, FR_EINVOICING_SCHEME
    )
    party = {
        "name": seller["legal_name"],
        "legal_identifier": siren,
        "legal_identifier_schemeid": SIREN_SCHEME,
        "einvoicing_addr": endpoint,
        "einvoicing_addr_schemeid": scheme,
        **_address(
            {
                "line1": seller.get("address_line1", ""),
                "line2": seller.get("address_line2", ""),
                "postal_code": seller.get("postal_code", ""),
                "city": seller.get("city", ""),
                "country": seller.get("country", "FR"),
            }
        ),
    }
    if seller.get("siret"):
        party["identifiers"] = {SIRET_SCHEME: seller["siret"]}
    if with_vat and seller.get("vat_number"):
        party["vat_identifier"] = seller["vat_number"]
    if seller.get("trade_name"):
        party["biz_name"] = seller["trade_name"]
    legal_info = seller_legal_info(seller)
    if legal_info:
        party["legal_info"] = legal_info
    contact = {k: seller[k] for k in ("email", "phone") if seller.get(k)}
    if contact:
        party["contacts"] = [{"name": seller["legal_name"], **contact}]
    return party


def processing(buyer: dict) -> str:
    """The BAR value: French business buyer, foreign business buyer, or consumer."""
    if buyer.get("kind") == "consumer":
        return B2C
    country = (buyer.get("billing_address") or {}).get("country") or "FR"
    return B2B if country == "FR" and buyer.get("siren") else B2B_INT


def buyer_endpoint(buyer: dict) -> tuple[str, str]:
    """BT-49 and its scheme.

    BR-FR-12 wants a buyer electronic address on every invoice. A French business buyer
    has its directory address (scheme 0225, starting with its SIREN: BR-FR-21). A buyer
    without SIREN has none: its own address when it gave one, else its VAT number under
    its country's EAS scheme, else (a consumer, a foreign buyer without VAT number) the
    kind of processing as a placeholder under 0225, which BR-FR accepts for non-B2B
    processing (BR-FR-21 checks the SIREN prefix for B2B only) and which no directory
    will route: these sales are e-reported, not e-invoiced.
    """
    siren = buyer.get("siren", "")
    given = buyer.get("einvoicing_address", "")
    if given:
        return _split_address(given, FR_EINVOICING_SCHEME)
    if siren:
        return FR_EINVOICING_SCHEME, siren
    vat = buyer.get("vat_number", "")
    if vat and vat[:2] in VAT_ENDPOINT_SCHEME:
        return VAT_ENDPOINT_SCHEME[vat[:2]], vat
    return FR_EINVOICING_SCHEME, processing(buyer)


def _buyer(buyer: dict, *, with_vat: bool) -> dict:
    scheme, endpoint = buyer_endpoint(buyer)
    party = {
        "name": buyer["legal_name"],
        "einvoicing_addr": endpoint,
        "einvoicing_addr_schemeid": scheme,
        **_address(buyer.get("billing_address") or {}),
    }
    if buyer.get("siren"):
        party["legal_identifier"] = buyer["siren"]
        party["legal_identifier_schemeid"] = SIREN_SCHEME
    if buyer.get("siret"):
        party["identifiers"] = {SIRET_SCHEME: buyer["siret"]}
    if with_vat and buyer.get("vat_number"):
        party["vat_identifier"] = buyer["vat_number"]
    if buyer.get("email"):
        party["contacts"] = [{"name": buyer["legal_name"], "email": buyer["email"]}]
    return party


def _notes(invoice: Invoice) -> list[dict]:
    """BG-1. PMD and PMT are required on every invoice (BR-FR-05), a consumer's too: PMD
    carries the late-payment clause as issued (legal interest from the formal notice
    for a consumer) and PMT the 40 EUR fee, or for a consumer that it does not apply."""
    mentions = invoice.mentions
    buyer_processing = processing(invoice.buyer)
    notes = [
        {"BT-21": PROCESSING_NOTE, "BT-22": buyer_processing},
        {"BT-21": LATE_PENALTY_NOTE, "BT-22": mentions.get("late_penalty_clause", "")},
        {
            "BT-21": RECOVERY_FEE_NOTE,
            "BT-22": mentions.get("recovery_fee") or legal.NO_RECOVERY_FEE_MENTION,
        },
        {"BT-21": DISCOUNT_NOTE, "BT-22": mentions.get("early_payment_discount_clause", "")},
    ]
    if mentions.get("vat_on_debits"):
        notes.append({"BT-22": mentions["vat_on_debits"]})
    if invoice.credit_reason:
        notes.append({"BT-22": f"Motif de l'avoir : {invoice.credit_reason}"})
    if invoice.notes.strip():
        notes.append({"BT-22": invoice.notes.strip()})
    return [note for note in notes if note["BT-22"]]


def _category(rate: Decimal, exemption: str) -> str:
    return exemption or "S"


def _line(line, index: int) -> dict:
    category = _category(line.vat_rate, line.vat_exemption)
    data = {
        "BT-126": str(index),
        "BT-153": line.description[:500],
        "BT-129": decimal_text(line.quantity),
        "BT-130": line.unit,
        "BT-146": decimal_text(line.unit_price, 2),
        "BT-131": amount(line.net_amount),
        "BT-151": category,
    }
    if category != Exemption.OUT_OF_SCOPE:  # BR-O-05: no rate on an O line
        data["BT-152"] = rate_text(line.vat_rate)
    if line.discount_amount:
        # BG-27 line allowance: BT-136 amount, BT-137 base, BT-138 percentage
        data["BG-27"] = [
            {
                "amount": amount(line.discount_amount),
                "base_amount": amount(line.gross_amount),
                "rate": rate_text(line.discount_percent),
                "reason": "Remise",
                "reason_code": DISCOUNT_REASON_CODE,
            }
        ]
    return data


def _allowance(item) -> dict:
    category = _category(item.vat_rate, item.vat_exemption)
    data = {
        "amount": amount(item.amount),
        "reason": item.reason,
        "vat_category_code": category,
    }
    if item.reason_code:
        data["reason_code"] = item.reason_code
    if category != Exemption.OUT_OF_SCOPE:
        data["vat_rate"] = rate_text(item.vat_rate)
    return data


def _breakdown(totals) -> list[dict]:
    rows = []
    for b in totals.breakdown:
        row = {
            "BT-116": amount(b.base),
            "BT-117": amount(b.vat),
            "BT-118": b.category,
        }
        if b.category != Exemption.OUT_OF_SCOPE:
            row["BT-119"] = rate_text(b.rate)
        if b.category != "S":
            # BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10: say why there is no VAT.
            row["BT-120"] = b.exemption_reason or ""
            if b.category in VATEX:
                row["BT-121"] = VATEX[b.category]
        rows.append(row)
    return rows


def data_dict(invoice: Invoice) -> dict:
    """The EN 16931 data of an issued invoice or credit note, for facturx.generate_xml."""
    if invoice.status != DocumentStatus.ISSUED:
        raise NotIssued(f"{invoice} n'est pas {invoice.issued_word} : pas de facture électronique.")
    seller, buyer, mentions = invoice.seller, invoice.buyer, invoice.mentions
    lines = list(invoice.lines.all())
    allowances = list(invoice.allowances.all())
    totals = compute_totals(lines, allowances)
    categories = {b.category for b in totals.breakdown}
    # BR-O-02: an invoice with "not subject to VAT" lines carries no VAT identifiers.
    with_vat = Exemption.OUT_OF_SCOPE not in categories
    nature = invoice.operation_nature or OperationNature.MIXED
    kind = invoice.kind_spec

    data = {
        "BT-1": invoice.number,
        "BT-2": invoice.issue_date,
        "BT-3": kind.type_code,
        "BT-5": invoice.currency,
        "BT-23": FRAME_LETTER[nature] + ORDINARY_FRAME,
        "BG-1": _notes(invoice),
        "BG-4": _seller(seller, with_vat=with_vat),
        "BG-7": _buyer(buyer, with_vat=with_vat),
        "BT-9": invoice.due_date,
        # EN 16931 has one due date (BT-9, the last installment's when there is a
        # schedule): the installments themselves go in the terms text, as written at issue
        # (sales.schedule.describe: "Échéancier : 40 % soit 204,56 € le 02/03/2026 ; ...").
        "BT-20": mentions.get("payment_terms", ""),
        "BT-72": invoice.delivery_date or invoice.issue_date,
        "BG-25": [_line(line, i) for i, line in enumerate(lines, start=1)],
        "BG-23": _breakdown(totals),
        "BT-106": amount(totals.lines),
        "BT-109": amount(invoice.total_excl_vat),
        "BT-110": amount(invoice.total_vat),
        "BT-112": amount(invoice.total_incl_vat),
        "BT-115": amount(invoice.total_incl_vat),
    }
    if totals.allowances:
        data["BT-107"] = amount(totals.allowances)
    if totals.charges:
        data["BT-108"] = amount(totals.charges)
    doc_allowances = [_allowance(a) for a in allowances if not a.is_charge]
    doc_charges = [_allowance(a) for a in allowances if a.is_charge]
    if doc_allowances:
        data["BG-20"] = doc_allowances
    if doc_charges:
        data["BG-21"] = doc_charges
    if invoice.customer_reference:
        data["BT-13"] = invoice.customer_reference
    if mentions.get("vat_on_debits"):
        data["BT-8"] = VAT_DUE_ON_INVOICE_DATE

    delivery = buyer.get("delivery_address")
    if delivery or Exemption.INTRA_EU in categories:
        # BR-IC-12: an intra-EU supply names the country delivered to (BT-80).
        data["BG-13"] = {
            "name": buyer["legal_name"],
            **_address(delivery or buyer.get("billing_address") or {}),
        }

    if kind.corrects_invoice:
        credited = mentions.get("credited_invoice") or {}
        data["BG-3"] = [
            {
                "BT-25": credited.get("number", ""),
                "BT-26": dt.date.fromisoformat(credited["issue_date"])
                if credited.get("issue_date")
                else None,
            }
        ]
    elif kind.creates_receivable and seller.get("iban"):  # what is owed, paid by transfer
        data.update(
            {
                "BT-81": CREDIT_TRANSFER,
                # Remittance information: the RF creditor reference (ISO 11649) the
                # payer quotes, which the bank reconciliation matches (sales.references).
                # No BR-FR rule bears on BT-83; EN 16931 leaves its content free.
                "BT-83": invoice.payment_reference,
                "BT-84": seller["iban"].replace(" ", ""),
            }
        )
        if seller.get("bic"):
            data["BT-86"] = seller["bic"]
    return data


def _generate(invoice: Invoice, flavor: str) -> bytes:
    try:
        return generate_xml(
            data_dict(invoice),
            flavor=flavor,
            level=PROFILE,
            # The checks run in documents.validation (in-process Saxon), not through the
            # library's HTTP Saxon server.
            check_xsd=False,
            check_schematron=False,
        )
    except ValueError as error:
        # lxml refuses characters that XML 1.0 forbids (control characters, U+FFFE...).
        # Input refuses them where they are typed; this is the last line for text stored
        # before: a French refusal, never a 500.
        if "XML compatible" not in str(error):
            raise
        logger.error("E-invoice %s (%s): %s", invoice.pk, flavor, error)
        raise xml_forbidden() from error


def cii_xml(invoice: Invoice) -> bytes:
    """Factur-X (CII D22B) XML, EN 16931 profile: the factur-x.xml of the PDF."""
    return _generate(invoice, "factur-x")


def ubl_xml(invoice: Invoice) -> bytes:
    """UBL 2.1 Invoice or CreditNote, EN 16931."""
    return _generate(invoice, "ubl-2.1")
