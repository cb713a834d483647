"""CFONB 120: the French banks' statement of 120-character records (« relevé de comptes »).

Records (positions 1-based, as in the CFONB brochure):
- 01 previous balance, 07 new balance: bank 3-7, branch 12-16, currency 17-19, number of
  decimals 20, account 22-32, date 35-40 (DDMMYY), amount 91-104.
- 04 operation: same account zone, internal operation code 8-11, interbank code 33-34,
  booking date 35-40, rejection code 41-42, value date 43-48, label 49-79, entry number
  82-88, amount 91-104, reference 105-120.
- 05 complement of the 04 before it: qualifier 46-48 (LIB, NPY, IPY, NBE, IBE, LCC, LC2,
  RCN, RUM, REF...), text 49-118.

Amounts are 13 digits and a last character that carries both the sign and the last
digit: « { » and A-I are +0 and +1..+9, « } » and J-R are -0 and -1..-9; the number of
decimals is the record's own (position 20), so an amount is read exactly.

What we accept where banks differ: UTF-8 (with or without BOM), CP1252 or latin-1; CRLF,
LF or CR; blank lines; records concatenated without line breaks (a line longer than 120
characters is cut every 120 characters when every piece starts with a record code);
trailing blanks trimmed by a transfer (a short record is padded with blanks, as long as
its amount zone is complete) or added (a longer line whose extra characters are blanks).
What we refuse, naming the line: any other record code, a bad date or amount character,
an operation (04) or a new balance (07) outside a statement, a new statement (01) before
the previous one's 07, a 07 of another account than its 01, and a truncated file (a
statement without its 07 never imports as a complete statement).
"""

import datetime as dt
import re
from decimal import Decimal

from ._text import date_ddmmyy, decode, find_rf, is_iban, squash
from .base import Line, MalformedStatement, Statement

RECORD = 120
CODES = ("01", "04", "05", "07")
_POSITIVE = "{ABCDEFGHI"
_NEGATIVE = "}JKLMNOPQR"
_RIB_LETTERS = {c: str(i % 9 + 1) for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
# The RIB key's letter table skips one value at S (S=2, not 1): A-I 1-9, J-R 1-9, S-Z 2-9.
_RIB_LETTERS.update({c: str(i + 2) for i, c in enumerate("STUVWXYZ")})
_FIRST = re.compile(rb"^\s*0[1457]")


def sniff(data: bytes) -> bool:
    """A first record 01 whose date and amount zones have the CFONB shape."""
    head = data[:2000].lstrip(b"\xef\xbb\xbf\r\n ")
    if not head.startswith((b"01", b"04", b"05", b"07")):
        return False
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    if len(first) < 104:
        return False
    return bool(re.fullmatch(rb"[\d ]{13}[{}A-R0-9]", first[90:104]))


def decode_amount(zone: str, decimals: int, where: str) -> Decimal:
    """A 14-character signed amount: 13 digits and the sign-and-last-digit character."""
    digits, last = zone[:13], zone[13:14]
    if not re.fullmatch(r"[0-9 ]{13}", digits) or not digits.strip():
        raise MalformedStatement(f"montant invalide « {zone} »", where)
    if last in _POSITIVE:
        sign, digit = "", _POSITIVE.index(last)
    elif last in _NEGATIVE:
        sign, digit = "-", _NEGATIVE.index(last)
    else:
        raise MalformedStatement(
            f"caractère de signe invalide « {last} » dans le montant « {zone} »", where
        )
    return Decimal(f"{sign}{digits.replace(' ', '0')}{digit}").scaleb(-decimals)


def rib_key(bank: str, branch: str, account: str) -> str:
    """The French RIB key of bank + branch + account (letters per the RIB table)."""
    number = "".join(_RIB_LETTERS.get(c, c) for c in account.upper())
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(number)) % 97:02d}"


def french_iban(bank: str, branch: str, account: str) -> str:
    """The IBAN of a French account. The 01/07 records do not carry the RIB key, but the
    key is a checksum of bank, branch and account (97 - (89 b + 15 g + 3 c) mod 97), so
    the IBAN is fully determined by what the record gives; "" when the zones are not
    a well-formed RIB."""
    if not (
        re.fullmatch(r"\d{5}", bank)
        and re.fullmatch(r"\d{5}", branch)
        and re.fullmatch(r"[0-9A-Z]{11}", account)
    ):
        return ""
    bban = f"{bank}{branch}{account}{rib_key(bank, branch, account)}"
    numeric = "".join(str(int(c, 36)) for c in bban + "FR00")
    return f"FR{98 - int(numeric) % 97:02d}{bban}"


def records(text: str) -> list[tuple[str, str]]:
    """Every record of the file as (where, 120 characters)."""
    out = []
    # the DOS end-of-file mark, and the NUL padding to a block size, that some transfer
    # software adds
    text = text.rstrip("\x1a\x00 \r\n")
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.rstrip()
        if not line:
            continue
        if len(line) <= RECORD:
            out.append((f"ligne {number}", line.ljust(RECORD)))
            continue
        pieces = [line[i : i + RECORD] for i in range(0, len(line), RECORD)]
        if all(piece[:2] in CODES for piece in pieces):
            for index, piece in enumerate(pieces, 1):
                out.append((f"ligne {number}, enregistrement {index}", piece.ljust(RECORD)))
            continue
        raise MalformedStatement(
            f"enregistrement de {len(line)} caractères au lieu de {RECORD}", f"ligne {number}"
        )
    return out


class _Open:
    """The statement being read, between its 01 and its 07."""

    def __init__(self, statement: Statement, where: str, key: tuple[str, str]):
        self.statement = statement
        self.where = where
        self.key = key
        self.last: Line | None = None
        self.texts: dict[str, list[str]] = {}


def parse(data: bytes) -> list[Statement]:
    statements: list[Statement] = []
    current: _Open | None = None
    recs = records(decode(data))
    if not recs:
        raise MalformedStatement("aucun enregistrement", "fichier")
    for where, rec in recs:
        code = rec[0:2]
        if code not in CODES:
            raise MalformedStatement(
                f"code d'enregistrement « {code} » inconnu (01, 04, 05 ou 07 attendu)", where
            )
        if code != "05" and not rec[90:104].strip():
            raise MalformedStatement("enregistrement tronqué : montant absent", where)
        bank, branch, currency, account = rec[2:7], rec[11:16], rec[16:19].strip(), rec[21:32]
        decimals_zone = rec[19]
        if decimals_zone == " " and currency in ("EUR", ""):
            # A blank "number of decimals" in a euro statement: euros have two.
            decimals_zone = "2"
            rec = rec[:19] + "2" + rec[20:]
        if code != "05" and not decimals_zone.isdigit():
            raise MalformedStatement(f"nombre de décimales invalide « {decimals_zone} »", where)
        if code == "01":
            if current is not None:
                raise MalformedStatement(
                    "nouveau relevé (01) avant la fin du relevé précédent "
                    f"(ouvert {current.where}, son nouveau solde 07 manque)",
                    where,
                )
            decimals = int(decimals_zone)
            statement = Statement(
                format="cfonb120",
                currency=currency or "EUR",
                lines=[],
                account_iban=french_iban(bank, branch, account),
                account_number=f"{bank} {branch} {account}",
                bank_id=bank,
                opening_date=date_ddmmyy(rec[34:40], where, "date de l'ancien solde"),
                opening_balance=decode_amount(rec[90:104], decimals, where),
                where=where,
            )
            current = _Open(statement, where, (account, currency))
        elif code == "04":
            if current is None:
                raise MalformedStatement(
                    "opération (04) hors d'un relevé (01 attendu avant)", where
                )
            _check_account(current, account, where, "opération (04)")
            _finish(current)
            current.last = _operation(rec, where)
            current.texts = {}
            current.statement.lines.append(current.last)
        elif code == "05":
            if current is None:
                raise MalformedStatement("complément (05) hors d'un relevé", where)
            if current.last is None:
                current.statement.warnings.append(f"{where} : complément (05) sans opération")
                continue
            qualifier, text = rec[45:48], rec[48:118]
            current.texts.setdefault(qualifier, []).append(text)
            if squash(text):
                current.last.details.append(f"{qualifier.strip()} {squash(text)}".strip())
        else:  # 07
            if current is None:
                raise MalformedStatement(
                    "nouveau solde (07) sans ancien solde (01) : relevé non commencé", where
                )
            _check_account(current, account, where, "nouveau solde (07)")
            _finish(current)
            statement = current.statement
            statement.closing_date = date_ddmmyy(rec[34:40], where, "date du nouveau solde")
            statement.closing_balance = decode_amount(rec[90:104], int(decimals_zone), where)
            statements.append(statement)
            current = None
    if current is not None:
        raise MalformedStatement(
            f"fichier tronqué : le relevé ouvert {current.where} n'a pas de nouveau solde (07)",
            "fin du fichier",
        )
    return statements


def _check_account(current: _Open, account: str, where: str, what: str) -> None:
    if account.strip() and account != current.key[0]:
        raise MalformedStatement(
            f"{what} du compte {account.strip()} dans le relevé du compte "
            f"{current.key[0].strip()} (ouvert {current.where})",
            where,
        )


def _operation(rec: str, where: str) -> Line:
    decimals = int(rec[19])
    value_zone = rec[42:48]
    value_date: dt.date | None = None
    if value_zone.strip() and value_zone != "000000":
        value_date = date_ddmmyy(value_zone, where, "date de valeur")
    label = squash(rec[48:79])
    reference = squash(rec[104:120])
    entry = squash(rec[81:88]).strip("0") and squash(rec[81:88])
    details = []
    if entry:
        details.append(f"n° d'écriture {entry}")
    if rec[40:42].strip():
        details.append(f"code rejet {rec[40:42]}")
    return Line(
        booking_date=date_ddmmyy(rec[34:40], where, "date de comptabilisation"),
        value_date=value_date,
        amount=decode_amount(rec[90:104], decimals, where),
        label=label,
        bank_reference=reference or entry,
        transaction_code=rec[32:34].strip(),
        details=details,
        where=where,
    )


def _finish(current: _Open) -> None:
    """Spread the 05 complements of the last operation into its fields."""
    line, texts = current.last, current.texts
    if line is None or not texts:
        return

    def joined(*qualifiers: str) -> str:
        return " ".join(squash(t) for q in qualifiers for t in texts.get(q, []) if squash(t))

    credit = line.amount > 0
    payer, beneficiary = joined("NPY"), joined("NBE")
    # On a credit the payer (NPY) is the other party and the beneficiary (NBE) is the
    # company; on a debit the other way round. Never fall back on the company's own name.
    line.counterparty_name = payer if credit else beneficiary
    # IPY/IBE: an identifier (35 characters: an IBAN, a SEPA creditor id, a bank's own
    # id...) then its type; CBE: the beneficiary's account. Only an IBAN is taken.
    qualifiers = ("IPY", "IBE", "CBE") if credit else ("IBE", "CBE", "IPY")
    for qualifier in qualifiers:
        for text in texts.get(qualifier, []):
            candidate = text[:35].replace(" ", "").upper()
            if is_iban(candidate) and not line.counterparty_iban:
                line.counterparty_iban = candidate
    # LCC (and its continuation LC2) is the remittance text the payer typed; LIB the
    # bank's label complement. LCC runs on into LC2 without a separator.
    lcc = squash("".join(t for t in texts.get("LCC", [])) + "".join(texts.get("LC2", [])))
    line.remittance_info = lcc or joined("LIB") or joined("LCS")
    # RCN: the payer's reference (35 characters: the SEPA end-to-end id) then the
    # purpose of the payment.
    references = [squash(t[:35]) for t in texts.get("RCN", []) if squash(t[:35])]
    line.end_to_end_id = " ".join(references)
    if not line.bank_reference:
        line.bank_reference = joined("REF")
    structured = joined("LCS")
    line.creditor_reference = find_rf(structured, lcc, joined("LIB"), line.end_to_end_id)
