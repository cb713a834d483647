"""OFX against the facts of EXPECTED.md (O1, O2, O3, E1) and small hand-written files.

Every expected figure is copied from EXPECTED.md (facts table and file notes).
"""

import datetime as dt
from decimal import Decimal

import pytest

from encaisse.banking.formats import MalformedStatement, ofx, parse

from .helpers import credits, debits, statement_files

D = Decimal


def read(corpus, name):
    return parse((corpus / "ofx" / name).read_bytes())


def test_o1_banque_populaire_two_accounts_one_acctid(bank_corpus):
    """O1: OFX 1.02 SGML in CP1252, 2 accounts of one ACCTID (99999999999); CHECKING 61
    transactions = 11 credits 11,348.45 + 50 debits 12,050.61, ledger 1,518.81 on
    2022-07-17; SAVINGS 2 transactions (+2,560.00 / -2,560.00), ledger 7,556.42."""
    checking, savings = read(bank_corpus, "ofxstatement-french_BPACA_OP_20220717.ofx")
    assert checking.version == "102"
    assert checking.account_number != savings.account_number  # kept apart
    assert "99999999999" in checking.account_number and "CHECKING" in checking.account_number
    assert "SAVINGS" in savings.account_number
    assert checking.bank_id == "10907"
    assert len(checking.lines) == 61
    assert sum(1 for line in checking.lines if line.amount > 0) == 11
    assert credits(checking) == D("11348.45")
    assert sum(1 for line in checking.lines if line.amount < 0) == 50
    assert debits(checking) == D("12050.61")
    assert checking.closing_balance == D("1518.81")
    assert checking.closing_date == dt.date(2022, 7, 17)
    assert checking.opening_balance is None  # OFX does not give it
    assert sorted(line.amount for line in savings.lines) == [D("-2560.00"), D("2560.00")]
    assert savings.closing_balance == D("7556.42")
    assert all(line.bank_reference for line in checking.lines)  # FITID


def test_o1_cp1252_text_decoded(bank_corpus):
    """The file is CP1252: no replacement character in any text."""
    for statement in read(bank_corpus, "ofxstatement-french_BPACA_OP_20220717.ofx"):
        for line in statement.lines:
            assert "\ufffd" not in line.label + line.remittance_info


def test_o2_comma_decimals(bank_corpus):
    """O2: comma decimal separator: -200.00 and -300.00, balance 200.29 (CURDEF USD)."""
    (statement,) = read(bank_corpus, "ofxtools_stmtrs_euro.ofx")
    assert [line.amount for line in statement.lines] == [D("-200.00"), D("-300.00")]
    assert statement.closing_balance == D("200.29")
    assert statement.currency == "USD"
    check = statement.lines[0]
    assert check.transaction_code == "CHECK"
    assert "CHECKNUM 1000" in check.details


def test_o3_one_line_sgml_with_french_language(bank_corpus):
    """O3: the whole SGML body on one line, LANGUAGE FRE: 8 transactions (1 credit
    200.00; 7 debits 2,177.10), ledger balance 100.00 EUR."""
    (statement,) = read(bank_corpus, "asgrim_ofxdata-oneline.ofx")
    assert len(statement.lines) == 8
    assert credits(statement) == D("200.00")
    assert sum(1 for line in statement.lines if line.amount < 0) == 7
    assert debits(statement) == D("2177.10")
    assert statement.closing_balance == D("100.00")
    assert statement.currency == "EUR"


def test_file_notes_other_ofx(bank_corpus):
    """File notes: bpbfc 6 debits 53.49, ledger 10,000.00 EUR; OFX 2 XML USD 3 tx (cr
    350.00, db 100.00) ledger 5,250.00; oca: bank statement 4 debits 360.00 ledger
    2,156.56 over four BANKTRANLIST blocks + a card statement (0 tx, -562.00)."""
    (bpbfc,) = read(bank_corpus, "asgrim_ofxdata-bpbfc.ofx")
    assert (len(bpbfc.lines), debits(bpbfc), credits(bpbfc)) == (6, D("53.49"), 0)
    assert bpbfc.closing_balance == D("10000.00")
    (xml,) = read(bank_corpus, "asgrim_ofxdata-xml.ofx")
    assert xml.currency == "USD" and xml.version == "200"
    assert (len(xml.lines), credits(xml), debits(xml)) == (3, D("350.00"), D("100.00"))
    assert xml.closing_balance == D("5250.00")
    bank, card = read(bank_corpus, "oca_test_ofx.ofx")
    assert (len(bank.lines), debits(bank), bank.closing_balance) == (4, D("360"), D("2156.56"))
    assert [line.where for line in bank.lines][-1] == "STMTRS 1 / STMTTRN 4"
    assert card.lines == [] and card.closing_balance == D("-562.00")
    assert card.account_number == "123412341234 CREDITCARD"


def test_e1_commented_out_fields_listed_with_where(bank_corpus):
    """E1 (oca wrong): CURDEF + BANKACCTFROM commented out, and one transaction's
    DTPOSTED, FITID and TRNAMT commented out (the second STMTTRN of the statement)."""
    with pytest.raises(MalformedStatement) as refused:
        parse((bank_corpus / "malformed/oca_test_ofx_wrong.ofx").read_bytes())
    message = refused.value.message
    assert "STMTRS 1 : devise (CURDEF) manquante" in message
    assert "BANKACCTFROM" in message
    assert "STMTRS 1 / STMTTRN 2 : DTPOSTED, TRNAMT, FITID manquant(s)" in message


def test_e1_dollar_amount(bank_corpus):
    """E1 (ofxparse): TRNAMT "$120"."""
    with pytest.raises(MalformedStatement) as refused:
        parse((bank_corpus / "malformed/ofxparse_fail_nice_decimal_error.ofx").read_bytes())
    assert "STMTTRN 1" in refused.value.message
    assert "$120" in refused.value.message


SGML = """OFXHEADER:100
DATA:OFXSGML
VERSION:102
ENCODING:USASCII
CHARSET:{charset}

<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>
<LANGUAGE>FRE</SONRS></SIGNONMSGSRSV1>
<BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR
<BANKACCTFROM><BANKID>30003<BRANCHID>01234<ACCTID>01234567890<ACCTTYPE>CHECKING
<ACCTKEY>57</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20260101<DTEND>20260131
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20260105120000.000[+1:CET]<DTAVAIL>20260106
<TRNAMT>{amount}<FITID>A1<NAME>VIR SARL ÉLÉGANCE<MEMO>FA2026-00042</STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>1 234,56<DTASOF>20260131</LEDGERBAL>
</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""


@pytest.mark.parametrize(("charset", "encoding"), [("1252", "cp1252"), ("ISO-8859-1", "latin-1")])
def test_sgml_charset_dates_and_french_account(charset, encoding):
    data = SGML.format(charset=charset, amount="+1234.5").encode(encoding)
    (statement,) = ofx.parse(data)
    (line,) = statement.lines
    assert line.amount == D("1234.5")
    assert line.booking_date == dt.date(2026, 1, 5)
    assert line.value_date == dt.date(2026, 1, 6)
    assert line.label == "VIR SARL ÉLÉGANCE FA2026-00042"
    assert line.remittance_info == "FA2026-00042"
    assert line.bank_reference == "A1"
    assert line.transaction_code == "CREDIT"
    assert statement.closing_balance == D("1234.56")
    # ACCTKEY 57 is the RIB key of 30003/01234/01234567890 (see test_cfonb120)
    assert statement.account_iban == "FR7630003012340123456789057"


def test_lowercase_tags_and_utf8_bom():
    data = b"\xef\xbb\xbf" + SGML.format(charset="NONE", amount="-0.00").lower().encode()
    (statement,) = ofx.parse(data.replace(b"eur", b"EUR"))
    assert statement.lines[0].amount == 0
    assert statement.currency == "EUR"


@pytest.mark.parametrize(
    ("amount", "words"),
    [("$120", ["STMTTRN 1", "$120"]), ("12a", ["TRNAMT", "12a"]), ("", ["TRNAMT"])],
)
def test_bad_amounts_refused(amount, words):
    with pytest.raises(MalformedStatement) as refused:
        ofx.parse(SGML.format(charset="1252", amount=amount).encode("cp1252"))
    for word in words:
        assert word in refused.value.message


def test_bad_date_refused():
    data = SGML.format(charset="1252", amount="1").replace("20260105120000", "20261305")
    with pytest.raises(MalformedStatement, match="DTPOSTED"):
        ofx.parse(data.encode("cp1252"))


def test_every_corpus_file_parses(bank_corpus):
    for path in statement_files(bank_corpus, "ofx"):
        assert ofx.parse(path.read_bytes()), path.name


def test_escaped_characters_read():
    data = SGML.format(charset="1252", amount="1").replace("VIR SARL ÉLÉGANCE", "DUPONT &amp; FILS")
    (statement,) = ofx.parse(data.encode("cp1252"))
    assert statement.lines[0].counterparty_name == "DUPONT & FILS"


def test_unclosed_transactions_stay_siblings():
    data = SGML.format(charset="1252", amount="1").replace("</STMTTRN>", "")
    data = data.replace(
        "</BANKTRANLIST>",
        "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260107<TRNAMT>-2<FITID>A2<NAME>FRAIS\n</BANKTRANLIST>",
    )
    (statement,) = ofx.parse(data.encode("cp1252"))
    assert [line.amount for line in statement.lines] == [D("1"), D("-2")]


def test_self_closing_elements():
    data = (
        b'<?xml version="1.0"?><?OFX OFXHEADER="200" VERSION="220"?><OFX><BANKMSGSRSV1>'
        b"<STMTTRNRS><STMTRS><CURDEF>EUR</CURDEF><BANKACCTFROM><BANKID>1</BANKID>"
        b"<ACCTID>2</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM><BANKTRANLIST/>"
        b"<LEDGERBAL><BALAMT>5.00</BALAMT><DTASOF>20260101</DTASOF></LEDGERBAL>"
        b"</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    )
    (statement,) = ofx.parse(data)
    assert statement.lines == []
    assert statement.closing_balance == D("5.00")
    assert statement.version == "220"


def test_transaction_without_its_opening_tag_refused():
    data = SGML.format(charset="1252", amount="1").replace("<STMTTRN>", "")
    with pytest.raises(MalformedStatement, match="hors d'une opération"):
        ofx.parse(data.encode("cp1252"))


@pytest.mark.parametrize(
    ("acctid", "acctkey", "iban"),
    [
        ("FR7630003012340123456789057", "", "FR7630003012340123456789057"),  # IBAN itself
        ("0123456789057", "", "FR7630003012340123456789057"),  # number + RIB key
        ("01234567890", "57", "FR7630003012340123456789057"),
        ("01234567890", "12", ""),  # a key that disagrees: no IBAN guessed
    ],
)
def test_account_iban_forms(acctid, acctkey, iban):
    data = SGML.format(charset="1252", amount="1").replace(
        "<ACCTID>01234567890", f"<ACCTID>{acctid}"
    )
    data = data.replace("<ACCTKEY>57", f"<ACCTKEY>{acctkey}" if acctkey else "")
    (statement,) = ofx.parse(data.encode("cp1252"))
    assert statement.account_iban == iban


def test_empty_ledger_balance_is_no_balance():
    data = SGML.format(charset="1252", amount="1").replace("1 234,56", "")
    (statement,) = ofx.parse(data.encode("cp1252"))
    assert statement.closing_balance is None
    assert "LEDGERBAL" in statement.warnings[0]


def test_card_statement_sgml_with_intuit_tags():
    data = (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nCHARSET:1252\n\n<OFX><SIGNONMSGSRSV1><SONRS>"
        "<STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20260102120000[0:GMT]<LANGUAGE>FRA"
        "<INTU.BID>10898</SONRS></SIGNONMSGSRSV1><CREDITCARDMSGSRSV1><CCSTMTTRNRS><TRNUID>1"
        "<CCSTMTRS><CURDEF>EUR<CCACCTFROM><ACCTID>4970123412341234</CCACCTFROM><BANKTRANLIST>"
        "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260101120000[0:GMT]<TRNAMT>-10.00<FITID>X1"
        "<NAME>CAFÉ ¦ CRÈME</STMTTRN></BANKTRANLIST><LEDGERBAL><BALAMT>-10.00"
        "<DTASOF>20260102</LEDGERBAL></CCSTMTRS></CCSTMTTRNRS></CREDITCARDMSGSRSV1></OFX>"
    ).encode("cp1252")
    (statement,) = ofx.parse(data)
    assert statement.account_number == "4970123412341234 CREDITCARD"
    assert statement.lines[0].label == "CAFÉ ¦ CRÈME"
    assert statement.closing_balance == D("-10.00")


def test_a_bank_error_instead_of_a_statement_is_reported():
    data = (
        b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS>"
        b"<CODE>15500<SEVERITY>ERROR<MESSAGE>Identifiant invalide</STATUS></SONRS>"
        b"</SIGNONMSGSRSV1></OFX>"
    )
    with pytest.raises(MalformedStatement, match="15500 Identifiant invalide"):
        ofx.parse(data)
