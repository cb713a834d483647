from encaisse.companies import permissions
from encaisse.companies.models import Role
from encaisse.companies.permissions import ROLE_PERMISSIONS, companies_of

# The rights by the names templates use: {% if may.edit_customers %}. Names only: what
# each role may do is read from ROLE_PERMISSIONS, the map the services check.
ACTION_NAMES = {
    "view": permissions.VIEW,
    "edit_customers": permissions.EDIT_CUSTOMERS,
    "edit_catalog": permissions.EDIT_CATALOG,
    "edit_invoices": permissions.EDIT_INVOICES,
    "issue_invoices": permissions.ISSUE_INVOICES,
    "issue_credit_notes": permissions.ISSUE_CREDIT_NOTES,
    "edit_company": permissions.EDIT_COMPANY,
    "record_payments": permissions.RECORD_PAYMENTS,
    "allocate": permissions.ALLOCATE,
    "export_ledger": permissions.EXPORT_LEDGER,
    "send_statements": permissions.SEND_STATEMENTS,
    "credit_override": permissions.CREDIT_OVERRIDE,
    "collect": permissions.COLLECT,
    "manage_jobs": permissions.MANAGE_JOBS,
    "manage_bank_accounts": permissions.MANAGE_BANK_ACCOUNTS,
    "reconcile_bank": permissions.RECONCILE_BANK,
}


class UnknownAction(Exception):
    """A template asked for a right that does not exist. Not a KeyError: Django would
    silently read it as False and a typo would hide a button for everyone."""


class Allowed:
    """What the current user's role allows in the current company, for templates."""

    def __init__(self, role: str | None):
        self.actions = ROLE_PERMISSIONS.get(role, frozenset())

    def __getitem__(self, name: str) -> bool:
        try:
            return ACTION_NAMES[name] in self.actions
        except KeyError:
            raise UnknownAction(f"unknown right {name!r} (see ACTION_NAMES)") from None


def current_company(request):
    company = getattr(request, "company", None)
    role = getattr(request, "role", None)
    user = getattr(request, "user", None)
    return {
        "company": company,
        "role": role,
        "role_label": Role(role).label if role in Role.values else "",
        "may": Allowed(role),
        "my_companies": companies_of(user) if company is not None else [],
    }
