"""PDF documents: Typst templates rendered to PDF/A-3b, and the Factur-X invoice.

`render_pdf(template, context)` is the one renderer: it compiles
`templates/typst/<template>.typ`, which reads `context` as JSON from `sys.inputs.data`.
Templates only lay out text: every value arrives already formatted the French way
(`1 234,56 €`, `22/11/2026`), so no business rule and no arithmetic lives in Typst.

`invoice_pdf(invoice)` builds that context from what was frozen at issue (the `seller`,
`buyer` and `mentions` snapshots, the issued lines and allowances, the dates and
totals), and `facturx_pdf(invoice)` embeds the EN 16931 CII XML into it as
`factur-x.xml`: the document that is archived and sent.

Fonts: the fonts bundled in the typst wheel (Libertinus Serif) and those shipped in
`encaisse/fonts` (DejaVu Sans, the fallback for what Libertinus lacks); system fonts are
ignored, so a PDF renders the same on every machine and every glyph is embedded, as PDF/A
wants. A character no font draws would make Typst refuse the document: the input
validator (`encaisse.validation.clean_text`) refuses it where it is typed.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import json
import logging
import re
import tempfile
import threading
from decimal import Decimal
from functools import cache
from pathlib import Path

import facturx
import pycountry
import typst

from encaisse import fonts
from encaisse.catalog.models import Unit
from encaisse.catalog.vat import Exemption
from encaisse.errors import ValidationFailed
from encaisse.identifiers import format_rf
from encaisse.money import NBSP, format_decimal, format_eur, q2
from encaisse.sales.models import DocumentStatus, Invoice
from encaisse.sales.references import reference_of_number
from encaisse.sales.schedule import issued_rows
from encaisse.sales.totals import compute_totals

from . import einvoice, epc_qr
from .printable import not_renderable, unprintable_detail

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates" / "typst"
PDF_STANDARD = "a-3b"
# No tagged (structure) PDF: PDF/A-3b does not require it (only the "a" level does), and
# the hundreds of structure objects it adds make factur-x's copy of the PDF with pypdf
# five times slower (measured: 78 ms against 16 ms to embed the XML in a one-page
# invoice).
PDF_TAGS = False
# Factur-X 1.0x, § 6.2: the XML of a BASIC, EN 16931 or EXTENDED invoice is an
# "Alternative" representation of the PDF (MINIMUM and BASIC WL are only "Data").
FACTURX_RELATIONSHIP = "alternative"

EXEMPTION_SHORT = {
    Exemption.EXEMPT: "Exonéré",
    Exemption.REVERSE_CHARGE: "Autoliq.",
    Exemption.INTRA_EU: "Exonéré",
    Exemption.EXPORT: "Exonéré",
    Exemption.OUT_OF_SCOPE: "Hors champ",
}


class NotIssued(ValueError):
    """A draft has no number, no snapshots: it has no legal PDF."""


# ---------------------------------------------------------------------------
# The renderer


_local = threading.local()


def _compiler() -> typst.Compiler:
    """One compiler per thread: it keeps the fonts and parsed templates between renders
    (a fresh one costs the font loading each time); a compiler is not shared across
    threads because the binding does not promise it is thread-safe."""
    compiler = getattr(_local, "compiler", None)
    if compiler is None:
        # The root is "/" so that a template may show a file given by absolute path
        # (the company logo, stored under MEDIA_ROOT); templates never read a path
        # that does not come from the context the code built.
        compiler = typst.Compiler(
            root="/", font_paths=[str(fonts.FONTS_DIR)], ignore_system_fonts=True
        )
        _local.compiler = compiler
    return compiler


def render_pdf(template: str, context: dict, *, timestamp: dt.datetime | None = None) -> bytes:
    """Render `templates/typst/<template>.typ` with `context` to PDF/A-3b bytes.

    `context` must be JSON-serializable (strings, numbers, lists, dicts); the template
    reads it with `json(bytes(sys.inputs.data))`. `timestamp` is the date written in
    the PDF metadata: pass the document's own date so that rendering twice gives the
    same bytes.
    """
    path = TEMPLATES_DIR / f"{template}.typ"
    if not path.is_file():
        raise FileNotFoundError(f"Modèle de document introuvable : {template}")
    try:
        pdf, warnings = _compiler().compile_with_warnings(
            input=str(path),
            format="pdf",
            sys_inputs={"data": json.dumps(context, ensure_ascii=False)},
            pdf_standards=PDF_STANDARD,
            pdf_tags=PDF_TAGS,
            # A Unix time in whole seconds, not a datetime: the typst binding remembers
            # the datetime class it is first given, and a first render under freezegun's
            # FakeDatetime would make it refuse every real datetime after.
            timestamp=int((timestamp or dt.datetime.now(dt.UTC)).timestamp()),
        )
    except typst.TypstError as error:
        raise _unrenderable(template, error) from error
    for warning in warnings:  # a template mistake (unknown font, missing glyph...)
        logger.warning("Typst, modèle %s : %s", template, warning.message)
    return pdf


# A glyph that no bundled font has: the text `"\u{1f950}"` could not be displayed...
_MISSING_GLYPH = re.compile(r'the text `"(.*?)"` could not be displayed')
_RUST_ESCAPE = re.compile(r"\\u\{([0-9a-fA-F]+)\}")


def _unrenderable(template: str, error: Exception) -> ValidationFailed:
    """The domain error for a document that Typst refused to render. Input is checked
    where it is typed; this is the last line, for text stored before those checks (or a
    template fault): the user gets a French message and nothing is half done, never a
    500. Logged as an error: it means a check upstream let something through."""
    logger.error("Typst, modèle %s : rendu impossible : %s", template, error)
    found = _MISSING_GLYPH.search(str(error))
    if found:
        text = _RUST_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), found.group(1))
        detail = unprintable_detail(text)
    else:
        detail = "le modèle de document a rencontré une erreur"
    return not_renderable(detail)


# ---------------------------------------------------------------------------
# French formatting of the values handed to the templates


def format_date(value: dt.date | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


def format_price(value: Decimal) -> str:
    """A unit price: 2 decimals, up to 4 when it has them (19.9999 -> '19,9999 €')."""
    if value == q2(value):
        return format_eur(value)
    units, _, decimals = format(value.normalize(), "f").partition(".")
    sign = "-" if units.startswith("-") else ""
    grouped = format_eur(Decimal(units.lstrip("-")), symbol=False).split(",")[0]
    return f"{sign}{grouped},{decimals}{NBSP}€"


def format_rate(rate: Decimal) -> str:
    """20.00 -> '20 %', 5.50 -> '5,5 %' (French typography: no-break space before %)."""
    return f"{format_decimal(rate)}{NBSP}%"


@cache
def _country_names():
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code or "FR")
    return _country_names().gettext(country.name) if country else code


def address_lines(address: dict | None, *, home: str = "FR") -> list[str]:
    """Postal address lines; the country only when it is not the seller's own."""
    if not address:
        return []
    lines = [address.get("line1", ""), address.get("line2", "")]
    lines.append(f"{address.get('postal_code', '')} {address.get('city', '')}".strip())
    country = address.get("country") or home
    if country != home:
        lines.append(country_name(country).upper())
    return [line for line in lines if line]


def format_reference(reference: str) -> str:
    """An RF reference in groups of four joined by no-break spaces, as printed:
    'RF83 FA20 2600 123' (identifiers.format_rf), kept on one line."""
    return format_rf(reference).replace(" ", NBSP) if reference else ""


def format_iban(iban: str) -> str:
    """IBAN in groups of four, as printed on paper (ISO 13616)."""
    compact = iban.replace(" ", "")
    return NBSP.join(compact[i : i + 4] for i in range(0, len(compact), 4))


# ---------------------------------------------------------------------------
# Parts shared by every document (seller, buyer): the context the common template reads


def seller_context(seller: dict, logo: str = "") -> dict:
    identifiers = []
    if seller.get("siret"):
        identifiers.append(f"SIRET {seller['siret']}")
    elif seller.get("siren"):
        identifiers.append(f"SIREN {seller['siren']}")
    if seller.get("vat_number"):
        identifiers.append(f"TVA intracommunautaire {seller['vat_number']}")
    contact = [value for value in (seller.get("phone"), seller.get("email")) if value]
    home = seller.get("country") or "FR"
    return {
        "name": seller.get("legal_name", ""),
        "trade_name": seller.get("trade_name", ""),
        "address": address_lines(
            {
                "line1": seller.get("address_line1", ""),
                "line2": seller.get("address_line2", ""),
                "postal_code": seller.get("postal_code", ""),
                "city": seller.get("city", ""),
                "country": home,
            },
            home=home,
        ),
        "contact": " · ".join(contact),
        # "SAS au capital de 50 000,00 € – RCS Lyon 732829320"
        "legal": einvoice.seller_legal_info(seller),
        "identifiers": " · ".join(identifiers),
        "iban": format_iban(seller["iban"]) if seller.get("iban") else "",
        "bic": seller.get("bic", ""),
        "logo": logo,
    }


def buyer_context(buyer: dict, home: str = "FR") -> dict:
    billing = buyer.get("billing_address") or {}
    delivery = buyer.get("delivery_address")
    identifiers = []
    if buyer.get("siren"):
        identifiers.append(f"SIREN {buyer['siren']}")
    if buyer.get("vat_number"):
        identifiers.append(f"TVA intracommunautaire {buyer['vat_number']}")
    return {
        "name": buyer.get("legal_name", ""),
        "address": address_lines(billing, home=home),
        "identifiers": identifiers,
        # Reform mention: the delivery address, printed only when it differs.
        "delivery": address_lines(delivery, home=home) if delivery and delivery != billing else [],
    }


def _logo_path(invoice: Invoice) -> str:
    """The company logo file, if any. The logo is not part of the issue snapshot: it is
    decoration, not a mention, and the PDF produced at issue is the archived one."""
    logo = getattr(invoice.company, "logo", None)
    if not logo:
        return ""
    try:
        path = Path(logo.path)
    except (NotImplementedError, ValueError):  # a storage without local files
        return ""
    return str(path) if path.is_file() else ""


# ---------------------------------------------------------------------------
# Invoices and credit notes


def _vat_label(rate: Decimal, exemption: str) -> str:
    if exemption:
        return EXEMPTION_SHORT.get(exemption, exemption)
    return format_rate(rate)


def _allowance_label(item) -> str:
    kind = "Frais" if item.is_charge else "Remise"
    # "Remise fidélité" says what it is; "Fidélité" needs the word.
    return (
        item.reason if item.reason.lower().startswith(kind.lower()) else f"{kind} : {item.reason}"
    )


def invoice_context(invoice: Invoice) -> dict:
    """Everything `invoice.typ` prints, formatted, from the issued document only."""
    if invoice.status != DocumentStatus.ISSUED:
        raise NotIssued(f"{invoice} n'est pas {invoice.issued_word} : pas de PDF.")
    seller, buyer, mentions = invoice.seller, invoice.buyer, invoice.mentions
    home = seller.get("country") or "FR"
    lines = list(invoice.lines.select_related("product"))
    allowances = list(invoice.allowances.all())
    totals = compute_totals(lines, allowances)
    kind = invoice.kind_spec

    reference = ""
    if kind.corrects_invoice:
        credited = mentions.get("credited_invoice") or {}
        reference = (
            f"Avoir sur facture {credited.get('number', '')} "
            f"du {format_date(credited.get('issue_date'))}"
        )

    installments = issued_rows(invoice.schedule)
    context = {
        "kind": kind.code,
        "title": kind.title,
        "date_label": kind.date_label,
        "totals_title": kind.totals_title,
        "corrects_invoice": kind.corrects_invoice,
        "creates_receivable": kind.creates_receivable,
        "number": invoice.number,
        "issue_date": format_date(invoice.issue_date),
        "delivery_date": format_date(invoice.delivery_date),
        "due_date": format_date(invoice.due_date),
        "customer_reference": invoice.customer_reference,
        "credited_reference": reference,
        "credit_reason": invoice.credit_reason,
        "operation_nature": mentions.get("operation_nature", ""),
        "seller": seller_context(seller, _logo_path(invoice)),
        "buyer": buyer_context(buyer, home),
        "lines": [
            {
                # The product reference is read from the catalog (lines keep no copy).
                "ref": line.product.reference if line.product else "",
                "label": line.description,
                "qty": format_decimal(line.quantity),
                "unit": Unit(line.unit).label if line.unit in Unit.values else line.unit,
                "price": format_price(line.unit_price),
                "discount": format_rate(line.discount_percent) if line.discount_percent else "",
                "vat": _vat_label(line.vat_rate, line.vat_exemption),
                "net": format_eur(line.net_amount),
            }
            for line in lines
        ],
        "allowances": [
            {
                "label": _allowance_label(item),
                "vat": _vat_label(item.vat_rate, item.vat_exemption),
                "amount": format_eur(item.amount if item.is_charge else -item.amount),
            }
            for item in allowances
        ],
        "vat_rows": [
            {
                "rate": format_rate(row.rate)
                if row.category == "S"
                else _vat_label(row.rate, row.category),
                "base": format_eur(row.base),
                "vat": format_eur(row.vat),
                "reason": row.exemption_reason if row.category != "S" else "",
            }
            for row in totals.breakdown
        ],
        "vat_has_reasons": any(row.category != "S" for row in totals.breakdown),
        "totals": {
            "lines": format_eur(totals.lines),
            "has_allowances": bool(allowances),
            "excl_vat": format_eur(invoice.total_excl_vat),
            "vat": format_eur(invoice.total_vat),
            "incl_vat": format_eur(invoice.total_incl_vat),
            "label": kind.total_label,
        },
        "schedule": [
            {
                "due_date": format_date(item.due_date),
                "share": format_rate(item.percent) if item.percent is not None else "",
                "amount": format_eur(item.amount),
            }
            for item in installments
        ],
        "payment": {
            # With a schedule, the terms (the schedule in words, BT-20) are the table
            # printed under the totals: the payment block only points to it.
            "terms": f"paiement en {len(installments)} échéances"
            if installments
            else mentions.get("payment_terms", ""),
            "due_date": format_date(invoice.due_date),
            # Only what is owed is paid by transfer to the seller: a credit note has no
            # bank details, no payment reference and no QR code.
            "iban": seller_context(seller)["iban"] if kind.creates_receivable else "",
            "bic": seller.get("bic", "") if kind.creates_receivable else "",
            "transfer_reference": format_reference(invoice.payment_reference),
            **invoice_qr(invoice, installments),
        },
        "mentions": [
            text
            for text in (
                mentions.get("vat_on_debits", ""),
                mentions.get("late_penalty_clause", ""),
                mentions.get("recovery_fee", ""),
                mentions.get("early_payment_discount_clause", ""),
            )
            if text
        ],
        "notes": invoice.notes.strip(),
    }
    return context


def invoice_qr(invoice: Invoice, installments=()) -> dict:
    """The EPC QR code of an invoice (documents.epc_qr) and its caption, as the invoice
    was issued: the seller's IBAN and BIC of the snapshot, the total to pay and the RF
    reference. With a schedule the amount is left for the payer to type (one code
    serves every installment: a fixed amount would pay the first one again). None for a
    credit note, a document in another currency than the euro, a seller without IBAN, a
    total that is not above zero."""
    none = {"qr": "", "qr_caption": ""}
    seller = invoice.seller
    if not invoice.kind_spec.creates_receivable or invoice.total_incl_vat <= 0:
        return none
    transfer = epc_qr.Transfer(
        name=seller.get("legal_name", ""),
        iban=seller.get("iban", ""),
        bic=seller.get("bic", ""),
        amount=None if installments else invoice.total_incl_vat,
        reference=invoice.payment_reference,
    )
    qr = epc_qr.transfer_qr(transfer, currency=invoice.currency)
    if not qr:
        return none
    caption = epc_qr.CAPTION
    if installments:
        caption += " (montant de l'échéance à saisir)"
    return {"qr": qr, "qr_caption": caption}


# The unstructured remittance text of a code that pays several invoices: "Factures
# FA2026-00001 FA2026-00002" (EPC069-12: 140 characters at most).
SEVERAL_INVOICES = "Factures"


def account_qr(seller: dict, amount: Decimal, numbers: list[str], currency: str = "EUR") -> dict:
    """The EPC QR code of a letter or statement asking for `amount` for the invoices
    `numbers` (reminders, statements), with the payment reference to print.

    One invoice: its RF reference, structured, as on the invoice itself. Several: no RF
    (a reference names one invoice), the numbers as unstructured text, which the bank
    reconciliation reads in the label like any number typed by a payer; when they do
    not fit in the 140 characters of that text, no code (a code naming only some
    invoices would mislead the matching as much as the payer), the letter asks to
    quote the numbers. None either for nothing to pay, no IBAN, another currency."""
    none = {"qr": "", "qr_caption": "", "rf": ""}
    numbers = list(dict.fromkeys(numbers))
    if amount <= 0 or not numbers:
        return none
    rf = text = ""
    if len(numbers) == 1:
        rf = reference_of_number(numbers[0])
    else:
        text = " ".join([SEVERAL_INVOICES, *numbers])
        if len(text) > epc_qr.MAX_TEXT:
            return none
    transfer = epc_qr.Transfer(
        name=seller.get("legal_name", ""),
        iban=seller.get("iban", ""),
        bic=seller.get("bic", ""),
        amount=amount,
        reference=rf,
        text=text,
    )
    qr = epc_qr.transfer_qr(transfer, currency=currency)
    return {"qr": qr, "qr_caption": epc_qr.CAPTION if qr else "", "rf": rf}


def invoice_pdf(invoice: Invoice) -> bytes:
    """The visual PDF/A-3b of an issued invoice or credit note."""
    return render_pdf("invoice", invoice_context(invoice), timestamp=_timestamp(invoice))


def _timestamp(invoice: Invoice) -> dt.datetime:
    if invoice.issued_at:
        return invoice.issued_at.astimezone(dt.UTC)
    return dt.datetime.combine(invoice.issue_date, dt.time(), tzinfo=dt.UTC)


def facturx_pdf(invoice: Invoice, xml: bytes | None = None) -> bytes:
    """The Factur-X invoice: the PDF/A-3b with its CII XML (EN 16931) as factur-x.xml.
    `xml`: the invoice's CII when the caller has built it already (the archive stores it
    too), so that it is built once."""
    pdf = invoice_pdf(invoice)
    xml = xml if xml is not None else einvoice.cii_xml(invoice)
    seller = invoice.seller.get("legal_name", "")
    kind = invoice.kind_spec
    title = f"{kind.label} {invoice.number}"
    # Not facturx.generate_from_binary: (factur-x 7.8 with pypdf 7) it writes the new
    # PDF into its temporary file at the position the reader left, after the first
    # ~20 kB of the original, so the result starts with a stale copy of the input.
    # Reading from memory and writing to a file of our own gives a clean file (and
    # skips the slow reads through a NamedTemporaryFile wrapper).
    with tempfile.TemporaryDirectory(prefix="encaisse-facturx-") as folder:
        output = Path(folder) / "factur-x.pdf"
        facturx.generate_from_file(
            io.BytesIO(pdf),
            xml,
            flavor="factur-x",
            level=einvoice.PROFILE,
            # The XML is checked by documents.validation (tests, validate-einvoice); the
            # library's own XSD pass would parse it once more at every issue.
            check_xsd=False,
            pdf_metadata={
                "author": seller,
                "keywords": f"Factur-X, {kind.label.lower()}",
                "title": f"{seller} : {title}",
                "subject": f"{title} du {format_date(invoice.issue_date)}, {seller}",
            },
            lang="fr-FR",
            afrelationship=FACTURX_RELATIONSHIP,
            # PDF/A validators refuse a filtered XMP metadata stream, and a plain one
            # also lets a PAdES signature be added later.
            xmp_compression=False,
            output_pdf_file=str(output),
        )
        return output.read_bytes()
