"""The validator and its command: failures come back with their rule id, the exit status
says whether any is fatal."""

import io
import subprocess
import sys

import pytest
from django.core.management import call_command

from encaisse.documents import einvoice, validation

SELLER_SIREN = b'<ram:ID schemeID="0002">732829320</ram:ID>'


@pytest.fixture
def cii(build):
    return einvoice.cii_xml(build("several_rates"))


def test_removing_the_seller_siren_breaks_br_fr_10(cii):
    assert SELLER_SIREN in cii
    report = validation.validate(cii.replace(SELLER_SIREN, b""))
    assert not report.ok
    assert "BR-FR-10_BT-30" in report.ids(validation.BR_FR)
    failure = next(f for f in report.fatal if f.id == "BR-FR-10_BT-30")
    assert failure.flag == "fatal"
    assert "SIREN du vendeur" in failure.text
    assert failure.location == "/CrossIndustryInvoice[1]"


def test_a_wrong_total_breaks_the_en16931_rules(cii):
    report = validation.validate(cii.replace(b"<ram:GrandTotalAmount>", b"<ram:GrandTotalAmount>1"))
    assert "BR-CO-15" in report.ids(validation.EN16931)


def test_an_xsd_violation_is_reported_as_such(cii):
    report = validation.validate(
        cii.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeKode>380</ram:TypeKode>")
    )
    assert any(f.stage == validation.XSD for f in report.fatal)


def test_not_an_einvoice_is_refused():
    with pytest.raises(validation.NotAnEInvoice):
        validation.validate(b"<html/>")
    with pytest.raises(validation.NotAnEInvoice):
        validation.validate(b"not xml at all")


def test_command_passes_a_valid_file(cii, tmp_path):
    path = tmp_path / "facture.xml"
    path.write_bytes(cii)
    out, err = io.StringIO(), io.StringIO()
    call_command("validate-einvoice", str(path), stdout=out, stderr=err)
    assert "0 erreur(s) bloquante(s)" in out.getvalue()
    assert err.getvalue() == ""


def test_command_exits_non_zero_and_names_the_rule(cii, tmp_path):
    """Through the real `encaisse` entry point, which also proves that Django finds a
    command module whose name has a dash."""
    path = tmp_path / "cassee.xml"
    path.write_bytes(cii.replace(SELLER_SIREN, b""))
    result = subprocess.run(
        [sys.executable, "-m", "encaisse.cli", "validate-einvoice", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "BR-FR-10_BT-30" in result.stderr
    assert "erreur(s) bloquante(s)" in result.stderr


def test_command_refuses_a_file_that_is_not_an_einvoice(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("bonjour")
    with pytest.raises(Exception, match="XML mal formé"):
        call_command("validate-einvoice", str(path))
