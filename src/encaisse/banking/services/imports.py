"""Importing a statement file: all or nothing, idempotent, gaps shown and never fixed.

`import_file(company, account, data, name=..., by=...)` reads the file with
`formats.parse` and hands its statements to `import_statements`, which writes them in one
transaction. What is recognised and not imported twice:
- the file itself, by its sha256 (per company): the answer says when it was imported;
- each line, by its fingerprint (`fingerprint`): a file overlapping the previous one, or
  the same day exported twice, adds only the lines not seen yet (`lines_skipped` counts
  the others);
- a statement whose every line is known and whose balances equal a stored statement of
  the account is skipped whole (the empty daily statements of CFONB exports).

Which account: the statement's IBAN, else its bank account number (CFONB RIB, OFX
ACCTID), must be the chosen account's, or another active account of the company (a file
holding several accounts' statements imports each into its own); a statement of an
account the company does not have refuses the whole file, naming that account. A
statement with no account identification (or a masked one: « XXXXX ») is the chosen
account's. A statement in another
currency than its account is refused. Two different accounts of one file (another IBAN,
or another number, bank id or type) never go into one account: the file is refused.

Balances: `balance_gap = opening + lines - closing` and `chain_gap = opening - the
previous statement's closing` (the account's statement closing on or before this one's
opening, by date) are stored and shown, with the dates they lie between. A file with no
opening balance (OFX) gets one derived from its closing balance and lines, and says so.
Amounts must be whole cents: a line of 12.345 is refused, naming the line.

A file of more than `settings.ENCAISSE_BANK_IMPORT_INLINE_LINES` lines is imported by
the job `banking.import_file` (its bytes wait in the default storage), with its progress.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from encaisse.audit import services as audit
from encaisse.companies.models import Company
from encaisse.companies.permissions import RECONCILE_BANK, require
from encaisse.errors import NotFound, ValidationFailed
from encaisse.jobs.runner import enqueue, job, progress
from encaisse.money import CENT, format_decimal

from .. import formats
from ..formats.base import Line, Statement
from ..models import BankAccount, BankLine, BankStatement, StatementFile

logger = logging.getLogger(__name__)

IMPORT_JOB = "banking.import_file"
DEFAULT_INLINE_LINES = 2_000
MAX_FILE_SIZE = 50_000_000  # bytes: a year of a busy account's CAMT.053 is a few MB
PROGRESS_EVERY = 500
IN_CHUNK = 900  # fingerprints per IN (...) query: under SQLite's variable limit


def inline_limit() -> int:
    """Up to this many lines a file is imported at once; beyond, by a job."""
    return int(getattr(settings, "ENCAISSE_BANK_IMPORT_INLINE_LINES", DEFAULT_INLINE_LINES))


# ---------------------------------------------------------------------------
# What an import answers


@dataclass
class Gap:
    kind: str  # "balance" (opening + lines != closing) or "chain" (opening != previous)
    amount: Decimal
    text: str


@dataclass
class StatementSummary:
    account: BankAccount
    reference: str
    opening_date: dt.date | None
    opening_balance: Decimal | None
    closing_date: dt.date | None
    closing_balance: Decimal | None
    lines: int  # in the file
    lines_imported: int = 0
    lines_skipped: int = 0
    skipped: bool = False  # already imported whole
    opening_derived: bool = False
    gaps: list[Gap] = field(default_factory=list)
    statement: BankStatement | None = None
    # What the parser passed over without refusing the file: shown, never dropped.
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    file: StatementFile | None = None
    already_imported: bool = False
    job: object = None  # the Job, when the file is imported in the background
    statements: list[StatementSummary] = field(default_factory=list)
    message: str = ""

    @property
    def lines_imported(self) -> int:
        return sum(s.lines_imported for s in self.statements)

    @property
    def lines_skipped(self) -> int:
        return sum(s.lines_skipped for s in self.statements)

    @property
    def statements_skipped(self) -> int:
        return sum(1 for s in self.statements if s.skipped)

    @property
    def gaps(self) -> list[Gap]:
        return [gap for s in self.statements for gap in s.gaps]

    @property
    def warnings(self) -> list[str]:
        return [w for s in self.statements for w in s.warnings]

    def as_dict(self) -> dict:
        """The summary as JSON (the API, the job's result)."""
        return {
            "file": self.file.pk if self.file else None,
            "already_imported": self.already_imported,
            "job": self.job.pk if self.job is not None else None,
            "message": self.message,
            "statements": len(self.statements),
            "statements_skipped": self.statements_skipped,
            "lines_imported": self.lines_imported,
            "lines_skipped": self.lines_skipped,
            "gaps": [{"kind": g.kind, "amount": str(g.amount), "text": g.text} for g in self.gaps],
            "warnings": self.warnings,
        }


# ---------------------------------------------------------------------------
# Formatting for people


def money(amount: Decimal | None, currency: str = "EUR") -> str:
    """12.34 -> « 12,34 € » (another currency by its code: « 12,34 CHF »)."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{chr(0x202F).join(groups)},{cents}\u00a0{'€' if currency == 'EUR' else currency}"


def _day(day: dt.date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else "date inconnue"


def balance_gap_text(statement, amount: Decimal) -> str:
    return (
        f"Écart de {money(amount, statement.currency)} entre le solde initial du "
        f"{_day(statement.opening_date)} plus les opérations et le solde final du "
        f"{_day(statement.closing_date)}"
    )


def chain_gap_text(statement, previous, amount: Decimal) -> str:
    return (
        f"Écart de {money(amount, statement.currency)} entre le solde final du "
        f"{_day(previous.closing_date)} et le solde initial du "
        f"{_day(statement.opening_date)}"
    )


def gaps_of(statement: BankStatement) -> list[Gap]:
    """The gaps of a stored statement, as the import summary says them (its `previous`
    selected with it on list pages)."""
    gaps = []
    if statement.balance_gap:
        gaps.append(
            Gap(
                "balance", statement.balance_gap, balance_gap_text(statement, statement.balance_gap)
            )
        )
    if statement.chain_gap and statement.previous is not None:
        text = chain_gap_text(statement, statement.previous, statement.chain_gap)
        gaps.append(Gap("chain", statement.chain_gap, text))
    return gaps


def summary_text(result: ImportResult) -> str:
    if result.already_imported:
        return result.message
    n = len(result.statements)
    parts = [
        f"{n} relevé{'s' if n > 1 else ''}",
        f"{result.lines_imported} ligne{'s' if result.lines_imported > 1 else ''} "
        f"importée{'s' if result.lines_imported > 1 else ''}",
    ]
    if result.lines_skipped:
        parts.append(
            f"{result.lines_skipped} déjà importée{'s' if result.lines_skipped > 1 else ''}"
        )
    if result.statements_skipped:
        parts.append(f"{result.statements_skipped} relevé(s) déjà importé(s) ignoré(s)")
    text = ", ".join(parts) + "."
    gaps = result.gaps
    if gaps:
        text += " " + " ; ".join(g.text for g in gaps) + "."
    if result.warnings:
        text += " Avertissements du fichier : " + " ; ".join(result.warnings) + "."
    derived = sum(1 for s in result.statements if s.opening_derived and not s.skipped)
    if derived:
        text += (
            " Solde initial absent du fichier : déduit du solde final et des opérations"
            f"{' (' + str(derived) + ' relevés)' if derived > 1 else ''}."
        )
    return text


def already_imported_text(existing: StatementFile) -> str:
    when = timezone.localtime(existing.imported_at)
    lines = existing.lines_imported
    return (
        f"Ce fichier a déjà été importé le {when:%d/%m/%Y à %H:%M} "
        f"({lines} ligne{'s' if lines > 1 else ''}) : rien n'a été ajouté."
    )


# ---------------------------------------------------------------------------
# Fingerprints


def normalise_label(text: str) -> str:
    """Upper case, no accents, one space between words: the same label whatever the
    export's spacing or accents."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.upper().split())


def line_key(account_iban: str, line: Line) -> tuple:
    return (
        account_iban,
        line.booking_date.isoformat(),
        line.value_date.isoformat() if line.value_date else "",
        f"{Decimal(line.amount).quantize(CENT)}",
        (line.bank_reference or "").strip(),
        normalise_label(line.label),
        (line.counterparty_iban or "").replace(" ", "").upper(),
    )


def fingerprint(key: tuple, rank: int) -> str:
    """sha256 of a line's identifying values and its occurrence rank among identical
    lines of the same booking date in its statement (two identical card payments of one
    day are two lines; the same two in the next, overlapping file are the same two)."""
    text = "\x1f".join([*key, str(rank)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprints(account_iban: str, lines: list[Line]) -> list[str]:
    seen: Counter = Counter()
    found = []
    for line in lines:
        key = line_key(account_iban, line)
        found.append(fingerprint(key, seen[key]))
        seen[key] += 1
    return found


# ---------------------------------------------------------------------------
# Checks before anything is written


def _where(statement: Statement, index: int | None = None, line: Line | None = None) -> str:
    if line is not None and line.where:
        return line.where
    head = statement.where or f"relevé {statement.reference or ''}".strip()
    return f"{head}, opération {index}" if index is not None else head


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", (text or "").upper())


def _number_of(account: BankAccount) -> str:
    """The account's domestic number (its IBAN without country and check digits)."""
    return account.iban[4:]


def _digits(text: str) -> str:
    tokens = re.findall(r"[0-9A-Z]+", (text or "").upper())
    return "".join(t for t in tokens if any(c.isdigit() for c in t))


def _matches_number(account: BankAccount, number: str, bank_id: str = "") -> bool:
    """Does a bank's own account number (CFONB bank + branch + account, OFX ACCTID)
    name this account? Its digits must lie inside the IBAN's domestic number, and so must
    the bank code when the file gives one (not a BIC, not zeros)."""
    digits = _digits(number)
    if len(digits) < 5 or digits not in _number_of(account):
        return False
    bank = _digits(bank_id)
    if bank and bank.isdigit() and bank.strip("0"):
        return bank in _number_of(account)
    return True


def _identity(statement: Statement) -> tuple:
    """What tells a file's accounts apart: the IBAN, else the number, bank and type."""
    iban = _alnum(statement.account_iban)
    if iban:
        return ("iban", iban)
    if len(_digits(statement.account_number)) < 5:  # none, or masked (XXXXX): the chosen
        return ("chosen",)
    return ("number", " ".join(statement.account_number.split()), statement.bank_id.strip())


def check_distinct_accounts(statements: list[Statement], targets: list[BankAccount]) -> None:
    """Two different accounts of a file never go into one account of the company (an OFX
    file of a current and a savings account with the same ACCTID: only the type and the
    bank id tell them apart)."""
    seen: dict[int, tuple] = {}
    for statement, target in zip(statements, targets, strict=True):
        identity = _identity(statement)
        first = seen.setdefault(target.pk, identity)
        if first != identity:
            raise ValidationFailed(
                "ambiguous_account",
                f"Le fichier contient deux comptes différents ({_describe(first)} et "
                f"{_describe(identity)}) qui correspondent tous deux au compte "
                f"{target.name} ({target.iban}) : il n'est pas importé.",
                "account",
            )


def _describe(identity: tuple) -> str:
    if identity[0] == "chosen":
        return "un compte sans identification"
    if identity[0] == "iban":
        return identity[1]
    number, bank = identity[1], identity[2]
    return f"n° {number}" + (f", banque {bank}" if bank else "")


def _statement_name(statement: Statement) -> str:
    return statement.account_iban or statement.account_number or "?"


def account_for(
    chosen: BankAccount, statement: Statement, others: list[BankAccount]
) -> BankAccount:
    """The company's account a statement belongs to, or ValidationFailed naming it."""
    iban = _alnum(statement.account_iban)
    candidates = [chosen, *[a for a in others if a.pk != chosen.pk]]
    if iban:
        for account in candidates:
            if account.iban == iban:
                return _active(account)
        raise ValidationFailed(
            "unknown_account",
            f"Le relevé {_where(statement)} est celui du compte {iban}, qui n'est pas un "
            "compte bancaire de la société : ajoutez-le dans « Comptes bancaires » ou "
            "choisissez le bon fichier.",
            "account",
        )
    if len(_digits(statement.account_number)) >= 5:
        for account in candidates:
            if _matches_number(account, statement.account_number, statement.bank_id):
                return _active(account)
        raise ValidationFailed(
            "unknown_account",
            f"Le relevé {_where(statement)} est celui du compte n° "
            f"{statement.account_number.strip()}, qui n'est celui d'aucun compte bancaire "
            f"de la société (compte choisi : {chosen.iban}).",
            "account",
        )
    return _active(chosen)


def _active(account: BankAccount) -> BankAccount:
    if not account.active:
        raise ValidationFailed(
            "inactive_account",
            f"Le compte {account.name} ({account.iban}) est désactivé : réactivez-le pour "
            "importer ses relevés.",
            "account",
        )
    return account


def _check_amounts(statement: Statement) -> None:
    for index, line in enumerate(statement.lines, start=1):
        amount = Decimal(line.amount)
        if amount != amount.quantize(CENT):
            raise ValidationFailed(
                "not_whole_cents",
                f"{_where(statement, index, line)} : le montant {format_decimal(amount)} "
                "n'est pas un nombre entier de centimes (il n'est jamais arrondi).",
                "file",
            )
    for label, value in (
        ("solde initial", statement.opening_balance),
        ("solde final", statement.closing_balance),
    ):
        if value is not None and Decimal(value) != Decimal(value).quantize(CENT):
            raise ValidationFailed(
                "not_whole_cents",
                f"{_where(statement)} : le {label} {format_decimal(Decimal(value))} n'est pas "
                "un nombre entier de centimes.",
                "file",
            )


def _check_currency(statement: Statement, account: BankAccount) -> None:
    currency = (statement.currency or "").upper()
    if currency and currency != account.currency:
        raise ValidationFailed(
            "currency_mismatch",
            f"Le relevé {_where(statement)} est en {currency}, le compte {account.name} "
            f"({account.iban}) en {account.currency} : il n'est pas importé.",
            "account",
        )


# ---------------------------------------------------------------------------
# The import


def _cut(value, size: int) -> str:
    text = str(value or "")
    return text if len(text) <= size else text[: size - 1] + "…"


def _existing(account: BankAccount, prints: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(prints), IN_CHUNK):
        chunk = prints[start : start + IN_CHUNK]
        found.update(
            BankLine.objects.filter(account=account, fingerprint__in=chunk).values_list(
                "fingerprint", flat=True
            )
        )
    return found


def _previous(account: BankAccount, opening_date, closing_date) -> BankStatement | None:
    """The account's statement that closes before this one opens, by date."""
    statements = BankStatement.objects.filter(account=account, closing_date__isnull=False)
    if opening_date is not None:
        statements = statements.filter(closing_date__lte=opening_date)
    elif closing_date is not None:
        statements = statements.filter(closing_date__lt=closing_date)
    else:
        return None
    return statements.order_by("-closing_date", "-pk").first()


def _chain_gap(statement: BankStatement, previous: BankStatement | None) -> Decimal | None:
    if previous is None or previous.closing_balance is None:
        return None
    if statement.opening_balance is None:
        return None
    return statement.opening_balance - previous.closing_balance


def _relink_next(statement: BankStatement) -> None:
    """An older statement imported after a newer one: the newer one's previous is now
    this one, and its chain gap is measured against it."""
    if statement.closing_date is None:
        return
    following = (
        BankStatement.objects.filter(
            account=statement.account,
            opening_date__gte=statement.closing_date,
        )
        .exclude(pk=statement.pk)
        .select_related("previous")
        .order_by("opening_date", "pk")
        .first()
    )
    if following is None:
        return
    current = following.previous
    if (
        current is not None
        and current.closing_date
        and current.closing_date > statement.closing_date
    ):
        return
    if current is not None and current.pk == statement.pk:
        return
    following.previous = statement
    following.chain_gap = _chain_gap(following, statement)
    following.save(update_fields=["previous", "chain_gap"])


def _same_stored(account: BankAccount, statement: Statement, opening) -> bool:
    return BankStatement.objects.filter(
        account=account,
        opening_date=statement.opening_date,
        opening_balance=opening,
        closing_date=statement.closing_date,
        closing_balance=statement.closing_balance,
    ).exists()


def after_import(statement_file: StatementFile) -> None:
    """What follows an import, queued inside its transaction (so if and only if the
    import commits): the reconciliation engine over the file's new lines, as whoever
    imported it (a file imported by the CLI or the watched folder: the company's first
    admin or accountant)."""
    if not statement_file.lines_imported:
        return
    from ..jobs import start_reconcile
    from .reconcile import reconciler

    company = statement_file.company
    start_reconcile(
        company,
        by=statement_file.imported_by or reconciler(company),
        statement_file=statement_file,
    )


def import_statements(
    company: Company,
    account: BankAccount,
    statements: list[Statement],
    *,
    file_name: str,
    sha256: str,
    format: str,
    by,
    size: int = 0,
    job_=None,
) -> ImportResult:
    """Write `statements` (read from one file) for `company`, all or nothing."""
    if by is not None:
        require(by, company, RECONCILE_BANK)
    if account.company_id != company.pk:
        raise NotFound("Compte bancaire introuvable.")
    if not statements:
        raise ValidationFailed("no_statement", "Le fichier ne contient aucun relevé.", "file")
    total = sum(len(s.lines) for s in statements)
    result = ImportResult()
    with transaction.atomic():
        # One import at a time per company: two overlapping files imported at once would
        # both see a line as new.
        Company.objects.select_for_update().filter(pk=company.pk).first()
        existing = StatementFile.objects.filter(company=company, sha256=sha256).first()
        if existing is not None:
            result.already_imported = True
            result.file = existing
            result.message = already_imported_text(existing)
            return result
        others = list(BankAccount.objects.filter(company=company).exclude(pk=account.pk))
        targets = []
        for statement in statements:
            target = account_for(account, statement, others)
            _check_currency(statement, target)
            _check_amounts(statement)
            targets.append(target)
        check_distinct_accounts(statements, targets)
        stored_file = StatementFile.objects.create(
            company=company,
            account=account,
            name=_cut(file_name or "relevé", 255),
            sha256=sha256,
            format=format[:10],
            size=size,
            imported_by=audit.actor(by),
        )
        done = 0
        if job_ is not None:
            progress(job_, 0, total)
        order = sorted(
            range(len(statements)),
            key=lambda i: (
                statements[i].closing_date or statements[i].opening_date or dt.date.min,
                i,
            ),
        )
        summaries: dict[int, StatementSummary] = {}
        for index in order:
            statement, target = statements[index], targets[index]
            report = None
            if job_ is not None:
                report = lambda n, before=done: progress(job_, before + n, total)  # noqa: E731
            summary = _import_one(stored_file, target, statement, index + 1, report)
            summaries[index] = summary
            done += len(statement.lines)
            if job_ is not None and statement.lines:
                progress(job_, done, total)
        result.statements = [summaries[i] for i in range(len(statements))]
        result.file = stored_file
        stored_file.lines_imported = result.lines_imported
        stored_file.lines_skipped = result.lines_skipped
        stored_file.save(update_fields=["lines_imported", "lines_skipped"])
        result.message = summary_text(result)
        audit.record(
            "bank.statement_imported",
            stored_file,
            by=by,
            company=company,
            changes={
                "file": stored_file.name,
                "format": format,
                "statements": len(result.statements),
                "statements_skipped": result.statements_skipped,
                "lines_imported": result.lines_imported,
                "lines_skipped": result.lines_skipped,
                "gaps": [g.text for g in result.gaps],
                "warnings": result.warnings,
            },
        )
        after_import(stored_file)
    return result


def _import_one(
    stored_file: StatementFile,
    account: BankAccount,
    statement: Statement,
    position: int,
    report=None,
) -> StatementSummary:
    """One statement written (or found written). `report(n)`: n of its lines are done
    (the job's progress bar moves inside a statement of 50,000 lines too)."""
    lines = statement.lines
    total = sum((Decimal(line.amount) for line in lines), Decimal("0.00"))
    opening = statement.opening_balance
    derived = False
    if opening is None and statement.closing_balance is not None:
        opening = Decimal(statement.closing_balance) - total
        derived = True
    summary = StatementSummary(
        account=account,
        reference=statement.reference,
        opening_date=statement.opening_date,
        opening_balance=opening,
        closing_date=statement.closing_date,
        closing_balance=statement.closing_balance,
        lines=len(lines),
        opening_derived=derived,
        warnings=[str(w) for w in getattr(statement, "warnings", None) or []],
    )
    prints = fingerprints(account.iban, lines)
    known = _existing(account, prints)
    if len(known) == len(set(prints)) and _same_stored(account, statement, opening):
        summary.skipped = True
        summary.lines_skipped = len(lines)
        return summary
    balance_gap = None
    if not derived and opening is not None and statement.closing_balance is not None:
        balance_gap = Decimal(opening) + total - Decimal(statement.closing_balance)
    stored = BankStatement(
        company=stored_file.company,
        account=account,
        file=stored_file,
        position=position,
        reference=_cut(statement.reference, 140),
        currency=(statement.currency or account.currency).upper(),
        opening_date=statement.opening_date,
        opening_balance=opening,
        closing_date=statement.closing_date,
        closing_balance=statement.closing_balance,
        balance_gap=balance_gap,
        opening_derived=derived,
    )
    previous = _previous(account, statement.opening_date, statement.closing_date)
    stored.previous = previous
    stored.chain_gap = _chain_gap(stored, previous)
    stored.save()
    _relink_next(stored)
    new = []
    created = 0
    for number, (line, print_) in enumerate(zip(lines, prints, strict=True), start=1):
        if len(new) >= PROGRESS_EVERY:
            BankLine.objects.bulk_create(new)
            created += len(new)
            new = []
            if report is not None:
                report(number - 1)
        if print_ in known:
            summary.lines_skipped += 1
            continue
        known.add(print_)
        label = " ".join((line.label or "").split())
        details = list(line.details)
        if len(label) > 500:  # kept whole in the details, never lost
            details.insert(0, label)
        new.append(
            BankLine(
                company=stored_file.company,
                account=account,
                statement=stored,
                position=number,
                booking_date=line.booking_date,
                value_date=line.value_date,
                amount=Decimal(line.amount).quantize(CENT),
                currency=stored.currency,
                label=_cut(label, 500) or "(sans libellé)",
                counterparty_name=_cut(line.counterparty_name, 200),
                counterparty_iban=_cut(_alnum(line.counterparty_iban), 34),
                end_to_end_id=_cut(line.end_to_end_id, 140),
                creditor_reference=_cut(line.creditor_reference, 140),
                remittance_info=line.remittance_info or "",
                bank_reference=_cut(line.bank_reference, 140),
                transaction_code=_cut(line.transaction_code, 40),
                details="\n".join(details),
                fingerprint=print_,
            )
        )
    BankLine.objects.bulk_create(new)
    summary.lines_imported = created + len(new)
    summary.statement = stored
    summary.gaps = gaps_of(stored)
    return summary


def import_file(
    company: Company, account: BankAccount, data: bytes, *, name: str, by, inline: bool = False
) -> ImportResult:
    """Read `data` and import it (see the module's docstring). A large file is queued as
    the job `banking.import_file` unless `inline` (the job itself, the folder watch)."""
    if by is not None:
        require(by, company, RECONCILE_BANK)
    account = BankAccount.objects.filter(pk=account.pk, company=company).first()
    if account is None:
        raise NotFound("Compte bancaire introuvable.")
    _active(account)
    if len(data) > MAX_FILE_SIZE:
        raise ValidationFailed(
            "file_too_large", f"Le fichier dépasse {MAX_FILE_SIZE // 1_000_000} Mo.", "file"
        )
    sha = hashlib.sha256(data).hexdigest()
    existing = StatementFile.objects.filter(company=company, sha256=sha).first()
    if existing is not None:
        return ImportResult(
            file=existing, already_imported=True, message=already_imported_text(existing)
        )
    statements = formats.parse(data)
    lines = sum(len(s.lines) for s in statements)
    if not inline and lines > inline_limit():
        return ImportResult(job=_start_job(company, account, data, sha, name, lines, by))
    return import_statements(
        company,
        account,
        statements,
        file_name=name,
        sha256=sha,
        format=statements[0].format if statements else formats.detect(data),
        by=by,
        size=len(data),
    )


# ---------------------------------------------------------------------------
# Large files: a job


def _start_job(company, account, data: bytes, sha: str, name: str, lines: int, by):
    with transaction.atomic():
        stored = default_storage.save(f"bank-imports/{company.pk}/{sha}", ContentFile(data))
        started = enqueue(
            IMPORT_JOB,
            key=f"bank-import:{company.pk}:{sha}",
            company=company,
            by=audit.actor(by),
            label=f"Import du relevé « {_cut(name, 80)} » ({lines:,} lignes)".replace(
                ",", "\u202f"
            ),
            account_id=account.pk,
            stored=stored,
            file_name=name,
        )
    if started.arguments.get("stored") != stored:  # the same file was queued already
        default_storage.delete(stored)
    return started


@job(IMPORT_JOB, "Import d'un relevé bancaire", max_attempts=1)
def import_file_job(job_, account_id: int, stored: str, file_name: str):
    """The import of a large file. One attempt: a refused file (malformed, unknown
    account) would be refused again; « Relancer » on the jobs page tries once more (the
    bytes are kept until the import succeeds)."""
    company = job_.company
    account = BankAccount.objects.filter(company=company, pk=account_id).first()
    if account is None:
        raise NotFound("Compte bancaire introuvable.")
    with default_storage.open(stored, "rb") as handle:
        data = handle.read()
    sha = hashlib.sha256(data).hexdigest()
    statements = formats.parse(data)
    by = job_.created_by
    result = import_statements(
        company,
        account,
        statements,
        file_name=file_name,
        sha256=sha,
        format=statements[0].format if statements else "",
        by=by,
        size=len(data),
        job_=job_,
    )
    default_storage.delete(stored)  # imported (or found imported): no longer needed
    link = {}
    if result.file is not None:
        link = {
            "url": reverse("web:bank_file", args=[result.file.pk]),
            "link_label": "Voir les relevés importés",
        }
    summary = result.as_dict()
    # Not "file": jobs.prune deletes the storage file a job's result names under that key.
    summary["statement_file"] = summary.pop("file")
    return result.message[:500], {**summary, **link}
