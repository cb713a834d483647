"""SWIFT MT940 (Customer Statement Message), our own tokenizer.

Why not the mt-940 library: it refuses a wrapped :28C:, flattens several statements into
one keeping only the last balances, counts a :61: found after the end of a message as a
transaction, and accepts a file that is not MT940 at all. Here:

- A field starts at a line ":NN:" or ":NNa:"; every other line continues the field
  before it (banks wrap fields anywhere, even inside a token). The SWIFT envelope
  ({1:...}{2:...}{4:, -}, {5:...}) and header lines before the first field are skipped.
- A statement runs from :20: to its closing balance :62F:/:62M: and the :64:/:65:/:86:
  that follow it; a "-" line ends the message there (inside a statement, before its
  :62x:, a "-" line is just text: ING wraps :86: on a lone "-"). Each statement keeps
  its own balances (:60F:/:60M: opening, :62F:/:62M: closing).
- :61: value date YYMMDD, optional entry date MMDD (booking date, with the year rolling
  over at new year), mark D/C or RD/RC (RD = reversal of a debit, a credit entry; RC =
  reversal of a credit, a debit entry: SWIFT MT940 field 61 subfield 3), an optional
  funds code letter (the third letter of the currency: "DR5," is D + R), the amount
  (comma decimal, zero-padded to 15 characters by some banks), the transaction type
  (N/F/S + 3), the references "customer//bank" and the supplementary details line.
- :86: after a :61: describes it. German ?NN subfields (?00 posting text, ?20-?29 and
  ?60-?63 remittance, ?30 BIC, ?31 account, ?32/?33 name, ?38 IBAN, SEPA keywords
  EREF+/SVWZ+...) and Dutch/Belgian "/KEY/value" codes (/EREF/, /REMI/, /NAME/, /IBAN/,
  /CNTP/iban/bic/name/...) are read into the Line's fields, best effort; the raw text
  always stays in `details` (and in remittance_info when nothing structured is found).

Refused (naming the line): a file without :20:/:25:/:60x: (not MT940), a :61: without
date, mark or amount, a bad balance, a statement without its closing balance (truncated).
"""

import datetime as dt
import re
from decimal import Decimal
from itertools import pairwise

from ._text import date_yymmdd, decode, find_rf, is_iban, looks_like_iban, squash
from .base import Line, MalformedStatement, Statement

# ":NS:" is the non-SWIFT field some German banks add (ignored, but it must not run on
# into the field before it).
_FIELD = re.compile(r"^:(\d{2}[A-Z]?|NS):(.*)$")
# The tags of MT940 (and of the MT942 interim report). Any other ":NN:" at the start of a
# line is the wrapped text of the field before it (":26:37 Fo?25lgenr." is a time).
_TAGS = frozenset(
    {"13", "13D", "20", "21", "25", "25P", "28", "28C", "34F", "60F", "60M", "61", "62F", "62M"}
    | {"64", "65", "86", "90C", "90D", "NS"}
)
_BALANCE = re.compile(r"^([CD])(\d{6})([A-Z]{3})?(\d[\d]*(?:[,.]\d*)?)$")
_HEAD = re.compile(
    r"^(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>\d+(?:[,.]\d*)?)(?P<type>[NFS][A-Z0-9]{3})(?P<rest>.*)$",
    re.DOTALL,
)
_SLASH_CODES = (
    "EREF|PREF|MARF|CSID|CNTP|REMI|PURP|RTRN|ORDP|BENM|ULTC|ULTD|ULTB|IBAN|BIC|NAME|ADDR|"
    "ISDT|TRCD|OCMT|IACC|CHGS|SVCL|ACCW|EXCH|RTYP|SVSR|NREF|PTYP"
)
_SLASH = re.compile(rf"/({_SLASH_CODES})/")
_SEPA = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC)\+")
_WIDTH = 65
_PURPOSE_WIDTH = 27  # a ?20-?29 subfield
# German-style subfields "?20...": "?" as the DK writes it; Triodos writes ">20".
_SUBFIELD = re.compile(r"(?:^\s*\d{3}\s*([?>])\d\d)|(\?)\d\d")
# Customer references that only say "see :86:" (ING, Rabobank...).
_PLACEHOLDERS = {
    "",
    "NONREF",
    "NOREF",
    "EREF",
    "PREF",
    "KREF",
    "MREF",
    "NOTPROVIDED",
}  # a SWIFT text line


def sniff(data: bytes) -> bool:
    head = data[:4096]
    return bool(re.search(rb"(^|\n|\{4:):20:", head)) and bool(
        re.search(rb"(^|\n):(25|60[FM]|28C?):", head)
    )


class _Field:
    def __init__(self, tag: str, first: str, line: int):
        self.tag = tag
        self.lines = [first]
        self.line = line

    @property
    def where(self) -> str:
        return f"ligne {self.line} (:{self.tag}:)"


def _is_end(line: str) -> bool:
    """A message's end: "-", "-}", "-}{5:...}", or "-XXX" (some banks' trailer)."""
    return bool(re.fullmatch(r"-\}?(\{5:.*)?|-[A-Z]{1,4}|\$", line))


def tokenize(text: str) -> list[_Field | str]:
    """Fields in file order, with the message ends as the string "-"."""
    out: list[_Field | str] = []
    current: _Field | None = None
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        # SOH/ETX of SWIFT FIN files, DOS end-of-file; trailing blanks are kept in the
        # text (a name wrapped after "UL " must not read "ULPRZEMY").
        line = raw.strip("\x00\x01\x03\x1a")
        if "{4:" in line:
            line = line.split("{4:", 1)[1]
        bare = line.rstrip()
        if not bare:
            continue
        found = _FIELD.match(bare)
        if found and found.group(1) in _TAGS:
            current = _Field(found.group(1), line[len(found.group(1)) + 2 :], number)
            out.append(current)
            continue
        if _is_end(bare):
            out.append("-")
            line = bare
        if current is not None:
            current.lines.append(line)
    return out


def parse(data: bytes) -> list[Statement]:
    items = tokenize(decode(data))
    fields = [item for item in items if isinstance(item, _Field)]
    tags = {field.tag for field in fields}
    if "20" not in tags or "25" not in tags or not tags & {"60F", "60M"}:
        raise MalformedStatement(
            "ce n'est pas un relevé MT940 (champs :20:, :25: et :60F: attendus)", "fichier"
        )
    statements: list[Statement] = []
    current: Statement | None = None
    closed = False  # the current statement has its closing balance
    last: Line | None = None
    described = False  # the last line has had its :86:
    orphans: list[str] = []
    for item in items:
        if item == "-":
            if current is not None and closed:
                current, last = None, None
            continue
        field = item
        if field.tag == "20":
            if current is not None and not closed:
                raise MalformedStatement(
                    f"nouveau relevé avant le solde final (:62F:) du relevé {current.where}",
                    field.where,
                )
            _strip_dash(field)
            current = Statement(
                format="mt940",
                currency="",
                lines=[],
                reference=squash(field.lines[0]),
                where=field.where,
            )
            statements.append(current)
            closed, last = False, None
            continue
        _strip_dash(field, keep=field.tag == "86" and current is not None and not closed)
        if current is None:
            if field.tag in ("61", "86"):
                orphans.append(f"{field.where} : champ hors d'un relevé ignoré")
            continue
        if closed and field.tag not in ("64", "65", "86"):
            if field.tag == "61":
                orphans.append(f"{field.where} : opération après le solde final, ignorée")
                current = None
                continue
            continue
        _field(current, field)
        if field.tag in ("62F", "62M"):
            closed = True
        elif field.tag == "61":
            last, described = current.lines[-1], False
        elif field.tag == "86" and last is not None and not closed:
            if described:
                _describe_more(last, field)  # old Rabobank: one :86: per line of text
            else:
                _describe(last, field)
                described = True
    for statement in statements:
        where = statement.where
        if statement.opening_balance is None:
            raise MalformedStatement("solde initial (:60F:) manquant", where)
        if statement.closing_balance is None:
            raise MalformedStatement(
                "solde final (:62F:) manquant : relevé incomplet ou fichier tronqué", where
            )
        if not statement.account_number:
            raise MalformedStatement("compte (:25:) manquant", where)
    if not statements:
        raise MalformedStatement("aucun relevé (:20:)", "fichier")
    statements[-1].warnings.extend(orphans)
    return statements


def _strip_dash(field: _Field, keep: bool = False) -> None:
    """A "-" line is the end of a message, except inside a statement's :86: text."""
    if not keep:
        for index, line in enumerate(field.lines[1:], 1):
            if _is_end(line):
                del field.lines[index:]
                break


def _field(statement: Statement, field: _Field) -> None:
    tag, where = field.tag, field.where
    if tag == "25":
        _account(statement, squash("".join(field.lines)))
    elif tag in ("28", "28C"):
        number = squash("".join(field.lines))
        statement.reference = f"{statement.reference} {number}".strip()
    elif tag in ("60F", "60M"):
        amount, date, currency = _balance("".join(field.lines), where)
        statement.opening_balance, statement.opening_date = amount, date
        statement.currency = currency
    elif tag in ("62F", "62M"):
        amount, date, currency = _balance("".join(field.lines), where)
        if not currency:
            if not statement.currency:
                raise MalformedStatement("devise du solde absente", where)
            currency = statement.currency  # some banks leave it out of the closing
        if statement.currency and currency != statement.currency:
            raise MalformedStatement(
                f"solde final en {currency}, solde initial en {statement.currency}", where
            )
        statement.closing_balance, statement.closing_date = amount, date
        statement.currency = statement.currency or currency
    elif tag == "61":
        if statement.opening_balance is None:
            raise MalformedStatement("opération (:61:) avant le solde initial (:60F:)", where)
        statement.lines.append(_operation(field, statement))


def _account(statement: Statement, value: str) -> None:
    statement.account_number = value
    compact = value.replace(" ", "").upper()
    # ING writes the currency after the IBAN ("NL77INGB0574908765EUR"); others write
    # "BIC/IBAN" or "BLZ/account".
    bare = compact[:-3] if re.search(r"\d[A-Z]{3}$", compact) else compact
    candidates = [bare, compact, *compact.split("/")]
    valid = [c for c in candidates if is_iban(c)]
    # The account's own IBAN is kept as the bank wrote it even when its check digits are
    # wrong (anonymised test files, a typing slip in a bank's set-up): a warning says so.
    shaped = [c for c in candidates if looks_like_iban(c) and c[:2].isalpha()]
    if valid or shaped:
        statement.account_iban = (valid or shaped)[0]
        if not valid:
            statement.warnings.append(
                f"IBAN du compte {statement.account_iban} : clé de contrôle invalide"
            )
    if "/" in value:
        bank = value.split("/", 1)[0].strip()
        if bank and not is_iban(bank.replace(" ", "")):
            statement.bank_id = bank


def _amount(text: str) -> Decimal:
    """A SWIFT amount ("1234,5", "5,", "000000001000,00") with at least two decimals."""
    whole, _, decimals = text.replace(".", ",").partition(",")
    return Decimal(f"{int(whole)}.{decimals.ljust(2, '0')}")


def _balance(text: str, where: str) -> tuple[Decimal, dt.date, str]:
    found = _BALANCE.match(text.strip().replace(" ", ""))
    if not found:
        raise MalformedStatement(
            f"solde invalide « {text.strip()} » (C/D, AAMMJJ, devise, montant attendus)", where
        )
    mark, date, currency, amount = found.groups()
    currency = currency or ""
    value = _amount(amount)
    return (-value if mark == "D" else value), date_yymmdd(date, where), currency


def _operation(field: _Field, statement: Statement) -> Line:
    where = field.where
    field.lines = [line.strip() for line in field.lines]
    joined = "".join(field.lines)
    head = _HEAD.match(joined)
    if not head:
        raise MalformedStatement(
            "opération illisible : date, sens (C/D/RC/RD) et montant attendus "
            f"« {field.lines[0][:40]} »",
            where,
        )
    value_date = date_yymmdd(head["value"], where, "date de valeur")
    booking = value_date
    if head["entry"]:
        month, day = int(head["entry"][:2]), int(head["entry"][2:])
        year = value_date.year
        if month - value_date.month > 6:
            year -= 1
        elif value_date.month - month > 6:
            year += 1
        try:
            booking = dt.date(year, month, day)
        except ValueError:
            raise MalformedStatement(
                f"date de comptabilisation invalide « {head['entry']} »", where
            ) from None
    mark = head["mark"]
    amount = _amount(head["amount"])
    # RD: reversal of a debit = a credit entry; RC: reversal of a credit = a debit entry.
    signed = amount if mark in ("C", "RD") else -amount
    if head["funds"] and statement.currency and head["funds"] != statement.currency[2]:
        statement.warnings.append(f"{where} : code fonds « {head['funds']} » inattendu")
    customer, bank, supplementary = _references(field.lines, len(joined) - len(head["rest"]))
    details = []
    if mark in ("RC", "RD"):
        details.append(f"contre-passation ({mark})")
    if customer and customer.upper() not in _PLACEHOLDERS:
        details.append(f"référence client {customer}")
    if supplementary:
        details.append(supplementary)
    return Line(
        booking_date=booking,
        value_date=value_date,
        amount=signed,
        label=supplementary or head["type"],
        bank_reference=bank or ("" if customer.upper() in _PLACEHOLDERS else customer),
        transaction_code=head["type"],
        details=details,
        where=where,
    )


def _references(lines: list[str], head_length: int) -> tuple[str, str, str]:
    """Customer reference, bank reference and supplementary details of a :61:.

    The references sit on the field's first line, but banks wrap it anywhere: a
    following line short enough to complete the 16-character bank reference (and not
    starting with "/") continues it; the lines after that are the supplementary
    details (34 characters, joined as written)."""
    consumed, index = 0, 0
    while index < len(lines) and consumed + len(lines[index]) <= head_length:
        consumed += len(lines[index])
        index += 1
    refs = lines[index][head_length - consumed :] if index < len(lines) else ""
    index += 1
    while index < len(lines):
        line = lines[index]
        if "//" not in refs and line.startswith("//") and len(line) <= 18:
            refs += line
        elif "//" in refs and not line.startswith("/"):
            if len(refs.split("//", 1)[1]) + len(line) > 16:
                break
            refs += line
        else:
            break
        index += 1
    supplementary = squash("".join(lines[index:]))
    customer, _, bank = refs.partition("//")
    return squash(customer), squash(bank), supplementary


def _describe(line: Line, field: _Field) -> None:
    """Read a :86: into the line's fields; its raw text always goes into details."""
    lines = list(field.lines)
    compact = "".join(lines)
    structured = bool(_SUBFIELD.search(compact)) or len(_SLASH.findall(compact)) >= 2
    if structured:
        text = compact
    else:
        text = lines[0] if lines else ""
        for previous, current in pairwise(lines):
            text += ("" if len(previous) >= _WIDTH else " ") + current
    text = text.strip()
    line.details.append(text)
    _read_86(line, text)
    if not line.creditor_reference:
        line.creditor_reference = find_rf(line.remittance_info)


def _describe_more(line: Line, field: _Field) -> None:
    """A further :86: of the same line: its text joins the remittance text."""
    text = squash(" ".join(field.lines))
    if text:
        line.details.append(text)
        line.remittance_info = f"{line.remittance_info} {text}".strip()
        if not line.creditor_reference:
            line.creditor_reference = find_rf(text)


def _read_86(line: Line, text: str) -> None:
    found = _SUBFIELD.search(text)
    if found:
        _german(line, text, found.group(1) or found.group(2))
    elif len(_SLASH.findall(text)) >= 2 or text.startswith(("/EREF/", "/REMI/", "/NAME/")):
        _slashes(line, text)
    else:
        line.remittance_info = squash(text)
        line.label = squash(text) or line.label


def _german(line: Line, text: str, separator: str = "?") -> None:
    head, *rest = re.split(rf"{re.escape(separator)}(\d\d)", text)
    sub: dict[str, str] = {}
    for key, value in zip(rest[::2], rest[1::2], strict=False):
        sub[key] = sub.get(key, "") + value
    if re.fullmatch(r"\d{3}", head.strip()):
        line.transaction_code = f"{line.transaction_code} {head.strip()}".strip()
    parts = [sub[f"{n}"] for n in [*range(20, 30), *range(60, 64)] if f"{n}" in sub]
    # SEPA keywords (EREF+, SVWZ+...) run on from one subfield to the next without a
    # separator (DK, Anlage 3, field 86). Older purposes are lines of 27 characters: a
    # full one may end mid-word (Triodos), a shorter one ends a line.
    if _SEPA.search("".join(parts)):
        purpose = squash("".join(parts))
    else:
        purpose = ""
        for part in parts:
            purpose += part if len(part) >= _PURPOSE_WIDTH else part + " "
        purpose = squash(purpose)
    found = dict(_sepa(purpose))
    if found:
        line.end_to_end_id = found.get("EREF", "") if found.get("EREF") != "NOTPROVIDED" else ""
        purpose_text = found.get("SVWZ", "")
    else:
        purpose_text = purpose
    line.remittance_info = squash(purpose_text or purpose)
    name = squash(sub.get("32", "") + sub.get("33", ""))
    line.counterparty_name = name
    for key in ("38", "31"):
        candidate = sub.get(key, "").replace(" ", "").upper()
        if is_iban(candidate):
            line.counterparty_iban = candidate
            break
    posting = squash(sub.get("00", ""))
    line.label = (
        squash(" ".join(p for p in (posting, name, line.remittance_info) if p)) or line.label
    )


def _sepa(text: str) -> list[tuple[str, str]]:
    parts = _SEPA.split(text)
    return [(parts[i], squash(parts[i + 1])) for i in range(1, len(parts) - 1, 2)]


def _slashes(line: Line, text: str) -> None:
    parts = _SLASH.split(text)
    codes: dict[str, str] = {}
    for key, value in zip(parts[1::2], parts[2::2], strict=False):
        codes.setdefault(key, value)
    eref = codes.get("EREF", "").strip("/ ")
    if eref and eref.upper() != "NOTPROVIDED":
        line.end_to_end_id = squash(eref)
    remi = codes.get("REMI", "")
    remi_parts = [p for p in remi.split("/") if p]
    if remi_parts and remi_parts[0] == "STRD" and len(remi_parts) >= 3:
        line.creditor_reference = squash(remi_parts[-1])
        line.remittance_info = squash(remi_parts[-1])
    else:
        if remi_parts and remi_parts[0] == "USTD":
            remi_parts = remi_parts[1:]
        line.remittance_info = squash(" ".join(remi_parts))
    name = codes.get("NAME", "").strip("/ ")
    iban = codes.get("IBAN", "").strip("/ ")
    cntp = codes.get("CNTP", "")
    if cntp:
        pieces = cntp.split("/")
        iban = iban or (pieces[0] if pieces else "")
        if len(pieces) > 2 and not name:
            name = pieces[2]
    line.counterparty_name = squash(name)
    if is_iban(iban.replace(" ", "")):
        line.counterparty_iban = iban.replace(" ", "").upper()
    line.label = squash(
        " ".join(p for p in (line.counterparty_name, line.remittance_info) if p)
    ) or (squash(text))
