"""OFX 1.x (SGML) and 2.x (XML) bank and card statements, with a small tolerant reader.

Why not ofxtools (tried on the corpus with ofxtools 1.1.1): it reads the Banque
Populaire, bpbfc, OFX 2 and comma-decimal files right, but refuses LANGUAGE "FRE" (which
French banks write), a statement with several BANKTRANLIST blocks, and any other
departure from the specification real banks make; on a broken file it reports "Tail
text '-->' after </BANKACCTFROM>" instead of which transaction lacks what. Working
around it meant rewriting the file's text before parsing and validating it again
after, more code than this reader, which needs no spec tables: OFX is a tree of
aggregates (known names below) and leaves "<TAG>value" whose closing tag is optional.

What we accept: SGML with or without closing tags, on one line or many; XML; tags in any
case; the charset of the SGML header (CHARSET:1252, ISO-8859-1...) or of the XML
declaration, else UTF-8 (BOM or not) else CP1252; comments; decimal commas; dates
YYYYMMDD[HHMMSS[.XXX]][[offset:TZ]]. Bank (STMTRS) and card (CCSTMTRS) statements;
several BANKTRANLIST blocks of one statement are read in order.

What we refuse, listing every problem with where it is ("STMTRS 1 / STMTTRN 3 : ..."):
a statement without CURDEF or account (BANKACCTFROM/CCACCTFROM), a transaction without
DTPOSTED, TRNAMT or FITID, an amount that is not a number ("$120"), an invalid date.

OFX gives no opening balance: LEDGERBAL is the closing balance (DTASOF its date) and
opening_balance stays None; the import derives or checks it.
"""

import datetime as dt
import html
import re
from decimal import Decimal

from ._text import decode, find_rf, is_iban, squash
from .base import Line, MalformedStatement, Statement
from .cfonb120 import french_iban

AGGREGATES = frozenset(
    [
        "OFX",
        "SIGNONMSGSRSV1",
        "SONRS",
        "STATUS",
        "FI",
        "BANKMSGSRSV1",
        "STMTTRNRS",
        "STMTRS",
        "BANKACCTFROM",
        "BANKACCTTO",
        "CCACCTFROM",
        "CCACCTTO",
        "BANKTRANLIST",
        "STMTTRN",
        "LEDGERBAL",
        "AVAILBAL",
        "BALLIST",
        "BAL",
        "CREDITCARDMSGSRSV1",
        "CCSTMTTRNRS",
        "CCSTMTRS",
        "PAYEE",
        "CURRENCY",
        "ORIGCURRENCY",
        "IMAGEDATA",
        "SIGNUPMSGSRSV1",
        "INVSTMTMSGSRSV1",
        "INVSTMTTRNRS",
        "INVSTMTRS",
        "MKTGINFO",
        "OFXEXTENSION",
        "CCSTMTENDTRNRS",
        "STMTENDTRNRS",
        "STMTENDRS",
        "CCSTMTENDRS",
        "PENDINGTRANLIST",
    ]
)
_TOKEN = re.compile(r"<(/?)([A-Za-z0-9_.:-]+)([^>]*)>([^<]*)")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_AMOUNT = re.compile(r"[+-]?(\d+(?:[.,]\d*)?|[.,]\d+)")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+\.\d+")


def sniff(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \r\n\t")
    return head.upper().startswith(b"OFXHEADER") or bool(re.search(rb"<OFX>|<\?OFX", head, re.I))


class Node:
    __slots__ = ("children", "tag", "text")

    def __init__(self, tag: str, text: str = ""):
        self.tag = tag
        self.children: list[Node] = []
        self.text = text

    def all(self, tag: str) -> list["Node"]:
        return [child for child in self.children if child.tag == tag]

    def first(self, tag: str) -> "Node | None":
        for child in self.children:
            if child.tag == tag:
                return child
        return None

    def value(self, path: str) -> str:
        node: Node | None = self
        for tag in path.split("/"):
            node = node.first(tag) if node is not None else None
        return node.text if node is not None else ""

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def _charset(data: bytes) -> tuple[str, str]:
    """The declared encoding and the OFX version, from the SGML or XML header."""
    head = data[:1024].decode("latin-1")
    version = ""
    found = re.search(r"VERSION[:=]\s*\"?(\d+)", head)
    if found:
        version = found.group(1)
    xml = re.search(r"<\?xml[^>]*encoding=[\"']([\w.-]+)", head, re.I)
    if xml:
        return xml.group(1), version
    charset = re.search(r"^CHARSET:\s*(\S+)", head, re.M | re.I)
    encoding = re.search(r"^ENCODING:\s*(\S+)", head, re.M | re.I)
    if encoding and encoding.group(1).upper().replace("-", "") == "UTF8":
        return "utf-8", version
    if charset and charset.group(1).upper() not in ("NONE", ""):
        value = charset.group(1).upper()
        return (f"cp{value}" if value.isdigit() else value), version
    return "", version


def tree(text: str) -> Node:
    start = text.upper().find("<OFX>")
    if start < 0:
        found = re.search(r"<OFX[\s>]", text, re.I)
        if not found:
            raise MalformedStatement("élément <OFX> introuvable", "fichier")
        start = found.start()
    body = _COMMENT.sub("", text[start:])
    root = Node("#root")
    stack = [root]
    last_leaf = ""
    for closing, name, attributes, tail in _TOKEN.findall(body):
        tag = name.upper()
        if attributes.endswith("/"):  # <MEMO/>, <BANKTRANLIST/>: empty, nothing opened
            if tag not in AGGREGATES:
                stack[-1].children.append(Node(tag))
            continue
        if closing:
            if tag == last_leaf:
                last_leaf = ""
                continue
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth].tag == tag:
                    del stack[depth:]
                    break
            last_leaf = ""
            continue
        value = tail.strip()
        if tag in AGGREGATES and not value:
            # No aggregate holds one of its own kind: an opening STMTTRN while one is
            # open means the bank left the previous one unclosed.
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth].tag == tag:
                    del stack[depth:]
                    break
            node = Node(tag)
            stack[-1].children.append(node)
            stack.append(node)
            last_leaf = ""
        else:
            # XML and many SGML exports escape &, < and > (&amp; &lt; &gt; &#233;)
            text = html.unescape(value) if "&" in value else value
            stack[-1].children.append(Node(tag, squash(text)))
            last_leaf = tag
    ofx = root.first("OFX")
    if ofx is None:
        raise MalformedStatement("élément <OFX> introuvable", "fichier")
    return ofx


def _date(text: str) -> dt.date | None:
    """YYYYMMDD[HHMMSS[.XXX]][[offset:TZ]]; also YYYY-MM-DD, which some exporters write."""
    found = re.match(r"(\d{4})-?(\d{2})-?(\d{2})", text)
    if not found:
        raise ValueError(text)
    return dt.date(*(int(part) for part in found.groups()))


def _amount(text: str) -> Decimal:
    text = text.replace(" ", "").replace("\u00a0", "")
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if not _AMOUNT.fullmatch(text):
        raise ValueError(text)
    return Decimal(text.replace(",", "."))


class _Problems:
    def __init__(self):
        self.items: list[tuple[str, str]] = []

    def add(self, where: str, message: str) -> None:
        self.items.append((where, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        where, message = self.items[0]
        more = " ; ".join(f"{w} : {m}" for w, m in self.items[1:6])
        if len(self.items) > 6:
            more += f" ; et {len(self.items) - 6} autre(s)"
        raise MalformedStatement(f"{message}{' ; ' + more if more else ''}", where)


def parse(data: bytes) -> list[Statement]:
    declared, version = _charset(data)
    ofx = tree(decode(data, declared))
    problems = _Problems()
    statements = []
    counters = {"STMTRS": 0, "CCSTMTRS": 0}
    for node in ofx.walk():
        if node.tag in counters:
            counters[node.tag] += 1
            where = f"{node.tag} {counters[node.tag]}"
            statements.append(_statement(node, where, version, problems))
    if not statements and not problems.items:
        errors = [
            f"{node.value('CODE')} {node.value('MESSAGE')}".strip()
            for node in ofx.walk()
            if node.tag == "STATUS" and node.value("CODE") not in ("", "0")
        ]
        said = f" ; la banque signale : {' ; '.join(errors)}" if errors else ""
        problems.add("OFX", f"aucun relevé (STMTRS ou CCSTMTRS){said}")
    problems.raise_if_any()
    return statements


def _statement(node: Node, where: str, version: str, problems: _Problems) -> Statement:
    currency = node.value("CURDEF").upper()
    if not currency:
        problems.add(where, "devise (CURDEF) manquante")
    card = node.tag == "CCSTMTRS"
    account = node.first("CCACCTFROM" if card else "BANKACCTFROM")
    statement = Statement(format="ofx", currency=currency, lines=[], where=where, version=version)
    if account is None or not account.value("ACCTID"):
        problems.add(where, f"compte ({'CCACCTFROM' if card else 'BANKACCTFROM'}/ACCTID) manquant")
    else:
        bank, branch = account.value("BANKID"), account.value("BRANCHID")
        number, key = account.value("ACCTID"), account.value("ACCTKEY")
        kind = "CREDITCARD" if card else account.value("ACCTTYPE").upper()
        # Two statements of one file may share ACCTID (Banque Populaire's checking and
        # savings): the type and bank keep them apart.
        statement.account_number = " ".join(p for p in (bank, branch, number, kind) if p)
        statement.bank_id = bank
        # A French account (5-digit bank and branch, 11-character number) has its IBAN
        # fully determined; when the file gives the RIB key it must agree.
        statement.account_iban = _account_iban(bank, branch, number, key, statement, where)
    ledger = node.first("LEDGERBAL")
    if ledger is not None and not ledger.value("BALAMT"):
        # an empty balance is no balance (some exporters write the element anyway)
        statement.warnings.append(f"{where} : solde (LEDGERBAL) vide")
        ledger = None
    if ledger is not None:
        try:
            statement.closing_balance = _amount(ledger.value("BALAMT"))
        except ValueError:
            problems.add(f"{where} / LEDGERBAL", f"solde invalide « {ledger.value('BALAMT')} »")
        try:
            statement.closing_date = (
                _date(ledger.value("DTASOF")) if ledger.value("DTASOF") else None
            )
        except ValueError:
            problems.add(f"{where} / LEDGERBAL", f"date invalide « {ledger.value('DTASOF')} »")
    number = 0
    for tranlist in node.all("BANKTRANLIST"):
        stray = [tag for tag in ("TRNAMT", "FITID", "DTPOSTED") if tranlist.first(tag)]
        if stray:
            # a transaction whose <STMTTRN> was lost: never drop it silently
            problems.add(
                f"{where} / BANKTRANLIST", f"{', '.join(stray)} hors d'une opération (STMTTRN)"
            )
        for trn in tranlist.all("STMTTRN"):
            number += 1
            line = _line(trn, f"{where} / STMTTRN {number}", problems)
            if line is not None:
                statement.lines.append(line)
    return statement


def _account_iban(
    bank: str, branch: str, number: str, key: str, statement: Statement, where: str
) -> str:
    """The account's IBAN: ACCTID itself when a bank writes the IBAN there; else, for a
    French account (5-digit bank and branch, 11-character number, possibly followed by
    its 2-digit RIB key), the IBAN the RIB determines, when ACCTKEY (if given) agrees."""
    compact = number.replace(" ", "").upper()
    if is_iban(compact):
        return compact
    if len(compact) == 13 and not key:
        compact, key = compact[:11], compact[11:]
    iban = french_iban(bank, branch, compact)
    if iban and key and key != iban[-2:]:
        statement.warnings.append(f"{where} : clé RIB {key} incohérente, IBAN non déduit")
        return ""
    return iban


def _line(trn: Node, where: str, problems: _Problems) -> Line | None:
    missing = [tag for tag in ("DTPOSTED", "TRNAMT", "FITID") if not trn.value(tag)]
    if missing:
        problems.add(where, f"{', '.join(missing)} manquant(s)")
        return None
    try:
        amount = _amount(trn.value("TRNAMT"))
    except ValueError:
        problems.add(where, f"montant (TRNAMT) invalide « {trn.value('TRNAMT')} »")
        return None
    dates = {}
    for tag in ("DTPOSTED", "DTAVAIL", "DTUSER"):
        if trn.value(tag):
            try:
                dates[tag] = _date(trn.value(tag))
            except ValueError:
                problems.add(where, f"date ({tag}) invalide « {trn.value(tag)} »")
                return None
    name = trn.value("NAME") or trn.value("PAYEE/NAME")
    memo = trn.value("MEMO")
    details = []
    for tag in ("CHECKNUM", "REFNUM", "SRVRTID", "PAYEEID", "SIC", "CORRECTFITID", "DTUSER"):
        if trn.value(tag):
            details.append(f"{tag} {trn.value(tag)}")
    if memo:
        details.append(f"MEMO {memo}")
    label = (
        name
        if not memo or memo in name
        else (f"{name} {memo}" if name and name not in memo else memo)
    )
    return Line(
        booking_date=dates["DTPOSTED"],
        value_date=dates.get("DTAVAIL"),
        amount=amount,
        label=label or trn.value("TRNTYPE") or "(sans libellé)",
        counterparty_name=name,
        remittance_info=memo,
        creditor_reference=find_rf(memo, name),
        bank_reference=trn.value("FITID"),
        transaction_code=trn.value("TRNTYPE").upper(),
        details=details,
        where=where,
    )
