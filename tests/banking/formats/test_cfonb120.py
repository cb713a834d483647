"""CFONB 120 against the facts of EXPECTED.md (C1, C2, C4, E1) and hand-built records.

Every expected figure below is copied from EXPECTED.md (its table of facts and its file
notes), or computed by hand from the records quoted in the test, never from the parser.
"""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from encaisse.banking.formats import MalformedStatement, cfonb120, parse

from .helpers import credits, debits, statement_files, texts

D = Decimal


# --- a tiny encoder, written from the CFONB brochure, independent of the parser --------


def encode_amount(value: Decimal, decimals: int = 2) -> str:
    """13 digits + the sign-and-last-digit character ({ A-I positive, } J-R negative)."""
    units = int((abs(value) * (10**decimals)).to_integral_value())
    digits = f"{units:014d}"
    last = int(digits[-1])
    sign = "{ABCDEFGHI"[last] if value >= 0 else "}JKLMNOPQR"[last]
    return digits[:13] + sign


def record(code: str, *, amount: Decimal, day: str = "020124", label: str = "", decimals=2):
    """A 120-character 01/04/07 record of account 30003 01234 01234567890."""
    if code == "04":
        head = f"0430003000501234EUR{decimals} 0123456789018{day}  {day}{label:<31.31}  0000000  "
    else:
        head = f"{code}30003    01234EUR{decimals} 01234567890  {day}".ljust(90)
    assert len(head) == 90
    return head + encode_amount(amount, decimals) + " " * 16


def complement(qualifier: str, text: str) -> str:
    return f"0530003000501234EUR2 0123456789018020124     {qualifier}{text}".ljust(120)


# --- C1 --------------------------------------------------------------------------------


def test_c1_classic_file(bank_corpus):
    """C1: 1 statement, EUR, 30003/01234/01234567890, 13 operations: 9 credits 17,968.57,
    4 debits 3,694.67; 1,017,311.89 on 2024-01-12 -> 1,031,585.79 on 2024-01-13."""
    (statement,) = parse((bank_corpus / "cfonb120/oca_cfonb_classic.cfo").read_bytes())
    assert statement.format == "cfonb120"
    assert statement.currency == "EUR"
    assert statement.account_number == "30003 01234 01234567890"
    assert statement.bank_id == "30003"
    assert len(statement.lines) == 13
    assert sum(1 for line in statement.lines if line.amount > 0) == 9
    assert credits(statement) == D("17968.57")
    assert sum(1 for line in statement.lines if line.amount < 0) == 4
    assert debits(statement) == D("3694.67")
    assert statement.opening_balance == D("1017311.89")
    assert statement.opening_date == dt.date(2024, 1, 12)
    assert statement.closing_balance == D("1031585.79")
    assert statement.closing_date == dt.date(2024, 1, 13)
    assert D("1017311.89") + D("17968.57") - D("3694.67") == D("1031585.79")


def test_c1_orange_direct_debit_carries_its_invoice(bank_corpus):
    """C1: the Orange direct debit of -617.14 carries "Facture: 76662391" (05 records)."""
    (statement,) = parse((bank_corpus / "cfonb120/oca_cfonb_classic.cfo").read_bytes())
    (orange,) = [line for line in statement.lines if line.amount == D("-617.14")]
    assert "Orange" in orange.label
    assert orange.counterparty_name == "Orange"  # NBE: the beneficiary of a debit
    assert "Facture: 76662391" in orange.remittance_info
    assert any("Facture: 76662391" in detail for detail in orange.details)
    assert orange.transaction_code == "B1"
    assert orange.booking_date == dt.date(2024, 1, 13)


def test_c1_credit_names_its_payer_and_end_to_end(bank_corpus):
    """The 05 records of the file: "VIR DURANCIA MONTGENEVRE" 1,321.00 (04 amount
    000000000013210{), NPY DURANCIA MONTGENEVRE, RCN 0018937, LCC F230866 F230765 F238765."""
    (statement,) = parse((bank_corpus / "cfonb120/oca_cfonb_classic.cfo").read_bytes())
    (line,) = [line for line in statement.lines if "DURANCIA" in line.label]
    assert line.amount == D("1321.00")
    assert line.counterparty_name == "DURANCIA MONTGENEVRE"  # NPY, not NBE (the company)
    assert line.end_to_end_id == "0018937"
    assert line.remittance_info == "F230866 F230765 F238765"


def test_c1_without_line_breaks_reads_identically(bank_corpus):
    """C1: the same 77 records without line breaks give the identical result."""
    classic = parse((bank_corpus / "cfonb120/oca_cfonb_classic.cfo").read_bytes())
    flat = parse((bank_corpus / "cfonb120/oca_cfonb_no_carriage_return.cfo").read_bytes())

    def comparable(statements):
        return [
            (
                s.account_number,
                s.opening_balance,
                s.closing_balance,
                s.opening_date,
                s.closing_date,
                [
                    (
                        ln.booking_date,
                        ln.value_date,
                        ln.amount,
                        ln.label,
                        ln.counterparty_name,
                        ln.end_to_end_id,
                        ln.remittance_info,
                        ln.details,
                    )
                    for ln in s.lines
                ],
            )
            for s in statements
        ]

    assert comparable(classic) == comparable(flat)


def test_iban_derived_from_the_rib():
    """The 01 record carries no RIB key, but the key is a checksum: bank 30003, branch
    01234, account 01234567890 -> key 97 - (89*30003 + 15*1234 + 3*1234567890) mod 97
    = 57 (by hand: 2670267 + 18510 + 3703703670 = 3706392447; mod 97 = 40; 97-40 = 57)."""
    assert cfonb120.rib_key("30003", "01234", "01234567890") == "57"
    assert cfonb120.french_iban("30003", "01234", "01234567890") == "FR7630003012340123456789057"
    schwifty = pytest.importorskip("schwifty")
    assert schwifty.IBAN("FR7630003012340123456789057").bank_code == "30003"
    assert cfonb120.french_iban("3000X", "01234", "01234567890") == ""


# --- C2 --------------------------------------------------------------------------------


def test_c2_complex_file(bank_corpus):
    """C2: 8 statements over 2 accounts, 5 operations (-22.79, -20.11, -5,000.00,
    -117.75, -50.25) spread 1/2/0/1/0/1/0/0; statement 1: 16,695.65 -> 16,672.86."""
    statements = parse((bank_corpus / "cfonb120/silarhi_complex-test.txt").read_bytes())
    assert len(statements) == 8
    assert len({s.account_number for s in statements}) == 2
    assert [len(s.lines) for s in statements] == [1, 2, 0, 1, 0, 1, 0, 0]
    amounts = sorted(line.amount for s in statements for line in s.lines)
    assert amounts == sorted(D(x) for x in ("-22.79", "-20.11", "-5000.00", "-117.75", "-50.25"))
    first = statements[0]
    assert (first.opening_balance, first.closing_balance) == (D("16695.65"), D("16672.86"))
    (line,) = first.lines
    assert line.amount == D("-22.79")
    assert line.label == "PRLV SEPA ONLINE SAS"
    assert "DEDIBOX 3706114" in texts(line)


def test_c2_invoice_line_dates(bank_corpus):
    """C2: "FACTURE SGT20022040001692" = -117.75, booked 2020-04-10, value 2020-04-01."""
    statements = parse((bank_corpus / "cfonb120/silarhi_complex-test.txt").read_bytes())
    (line,) = [ln for s in statements for ln in s.lines if "SGT20022040001692" in ln.label]
    assert line.amount == D("-117.75")
    assert line.booking_date == dt.date(2020, 4, 10)
    assert line.value_date == dt.date(2020, 4, 1)


# --- C4 --------------------------------------------------------------------------------


def test_c4_empty_statements(bank_corpus):
    """C4: 01 + 07 only: statements with 0 operations and their balances (simple: 1
    statement 16,695.65 both; unused-parts: 8 statements, 3 accounts of bank 30087,
    balances 18.62 / 0.00 / 19,875.72)."""
    (simple,) = parse((bank_corpus / "cfonb120/silarhi_simple-test.txt").read_bytes())
    assert simple.lines == []
    assert simple.opening_balance == simple.closing_balance == D("16695.65")
    statements = parse((bank_corpus / "cfonb120/silarhi_test-unused-parts.txt").read_bytes())
    assert len(statements) == 8
    assert all(s.lines == [] for s in statements)
    assert {s.bank_id for s in statements} == {"30087"}
    assert len({s.account_number for s in statements}) == 3
    assert {s.closing_balance for s in statements} == {D("18.62"), D("0.00"), D("19875.72")}


# --- E1 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("pennylane_cfonb_end_of_statement_without_beginning.txt", ["ligne 9", "07", "01"]),
        ("pennylane_cfonb_invalid_date.txt", ["ligne 1", "date", "CART"]),
        ("pennylane_cfonb_new_statement_without_previous_ended.txt", ["ligne 6", "01", "07"]),
        ("pennylane_cfonb_operation_out_of_statement.txt", ["ligne 1", "04"]),
        ("DERIVED_truncated_oca_cfonb_classic.cfo", ["tronqué", "ligne 1", "07"]),
    ],
)
def test_e1_malformed_cfonb_refused_with_where(bank_corpus, name, words):
    """E1: each broken file refused, the message naming the line and the fault (the line
    numbers read by eye in the files: the 07 of the first is on line 9, etc.)."""
    with pytest.raises(MalformedStatement) as refused:
        parse((bank_corpus / "malformed" / name).read_bytes())
    for word in words:
        assert word in refused.value.message


def test_truncated_copy_never_reads_as_complete(bank_corpus):
    """The truncated copy is the first 3,700 bytes of the classic file: even cut at any
    later record boundary without its 07, it is refused."""
    data = (bank_corpus / "cfonb120/oca_cfonb_classic.cfo").read_bytes()
    lines = data.splitlines(keepends=True)
    for cut in (1, 5, 40, len(lines) - 1):
        with pytest.raises(MalformedStatement, match="07"):
            cfonb120.parse(b"".join(lines[:cut]))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r[:103] + "X" + r[104:], "signe"),  # bad sign character
        (lambda r: "09" + r[2:], "code d'enregistrement"),
        (lambda r: r[:34] + "320124" + r[40:], "date"),  # 32 January
        (lambda r: r[:19] + "x" + r[20:], "décimales"),
    ],
)
def test_broken_records_refused(mutate, message):
    rows = [
        record("01", amount=D("10.00")),
        record("04", amount=D("-2.50"), label="PRLV"),
        record("07", amount=D("7.50")),
    ]
    assert cfonb120.parse("\n".join(rows).encode())[0].closing_balance == D("7.50")
    rows[1] = mutate(rows[1])
    with pytest.raises(MalformedStatement, match=message) as refused:
        cfonb120.parse("\n".join(rows).encode())
    assert "ligne 2" in refused.value.message


def test_seven_of_another_account_refused():
    rows = [record("01", amount=D("1")), record("07", amount=D("1"))]
    rows[1] = rows[1][:21] + "99999999999" + rows[1][32:]
    with pytest.raises(MalformedStatement, match="compte"):
        cfonb120.parse("\n".join(rows).encode())


# --- what banks differ on ----------------------------------------------------------------


def test_liberal_layouts_read_the_same():
    """CRLF, CR, trailing blanks trimmed, a BOM, blank lines, no final newline, one line
    of concatenated records, latin-1 accents: all the same two operations."""
    rows = [
        record("01", amount=D("100.00")),
        record("04", amount=D("-0.01"), label="FRAIS"),
        complement("LIB", "Prélèvement échéance"),
        record("04", amount=D("1234.56"), label="VIR SARL DUPONT"),
        complement("NPY", "SARL DUPONT"),
        complement("IPY", "FR7630003012340123456789057"),
        record("07", amount=D("1334.55")),
    ]
    variants = [
        "\n".join(rows).encode("latin-1"),
        "\r\n".join(rows).encode("cp1252") + b"\r\n",
        "\r".join(rows).encode("latin-1"),
        "\n".join(row.rstrip() for row in rows).encode("latin-1"),
        b"\xef\xbb\xbf" + "\n\n".join(rows).encode("utf-8"),
        "".join(rows).encode("latin-1"),
        ("".join(rows)).rstrip().encode("latin-1") + b"\n",
    ]
    results = []
    for data in variants:
        (statement,) = cfonb120.parse(data)
        results.append(
            [
                (
                    ln.amount,
                    ln.label,
                    ln.remittance_info,
                    ln.counterparty_name,
                    ln.counterparty_iban,
                )
                for ln in statement.lines
            ]
        )
    assert results[0] == [
        (D("-0.01"), "FRAIS", "Prélèvement échéance", "", ""),
        (D("1234.56"), "VIR SARL DUPONT", "", "SARL DUPONT", "FR7630003012340123456789057"),
    ]
    assert all(result == results[0] for result in results)


def test_three_decimals_and_negative_zero():
    """The number of decimals is the record's own (position 20): with 3, the zone
    "0000000012345E" is 123455 thousandths = 123.455, read exactly; "-0" is zero."""
    rows = [
        record("01", amount=D("0"), decimals=3),
        record("04", amount=D("123.455"), label="X", decimals=3),
        record("07", amount=D("123.455"), decimals=3),
    ]
    (statement,) = cfonb120.parse("\n".join(rows).encode())
    assert statement.lines[0].amount == D("123.455")
    assert cfonb120.decode_amount("0000000000000}", 2, "x") == 0
    assert cfonb120.decode_amount("0000000000010J", 2, "x") == D("-1.01")


def test_refuses_a_line_that_is_not_a_record():
    rows = [record("01", amount=D("1")), record("07", amount=D("1")) + "XYZ"]
    with pytest.raises(MalformedStatement, match="ligne 2"):
        cfonb120.parse("\n".join(rows).encode())


# --- hypothesis ------------------------------------------------------------------------

amounts = st.decimals(
    min_value=D("-99999999999.99"),
    max_value=D("99999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@given(amounts)
def test_amount_encoding_round_trips(value):
    assert cfonb120.decode_amount(encode_amount(value), 2, "x") == value


small = st.decimals(
    min_value=D("-9999999.99"),
    max_value=D("9999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@settings(max_examples=50, deadline=None)
@given(opening=small, moves=st.lists(small, max_size=30))
def test_random_statement_sums_to_its_balance(opening, moves):
    """A statement built from random operations: opening + lines = the 07 we wrote."""
    closing = opening + sum(moves, D(0))
    rows = [record("01", amount=opening)]
    rows += [record("04", amount=m, label=f"OP {i}") for i, m in enumerate(moves)]
    rows.append(record("07", amount=closing))
    (statement,) = cfonb120.parse("\n".join(rows).encode())
    assert len(statement.lines) == len(moves)
    assert statement.opening_balance + sum((ln.amount for ln in statement.lines), D(0)) == (
        statement.closing_balance
    )


def test_every_corpus_file_parses(bank_corpus):
    for path in statement_files(bank_corpus, "cfonb120"):
        statements = cfonb120.parse(path.read_bytes())
        assert statements, path.name
        assert all(s.closing_balance is not None for s in statements), path.name


def test_blank_decimals_of_a_euro_statement_are_two():
    rows = [record("01", amount=D("10.00")), record("07", amount=D("10.00"))]
    rows = [row[:19] + " " + row[20:] for row in rows]
    (statement,) = cfonb120.parse("\n".join(rows).encode())
    assert statement.closing_balance == D("10.00")


def test_iban_of_an_account_number_with_letters():
    """The commonly cited La Banque Postale example: RIB 20041 01005 0500013M026 key 06,
    IBAN FR14 2004 1010 0505 0001 3M02 606 (letters count per the RIB table: M = 4)."""
    assert cfonb120.rib_key("20041", "01005", "0500013M026") == "06"
    assert cfonb120.french_iban("20041", "01005", "0500013M026") == "FR1420041010050500013M02606"


def test_balances_without_currency_nor_decimals():
    """LCL writes its 01 and 07 with blank currency and decimals: a euro statement."""
    rows = [record("01", amount=D("10.00")), record("07", amount=D("10.00"))]
    rows = [row[:16] + "    " + row[20:] for row in rows]
    (statement,) = cfonb120.parse("\n".join(rows).encode())
    assert statement.currency == "EUR"
    assert statement.opening_balance == statement.closing_balance == D("10.00")
