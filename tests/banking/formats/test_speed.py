"""5,000 statement lines in each format parse in well under a second.

The files are generated here (one credit per line, a remittance text, the fields a
bank fills). The bound asserted is loose (3 s) because the test machine is shared.
Measured (best of 3, 2 shared cores): CFONB 0.13-0.23 s, camt.053 0.34-0.51 s, OFX
0.21-0.34 s, MT940 0.16-0.27 s (the higher figures under a load average of 7).
"""

import time
from decimal import Decimal

import pytest

from encaisse.banking import formats

N = 5000


def _cfonb_amount(value: Decimal) -> str:
    digits = f"{int(abs(value) * 100):014d}"
    return digits[:13] + ("}JKLMNOPQR" if value < 0 else "{ABCDEFGHI")[int(digits[-1])]


def cfonb() -> bytes:
    rows = ["0130003    01234EUR2 01234567890  010126".ljust(90) + _cfonb_amount(Decimal(0))]
    total = Decimal(0)
    for i in range(N):
        amount = Decimal(i % 997 + 1) / 4
        total += amount
        head = f"0430003000501234EUR2 0123456789018020126  020126{f'VIR CLIENT {i}':<31}  "
        rows.append(head.ljust(90) + _cfonb_amount(amount) + f"REF{i}".ljust(16))
        rows.append(f"0530003000501234EUR2 0123456789018020126     LIBFA2026-{i:05d}".ljust(120))
    rows.append("0730003    01234EUR2 01234567890  020126".ljust(90) + _cfonb_amount(total))
    return "\n".join(row.ljust(120) for row in rows).encode()


def camt() -> bytes:
    entries = "".join(
        f"<Ntry><Amt Ccy='EUR'>{i % 500 + 1}.25</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
        "<Sts>BOOK</Sts><BookgDt><Dt>2026-01-02</Dt></BookgDt><ValDt><Dt>2026-01-02</Dt>"
        f"</ValDt><AcctSvcrRef>R{i}</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>E{i}"
        f"</EndToEndId></Refs><RltdPties><Dbtr><Nm>Client {i}</Nm></Dbtr><DbtrAcct><Id>"
        "<IBAN>FR7630003012340123456789057</IBAN></Id></DbtrAcct></RltdPties><RmtInf>"
        f"<Ustrd>FA2026-{i:05d}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        for i in range(N)
    )
    return (
        "<?xml version='1.0'?><Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'>"
        "<BkToCstmrStmt><GrpHdr><MsgId>1</MsgId></GrpHdr><Stmt><Id>1</Id><Acct><Id><IBAN>"
        f"FR7630003012340123456789057</IBAN></Id><Ccy>EUR</Ccy></Acct>{entries}</Stmt>"
        "</BkToCstmrStmt></Document>"
    ).encode()


def ofx() -> bytes:
    lines = "".join(
        f"<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20260102<TRNAMT>{i % 500 + 1},25<FITID>F{i}"
        f"<NAME>VIR CLIENT {i}<MEMO>FA2026-{i:05d}</STMTTRN>\n"
        for i in range(N)
    )
    return (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nCHARSET:1252\n\n<OFX><BANKMSGSRSV1>"
        "<STMTTRNRS><STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>30003<BRANCHID>01234"
        "<ACCTID>01234567890<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST>"
        f"{lines}</BANKTRANLIST><LEDGERBAL><BALAMT>1,00<DTASOF>20260102</LEDGERBAL>"
        "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    ).encode("cp1252")


def mt940() -> bytes:
    lines = "".join(
        f":61:2601020102C{i % 500 + 1},25NTRFNONREF//B{i}\n"
        f":86:/EREF/E{i}//NAME/CLIENT {i}/REMI/USTD//FA2026-{i:05d}/\n"
        for i in range(N)
    )
    return (
        f":20:X\n:25:FR7630003012340123456789057\n:28C:1\n:60F:C260101EUR0,00\n{lines}"
        ":62F:C260102EUR0,00\n-\n"
    ).encode()


@pytest.mark.parametrize("build", [cfonb, camt, ofx, mt940])
def test_five_thousand_lines_parse_quickly(build):
    data = build()
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        statements = formats.parse(data)
        best = min(best, time.perf_counter() - started)
    assert sum(len(s.lines) for s in statements) == N
    assert best < 3.0, f"{build.__name__}: {best:.2f} s"
