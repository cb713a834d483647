"""The seam: `formats.detect` and `formats.parse` over the whole corpus.

Every statement file of the four folders is detected as its folder's format (and by no
other format's sniffer) and parses; every file of malformed/ is refused with a
MalformedStatement whose message says where. Random bytes and empty files are refused;
no input makes a parser fail with anything but MalformedStatement.
"""

import contextlib
import importlib
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from encaisse.banking import formats
from encaisse.banking.formats import MalformedStatement

from .helpers import FOLDERS, statement_files

MODULES = {name: importlib.import_module(f"encaisse.banking.formats.{name}") for name in FOLDERS}
# Where a refusal points: a line, an element, a statement or transaction, or the file.
WHERE = ("ligne", "Stmt", "STMTRS", "STMTTRN", "BkToCstmrStmt", "fichier", "fin du fichier")


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_file_detected_as_its_format_only(bank_corpus, folder):
    files = statement_files(bank_corpus, folder)
    assert files
    for path in files:
        data = path.read_bytes()
        sniffed = [name for name, module in MODULES.items() if module.sniff(data)]
        assert sniffed == [folder], path.name
        assert formats.detect(data) == folder


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_file_parses_through_the_seam(bank_corpus, folder):
    for path in statement_files(bank_corpus, folder):
        statements = formats.parse(path.read_bytes())
        assert statements, path.name
        for statement in statements:
            assert statement.format == folder
            assert statement.currency, path.name
            for line in statement.lines:
                assert line.booking_date and line.label and line.where, path.name


def test_every_malformed_file_refused_saying_where(bank_corpus):
    """E1: every file of malformed/ is refused, the message naming where."""
    files = sorted((bank_corpus / "malformed").iterdir())
    assert len(files) == 9
    for path in files:
        with pytest.raises(MalformedStatement) as refused:
            formats.parse(path.read_bytes())
        message = refused.value.message
        assert any(word in message for word in WHERE), (path.name, message)
        assert refused.value.field == "file"


@pytest.mark.parametrize("data", [b"", b"   \r\n\n", b"\x00" * 50, os.urandom(4096)])
def test_empty_and_random_files_refused(data):
    with pytest.raises(MalformedStatement):
        formats.parse(data)


@pytest.mark.parametrize(
    "data",
    [
        "<html><body>relevé</body></html>".encode(),
        b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>',
        b"date;libelle;montant\n2026-01-02;VIR;10,00\n",
        b"%PDF-1.7\n",
    ],
)
def test_other_files_are_not_statements(data):
    with pytest.raises(MalformedStatement, match="format non reconnu"):
        formats.detect(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_only_ever_refused(data):
    with contextlib.suppress(MalformedStatement):
        formats.parse(data)


def _mutations(data: bytes, seed: int, count: int = 40):
    rng = random.Random(seed)
    for _ in range(count):
        buffer = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(buffer))
            action = rng.random()
            if action < 0.4:
                buffer[position] = rng.randrange(256)
            elif action < 0.7:
                del buffer[position : position + rng.randint(1, 40)]
            else:
                buffer[position:position] = bytes(rng.choice(b":<>/{}\r\n 0123456789CD,."))
        yield bytes(buffer)


@pytest.mark.parametrize("folder", FOLDERS)
def test_damaged_corpus_files_parse_or_are_refused_never_crash(bank_corpus, folder):
    """Random damage to real files (bytes changed, cut, inserted): each result is either
    statements or a MalformedStatement, never another exception."""
    for index, path in enumerate(statement_files(bank_corpus, folder)):
        for damaged in _mutations(path.read_bytes(), seed=index):
            with contextlib.suppress(MalformedStatement):
                formats.parse(damaged)


def test_rf_creditor_reference_found_in_texts():
    """ISO 11649: RF18 5390 0754 7034 is valid (the standard's example); RF19... not."""
    from encaisse.banking.formats._text import find_rf, is_rf

    assert is_rf("RF18539007547034")
    assert not is_rf("RF19539007547034")
    assert find_rf("Facture FA-1 ref RF18 5390 0754 7034 merci") == "RF18539007547034"
    assert find_rf("no reference here", "RF19539007547034") == ""
    assert find_rf("VIR RF18539007547034/FA-1") == "RF18539007547034"
    # Glued to the word before it (labels squeezed by the bank): found, its check digits
    # hold; the matching looks it up among the references the company issued.
    assert find_rf("PERFRF18539007547034") == "RF18539007547034"


def _zip(files: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_zip_of_statement_files(bank_corpus):
    """An archive holds the two camt files of X2 and X3: their statements, in name order."""
    data = _zip(
        {
            "b.xml": (bank_corpus / "camt053/oca_test-camt053_abnamro.xml").read_bytes(),
            "a.xml": (bank_corpus / "camt053/viafintech_valid_example_de.xml").read_bytes(),
        }
    )
    assert formats.detect(data) == "zip"
    first, second = formats.parse(data)
    assert first.account_iban == "DE14740618130000033626"
    assert second.account_iban == "NL77ABNA0574908765"
    assert second.where == "b.xml / Stmt 1"


def test_zip_with_a_broken_member_names_it(bank_corpus):
    data = _zip(
        {
            "ok.xml": (bank_corpus / "camt053/viafintech_valid_example_de.xml").read_bytes(),
            "bad.cfo": (
                bank_corpus / "malformed/DERIVED_truncated_oca_cfonb_classic.cfo"
            ).read_bytes(),
        }
    )
    with pytest.raises(MalformedStatement, match=r"bad\.cfo") as refused:
        formats.parse(data)
    assert "tronqué" in refused.value.message
    with pytest.raises(MalformedStatement, match="ZIP"):
        formats.parse(b"PK\x03\x04" + b"\x00" * 40)


def test_long_texts_cut_to_their_column_and_kept_in_details():
    """A :86: free text of 20 lines of 65 characters (Multicash allows 800): the label is
    cut to the 500 characters BankLine.label holds, the whole text stays in details."""
    text = "\n".join(f"LIGNE {n:02d} " + "X" * 56 for n in range(20))
    data = (
        ":20:R\n:25:FR7630004000031234567890143\n:28C:1\n:60F:C260101EUR0,00\n"
        f":61:2601020102C1,00NTRFNONREF\n:86:{text}\n:62F:C260102EUR1,00\n-\n"
    ).encode()
    (statement,) = formats.parse(data)
    (line,) = statement.lines
    assert len(line.label) == 500 and line.label.endswith("…")
    assert any(
        detail.startswith("label LIGNE 00") and "LIGNE 19" in detail for detail in line.details
    )


@pytest.mark.parametrize("folder", FOLDERS)
def test_nul_padding_after_a_file_is_ignored(bank_corpus, folder):
    """Some transfer software pads a file with NULs (or ends it with ^Z)."""
    for path in statement_files(bank_corpus, folder)[:2]:
        data = path.read_bytes()
        padded = formats.parse(data + b"\x1a" + b"\x00" * 300)
        plain = formats.parse(data)
        assert [len(s.lines) for s in padded] == [len(s.lines) for s in plain]
        assert [s.closing_balance for s in padded] == [s.closing_balance for s in plain]
