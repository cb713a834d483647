"""PDF rendering: every case is a valid Factur-X PDF/A-3b whose text says what it must.

Amounts are written by hand with French typography: a narrow no-break space between
thousands, a no-break space before the euro sign. Set ENCAISSE_PDF_DUMP=/some/dir to keep
the rendered PDFs (to look at them).
"""

import datetime as dt
import io
import os
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
import typst
from django.core.files.base import ContentFile
from lxml import etree
from pypdf import PdfReader

from encaisse import legal
from encaisse.documents import rendering, validation
from encaisse.sales.services import create_invoice

from .conftest import CASES

NNBSP, NBSP = "\u202f", "\u00a0"
PENALTY = "En cas de retard de paiement, des pénalités sont exigibles"
RECOVERY_FEE = "Indemnité forfaitaire pour frais de recouvrement"
XMP_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
}


def eur(text: str) -> str:
    """'15 412,40 €' written with plain spaces -> its French typography."""
    amount, _, symbol = text.rpartition(" ")
    assert symbol == "€"
    return amount.replace(" ", NNBSP) + NBSP + "€"


def dump(name: str, pdf: bytes) -> None:
    folder = os.environ.get("ENCAISSE_PDF_DUMP")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.pdf").write_bytes(pdf)


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in reader(pdf).pages]


def pdfa_id(pdf: bytes) -> tuple[str, str]:
    """(part, conformance) declared in the XMP metadata."""
    xmp = etree.fromstring(reader(pdf).xmp_metadata.stream.get_data())
    part = xmp.xpath("string(//pdfaid:part | //@pdfaid:part)", namespaces=XMP_NS)
    conformance = xmp.xpath(
        "string(//pdfaid:conformance | //@pdfaid:conformance)", namespaces=XMP_NS
    )
    return part, conformance


def fonts_of(pdf: bytes) -> list:
    """Every font descriptor of the document's pages."""
    descriptors = []
    for page in reader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptors.append(descendant.get_object()["/FontDescriptor"].get_object())
    return descriptors


@pytest.mark.parametrize("case", CASES)
def test_every_case_is_a_valid_facturx_pdf_a3b(build, case):
    invoice = build(case)
    pdf = rendering.facturx_pdf(invoice)
    dump(case, pdf)

    report = validation.validate(pdf)
    assert report.ok, "\n".join(str(f) for f in report.fatal)
    assert pdfa_id(pdf) == ("3", "B")
    document = reader(pdf)
    assert "/OutputIntents" in document.trailer["/Root"]
    assert list(document.attachments) == ["factur-x.xml"]
    # One PDF in the file, from its first byte: no stale copy of the Typst output before
    # it (what facturx.generate_from_binary leaves).
    assert pdf.startswith(b"%PDF-") and pdf.count(b"%PDF-") == 1
    assert pdf.rstrip().endswith(b"%%EOF") and pdf.count(b"%%EOF") == 1
    # PDF/A: every font embedded (Typst embeds subsets of its bundled fonts).
    descriptors = fonts_of(pdf)
    assert descriptors
    assert all({"/FontFile", "/FontFile2", "/FontFile3"} & set(d) for d in descriptors)

    text = "\n".join(pages_text(pdf))
    assert invoice.number in text
    assert f"Date d'échéance {invoice.due_date:%d/%m/%Y}" in text
    # The late-payment clause of the buyer's regime: L.441-10 or legal interest.
    consumer = legal.late_payment_regime(invoice) is legal.LatePaymentRegime.CONSUMER
    assert ("intérêt au taux légal" if consumer else PENALTY) in " ".join(text.split())


def test_several_rates_prints_the_french_totals_and_the_mentions(build):
    invoice = build("several_rates")
    [text] = pages_text(rendering.facturx_pdf(invoice))
    # 10 × 18,90 = 189,00 at 5,5 % (VAT 10,395 -> 10,40); 3,5 × 65 + 12 450 = 12 677,50
    # at 20 % (VAT 2 535,50); HT 12 866,50, TVA 2 545,90, TTC 15 412,40.
    assert "FACTURE" in text
    assert f"Net à payer TTC {eur('15 412,40 €')}" in text
    assert f"Total HT {eur('12 866,50 €')}" in text
    assert f"Total TVA {eur('2 545,90 €')}" in text
    assert f"20{NBSP}% {eur('12 677,50 €')} {eur('2 535,50 €')}" in text
    assert f"5,5{NBSP}% {eur('189,00 €')} {eur('10,40 €')}" in text
    # Due 30 days net after 02/03/2026.
    assert "Date d'échéance 01/04/2026" in text
    assert "À régler au plus tard le 01/04/2026" in text
    assert "Votre commande BC-2026-0142" in text
    assert RECOVERY_FEE in text and f"40{NBSP}€" in text
    assert "Pas d'escompte pour paiement anticipé." in text
    assert "IBAN FR76" in text and "BIC AGRIFRPP" in text
    # Seller identity: legal form, capital, RCS, SIRET, VAT number; buyer SIREN.
    assert f"SAS au capital de {eur('50 000,00 €')} – RCS Lyon 732829320" in text
    assert "SIRET 73282932000074" in text
    assert "TVA intracommunautaire FR44732829320" in text
    assert "SIREN 552100554" in text
    assert "Page 1/1" in text


def test_credit_note_refers_to_its_invoice(build):
    note = build("credit_note")
    [text] = pages_text(rendering.facturx_pdf(note))
    assert "AVOIR" in text and "FACTURE" not in text
    assert note.number.startswith("AV") and note.number in text
    assert "Avoir sur facture FA2026-00001 du 02/03/2026" in text
    assert "Motif : Four livré avec un défaut" in text
    assert f"Total TTC à déduire {eur('15 412,40 €')}" in text
    # A credit note is not paid to the seller: no bank details to pay it.
    assert "IBAN" not in text


def test_line_discounts_and_four_decimal_prices(build):
    [text] = pages_text(rendering.facturx_pdf(build("line_discounts")))
    # 7 × 18,90 = 132,30 less 12,5 % (16,5375 -> 16,54) = 115,76
    assert f"18,90{NBSP}€ 12,5{NBSP}% 5,5{NBSP}% {eur('115,76 €')}" in text
    # 3,333 × 19,9999 = 66,6597 -> 66,66 less 3 % (1,9998 -> 2,00) = 64,66; the price
    # keeps its four decimals.
    assert f"3,333 unité 19,9999{NBSP}€ 3{NBSP}% 20{NBSP}% {eur('64,66 €')}" in text


def test_allowances_and_charges_are_listed(build):
    [text] = pages_text(rendering.facturx_pdf(build("allowances")))
    # Lines: 189,00 + 4 × 65 = 449,00; less 26,00, plus 15,00.
    assert f"Total des lignes HT {eur('449,00 €')}" in text
    # The reasons already say whether they are an allowance or a charge.
    assert f"\nRemise fidélité 20{NBSP}% {eur('-26,00 €')}" in text
    assert f"\nFrais de port 5,5{NBSP}% {eur('15,00 €')}" in text
    # HT 449 - 26 + 15 = 438,00
    assert f"Total HT {eur('438,00 €')}" in text


def test_reverse_charge_and_delivery_address(build):
    [text] = pages_text(rendering.facturx_pdf(build("reverse_charge")))
    assert "Autoliquidation, article 283-2 nonies du CGI" in text
    assert f"Net à payer TTC {eur('3 200,00 €')}" in text
    assert "ADRESSE DE LIVRAISON" in text
    assert "Chantier Victor Hugo, 40 rue de la Pompe" in text
    assert "TVA intracommunautaire FR64443061841" in text


def test_export_names_the_country_and_the_exemption(build):
    [text] = pages_text(rendering.facturx_pdf(build("export")))
    assert "1204 Genève\nSUISSE" in text
    assert "Exonération de TVA, article 262 I du CGI" in text


def test_consumer_has_legal_interest_and_no_l441_10_clause_nor_fee(build):
    [text] = pages_text(rendering.facturx_pdf(build("consumer")))
    flat = " ".join(text.split())
    assert PENALTY not in flat and "L.441-10" not in flat
    assert RECOVERY_FEE not in flat
    assert " ".join(legal.CONSUMER_LATE_INTEREST_MENTION.split()) in flat


def test_a_long_invoice_runs_on_several_pages_with_its_table_header(issue, customers, products):
    lines = [{"product": products["flour"].pk, "quantity": str(n)} for n in range(1, 61)]
    invoice = issue(customers["french"], lines)
    pdf = rendering.facturx_pdf(invoice)
    dump("sixty_lines", pdf)
    assert validation.validate(pdf).ok
    pages = pages_text(pdf)
    count = len(pages)
    assert count > 1
    header = "Réf. Désignation Qté Unité P.U. HT Remise TVA Montant HT"
    assert all(header in page for page in pages[: count - 1])
    assert f"Page 2/{count}" in pages[1]
    assert f"FACTURE {invoice.number} (suite)" in pages[1]
    # The last line (60 × 18,90 = 1 134,00) and the totals: 1 + ... + 60 = 1 830 sacks,
    # 34 587,00 HT, VAT 5,5 % = 1 902,285 -> 1 902,29, TTC 36 489,29.
    last_line = f"60 unité 18,90{NBSP}€ 5,5{NBSP}% {eur('1 134,00 €')}"
    total = f"Net à payer TTC {eur('36 489,29 €')}"
    # The totals come after the last line, on its page or a later one (the payment block
    # and the mentions may run onto one more page).
    at = next(i for i, page in enumerate(pages) if last_line in page)
    assert total in "\n".join(pages[at:])
    assert total not in "\n".join(pages[:at])


def test_rendering_is_repeatable(build):
    invoice = build("several_rates")
    assert rendering.invoice_pdf(invoice) == rendering.invoice_pdf(invoice)


def test_a_draft_has_no_pdf(company, customer, product, admin):
    draft = create_invoice(
        company, customer=customer, lines=[{"product": product.pk, "quantity": "1"}], by=admin
    )
    with pytest.raises(rendering.NotIssued):
        rendering.facturx_pdf(draft)


def test_render_pdf_refuses_an_unknown_template():
    with pytest.raises(FileNotFoundError, match="introuvable"):
        rendering.render_pdf("no-such-template", {})


def test_render_pdf_passes_the_context_as_data(tmp_path):
    """A template gets the context verbatim: text is never read as Typst markup."""
    pdf = rendering.render_pdf(
        "invoice",
        {
            **EMPTY_INVOICE,
            "number": "FA-*gras*-#x",
            "lines": [{**EMPTY_LINE, "label": "Vis $x^2$ _ #linebreak()"}],
        },
        timestamp=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
    )
    [text] = pages_text(pdf)
    assert "FA-*gras*-#x" in text
    assert "Vis $x^2$ _ #linebreak()" in text
    assert pdfa_id(pdf) == ("3", "B")


def test_render_pdf_from_several_threads():
    """Each thread has its own Typst compiler: concurrent renders do not mix."""
    contexts = [{**EMPTY_INVOICE, "number": f"FA2026-{n:05d}"} for n in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        pdfs = list(pool.map(lambda c: rendering.render_pdf("invoice", c), contexts))
    for n, pdf in enumerate(pdfs):
        [text] = pages_text(pdf)
        assert f"FA2026-{n:05d}" in text


def test_french_formats():
    assert rendering.format_price(Decimal("19.9999")) == f"19,9999{NBSP}€"
    assert rendering.format_price(Decimal("12450.0000")) == eur("12 450,00 €")
    assert rendering.format_price(Decimal("1234.5")) == eur("1 234,50 €")
    assert rendering.format_price(Decimal("1234.125")) == f"1{NNBSP}234,125{NBSP}€"
    assert rendering.format_rate(Decimal("5.50")) == f"5,5{NBSP}%"
    assert rendering.format_date(dt.date(2026, 11, 22)) == "22/11/2026"
    assert rendering.format_date("2026-03-02") == "02/03/2026"
    assert rendering.format_iban("FR7630006000011234567890189") == NBSP.join(
        ["FR76", "3000", "6000", "0112", "3456", "7890", "189"]
    )
    assert rendering.address_lines(
        {"line1": "Meir 1", "postal_code": "2000", "city": "Antwerpen", "country": "BE"}
    ) == ["Meir 1", "2000 Antwerpen", "BELGIQUE"]


EMPTY_LINE = {
    "ref": "",
    "label": "",
    "qty": "1",
    "unit": "unité",
    "price": "",
    "discount": "",
    "vat": "",
    "net": "",
}
EMPTY_INVOICE = {
    "kind": "invoice",
    "title": "FACTURE",
    "date_label": "Date de livraison",
    "totals_title": "Totaux",
    "corrects_invoice": False,
    "creates_receivable": True,
    "number": "",
    "issue_date": "",
    "delivery_date": "",
    "due_date": "",
    "customer_reference": "",
    "credited_reference": "",
    "credit_reason": "",
    "operation_nature": "",
    "seller": rendering.seller_context({"legal_name": "Vendeur"}),
    "buyer": rendering.buyer_context({"legal_name": "Client"}),
    "lines": [],
    "allowances": [],
    "vat_rows": [],
    "vat_has_reasons": False,
    "totals": {
        "lines": "",
        "has_allowances": False,
        "excl_vat": "",
        "vat": "",
        "incl_vat": "",
        "label": "",
    },
    "payment": {"terms": "", "due_date": "", "iban": "", "bic": "", "transfer_reference": ""},
    "mentions": [],
    "notes": "",
}


def test_the_company_logo_is_printed(build, company, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # A small transparent-background PNG, drawn by Typst itself.
    png = typst.compile(
        b"#set page(width: 60pt, height: 30pt, margin: 0pt, fill: none)\n"
        b'#circle(radius: 14pt, fill: rgb("#e63946"))',
        format="png",
    )
    company.logo.save("logo.png", ContentFile(png))
    invoice = build("several_rates")
    pdf = rendering.facturx_pdf(invoice)
    dump("with_logo", pdf)
    assert validation.validate(pdf).ok
    assert pdfa_id(pdf) == ("3", "B")
    resources = reader(pdf).pages[0]["/Resources"]
    images = [
        xobject.get_object()
        for xobject in resources["/XObject"].values()
        if xobject.get_object()["/Subtype"] == "/Image"
    ]
    assert len(images) == 1


def test_a_missing_logo_file_is_left_out(build, company, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    company.logo.name = "logos/deleted.png"
    company.save(update_fields=["logo"])
    invoice = build("several_rates")
    assert rendering.invoice_context(invoice)["seller"]["logo"] == ""
    assert "/XObject" not in reader(rendering.invoice_pdf(invoice)).pages[0]["/Resources"]
