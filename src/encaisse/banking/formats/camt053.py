"""ISO 20022 camt.053 (Bank To Customer Statement), versions .001.02 to .001.08.

Namespace-agnostic: the version is read from the namespace (camt.053.001.NN), and the
elements by their local names, so a bank's variant namespace or a missing one still
reads. Several <Stmt> per file, each one Statement.

Entries: an <Ntry> with one transaction detail is one Line of the entry's amount. A batch
entry (several <TxDtls>) gives one Line per detail with the detail's own amount
(AmtDtls/TxAmt, else TxDtls/Amt, in the entry's currency) when every detail has one
and they add up to the entry; otherwise the entry stays one Line (what was booked) with
every detail's texts, and a warning says why. The sign comes from the detail's
CdtDbtInd, else the entry's; a reversal (RvslInd=true) keeps the sign the bank gave.

Balances: opening = OPBD, else PRCD; closing = CLBD, signed by CdtDbtInd; a statement
paginated over several <Stmt> opens or closes on its interim booked balances (ITBD). A
balance in another currency than the account's is not taken (a warning says so).
Pending entries (Sts PDNG/INFO/FUTR) are left out with a warning.

Amounts are read exactly as written, three decimals included ("8.850"): no rounding
here; the import quantizes to what the currency allows (2 for EUR, 0 for JPY...).

Hardened XML: no entity resolution, no DTD, no network, no huge trees; a DOCTYPE is
refused outright (a statement never needs one).
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from lxml import etree

from ._text import find_rf, is_iban, squash
from .base import Line, MalformedStatement, Statement

SUPPORTED = range(2, 9)  # .001.02 to .001.08
# The version, from the namespace: "urn:iso:std:iso:20022:tech:xsd:camt.053.001.04", or a
# community's own ("ISO:camt.053.001.02:APC:STUZZA:payments:003", Austria).
_NS = re.compile(rb"camt\.053\.001\.(\d\d)")
_AMOUNT = re.compile(r"-?\d+(\.\d+)?")
_PENDING = {"PDNG", "INFO", "FUTR"}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )


def sniff(data: bytes) -> bool:
    head = data[:4096]
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return False
    return bool(_NS.search(head)) or b"BkToCstmrStmt" in head


def parse(data: bytes) -> list[Statement]:
    if re.search(rb"<!DOCTYPE|<!ENTITY", data[:4096], re.IGNORECASE):
        raise MalformedStatement("DTD ou entité interdite dans un relevé camt.053", "fichier")
    try:
        # NUL padding after the document (transfer software) is not part of it
        root = etree.fromstring(data.rstrip(b"\x00\x1a \t\r\n"), _parser())
    except etree.XMLSyntaxError as error:
        line = error.lineno or (error.position[0] if error.position else 0)
        raise MalformedStatement(f"XML invalide ({error.msg})", f"ligne {line}") from None
    found = _NS.search(data[:4096])
    version = f"camt.053.001.{found.group(1).decode()}" if found else ""
    body = root if _local(root.tag) == "BkToCstmrStmt" else _kid(root, "BkToCstmrStmt")
    if body is None:
        raise MalformedStatement(
            "ce n'est pas un relevé camt.053 (BkToCstmrStmt absent)", f"<{_local(root.tag)}>"
        )
    stmts = _kids(body, "Stmt")
    if not stmts:
        raise MalformedStatement("aucun relevé (élément Stmt absent)", "BkToCstmrStmt")
    statements = [_statement(stmt, f"Stmt {n}", version) for n, stmt in enumerate(stmts, 1)]
    if found and int(found.group(1)) not in SUPPORTED:
        for statement in statements:
            statement.warnings.append(f"version {version} hors de 02..08 : lue comme les autres")
    return statements


# Elements are read namespace-free through these helpers; an entry or a transaction
# detail is flattened once into {"Refs/EndToEndId": [text, ...], "Amt@Ccy": [...]}, so
# reading its thirty fields costs dictionary look-ups, not thirty tree searches.


def _local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _kids(element, name: str) -> list:
    return [child for child in element if _local(child.tag) == name]


def _kid(element, name: str):
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


Flat = dict[str, list[str]]


def _flat(element, skip: str = "") -> Flat:
    out: Flat = {}
    _walk(element, "", skip, out)
    return out


def _walk(node, prefix: str, skip: str, out: Flat) -> None:
    for child in node:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        name = tag.rpartition("}")[2]
        if name == skip:
            continue
        path = f"{prefix}/{name}" if prefix else name
        if len(child):
            _walk(child, path, "", out)
            continue
        text = child.text
        if text is not None and text.strip():
            out.setdefault(path, []).append(text)
        if child.attrib:
            for attribute, value in child.attrib.items():
                out.setdefault(f"{path}@{attribute}", []).append(value)


def _text(flat: Flat, path: str) -> str:
    values = flat.get(path)
    return squash(values[0]) if values else ""


def _amount(text: str, where: str, what: str = "montant") -> Decimal:
    text = (text or "").strip()
    if not text:
        raise MalformedStatement(f"{what} manquant", where)
    if not _AMOUNT.fullmatch(text):
        raise MalformedStatement(f"{what} invalide « {text} »", where)
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex lets only decimals through
        raise MalformedStatement(f"{what} invalide « {text} »", where) from None


def _sign(indicator: str, where: str) -> int:
    if indicator == "CRDT":
        return 1
    if indicator == "DBIT":
        return -1
    raise MalformedStatement(
        f"sens (CdtDbtInd) invalide ou manquant « {indicator} » (CRDT ou DBIT attendu)", where
    )


def _date(flat: Flat, path: str, where: str, what: str) -> dt.date | None:
    """<path>/Dt or <path>/DtTm (the date part of a date-time)."""
    text = _text(flat, f"{path}/Dt") or _text(flat, f"{path}/DtTm")
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise MalformedStatement(f"{what} invalide « {text} »", where) from None


def _statement(stmt, where: str, version: str) -> Statement:
    head = _flat(stmt, skip="Ntry")
    iban = _text(head, "Acct/Id/IBAN").replace(" ", "").upper()
    other = _text(head, "Acct/Id/Othr/Id")
    if not iban and is_iban(other):
        iban = other.replace(" ", "").upper()
    currency = _text(head, "Acct/Ccy").upper()
    balances = {}
    interim = []  # ITBD: the booked balances of a statement paginated over several Stmt
    for bal in _kids(stmt, "Bal"):
        flat = _flat(bal)
        code = _text(flat, "Tp/CdOrPrtry/Cd") or _text(flat, "Tp/CdOrPrtry/Prtry")
        bal_where = f"{where} / Bal {code}"
        amount = _amount(_text(flat, "Amt"), bal_where, "montant du solde")
        indicator = _text(flat, "CdtDbtInd")
        # A zero balance without its indicator (some banks leave it out) is still zero.
        sign = 1 if amount == 0 and not indicator else _sign(indicator, bal_where)
        date = _date(flat, "Dt", bal_where, "date du solde")
        value = (sign * amount, _text(flat, "Amt@Ccy").upper(), date)
        balances.setdefault(code, value)
        if code == "ITBD":
            interim.append(value)
    entries = _kids(stmt, "Ntry")
    if not currency:
        for code in ("OPBD", "PRCD", "CLBD"):
            if code in balances and balances[code][1]:
                currency = balances[code][1]
                break
    if not currency and entries:
        amount = _kid(entries[0], "Amt")
        currency = (amount.get("Ccy", "") if amount is not None else "").upper()
    if not currency:
        raise MalformedStatement("devise introuvable (Acct/Ccy, soldes ou montants)", where)
    statement = Statement(
        format="camt053",
        currency=currency,
        lines=[],
        account_iban=iban,
        account_number=other or iban,
        bank_id=_text(head, "Acct/Svcr/FinInstnId/BIC")
        or _text(head, "Acct/Svcr/FinInstnId/BICFI"),
        reference=_text(head, "Id"),
        where=where,
        version=version,
    )
    # A statement split into pages (StmtPgntn) carries OPBD on its first page and CLBD on
    # its last; the pages between open and close on interim booked balances (ITBD).
    opening = balances.get("OPBD") or balances.get("PRCD")
    closing = balances.get("CLBD")
    if opening is None and interim:
        opening = interim.pop(0)
    if closing is None and interim:
        closing = interim[-1]
    for kind, found in (("opening", opening), ("closing", closing)):
        if found is None:
            continue
        amount, bal_currency, date = found
        if bal_currency and bal_currency != currency:
            statement.warnings.append(
                f"{where} : solde {'d’ouverture' if kind == 'opening' else 'de clôture'} "
                f"en {bal_currency}, relevé en {currency} : ignoré"
            )
            continue
        setattr(statement, f"{kind}_balance", amount)
        setattr(statement, f"{kind}_date", date)
    for n, entry in enumerate(entries, 1):
        statement.lines.extend(_entry(entry, f"{where} / Ntry {n}", statement))
    return statement


def _bank_code(flat: Flat) -> str:
    domain = _text(flat, "BkTxCd/Domn/Cd")
    if domain:
        family = _text(flat, "BkTxCd/Domn/Fmly/Cd")
        sub = _text(flat, "BkTxCd/Domn/Fmly/SubFmlyCd")
        return "/".join(part for part in (domain, family, sub) if part)
    return _text(flat, "BkTxCd/Prtry/Cd")


def _entry(entry, where: str, statement: Statement) -> list[Line]:
    flat = _flat(entry, skip="NtryDtls")
    amount = _amount(_text(flat, "Amt"), where)
    currency = _text(flat, "Amt@Ccy").upper()
    if currency and currency != statement.currency:
        statement.warnings.append(
            f"{where} : montant en {currency}, relevé en {statement.currency}"
        )
    sign = _sign(_text(flat, "CdtDbtInd"), where)
    status = _text(flat, "Sts") or _text(flat, "Sts/Cd")
    if status.upper() in _PENDING:
        statement.warnings.append(f"{where} : écriture non comptabilisée ({status}) ignorée")
        return []
    booking = _date(flat, "BookgDt", where, "date de comptabilisation")
    if booking is None:
        raise MalformedStatement("date de comptabilisation (BookgDt) manquante", where)
    common = {
        "booking_date": booking,
        "value_date": _date(flat, "ValDt", where, "date de valeur"),
        "entry_info": _text(flat, "AddtlNtryInf"),
        "bank_reference": _text(flat, "AcctSvcrRef"),
        "code": _bank_code(flat),
        "reversal": _text(flat, "RvslInd").lower() in ("true", "1"),
    }
    details = [
        _flat(detail) for block in _kids(entry, "NtryDtls") for detail in _kids(block, "TxDtls")
    ]
    signed_total = sign * amount
    if len(details) > 1:
        amounts = []
        for detail in details:
            value = _detail_amount(detail, currency or statement.currency, where)
            if value is None:
                break
            indicator = _text(detail, "CdtDbtInd")
            amounts.append(value * (_sign(indicator, where) if indicator else sign))
        if len(amounts) == len(details) and sum(amounts) == signed_total:
            return [
                _line(detail, value, f"{where} / TxDtls {k}", common, batch=True)
                for k, (detail, value) in enumerate(zip(details, amounts, strict=True), 1)
            ]
        statement.warnings.append(
            f"{where} : les {len(details)} détails ne donnent pas le montant de l'écriture : "
            "une seule ligne"
        )
    line = _line(details[0] if details else None, signed_total, where, common, batch=False)
    for detail in details[1:]:
        line.details.extend(_texts(detail))
    return [line]


def _detail_amount(detail: Flat, currency: str, where: str) -> Decimal | None:
    for path in ("AmtDtls/TxAmt/Amt", "Amt"):
        if _text(detail, path):
            ccy = _text(detail, f"{path}@Ccy").upper()
            if not ccy or ccy == currency:
                return _amount(_text(detail, path), where)
    return None


def _party(detail: Flat, credit: bool) -> tuple[str, str]:
    """Name and IBAN of the other party: the debtor of a credit, the creditor of a debit."""
    role = "RltdPties/" + ("Dbtr" if credit else "Cdtr")
    name = _text(detail, f"{role}/Nm") or _text(detail, f"{role}/Pty/Nm")
    iban = _text(detail, f"{role}Acct/Id/IBAN").replace(" ", "").upper()
    if not iban:
        other = _text(detail, f"{role}Acct/Id/Othr/Id")
        iban = other.replace(" ", "").upper() if is_iban(other) else ""
    return name, iban


_KEPT = (
    ("Refs/", "Refs/"),
    ("RltdPties/Dbtr/Nm", "Dbtr"),
    ("RltdPties/Dbtr/Pty/Nm", "Dbtr"),
    ("RltdPties/UltmtDbtr/Nm", "UltmtDbtr"),
    ("RltdPties/UltmtDbtr/Pty/Nm", "UltmtDbtr"),
    ("RltdPties/Cdtr/Nm", "Cdtr"),
    ("RltdPties/Cdtr/Pty/Nm", "Cdtr"),
    ("RltdPties/UltmtCdtr/Nm", "UltmtCdtr"),
    ("RltdPties/UltmtCdtr/Pty/Nm", "UltmtCdtr"),
    ("RltdPties/DbtrAcct/Id/", "DbtrAcct"),
    ("RltdPties/CdtrAcct/Id/", "CdtrAcct"),
    ("RmtInf/Ustrd", "Ustrd"),
    ("RmtInf/Strd/", "Strd/"),
    ("RtrInf/Rsn/Cd", "RtrInf/Rsn/Cd"),
    ("AddtlTxInf", "AddtlTxInf"),
)


_EXACT = {path: label for path, label in _KEPT if not path.endswith("/")}
_PREFIXES = tuple((path, label) for path, label in _KEPT if path.endswith("/"))


def _texts(detail: Flat) -> list[str]:
    """Every text of a detail worth keeping, labelled ("EndToEndId ...", "Dbtr ...")."""
    out = []
    for path, values in detail.items():
        label = _EXACT.get(path)
        if label is None:
            for prefix, name in _PREFIXES:
                if path.startswith(prefix):
                    rest = path[len(prefix) :]
                    label = (
                        rest if prefix == "Refs/" else (name if name[-1] != "/" else name + rest)
                    )
                    break
            else:
                continue
        for value in values:
            text = " ".join(value.split())
            if text:
                out.append(f"{label} {text}")
    return out


def _line(detail: Flat | None, amount: Decimal, where: str, common: dict, *, batch: bool) -> Line:
    # The other party is the debtor of a credit, the creditor of a debit; a reversal
    # may keep the parties of the movement it reverses: then the other role is read.
    credit = amount > 0
    name = iban = end_to_end = reference = ustrd = tx_info = tx_ref = code = ""
    details: list[str] = []
    if detail is not None:
        name, iban = _party(detail, credit)
        if not (name or iban) and common["reversal"]:
            name, iban = _party(detail, not credit)
        end_to_end = _text(detail, "Refs/EndToEndId")
        if end_to_end.upper() == "NOTPROVIDED":
            end_to_end = ""
        reference = _text(detail, "RmtInf/Strd/CdtrRefInf/Ref")
        ustrd = " ".join(squash(v) for v in detail.get("RmtInf/Ustrd", []) if squash(v))
        tx_info = _text(detail, "AddtlTxInf")
        tx_ref = _text(detail, "Refs/AcctSvcrRef")
        code = _bank_code(detail)
        details = _texts(detail)
    if common["entry_info"]:
        details.insert(0, f"AddtlNtryInf {common['entry_info']}")
    if common["reversal"]:
        details.insert(0, "contre-passation (RvslInd)")
    named = " ".join(part for part in (name, ustrd) if part)
    if batch:
        label = tx_info or named or common["entry_info"]
    else:
        label = common["entry_info"] or tx_info or named
    return Line(
        booking_date=common["booking_date"],
        value_date=common["value_date"],
        amount=amount,
        label=label or common["code"] or "(sans libellé)",
        counterparty_name=name,
        counterparty_iban=iban,
        end_to_end_id=end_to_end,
        creditor_reference=reference or find_rf(ustrd, tx_info, common["entry_info"]),
        remittance_info=ustrd,
        bank_reference=tx_ref or common["bank_reference"],
        transaction_code=code or common["code"],
        details=details,
        where=where,
    )
