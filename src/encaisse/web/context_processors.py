from encaisse.companies.models import Role
from encaisse.companies.permissions import ROLE_PERMISSIONS, companies_of


def current_company(request):
    company = getattr(request, "company", None)
    role = getattr(request, "role", None)
    user = getattr(request, "user", None)
    return {
        "company": company,
        "role": role,
        "role_label": Role(role).label if role in Role.values else "",
        "perms_in_company": ROLE_PERMISSIONS.get(role, frozenset()),
        "my_companies": companies_of(user) if company is not None else [],
    }
