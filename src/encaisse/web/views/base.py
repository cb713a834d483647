"""Signing in and out, switching company, the home page."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from encaisse.banking.cash import alert_line
from encaisse.collection.rates import missing_rates
from encaisse.companies.models import Role
from encaisse.companies.permissions import companies_of
from encaisse.reporting.aged_balance import aged_totals
from encaisse.sales import selectors

from ..middleware import SESSION_KEY
from ..shortcuts import company_view, report_totals


class LoginView(auth_views.LoginView):
    template_name = "encaisse/registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
@require_POST
def switch_company(request):
    """Work in another company, only one the user is a member of."""
    company = companies_of(request.user).filter(pk=request.POST.get("company_id") or 0).first()
    if company is None:
        raise Http404("Société introuvable.")
    request.session[SESSION_KEY] = company.pk
    target = request.POST.get("next") or ""
    # Back to the page the user was on, unless it belongs to the previous company's
    # records (a detail page would then be a 404): lists and home are safe.
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}) or any(
        ch.isdigit() for ch in target
    ):
        target = "web:home"
    return redirect(target)


@company_view
def home(request):
    today = timezone.localdate()
    receivables = aged_totals(request.company, today)  # balance and overdue only
    return render(
        request,
        "encaisse/home.html",
        {
            "figures": selectors.key_figures(request.company, today.year),
            "recent": selectors.invoices(request.company)[:10],
            "receivables": receivables,
            "sums": report_totals(receivables),
            # Those who can have the rates entered are told which ones are missing.
            "missing_rates": missing_rates(today, request.company)
            if request.role in (Role.ADMIN, Role.ACCOUNTING)
            else [],
            # Only when the company set a threshold (no query otherwise).
            "cash_alert": alert_line(request.company, today),
            "nav": "home",
        },
    )
