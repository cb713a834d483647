"""An invoice with an installment schedule: its e-invoices (valid: see the "schedule"
case of test_einvoice) carry the last due date in BT-9 and the installments in BT-20,
and its PDF prints them under the totals."""

import datetime as dt

from lxml import etree

from encaisse.documents import einvoice, rendering

from .test_pdf import NBSP, eur, pages_text

# 10 × 18.90 at 5.5 % = 189.00 + 10.40 VAT; 4 h × 65.00 at 20 % = 260.00 + 52.00 VAT:
# 511.40 TTC. Issued 2 Mar 2026: 40 % = 204.56 that day, 30 % = 153.42 on 1 Apr, and the
# last 511.40 − 204.56 − 153.42 = 153.42 on 1 May.
TERMS = (
    f"Échéancier : 40 % soit 204,56{NBSP}€ le 02/03/2026 ; 30 % soit 153,42{NBSP}€ le "
    f"01/04/2026 ; 30 % soit 153,42{NBSP}€ le 01/05/2026"
)
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def test_schedule_goes_to_bt20_and_the_last_date_to_bt9(build):
    invoice = build("schedule")
    assert invoice.due_date == dt.date(2026, 5, 1)
    assert [i.amount for i in invoice.installments.order_by("position")] == [
        rendering.Decimal("204.56"),
        rendering.Decimal("153.42"),
        rendering.Decimal("153.42"),
    ]
    cii = etree.fromstring(einvoice.cii_xml(invoice))
    terms = "//ram:SpecifiedTradePaymentTerms"
    assert cii.xpath(terms + "/ram:Description/text()", namespaces={"ram": RAM}) == [TERMS]
    assert cii.xpath(terms + "/ram:DueDateDateTime/*/text()", namespaces={"ram": RAM}) == [
        "20260501"
    ]
    ubl = etree.fromstring(einvoice.ubl_xml(invoice))
    assert ubl.xpath("//cbc:DueDate/text()", namespaces={"cbc": CBC}) == ["2026-05-01"]
    assert TERMS in ubl.xpath(
        "//cac:PaymentTerms/cbc:Note/text()",
        namespaces={
            "cbc": CBC,
            "cac": CBC.replace("CommonBasicComponents", "CommonAggregateComponents"),
        },
    )


def test_pdf_lists_the_schedule_under_the_totals(build):
    [text] = pages_text(rendering.facturx_pdf(build("schedule")))
    assert f"Net à payer TTC {eur('511,40 €')}" in text
    assert "ÉCHÉANCIER" in text
    assert f"02/03/2026 40{NBSP}% {eur('204,56 €')}" in text
    assert f"01/04/2026 30{NBSP}% {eur('153,42 €')}" in text
    assert f"01/05/2026 30{NBSP}% {eur('153,42 €')}" in text
    assert "Dernière échéance le 01/05/2026" in text
    assert "paiement en 3 échéances" in text
