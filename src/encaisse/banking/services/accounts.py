"""The company's bank accounts: IBAN and BIC checked, a journal and a 512x account each.

The company's own IBAN/BIC (the settings page, printed on invoices) becomes its first
bank account the first time anything asks for the accounts (`accounts_of`), not through
a data migration: a migration would only see the companies that exist when it runs (a
company created afterwards, or whose IBAN is typed later, would never get one), and an
IBAN stored before the checks were strict would stop the migration. Created once: when
the company has no bank account at all (an account deactivated still counts, so it is
never created again behind the admin's back).
"""

import os
import re
from pathlib import Path

from django.db import transaction
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from encaisse import identifiers
from encaisse.audit import services as audit
from encaisse.companies.models import Company
from encaisse.companies.permissions import MANAGE_BANK_ACCOUNTS, require
from encaisse.errors import ValidationFailed
from encaisse.ledger.models import Journal
from encaisse.validation import clean_model_texts

from ..models import BankAccount

FIELDS = ["name", "iban", "bic", "currency", "journal", "ledger_account", "watch_folder"]
JOURNAL_RE = re.compile(r"^[A-Z0-9]{2,6}$")
LEDGER_RE = re.compile(r"^512[0-9]{0,7}$")
# The journals encaisse writes other entries in: a bank account cannot take them.
RESERVED_JOURNALS = {Journal.SALES.value, Journal.MISC.value}
# A French IBAN is also the IBAN of the overseas departments and territories, whose banks'
# BICs carry their own ISO country code (BNPAGPGP: Guadeloupe).
FRENCH_TERRITORIES = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF"}
WATCH_FOLDER_FIELD = "watch_folder"


def _country_of_bic(bic: str) -> str:
    return BIC(bic).country_code


def check_watch_folder(value: str) -> str:
    """An absolute path to a folder that exists, that this process can read and where it
    can create the `importes/` and `refuses/` folders (files are moved there)."""
    value = (value or "").strip()
    if not value:
        return ""
    path = Path(value)
    if not path.is_absolute():
        raise ValidationFailed(
            "relative_folder",
            "Le dossier surveillé est un chemin absolu (/srv/ebics/releves…).",
            WATCH_FOLDER_FIELD,
        )
    if not path.is_dir():
        raise ValidationFailed(
            "missing_folder",
            f"Le dossier « {value} » n'existe pas sur le serveur.",
            WATCH_FOLDER_FIELD,
        )
    if not os.access(path, os.R_OK | os.X_OK) or not os.access(path, os.W_OK):
        raise ValidationFailed(
            "unreadable_folder",
            f"Le dossier « {value} » n'est pas lisible et modifiable par encaisse "
            "(les fichiers importés y sont déplacés).",
            WATCH_FOLDER_FIELD,
        )
    return str(path)


def _clean(company: Company, data: dict, instance: BankAccount | None) -> dict:
    current = {name: getattr(instance, name) for name in FIELDS} if instance else {}
    data = {
        key: (value.strip() if isinstance(value, str) else value)
        for key, value in {**current, **data}.items()
        if key in FIELDS
    }
    data["iban"] = identifiers.iban(data.get("iban") or "", "iban") if data.get("iban") else ""
    if not data["iban"]:
        raise ValidationFailed("required", "L'IBAN est obligatoire.", "iban")
    if not data.get("name"):
        bank = IBAN(data["iban"]).bank_name if _has_bank(data["iban"]) else ""
        data["name"] = f"{bank or 'Compte'} {data['iban'][-4:]}".strip()
    bic = (data.get("bic") or "").replace(" ", "").upper()
    if bic:
        bic = identifiers.bic(bic, "bic")
        country = IBAN(data["iban"]).country_code
        bic_country = _country_of_bic(bic)
        same = bic_country == country or (country == "FR" and bic_country in FRENCH_TERRITORIES)
        if not same:
            raise ValidationFailed(
                "bic_iban_mismatch",
                f"Le BIC {bic} est celui d'une banque du pays {bic_country}, "
                f"l'IBAN celui d'un compte du pays {country}.",
                "bic",
            )
    data["bic"] = bic
    data["currency"] = identifiers.currency(data.get("currency") or "EUR", "currency")
    journal = (data.get("journal") or "BQ").upper()
    if not JOURNAL_RE.match(journal):
        raise ValidationFailed(
            "invalid_journal",
            "Le code journal a de 2 à 6 lettres majuscules ou chiffres (BQ, BQ2, BNP…).",
            "journal",
        )
    if journal in RESERVED_JOURNALS:
        raise ValidationFailed(
            "reserved_journal",
            f"Le journal {journal} est celui des {Journal(journal).label.lower()} : "
            "choisissez un autre code (BQ, BQ2…).",
            "journal",
        )
    data["journal"] = journal
    ledger = (data.get("ledger_account") or "512").replace(" ", "")
    if not LEDGER_RE.match(ledger):
        raise ValidationFailed(
            "invalid_ledger_account",
            "Le compte comptable est 512 ou un sous-compte de 512 (5121, 51201…), "
            "10 chiffres au plus.",
            "ledger_account",
        )
    data["ledger_account"] = ledger
    data["watch_folder"] = check_watch_folder(data.get("watch_folder") or "")
    data = clean_model_texts(BankAccount, data)
    others = BankAccount.objects.filter(company=company)
    if instance is not None:
        others = others.exclude(pk=instance.pk)
    for key, message in (
        ("iban", "Un compte de la société a déjà l'IBAN {}."),
        ("journal", "Le journal {} est déjà celui d'un autre compte de la société."),
        ("ledger_account", "Le compte {} est déjà celui d'un autre compte bancaire."),
    ):
        clash = others.filter(**{key: data[key]}).first()
        if clash is not None:
            raise ValidationFailed(
                f"duplicate_{key}", message.format(data[key]) + f" ({clash.name})", key
            )
    return data


def _has_bank(iban: str) -> bool:
    try:
        return bool(IBAN(iban).bank)
    except SchwiftyException:
        return False


def create_account(company: Company, data: dict, *, by) -> BankAccount:
    if by is not None:
        require(by, company, MANAGE_BANK_ACCOUNTS)
    with transaction.atomic():
        # Locks the company's accounts: two admins adding BQ2 at once do not both pass.
        Company.objects.select_for_update().filter(pk=company.pk).first()
        account = BankAccount.objects.create(company=company, **_clean(company, data, None))
        audit.record(
            "bank.account_created",
            account,
            by=by,
            company=company,
            changes=audit.snapshot(account, FIELDS),
        )
    return account


def update_account(account: BankAccount, data: dict, *, by) -> BankAccount:
    """Change an account's details. Its IBAN is fixed once statements were imported for
    it: they were checked against it."""
    require(by, account.company, MANAGE_BANK_ACCOUNTS)
    with transaction.atomic():
        Company.objects.select_for_update().filter(pk=account.company_id).first()
        account = BankAccount.objects.select_for_update().get(pk=account.pk)
        before = audit.snapshot(account, FIELDS)
        cleaned = _clean(account.company, data, account)
        if cleaned["iban"] != account.iban and account.statements.exists():
            raise ValidationFailed(
                "iban_in_use",
                "Des relevés ont été importés pour ce compte : son IBAN ne change plus "
                "(créez un autre compte).",
                "iban",
            )
        for key, value in cleaned.items():
            setattr(account, key, value)
        account.save()
        changes = audit.diff(before, audit.snapshot(account, FIELDS))
        if changes:
            audit.record("bank.account_updated", account, by=by, changes=changes)
    return account


def set_active(account: BankAccount, active: bool, *, by) -> BankAccount:
    """Deactivate (or reactivate) an account: a closed account keeps its statements and
    lines; it is no longer offered for imports nor watched."""
    require(by, account.company, MANAGE_BANK_ACCOUNTS)
    with transaction.atomic():
        account = BankAccount.objects.select_for_update().get(pk=account.pk)
        if account.active != active:
            account.active = active
            account.save(update_fields=["active"])
            audit.record(
                "bank.account_activated" if active else "bank.account_deactivated",
                account,
                by=by,
                changes={"active": [not active, active]},
            )
    return account


def _of_company_iban(company: Company) -> BankAccount | None:
    return BankAccount.objects.filter(company=company, iban=company.iban, active=True).first()


def ensure_company_account(company: Company) -> BankAccount | None:
    """The company's account of its own IBAN: made from the company's IBAN/BIC when it
    has no bank account yet (see the module's docstring), else the active one that holds
    that IBAN; None when there is none (no usable IBAN, or the admin set other accounts
    up)."""
    if not company.iban:
        return None
    if BankAccount.objects.filter(company=company).exists():
        return _of_company_iban(company)
    data = {"iban": company.iban, "bic": company.bic, "name": "Compte principal"}
    try:
        cleaned = _clean(company, data, None)
    except ValidationFailed:
        try:  # a BIC of another country than the IBAN: keep the IBAN, leave the BIC out
            cleaned = _clean(company, {**data, "bic": ""}, None)
        except ValidationFailed:
            return None
    with transaction.atomic():
        Company.objects.select_for_update().filter(pk=company.pk).first()
        if BankAccount.objects.filter(company=company).exists():
            return _of_company_iban(company)
        account = BankAccount.objects.create(company=company, **cleaned)
        audit.record(
            "bank.account_created",
            account,
            company=company,
            changes={**audit.snapshot(account, FIELDS), "source": "IBAN de la société"},
        )
    return account


def accounts_of(company: Company, *, active_only: bool = False):
    """The company's bank accounts (the company's IBAN made the first one if needed)."""
    if company.iban and not BankAccount.objects.filter(company=company).exists():
        ensure_company_account(company)
    accounts = BankAccount.objects.filter(company=company).order_by("-active", "name", "pk")
    return accounts.filter(active=True) if active_only else accounts


def account_of(company: Company, key) -> BankAccount:
    """One of the company's accounts by id or IBAN (the API and the CLI name it either
    way); another company's does not exist."""
    from encaisse.errors import NotFound

    accounts = accounts_of(company)
    text = str(key or "").strip()
    if text.isdigit():
        found = accounts.filter(pk=int(text)).first()
    else:
        try:
            iban = identifiers.iban(text, "account")
        except ValidationFailed:
            iban = text.replace(" ", "").upper()
        found = accounts.filter(iban=iban).first()
    if found is None:
        raise NotFound(f"Compte bancaire « {text} » introuvable dans la société.")
    return found
