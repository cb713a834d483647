"""The company's settings: its legal identity, terms, numbering prefixes (admins only)."""

from django.contrib import messages
from django.shortcuts import redirect, render

from encaisse.companies.permissions import EDIT_COMPANY, can
from encaisse.companies.services import update_company
from encaisse.errors import DomainError

from .. import audit
from ..forms import CompanyForm
from ..shortcuts import add_domain_error, company_view


@company_view
def company_settings(request):
    company = request.company
    form = CompanyForm(request.POST or None, initial=CompanyForm.initial_of(company))
    if request.method == "POST" and form.is_valid():
        try:
            # The service checks the role: a non-admin's POST ends on the 403 page.
            update_company(company, form.cleaned_data, by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Les informations de la société sont enregistrées.")
            return redirect("web:company_settings")
    return render(
        request,
        "encaisse/company/settings.html",
        {
            "form": form,
            # Shown as text to a role that may not change it: no form to fill in vain.
            "readonly": not can(request.user, company, EDIT_COMPANY),
            "trail": audit.entries(company),
            "nav": "company",
        },
    )
