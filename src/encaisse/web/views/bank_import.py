"""« Relevés »: importing a statement file, the statements imported (balances, gaps), a
file's import, a statement's lines, and the Excel export of lines."""

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from encaisse.banking.models import BankLine, BankStatement, LineStatus, StatementFile
from encaisse.banking.services.accounts import accounts_of
from encaisse.banking.services.imports import (
    IMPORT_JOB,
    MAX_FILE_SIZE,
    gaps_of,
    import_file,
)
from encaisse.companies.permissions import RECONCILE_BANK, can
from encaisse.errors import DomainError, Forbidden
from encaisse.jobs.models import Job

from ..exports import Column, export
from ..shortcuts import company_view, page_of


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Fichier de relevé",
        help_text="CAMT.053 (XML), CFONB 120, OFX ou MT940, tel que la banque le donne.",
    )
    account = forms.ChoiceField(label="Compte bancaire")

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [
            (a.pk, f"{a.name} ({a.currency}, …{a.iban[-4:]})")
            for a in accounts_of(company, active_only=True)
        ]


def _statements(company):
    return (
        BankStatement.objects.filter(company=company)
        .select_related("account", "file", "previous")
        .annotate(line_count=Count("lines"))
        .order_by("-closing_date", "-pk")
    )


def _with_gaps(statements):
    for statement in statements:
        statement.gaps = gaps_of(statement)
    return statements


def _import_job(request):
    pk = request.GET.get("job", "")
    if not pk.isdigit():
        return None
    return Job.objects.filter(pk=pk, company=request.company, name=IMPORT_JOB).first()


@company_view
def statements(request, form=None):
    company = request.company
    may_import = can(request.user, company, RECONCILE_BANK)
    if may_import and form is None:
        form = ImportForm(company=company)
    page = page_of(request, _statements(company))
    _with_gaps(page.object_list)
    files = (
        StatementFile.objects.filter(company=company)
        .select_related("account", "imported_by")
        .order_by("-imported_at", "-pk")
    )
    return render(
        request,
        "encaisse/bank/statements.html",
        {
            "form": form if may_import else None,
            "page": page,
            "files": page_of(request, files, param="files", size=10),
            "job": _import_job(request),
            "has_accounts": bool(form and form.fields["account"].choices),
            "nav": "bank",
        },
        status=422 if form is not None and form.errors else 200,
    )


@company_view(needs=RECONCILE_BANK)
@require_POST
def statement_import(request):
    form = ImportForm(request.POST, request.FILES, company=request.company)
    if not form.is_valid():
        return statements(request, form=form)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_FILE_SIZE:
        form.add_error("file", f"Le fichier dépasse {MAX_FILE_SIZE // 1_000_000} Mo.")
        return statements(request, form=form)
    account = accounts_of(request.company).get(pk=form.cleaned_data["account"])
    try:
        result = import_file(
            request.company, account, upload.read(), name=upload.name, by=request.user
        )
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        form.add_error("account" if exc.field == "account" else "file", exc.message)
        return statements(request, form=form)
    if result.job is not None:
        messages.info(request, "Fichier volumineux : il est importé en tâche de fond.")
        return redirect(f"{reverse('web:bank_statements')}?job={result.job.pk}")
    if result.already_imported:
        messages.info(request, result.message)
    elif result.gaps:
        messages.warning(request, result.message)
    else:
        messages.success(request, result.message)
    return redirect("web:bank_file", pk=result.file.pk)


@company_view
def file_detail(request, pk):
    file = get_object_or_404(
        StatementFile.objects.select_related("account", "imported_by"),
        pk=pk,
        company=request.company,
    )
    rows = _with_gaps(list(_statements(request.company).filter(file=file).order_by("position")))
    return render(
        request,
        "encaisse/bank/file.html",
        {"file": file, "statements": rows, "nav": "bank"},
    )


def _lines(statement):
    return BankLine.objects.filter(statement=statement).order_by("position", "pk")


@company_view
def statement_detail(request, pk):
    statement = get_object_or_404(
        BankStatement.objects.select_related("account", "file", "previous"),
        pk=pk,
        company=request.company,
    )
    statement.gaps = gaps_of(statement)
    status = request.GET.get("status", "")
    lines = _lines(statement)
    if status in LineStatus.values:
        lines = lines.filter(status=status)
    return render(
        request,
        "encaisse/bank/statement.html",
        {
            "statement": statement,
            "page": page_of(request, lines, size=50),
            "status": status,
            "statuses": LineStatus.choices,
            "nav": "bank",
        },
    )


LINE_COLUMNS = [
    Column("Compte", lambda x: x.account.iban, width=30),
    Column("Date d'opération", lambda x: x.booking_date, width=14),
    Column("Date de valeur", lambda x: x.value_date, width=14),
    Column("Montant", lambda x: x.amount, money=True),
    Column("Devise", lambda x: x.currency, width=8),
    Column("Libellé", lambda x: x.label, width=50),
    Column("Contrepartie", lambda x: x.counterparty_name, width=30),
    Column("IBAN de la contrepartie", lambda x: x.counterparty_iban, width=30),
    Column("Référence de bout en bout", lambda x: x.end_to_end_id, width=24),
    Column("Référence créancier", lambda x: x.creditor_reference, width=24),
    Column("Informations de remise", lambda x: x.remittance_info, width=40),
    Column("Référence banque", lambda x: x.bank_reference, width=20),
    Column("Statut", lambda x: x.get_status_display(), width=16),
]


@company_view
def lines_export(request):
    """The lines of one statement (`?statement=`), of one file (`?file=`), or all."""
    lines = BankLine.objects.filter(company=request.company).select_related("account")
    for key in ("statement", "file"):
        value = request.GET.get(key, "")
        if value.isdigit():
            lines = lines.filter(
                **({"statement": value} if key == "statement" else {"statement__file": value})
            )
    status = request.GET.get("status", "")
    if status in LineStatus.values:
        lines = lines.filter(status=status)
    lines = lines.order_by("account", "booking_date", "statement", "position", "pk")
    return export(request, "lignes-de-releve", "Lignes de relevé", LINE_COLUMNS, lines)
