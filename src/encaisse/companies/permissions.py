"""What each role may do. Services call `require` before any change of state."""

from encaisse.errors import Forbidden, NotFound

from .models import Company, Membership, Role

VIEW = "view"
EDIT_CUSTOMERS = "customers.edit"
EDIT_CATALOG = "catalog.edit"
EDIT_INVOICES = "invoices.edit"
ISSUE_INVOICES = "invoices.issue"
ISSUE_CREDIT_NOTES = "credit_notes.issue"
EDIT_COMPANY = "company.edit"
RECORD_PAYMENTS = "payments.record"
ALLOCATE = "payments.allocate"
EXPORT_LEDGER = "ledger.export"  # the FEC: the whole books, for accountants
# Mailing a customer their statement: part of collecting, not of invoicing.
SEND_STATEMENTS = "statements.send"
# Credit control: setting a customer's credit limit and issuing over it with a reason. One
# right for both: whoever may set the limit could raise it to pass anyway, and a
# salesperson, who may issue invoices, must not be able to do either.
CREDIT_OVERRIDE = "credit.override"
# Collection: disputes, promises, reminders (run, send, postpone), calls, penalty
# waivers, pre-litigation files. Not the sales role: a salesperson must not be able to
# send a formal notice nor waive penalties (the credit note of a dispute still needs
# ISSUE_CREDIT_NOTES).
COLLECT = "collection.manage"
# The company's background jobs page: every job, its errors, « Relancer » on a failed one.
MANAGE_JOBS = "jobs.manage"
# Banking: the company's bank accounts (IBAN, journal, 512x account) are set up by an
# admin; importing statements, matching lines, assigning them to accounts and validating
# a reconciliation report is the accountant's work.
MANAGE_BANK_ACCOUNTS = "bank.accounts"
RECONCILE_BANK = "bank.reconcile"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {
            VIEW,
            EDIT_CUSTOMERS,
            EDIT_CATALOG,
            EDIT_INVOICES,
            ISSUE_INVOICES,
            ISSUE_CREDIT_NOTES,
            EDIT_COMPANY,
            RECORD_PAYMENTS,
            ALLOCATE,
            EXPORT_LEDGER,
            SEND_STATEMENTS,
            CREDIT_OVERRIDE,
            COLLECT,
            MANAGE_JOBS,
            MANAGE_BANK_ACCOUNTS,
            RECONCILE_BANK,
        }
    ),
    Role.SALES: frozenset({VIEW, EDIT_CUSTOMERS, EDIT_CATALOG, EDIT_INVOICES, ISSUE_INVOICES}),
    Role.ACCOUNTING: frozenset(
        {
            VIEW,
            EDIT_CUSTOMERS,
            EDIT_CATALOG,
            EDIT_INVOICES,
            ISSUE_INVOICES,
            ISSUE_CREDIT_NOTES,
            RECORD_PAYMENTS,
            ALLOCATE,
            EXPORT_LEDGER,
            SEND_STATEMENTS,
            CREDIT_OVERRIDE,
            COLLECT,
            RECONCILE_BANK,
        }
    ),
    Role.COLLECTION: frozenset({VIEW, EDIT_CUSTOMERS, SEND_STATEMENTS, COLLECT}),
    Role.READ_ONLY: frozenset({VIEW}),
}

ACTION_LABELS = {
    EDIT_CUSTOMERS: "modifier les clients",
    EDIT_CATALOG: "modifier le catalogue",
    EDIT_INVOICES: "préparer des factures",
    ISSUE_INVOICES: "émettre des factures",
    ISSUE_CREDIT_NOTES: "émettre des avoirs",
    EDIT_COMPANY: "modifier la société",
    RECORD_PAYMENTS: "enregistrer des règlements",
    ALLOCATE: "lettrer les règlements",
    EXPORT_LEDGER: "exporter les écritures comptables (FEC)",
    SEND_STATEMENTS: "envoyer les relevés de compte",
    CREDIT_OVERRIDE: "gérer les limites de crédit",
    COLLECT: "gérer le recouvrement (relances, litiges, promesses, appels)",
    MANAGE_JOBS: "suivre et relancer les tâches de fond",
    MANAGE_BANK_ACCOUNTS: "gérer les comptes bancaires",
    RECONCILE_BANK: "importer les relevés et rapprocher la banque",
}


def role_of(user, company: Company) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    cache = user.__dict__.setdefault("_encaisse_roles", {})
    if company.pk not in cache:
        cache[company.pk] = (
            Membership.objects.filter(user=user, company=company)
            .values_list("role", flat=True)
            .first()
        )
    return cache[company.pk]


def can(user, company: Company, action: str) -> bool:
    role = role_of(user, company)
    return role is not None and action in ROLE_PERMISSIONS[role]


def require(user, company: Company, action: str) -> None:
    """Refuse unless `user` may do `action` in `company`.

    A user with no membership in the company gets NotFound, not Forbidden: another
    company's records do not exist for them.
    """
    role = role_of(user, company)
    if role is None:
        raise NotFound()
    if action not in ROLE_PERMISSIONS[role]:
        label = ACTION_LABELS.get(action, action)
        of = "d'" if label[:1] in "aeéèêiouy" else "de "  # « d'émettre », « de modifier »
        raise Forbidden(f"Votre rôle ({Role(role).label}) ne permet pas {of}{label}.")


def companies_of(user):
    if user is None or not user.is_authenticated:
        return Company.objects.none()
    return Company.objects.filter(memberships__user=user).order_by("legal_name")
