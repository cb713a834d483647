"""The EPC QR code (EPC069-12, version 002): its payload field by field, and the code read
back from the rendered invoice PDF."""

import dataclasses
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from encaisse.documents import epc_qr, rendering
from encaisse.documents.epc_qr import NotPayable, Transfer, payload
from encaisse.identifiers import find_rf

from .qr import qr_codes, qr_payloads

NBSP = "\u00a0"
IBAN = "FR7630006000011234567890189"  # the seller's of tests/conftest.py
TRANSFER = Transfer(
    name="Atelier Martin SAS",
    iban="FR76 3000 6000 0112 3456 7890 189",
    bic="AGRIFRPP",
    amount=Decimal("15412.40"),
    reference="RF79FA202600001",
)


def test_the_payload_field_by_field():
    lines = payload(TRANSFER).split("\n")
    assert lines == [
        "BCD",  # service tag
        "002",  # version
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        "AGRIFRPP",  # BIC
        "Atelier Martin SAS",  # beneficiary
        IBAN,  # compact
        "EUR15412.40",  # amount: EUR, a point, two decimals
        "",  # purpose
        "RF79FA202600001",  # structured remittance: the RF reference
    ]  # no unstructured line after a reference, no trailing line feed


def test_a_transfer_without_bic_reference_or_amount():
    data = payload(
        dataclasses.replace(TRANSFER, bic="", amount=None, reference="", text="FA2026-00001")
    )
    assert data == f"BCD\n002\n1\nSCT\n\nAtelier Martin SAS\n{IBAN}\n\n\n\nFA2026-00001"


def test_limits_of_the_guidelines():
    long_name = "Société " + "x" * 80
    data = payload(dataclasses.replace(TRANSFER, name=long_name))
    assert data.split("\n")[5] == long_name[:70]
    assert payload(dataclasses.replace(TRANSFER, amount=Decimal("0.01"))).split("\n")[7] == (
        "EUR0.01"
    )
    assert payload(dataclasses.replace(TRANSFER, amount=Decimal("999999999.99"))).split("\n")[
        7
    ] == ("EUR999999999.99")
    for amount in ("0", "-5", "0.001", "1000000000.00"):
        with pytest.raises(NotPayable):
            payload(dataclasses.replace(TRANSFER, amount=Decimal(amount)))
    with pytest.raises(NotPayable):  # both kinds of remittance information
        payload(dataclasses.replace(TRANSFER, text="FA2026-00001"))
    with pytest.raises(NotPayable):  # 141 characters of text
        payload(dataclasses.replace(TRANSFER, reference="", text="x" * 141))
    with pytest.raises(NotPayable):  # an IBAN whose check digits are wrong
        payload(dataclasses.replace(TRANSFER, iban="FR7730006000011234567890189"))
    with pytest.raises(NotPayable):  # outside SEPA (Brazil)
        payload(dataclasses.replace(TRANSFER, iban="BR1800360305000010009795493C1"))
    monaco = "MC5811222000010123456789030"
    with pytest.raises(NotPayable):  # SEPA but not EEA: the BIC is required
        payload(dataclasses.replace(TRANSFER, iban=monaco, bic=""))
    assert payload(dataclasses.replace(TRANSFER, iban=monaco)).split("\n")[6] == monaco


def test_the_payload_never_exceeds_331_bytes():
    # 70 three-byte characters (210 bytes) and 140 characters of text: too long.
    big = dataclasses.replace(TRANSFER, name="€" * 70, reference="", text="x" * 140)
    with pytest.raises(NotPayable):
        payload(big)
    assert epc_qr.transfer_qr(big) == ""
    fits = dataclasses.replace(TRANSFER, name="€" * 70)
    assert len(payload(fits).encode()) <= 331


def test_no_code_without_iban_or_in_another_currency():
    assert epc_qr.transfer_qr(dataclasses.replace(TRANSFER, iban="")) == ""
    assert epc_qr.transfer_qr(TRANSFER, currency="USD") == ""
    assert epc_qr.transfer_qr(TRANSFER).startswith("<svg")


def test_the_symbol_is_level_m_and_reads_back_as_its_payload():
    data = payload(dataclasses.replace(TRANSFER, name="Boulangerie Dupré & Fils"))
    qr = epc_qr.symbol(data)
    assert (qr.error, qr.mode) == ("M", "byte") and qr.version <= 13
    # The SVG is the matrix: same payload, same SVG (the rendering stays repeatable).
    assert epc_qr.svg(data) == epc_qr.svg(data)


# ------------------------------------------------------------------ on the invoice


def test_the_invoice_pdf_carries_the_reference_and_a_code_that_reads_back(build):
    invoice = build("several_rates")
    pdf = rendering.facturx_pdf(invoice)
    [code] = qr_codes(pdf)
    assert code.ec_level == "M"
    assert code.bytes.decode("utf-8") == "\n".join(
        [
            "BCD",
            "002",
            "1",
            "SCT",
            "AGRIFRPP",
            "Atelier Martin SAS",
            IBAN,
            "EUR15412.40",  # 15 412,40 € TTC (test_pdf.py)
            "",
            "RF79FA202600001",
        ]
    )
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert f"Référence de paiement : RF79{NBSP}FA20{NBSP}2600{NBSP}001" in text
    assert epc_qr.CAPTION in " ".join(text.split())


def test_a_credit_note_has_neither_reference_nor_code(build):
    note = build("credit_note")
    pdf = rendering.invoice_pdf(note)
    assert qr_codes(pdf) == []
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Référence de paiement" not in text and find_rf(text) == []


def test_an_invoice_with_a_schedule_leaves_the_amount_to_the_payer(build):
    invoice = build("schedule")
    [data] = qr_payloads(rendering.invoice_pdf(invoice))
    lines = data.split("\n")
    assert lines[7] == "" and lines[9] == invoice.payment_reference
    context = rendering.invoice_context(invoice)
    assert "échéance à saisir" in context["payment"]["qr_caption"]


def test_no_code_without_the_seller_iban_or_in_another_currency(build):
    invoice = build("exempt")
    assert rendering.invoice_qr(invoice)["qr"]
    invoice.currency = "USD"  # not saved: the context of such a document
    assert rendering.invoice_qr(invoice) == {"qr": "", "qr_caption": ""}
    invoice.currency = "EUR"
    invoice.seller = {**invoice.seller, "iban": ""}
    assert rendering.invoice_context(invoice)["payment"]["qr"] == ""
    pdf = rendering.invoice_pdf(invoice)
    assert qr_codes(pdf) == []
    # The reference is printed all the same: a cheque or a transfer typed by hand quotes it.
    assert "Référence de paiement" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
