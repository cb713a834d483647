"""Every case gives CII and UBL XML that pass the XSD, the EN 16931 schematron (Factur-X
1.09 for CII, CEN for UBL) and the French CTC rules (BR-FR), through the same code as
`encaisse validate-einvoice`."""

import pytest
from lxml import etree

from encaisse import legal
from encaisse.documents import einvoice, validation

from .conftest import CASES

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}


def assert_valid(xml: bytes, syntax: str):
    report = validation.validate(xml)
    assert report.syntax == syntax
    assert report.ok, f"{syntax}:\n" + "\n".join(str(f) for f in report.fatal)
    stages = {validation.XSD, validation.EN16931, validation.BR_FR}
    assert not {f.stage for f in report.fatal} & stages


@pytest.mark.parametrize("case", CASES)
def test_cii_and_ubl_pass_every_rule(build, case):
    invoice = build(case)
    assert_valid(einvoice.cii_xml(invoice), "cii")
    assert_valid(einvoice.ubl_xml(invoice), "ubl")


def cii(invoice):
    return etree.fromstring(einvoice.cii_xml(invoice))


def text(tree, path):
    return [getattr(node, "text", node) for node in tree.xpath(path, namespaces=NS)]


AGREEMENT = "//ram:ApplicableHeaderTradeAgreement"


def test_identity_mentions_and_frame_of_a_business_invoice(build):
    tree = cii(build("several_rates"))
    assert text(tree, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == ["M1"]
    assert text(tree, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    seller = AGREEMENT + "/ram:SellerTradeParty"
    assert text(tree, seller + "/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']") == [
        "732829320"
    ]
    assert text(tree, seller + "/ram:URIUniversalCommunication/ram:URIID[@schemeID='0225']") == [
        "732829320"
    ]
    assert text(tree, seller + "/ram:SpecifiedTaxRegistration/ram:ID") == ["FR44732829320"]
    buyer = AGREEMENT + "/ram:BuyerTradeParty"
    assert text(tree, buyer + "/ram:SpecifiedLegalOrganization/ram:ID") == ["552100554"]
    assert text(tree, buyer + "/ram:URIUniversalCommunication/ram:URIID") == ["552100554"]
    assert text(tree, AGREEMENT + "/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == [
        "BC-2026-0142"
    ]
    notes = dict(
        zip(
            text(tree, "//ram:IncludedNote/ram:SubjectCode"),
            text(tree, "//ram:IncludedNote[ram:SubjectCode]/ram:Content"),
            strict=True,
        )
    )
    assert notes["BAR"] == "B2B"
    assert notes["PMT"] == legal.RECOVERY_FEE_MENTION and "40\u00a0€" in notes["PMT"]
    assert "pénalités" in notes["PMD"]
    assert "escompte" in notes["AAB"]
    means = "//ram:SpecifiedTradeSettlementPaymentMeans"
    assert text(tree, means + "/ram:TypeCode") == ["30"]
    assert text(tree, means + "/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == [
        "FR7630006000011234567890189"
    ]
    # 10 × 18.90 at 5.5 %; 3.5 h × 65 + 12 450 at 20 %
    assert text(tree, "//ram:ApplicableTradeTax/ram:BasisAmount") == ["12677.50", "189.00"]
    # VAT 2 535.50 + 10.40 (10.395 rounded half up): 12 866.50 + 2 545.90
    assert text(tree, "//ram:GrandTotalAmount") == ["15412.40"]


def test_line_discount_is_a_line_allowance(build):
    tree = cii(build("line_discounts"))
    line = "//ram:IncludedSupplyChainTradeLineItem[1]/ram:SpecifiedLineTradeSettlement"
    allowance = line + "/ram:SpecifiedTradeAllowanceCharge"
    # 7 × 18.90 = 132.30, 12.5 % = 16.54 (rounded on its own), net 115.76
    assert text(tree, allowance + "/ram:BasisAmount") == ["132.30"]
    assert text(tree, allowance + "/ram:CalculationPercent") == ["12.50"]
    assert text(tree, allowance + "/ram:ActualAmount") == ["16.54"]
    assert text(tree, line + "//ram:LineTotalAmount") == ["115.76"]


@pytest.mark.parametrize(
    ("case", "category", "code"),
    [
        ("exempt", "E", None),
        ("reverse_charge", "AE", "VATEX-EU-AE"),
        ("intra_eu", "K", "VATEX-EU-IC"),
        ("export", "G", "VATEX-EU-G"),
    ],
)
def test_exemptions_say_why_in_the_vat_breakdown(build, case, category, code):
    tree = cii(build(case))
    settlement = "//ram:ApplicableHeaderTradeSettlement"
    tax = f"{settlement}/ram:ApplicableTradeTax[ram:CategoryCode='{category}']"
    assert text(tree, tax + "/ram:ExemptionReason")[0].startswith(("Exonération", "Autoliq"))
    assert text(tree, tax + "/ram:ExemptionReasonCode") == ([code] if code else [])


def test_buyers_without_siren_get_an_address_br_fr_accepts(build):
    belgian = cii(build("intra_eu"))
    uri = AGREEMENT + "/ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID"
    assert text(belgian, uri) == ["BE0403170701"]
    assert text(belgian, uri + "/@schemeID") == ["9925"]
    assert text(belgian, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content") == ["B2BINT"]
    consumer = cii(build("consumer"))
    assert text(consumer, uri) == ["B2C"]
    assert text(consumer, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content") == ["B2C"]
    pmt = text(consumer, "//ram:IncludedNote[ram:SubjectCode='PMT']/ram:Content")
    assert pmt == [legal.NO_RECOVERY_FEE_MENTION]


def test_a_consumer_invoice_carries_legal_interest_not_the_l441_10_clause(build):
    """BR-FR-05 wants PMD and PMT notes on every invoice: for a consumer they say what
    applies (legal interest from the formal notice, no recovery fee), and the document
    passes the official schematrons (test_cii_and_ubl_pass_every_rule, case "consumer")."""
    invoice = build("consumer")
    tree = cii(invoice)
    pmd = text(tree, "//ram:IncludedNote[ram:SubjectCode='PMD']/ram:Content")
    assert pmd == [legal.CONSUMER_LATE_INTEREST_MENTION]
    assert "L.441-10" not in pmd[0] and "1231-6" in pmd[0]
    pmt = text(tree, "//ram:IncludedNote[ram:SubjectCode='PMT']/ram:Content")
    assert pmt == [legal.NO_RECOVERY_FEE_MENTION]
    assert invoice.mentions["recovery_fee"] == ""
    assert invoice.mentions["late_penalty_rate"] == ""


def test_credit_note_refers_to_its_invoice(build):
    note = build("credit_note")
    tree = cii(note)
    assert text(tree, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    ref = "//ram:ApplicableHeaderTradeSettlement/ram:InvoiceReferencedDocument"
    assert text(tree, ref + "/ram:IssuerAssignedID") == [note.credited_invoice.number]
    assert text(tree, ref + "/ram:FormattedIssueDateTime/qdt:DateTimeString") == ["20260302"]
    ubl = etree.fromstring(einvoice.ubl_xml(note))
    assert etree.QName(ubl).localname == "CreditNote"


def test_document_allowances_and_charges(build):
    tree = cii(build("allowances"))
    settlement = "//ram:ApplicableHeaderTradeSettlement"
    assert text(tree, settlement + "//ram:AllowanceTotalAmount") == ["26.00"]
    assert text(tree, settlement + "//ram:ChargeTotalAmount") == ["15.00"]
    assert text(tree, settlement + "/ram:SpecifiedTradeAllowanceCharge/ram:Reason") == [
        "Remise fidélité",
        "Frais de port",
    ]


def test_only_issued_documents_are_mapped(make_invoice):
    with pytest.raises(einvoice.NotIssued):
        einvoice.cii_xml(make_invoice())


UBL_NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


def test_the_payment_reference_bt_83_is_the_rf_reference_in_cii_and_ubl(build):
    invoice = build("several_rates")
    # FA2026-00001: body FA202600001, ISO 7064 MOD 97-10 of "FA202600001RF00" with
    # F=15, A=10, R=27: remainder 19, check digits 98 - 19 = 79.
    assert invoice.number == "FA2026-00001"
    tree = cii(invoice)
    settlement = "//ram:ApplicableHeaderTradeSettlement"
    assert text(tree, settlement + "/ram:PaymentReference") == ["RF79FA202600001"]
    ubl = etree.fromstring(einvoice.ubl_xml(invoice))
    assert ubl.xpath("//cac:PaymentMeans/cbc:PaymentID/text()", namespaces=UBL_NS) == [
        "RF79FA202600001"
    ]
    assert_valid(etree.tostring(tree), "cii")


@pytest.mark.parametrize("case", ["credit_note", "partial_credit_note"])
def test_a_credit_note_has_no_payment_reference(build, case):
    note = build(case)
    assert note.payment_reference == ""
    assert text(cii(note), "//ram:PaymentReference") == []
    ubl = etree.fromstring(einvoice.ubl_xml(note))
    assert ubl.xpath("//cbc:PaymentID", namespaces=UBL_NS) == []
