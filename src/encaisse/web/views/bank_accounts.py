"""« Comptes bancaires »: the company's bank accounts, created and edited by an admin."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from encaisse.banking.models import BankAccount
from encaisse.banking.services import accounts as services
from encaisse.companies.permissions import MANAGE_BANK_ACCOUNTS
from encaisse.errors import DomainError

from .. import audit
from ..forms import text
from ..shortcuts import add_domain_error, company_view


class AccountForm(forms.Form):
    name = text("Nom", of=BankAccount.name, help_text="Ex. : Société Générale pro")
    iban = text("IBAN", max_length=42, required=True)
    bic = text("BIC", max_length=14)
    currency = text("Devise", max_length=3, initial="EUR")
    journal = text("Code journal", max_length=6, initial="BQ", help_text="BQ, BQ2… (2 à 6)")
    ledger_account = text(
        "Compte comptable", max_length=10, initial="512", help_text="512 ou 512x (5121…)"
    )
    watch_folder = text(
        "Dossier surveillé",
        of=BankAccount.watch_folder,
        help_text="Facultatif : chemin absolu sur le serveur où un logiciel EBICS dépose "
        "les relevés, importés toutes les 5 minutes.",
    )

    @classmethod
    def initial_of(cls, account: BankAccount) -> dict:
        return {name: getattr(account, name) for name in cls.base_fields}


@company_view
def account_list(request):
    rows = list(services.accounts_of(request.company))
    return render(
        request,
        "encaisse/bank/accounts.html",
        {"accounts": rows, "nav": "bank"},
    )


def _save(request, account: BankAccount | None):
    initial = AccountForm.initial_of(account) if account else None
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if account is None:
                account = services.create_account(
                    request.company, form.cleaned_data, by=request.user
                )
                messages.success(request, f"Compte « {account.name} » créé.")
            else:
                account = services.update_account(account, form.cleaned_data, by=request.user)
                messages.success(request, f"Compte « {account.name} » enregistré.")
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("web:bank_accounts")
    return render(
        request,
        "encaisse/bank/account_form.html",
        {
            "form": form,
            "account": account,
            "trail": audit.entries(account) if account else [],
            "nav": "bank",
        },
        status=422 if form.errors else 200,
    )


@company_view(needs=MANAGE_BANK_ACCOUNTS)
def account_create(request):
    return _save(request, None)


@company_view(needs=MANAGE_BANK_ACCOUNTS)
def account_edit(request, pk):
    return _save(request, get_object_or_404(BankAccount, pk=pk, company=request.company))


@company_view(needs=MANAGE_BANK_ACCOUNTS)
@require_POST
def account_toggle(request, pk):
    account = get_object_or_404(BankAccount, pk=pk, company=request.company)
    account = services.set_active(account, not account.active, by=request.user)
    word = "réactivé" if account.active else "désactivé"
    messages.success(request, f"Compte « {account.name} » {word}.")
    return redirect("web:bank_accounts")
