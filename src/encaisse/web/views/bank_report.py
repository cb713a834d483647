"""The état de rapprochement of a bank account on a date: the page (each section paged on
its own), its PDF and Excel export, its validation (which freezes it) and the validated
reports (history), each shown, printed and exported as it was frozen."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from encaisse.banking.exports import reconciliation_xlsx
from encaisse.banking.models import BankAccount, ReconciliationReport
from encaisse.banking.reconciliation_report import (
    SECTIONS,
    closed_until,
    reconciliation_report,
    residual_explanation,
    snapshot,
    validate_report,
)
from encaisse.companies.permissions import RECONCILE_BANK
from encaisse.documents.bank_reconciliation import (
    PDF_ITEMS,
    bank_reconciliation_filename,
    bank_reconciliation_pdf,
)
from encaisse.documents.responses import pdf_inline
from encaisse.errors import DomainError

from ..exports import XLSX, export_content
from ..forms import date_field
from ..shortcuts import PAGE_SIZE, add_domain_error, company_view, page_of


class ReconciliationForm(forms.Form):
    account = forms.ChoiceField(label="Compte", required=False)
    as_of = date_field("Au")

    def __init__(self, query, *args, accounts, **kwargs):
        data = query.copy()
        if not data.get("as_of"):
            data["as_of"] = timezone.localdate().isoformat()
        if not data.get("account") and accounts:
            data["account"] = str(accounts[0].pk)
        super().__init__(data, *args, **kwargs)
        self.accounts = {str(a.pk): a for a in accounts}
        self.fields["account"].choices = [(str(a.pk), str(a)) for a in accounts]

    def clean_as_of(self):
        value = self.cleaned_data.get("as_of")
        if value and value > timezone.localdate():
            raise forms.ValidationError("La date ne peut pas être dans le futur.")
        return value

    def chosen(self) -> tuple[BankAccount | None, dt.date]:
        self.is_valid()
        account = self.accounts.get(self.cleaned_data.get("account") or "")
        return account, self.cleaned_data.get("as_of") or timezone.localdate()


class Window:
    """One page of a section already read (its rows from `offset`), for the project's
    paginator: it counts all the section's items and slices only the page it holds."""

    def __init__(self, items, count: int, offset: int):
        self.items, self.total, self.offset = items, count, offset

    def count(self):
        return self.total

    def __len__(self):
        return self.total

    def __getitem__(self, window):
        return self.items if window.start == self.offset else []


def _page_number(request, param: str) -> int:
    try:
        return max(1, int(request.GET.get(param, 1)))
    except ValueError:
        return 1


def _accounts(company):
    return list(BankAccount.objects.filter(company=company).order_by("-active", "name", "pk"))


def _chosen(request):
    accounts = _accounts(request.company)
    form = ReconciliationForm(request.GET, accounts=accounts)
    account, as_of = form.chosen()
    if account is not None:
        account.company = request.company
    return form, accounts, account, as_of


@company_view
def reconciliation(request):
    form, accounts, account, as_of = _chosen(request)
    context = {"form": form, "accounts": accounts, "nav": "bank_reconciliation"}
    if account is None:
        return render(request, "encaisse/bank/reconciliation.html", context)
    params = {key: f"{key}_page" for key, _, _ in SECTIONS}
    offsets = {key: (_page_number(request, p) - 1) * PAGE_SIZE for key, p in params.items()}
    report = reconciliation_report(account, as_of, offsets=offsets, limit=PAGE_SIZE)
    # A page number past the end shows the last page (as page_of does).
    late = {
        s.key: ((s.count - 1) // PAGE_SIZE) * PAGE_SIZE
        for s in report.sections
        if s.count and offsets[s.key] >= s.count
    }
    if late:
        offsets.update(late)
        report = reconciliation_report(account, as_of, offsets=offsets, limit=PAGE_SIZE)
    sections = []
    for section in report.sections:
        page = Paginator(
            Window(section.items, section.count, offsets[section.key]), PAGE_SIZE
        ).get_page(offsets[section.key] // PAGE_SIZE + 1)
        page.param = params[section.key]
        sections.append({"section": section, "page": page, "anchor": section.key})
    until = closed_until(account)
    context.update(
        {
            "account": account,
            "report": report,
            "sections": sections,
            "residual_note": residual_explanation(report),
            "closed_until": until,
            "may_validate": until is None or as_of > until,
        }
    )
    return render(request, "encaisse/bank/reconciliation.html", context)


def _full_snapshot(request, limit=None):
    _, _, account, as_of = _chosen(request)
    if account is None:
        return None
    return snapshot(reconciliation_report(account, as_of, limit=limit))


@company_view
def reconciliation_pdf(request):
    snap = _full_snapshot(request, limit=PDF_ITEMS)
    if snap is None:
        return redirect("web:bank_reconciliation")
    data = bank_reconciliation_pdf(request.company, snap)
    return pdf_inline(data, bank_reconciliation_filename(snap))


def _xlsx(request, snap, title):
    name = bank_reconciliation_filename(snap).replace(".pdf", ".xlsx")
    count = sum(s["count"] for s in snap["sections"])
    return export_content(request, name, XLSX, title, count, lambda: reconciliation_xlsx(snap))


@company_view
def reconciliation_export(request):
    snap = _full_snapshot(request)
    if snap is None:
        return redirect("web:bank_reconciliation")
    return _xlsx(request, snap, f"État de rapprochement au {snap['as_of']}")


@company_view(needs=RECONCILE_BANK)
@require_POST
def reconciliation_validate(request):
    accounts = _accounts(request.company)
    form = ReconciliationForm(request.POST, accounts=accounts)
    account, as_of = form.chosen()
    if account is None or not form.is_valid():
        messages.error(request, "Choisissez un compte et une date valides.")
        return redirect("web:bank_reconciliation")
    account.company = request.company
    try:
        frozen = validate_report(account, as_of, by=request.user)
    except DomainError as exc:
        add_domain_error(form, exc)
        messages.error(request, exc.message)
        return redirect(
            f"{redirect('web:bank_reconciliation').url}?account={account.pk}"
            f"&as_of={as_of.isoformat()}"
        )
    messages.success(
        request,
        f"État de rapprochement au {date_format(as_of, 'd/m/Y')} validé : "
        "il ne changera plus, et la période est close pour le rapprochement.",
    )
    return redirect("web:bank_reconciliation_detail", frozen.pk)


@company_view
def reconciliation_history(request):
    reports = (
        ReconciliationReport.objects.filter(company=request.company)
        .select_related("account", "validated_by")
        .order_by("-as_of", "-pk")
    )
    return render(
        request,
        "encaisse/bank/reconciliation_history.html",
        {"page": page_of(request, reports), "nav": "bank_reconciliation"},
    )


def _frozen(request, pk):
    return get_object_or_404(
        ReconciliationReport.objects.select_related("account", "validated_by"),
        pk=pk,
        company=request.company,
    )


def _validated(frozen) -> dict:
    by = frozen.validated_by
    name = (by.get_full_name() or by.get_username()) if by else "le système"
    at = timezone.localtime(frozen.validated_at)
    return {"by": name, "at": f"{at:%d/%m/%Y à %H:%M}"}


@company_view
def reconciliation_detail(request, pk):
    frozen = _frozen(request, pk)
    return render(
        request,
        "encaisse/bank/reconciliation_detail.html",
        {
            "frozen": frozen,
            "snap": frozen.snapshot,
            "validated": _validated(frozen),
            "shown": PDF_ITEMS,
            "nav": "bank_reconciliation",
        },
    )


@company_view
def reconciliation_detail_pdf(request, pk):
    frozen = _frozen(request, pk)
    data = bank_reconciliation_pdf(request.company, frozen.snapshot, _validated(frozen))
    return pdf_inline(data, bank_reconciliation_filename(frozen.snapshot))


@company_view
def reconciliation_detail_export(request, pk):
    frozen = _frozen(request, pk)
    return _xlsx(request, frozen.snapshot, f"État de rapprochement validé au {frozen.as_of}")
