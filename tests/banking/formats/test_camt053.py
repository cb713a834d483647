"""camt.053 against the facts of EXPECTED.md (X1-X4, E1) and small hand-written files.

Expected figures come from EXPECTED.md (facts table and file notes) or, for the genkgo
files, from the upstream parser's `*.expected.json` beside them (minor units), which
EXPECTED.md says is right except the multi-statement one (it lists one entry of two).
"""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from lxml import etree

from encaisse.banking.formats import MalformedStatement, camt053, parse

from .helpers import credits, debits, statement_files

D = Decimal


def read(corpus, name):
    return parse((corpus / "camt053" / name).read_bytes())


def test_x1_postfinance_batches(bank_corpus):
    """X1: CHF, .001.04, 13 entries holding 32 details (5 credit entries 1,810.56, 8 debit
    entries 1,272.95); 322,152.16 + 1,810.56 - 1,272.95 = 322,689.77."""
    (statement,) = read(bank_corpus, "viafintech_valid_example_v4_postfinance.xml")
    assert statement.currency == "CHF"
    assert statement.version == "camt.053.001.04"
    assert statement.account_iban == "CH0309000000250090342"
    assert len(statement.lines) == 32  # one line per transaction detail
    assert len({line.where.split(" / TxDtls")[0] for line in statement.lines}) == 13
    assert credits(statement) == D("1810.56")
    assert debits(statement) == D("1272.95")
    assert statement.opening_balance == D("322152.16")
    assert statement.closing_balance == D("322689.77")
    assert D("322152.16") + D("1810.56") - D("1272.95") == D("322689.77")


def test_x2_volksbank_batch_entry(bank_corpus):
    """X2: EUR, 4 entries (1 credit 1.00, 3 debits 11.00, one batch 3.50 + 2.50),
    33.06 -> 23.06."""
    (statement,) = read(bank_corpus, "viafintech_valid_example_de.xml")
    assert statement.currency == "EUR"
    assert statement.account_iban == "DE14740618130000033626"
    assert statement.bank_id == "GENODEF1PFK"
    assert credits(statement) == D("1.00")
    assert debits(statement) == D("11.00")
    batch = [line for line in statement.lines if "TxDtls" in line.where]
    assert sorted(line.amount for line in batch) == [D("-3.50"), D("-2.50")]
    assert len(statement.lines) == 5  # 3 single entries + 2 details of the batch
    assert (statement.opening_balance, statement.closing_balance) == (D("33.06"), D("23.06"))


def test_x3_abn_amro_reversal_batch(bank_corpus):
    """X3: 4 lines -754.25, -564.05, -100.00, +1,405.31 (the batch debit 664.05 with a
    reversal indicator keeps the bank's sign); opening 15,568.27, closing 15,121.12 (the
    upstream balances do not add up, and are kept as given)."""
    (statement,) = read(bank_corpus, "oca_test-camt053_abnamro.xml")
    assert [line.amount for line in statement.lines] == [
        D("-754.25"),
        D("-564.05"),
        D("-100.00"),
        D("1405.31"),
    ]
    assert statement.opening_balance == D("15568.27")
    assert statement.closing_balance == D("15121.12")
    assert statement.opening_balance + sum(line.amount for line in statement.lines) != (
        statement.closing_balance
    )
    first, reversed_one, _, credit = statement.lines
    assert first.counterparty_name == "INSURANCE COMPANY TESTX"  # the Cdtr of a debit
    assert first.counterparty_iban == "NL46ABNA0499998748"
    assert first.end_to_end_id == "435005714488-ABNO33052620"
    assert first.remittance_info.startswith("Insurance policy 857239")
    assert first.transaction_code == "PMNT/RDDT/ESDD"
    assert first.booking_date == first.value_date == dt.date(2014, 1, 5)
    assert reversed_one.end_to_end_id == "TESTBANK/NL/20141229/01206408"
    assert "contre-passation (RvslInd)" in reversed_one.details
    assert credit.counterparty_name == "3rd party Media"  # the Dbtr of a credit
    assert credit.counterparty_iban == "NL69ABNA0522123643"
    assert statement.account_iban == "NL77ABNA0574908765"
    assert statement.bank_id == "ABNANL2A"


def test_no_entry_statement(bank_corpus):
    """oca no-ntry: .001.04, 0 entries, OPBD = CLBD = 1,520.76 CHF."""
    (statement,) = read(bank_corpus, "oca_test-camt053-no-ntry.xml")
    assert statement.lines == []
    assert statement.currency == "CHF"
    assert statement.opening_balance == statement.closing_balance == D("1520.76")


def test_x4_versions_from_the_namespace(bank_corpus):
    """X4: versions .001.02, .04 and .08, each one entry CRDT 8.85 EUR."""
    for name, version in [
        ("genkgo_camt053.v2.minimal.xml", "camt.053.001.02"),
        ("genkgo_camt053.v4.xml", "camt.053.001.04"),
        ("genkgo_camt053.v8.xml", "camt.053.001.08"),
    ]:
        (statement,) = read(bank_corpus, name)
        assert statement.version == version
        assert [line.amount for line in statement.lines] == [D("8.85")]
        assert statement.opening_balance == D("18.15")  # OPBD EUR
        # the CLBD is in SEK (a structure test): not taken as the EUR closing balance
        assert statement.closing_balance is None
        assert any("SEK" in warning for warning in statement.warnings)


def test_x4_two_statements_in_one_file(bank_corpus):
    """X4 / file notes: 2 <Stmt> of one IBAN: 18.15 + 8.85 = 27.00; 27.00 - 7.00 = 20.00."""
    first, second = read(bank_corpus, "genkgo_camt053.v2.multi.statement.xml")
    assert first.account_iban == second.account_iban == "NL26VAYB8060476890"
    assert (first.opening_balance, first.closing_balance) == (D("18.15"), D("27.00"))
    assert [line.amount for line in first.lines] == [D("8.85")]
    assert (second.opening_balance, second.closing_balance) == (D("27.00"), D("20.00"))
    assert [line.amount for line in second.lines] == [D("-7.00")]


def test_x4_ten_balance_types_and_three_decimals(bank_corpus):
    """X4: ten balance types OPBD, PRCD, OPAV, CLBD... = 1.01..10.10: opening is OPBD
    (1.01, not PRCD 2.02), closing CLBD (4.04); the account is Othr/Id
    CH2801234000123456789; the entry 8.850 is read exactly (three decimals)."""
    (statement,) = read(bank_corpus, "genkgo_camt053.v2.all-balance-types.xml")
    assert statement.opening_balance == D("1.01")
    assert statement.closing_balance == D("4.04")
    assert statement.account_number == "CH2801234000123456789"
    (line,) = statement.lines
    assert str(line.amount) == "8.850"
    assert line.amount == D("8.85")


def _genkgo(path):
    """Entries (minor units, booking date) and opening/closing balances of a genkgo dump."""
    entries, balances = [], {}

    def walk(node):
        if isinstance(node, dict):
            kind = node.get("__CLASS__", "")
            if kind.endswith("DTO\\Entry"):
                entries.append(
                    (int(node["getAmount"]["getAmount"]), node["getBookingDate"]["0"][:10])
                )
            if kind.endswith("DTO\\Balance"):
                money = node["getAmount"]
                balances.setdefault(
                    node["getType"],
                    (
                        int(money["getAmount"]),
                        money["getCurrency"]["getCode"],
                        node["getDate"]["0"][:10],
                    ),
                )
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(path.read_text()))
    return set(entries), balances


@pytest.mark.parametrize(
    "name",
    [
        "genkgo_camt053.v2.all-balance-types",
        "genkgo_camt053.v2.minimal",
        "genkgo_camt053.v2.multi.statement",
        "genkgo_camt053.v4",
        "genkgo_camt053.v8",
    ],
)
def test_x4_agrees_with_genkgo_where_comparable(bank_corpus, name):
    """Every entry genkgo lists is one of ours (amount in minor units and booking date);
    the multi-statement dump lists only one of the two entries (EXPECTED.md), so the
    comparison is inclusion, not equality. Balances in the statement's currency agree."""
    entries, balances = _genkgo(bank_corpus / "camt053" / f"{name}.expected.json")
    statements = read(bank_corpus, f"{name}.xml")
    ours = {
        (int(line.amount * 100), line.booking_date.isoformat())
        for statement in statements
        for line in statement.lines
    }
    assert entries and entries <= ours
    for kind, attribute in (("opening", "opening_balance"), ("closing", "closing_balance")):
        if kind in balances and balances[kind][1] == statements[-1].currency:
            candidates = {getattr(s, attribute) for s in statements}
            assert D(balances[kind][0]) / 100 in candidates


def test_e1_group_header_without_statement(bank_corpus):
    """E1: camt.053 with GrpHdr but no <Stmt>."""
    with pytest.raises(MalformedStatement, match="Stmt") as refused:
        parse((bank_corpus / "malformed/genkgo_camt053.v2.wrong.xml").read_bytes())
    assert "aucun relevé" in refused.value.message


# --- small hand-written files ---------------------------------------------------------


def document(entries: str, version: str = "02", prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    namespace = f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"
    xmlns = f'xmlns{":" + prefix if prefix else ""}="{namespace}"'
    body = (
        f"<{p}Stmt><{p}Id>S1</{p}Id><{p}Acct><{p}Id>"
        f"<{p}IBAN>FR7630003012340123456789057</{p}IBAN>"
        f"</{p}Id><{p}Ccy>EUR</{p}Ccy></{p}Acct>"
        f"<{p}Bal><{p}Tp><{p}CdOrPrtry><{p}Cd>PRCD</{p}Cd></{p}CdOrPrtry></{p}Tp>"
        f'<{p}Amt Ccy="EUR">5.00</{p}Amt><{p}CdtDbtInd>DBIT</{p}CdtDbtInd>'
        f"<{p}Dt><{p}Dt>2026-01-01</{p}Dt></{p}Dt></{p}Bal>"
        f"{entries}</{p}Stmt>"
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{p}Document {xmlns}>'
        f"<{p}BkToCstmrStmt><{p}GrpHdr><{p}MsgId>M</{p}MsgId></{p}GrpHdr>{body}"
        f"</{p}BkToCstmrStmt></{p}Document>"
    ).encode()


ENTRY = (
    '<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
    "<BookgDt><Dt>2026-01-02</Dt></BookgDt><ValDt><Dt>2026-01-03</Dt></ValDt>"
    "<AcctSvcrRef>BANKREF</AcctSvcrRef>"
    "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
    "<NtryDtls>{details}</NtryDtls></Ntry>"
)
DETAIL = (
    "<TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>{amount}"
    "<RltdPties><Dbtr><Nm>SARL Dupont</Nm></Dbtr><DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN>"
    "</Id></DbtrAcct><Cdtr><Nm>Nous</Nm></Cdtr></RltdPties>"
    "<RmtInf><Ustrd>FA2026-0001</Ustrd><Ustrd>merci</Ustrd>"
    "<Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>"
)


@pytest.mark.parametrize("version", ["02", "03", "04", "05", "06", "07", "08"])
def test_every_version_and_a_prefixed_namespace(version):
    entry = ENTRY.format(amount="10.00", details=DETAIL.format(e2e="E2E-1", amount=""))
    for prefix in ("", "ns2"):
        tagged = re.sub(r"<(/?)(\w)", rf"<\1{prefix}:\2", entry) if prefix else entry
        (statement,) = camt053.parse(document(tagged, version, prefix))
        assert statement.version == f"camt.053.001.{version}"
        assert statement.warnings == []
        (line,) = statement.lines
        assert line.amount == D("10.00")
        assert line.booking_date == dt.date(2026, 1, 2)
        assert line.value_date == dt.date(2026, 1, 3)
        assert line.end_to_end_id == "E2E-1"
        assert line.creditor_reference == "RF18539007547034"
        assert line.remittance_info == "FA2026-0001 merci"
        assert line.counterparty_name == "SARL Dupont"
        assert line.counterparty_iban == "DE89370400440532013000"
        assert line.bank_reference == "BANKREF"
        assert line.transaction_code == "PMNT/RCDT/ESCT"
        assert statement.opening_balance == D("-5.00")  # PRCD, DBIT
        assert statement.account_iban == "FR7630003012340123456789057"


def test_not_provided_end_to_end_is_empty():
    entry = ENTRY.format(amount="1.00", details=DETAIL.format(e2e="NOTPROVIDED", amount=""))
    (statement,) = camt053.parse(document(entry))
    assert statement.lines[0].end_to_end_id == ""


def test_batch_whose_details_do_not_add_up_stays_one_line():
    details = DETAIL.format(e2e="A", amount='<Amt Ccy="EUR">4.00</Amt>') + DETAIL.format(
        e2e="B", amount='<Amt Ccy="EUR">5.00</Amt>'
    )
    (statement,) = camt053.parse(document(ENTRY.format(amount="10.00", details=details)))
    (line,) = statement.lines
    assert line.amount == D("10.00")
    assert any("détails" in warning for warning in statement.warnings)


def test_batch_with_mixed_signs_per_detail():
    details = DETAIL.format(
        e2e="A", amount='<Amt Ccy="EUR">12.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
    ) + DETAIL.format(e2e="B", amount='<Amt Ccy="EUR">2.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>')
    (statement,) = camt053.parse(document(ENTRY.format(amount="10.00", details=details)))
    assert [line.amount for line in statement.lines] == [D("12.00"), D("-2.00")]


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda e: e.replace('<Amt Ccy="EUR">10.00</Amt>', ""), ["Ntry 1", "montant manquant"]),
        (lambda e: e.replace("<BookgDt><Dt>2026-01-02</Dt></BookgDt>", ""), ["Ntry 1", "BookgDt"]),
        (lambda e: e.replace("2026-01-02", "2026-02-30"), ["Ntry 1", "date"]),
        (lambda e: e.replace(">10.00<", ">10,00<"), ["Ntry 1", "montant invalide"]),
        (lambda e: e.replace("<CdtDbtInd>CRDT</CdtDbtInd>", ""), ["Ntry 1", "CdtDbtInd"]),
    ],
)
def test_missing_or_bad_fields_refused_naming_the_element(mutate, words):
    entry = ENTRY.format(amount="10.00", details=DETAIL.format(e2e="E", amount=""))
    with pytest.raises(MalformedStatement) as refused:
        camt053.parse(document(mutate(entry)))
    for word in words:
        assert word in refused.value.message
    assert "Stmt 1" in refused.value.message


def test_bad_xml_refused_with_its_line():
    data = document(ENTRY.format(amount="1.00", details="")).replace(b"</Ntry>", b"</Nrty>")
    data = data.replace(b"><", b">\n<")
    expected_line = data[: data.index(b"</Nrty>")].count(b"\n") + 1
    with pytest.raises(MalformedStatement, match="XML invalide") as refused:
        camt053.parse(data)
    assert f"ligne {expected_line}" in refused.value.message


def test_entities_and_dtds_refused():
    """Billion laughs / XXE: a DOCTYPE is refused before parsing; and the parser itself
    resolves no entity and fetches nothing."""
    attack = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        b"<Stmt><Id>&x;</Id></Stmt></BkToCstmrStmt></Document>"
    )
    with pytest.raises(MalformedStatement, match="DTD"):
        camt053.parse(attack)
    tree = etree.fromstring(attack, camt053._parser())
    assert "root:" not in etree.tostring(tree).decode()


def test_pending_entries_are_left_out_with_a_warning():
    entry = ENTRY.format(amount="3.00", details="").replace("<Sts>BOOK</Sts>", "<Sts>PDNG</Sts>")
    (statement,) = camt053.parse(document(entry))
    assert statement.lines == []
    assert "PDNG" in statement.warnings[0]


def test_every_corpus_file_parses(bank_corpus):
    for path in statement_files(bank_corpus, "camt053"):
        assert camt053.parse(path.read_bytes()), path.name


def _balances(*items: tuple[str, str]) -> str:
    return "".join(
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy='EUR'>{amount}</Amt>"
        f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-01-0{n}</Dt></Dt></Bal>"
        for n, (code, amount) in enumerate(items, 1)
    )


@pytest.mark.parametrize(
    ("balances", "opening", "closing"),
    [
        ((("OPBD", "1.00"), ("ITBD", "2.00")), D("1.00"), D("2.00")),  # first page
        ((("ITBD", "2.00"), ("ITBD", "3.00")), D("2.00"), D("3.00")),  # middle page
        ((("ITBD", "3.00"), ("CLBD", "4.00")), D("3.00"), D("4.00")),  # last page
        ((("OPBD", "1.00"), ("ITBD", "9.00"), ("CLBD", "4.00")), D("1.00"), D("4.00")),
    ],
)
def test_paginated_statements_use_interim_balances(balances, opening, closing):
    data = document("").replace(
        b"<Bal><Tp><CdOrPrtry><Cd>PRCD</Cd>",
        _balances(*balances).encode() + b"<Bal><Tp><CdOrPrtry><Cd>XPCD</Cd>",
    )
    (statement,) = camt053.parse(data)
    assert (statement.opening_balance, statement.closing_balance) == (opening, closing)


def test_zero_balance_without_indicator():
    data = document("").replace(b"<CdtDbtInd>DBIT</CdtDbtInd>", b"").replace(b">5.00<", b">0.00<")
    (statement,) = camt053.parse(data)
    assert statement.opening_balance == 0


def test_community_namespace_later_version_and_date_times():
    """An Austrian (STUZZA) namespace still gives the version; a .001.10 file (newer
    than 08) reads with a warning; Sts/Cd, BookgDt/DtTm and a balance's DtTm."""
    data = document(ENTRY.format(amount="7.00", details="")).replace(
        b"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02", b"ISO:camt.053.001.02:APC:X"
    )
    (statement,) = camt053.parse(data)
    assert statement.version == "camt.053.001.02"
    assert statement.lines[0].amount == D("7.00")
    newer = (
        document(ENTRY.format(amount="7.00", details=""), version="10")
        .replace(b"<Sts>BOOK</Sts>", b"<Sts><Cd>BOOK</Cd></Sts>")
        .replace(
            b"<BookgDt><Dt>2026-01-02</Dt>", b"<BookgDt><DtTm>2026-01-02T12:35:33+00:00</DtTm>"
        )
        .replace(b"</Dt></BookgDt>", b"</BookgDt>")
    )
    (statement,) = camt053.parse(newer)
    assert statement.lines[0].booking_date == dt.date(2026, 1, 2)
    assert any("001.10" in warning for warning in statement.warnings)
