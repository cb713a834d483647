"""Reports: a customer's account (statement), the aged balance with its drill-down and
exports, DSO with its workings, and the FEC of each fiscal year."""

import datetime as dt

from django import forms
from django.db.models import Count, Max, Min
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from encaisse.companies.permissions import EXPORT_LEDGER
from encaisse.customers.models import Customer, RiskClass, Segment
from encaisse.documents.responses import pdf_inline
from encaisse.documents.statements import statement_filename, statement_pdf
from encaisse.errors import DomainError
from encaisse.ledger.fec import export_fec
from encaisse.ledger.models import FiscalYear, JournalEntry
from encaisse.money import ZERO
from encaisse.reporting.aged_balance import aged_balance, bucket_items, make_buckets
from encaisse.reporting.dso import dso_by_customer, dso_trend
from encaisse.reporting.exports import aged_balance_csv, aged_balance_xlsx
from encaisse.reporting.statement import statement

from ..exports import XLSX, Column, export_content, xlsx_response
from ..forms import date_field, members_of
from ..shortcuts import company_view, page_of, report_totals

ITEM_KINDS = {"invoice": "Facture", "payment": "Règlement", "credit_note": "Avoir"}


def with_defaults(query, **defaults):
    """The query string with defaults for what it leaves out: the form shows them."""
    data = query.copy()
    for key, value in defaults.items():
        if not data.get(key):
            data[key] = value
    return data


class AsOfForm(forms.Form):
    as_of = date_field("Au")

    def __init__(self, query, *args, **kwargs):
        super().__init__(
            with_defaults(query, as_of=timezone.localdate().isoformat()), *args, **kwargs
        )

    def as_of_date(self) -> dt.date:
        """The date asked for, today when blank or invalid (an invalid one shows its error)."""
        self.is_valid()
        return self.cleaned_data.get("as_of") or timezone.localdate()


class AgedBalanceForm(AsOfForm):
    salesperson = forms.ChoiceField(label="Commercial", required=False)
    segment = forms.ChoiceField(
        label="Segment", required=False, choices=[("", "Tous"), *Segment.choices]
    )
    risk_class = forms.ChoiceField(
        label="Classe de risque", required=False, choices=[("", "Toutes"), *RiskClass.choices]
    )

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].choices = [("", "Tous"), *members_of(company)[1:]]

    def filters(self) -> dict:
        return {
            key: self.cleaned_data.get(key)
            for key in ("salesperson", "segment", "risk_class")
            if self.cleaned_data.get(key)
        }


class DsoForm(AsOfForm):
    months = forms.IntegerField(label="Période (mois)", min_value=1, max_value=36, initial=12)


# ---------------------------------------------------------------- customer account


def _statement(request, pk):
    customer = get_object_or_404(Customer, pk=pk, company=request.company)
    form = AsOfForm(request.GET)
    return customer, form, statement(customer, form.as_of_date())


@company_view
def customer_statement(request, pk):
    customer, form, account = _statement(request, pk)
    return render(
        request,
        "encaisse/reports/statement.html",
        {
            "customer": customer,
            "form": form,
            "account": account,
            # Two lists, each paged on its own: the open items, the allocations.
            "items": page_of(request, account.items, param="items_page"),
            "page": page_of(request, account.allocations),
            "kinds": ITEM_KINDS,
            "nav": "customers",
        },
    )


@company_view
def customer_statement_export(request, pk):
    customer, _, account = _statement(request, pk)
    columns = [
        Column("Type", lambda i: ITEM_KINDS.get(i.kind, i.kind), width=12),
        Column("Pièce", lambda i: i.reference, width=18),
        Column("Date", lambda i: i.date, width=12),
        Column("Échéance", lambda i: i.due_date, width=12),
        Column("Montant", lambda i: i.amount, money=True),
        Column("Reste dû", lambda i: i.open_amount, money=True),
        Column("Jours de retard", lambda i: i.days_overdue or None, width=10),
    ]
    name = f"releve-{customer.pk}-{account.as_of.isoformat()}"
    return xlsx_response(name, "Relevé de compte", columns, account.items)


@company_view
def customer_statement_pdf(request, pk):
    """The relevé de compte as PDF, on the date the page shows."""
    customer = get_object_or_404(Customer, pk=pk, company=request.company)
    as_of = AsOfForm(request.GET).as_of_date()
    return pdf_inline(statement_pdf(customer, as_of), statement_filename(customer, as_of))


# ---------------------------------------------------------------- aged balance


def _aged(request):
    form = AgedBalanceForm(request.GET, company=request.company)
    as_of = form.as_of_date()
    return form, aged_balance(request.company, as_of, **form.filters())


@company_view
def aged_balance_view(request):
    form, result = _aged(request)
    return render(
        request,
        "encaisse/reports/aged_balance.html",
        {
            "form": form,
            "result": result,
            "sums": report_totals(result),
            # Tens of thousands of customers on a large book: the rows are paged, the
            # totals stay those of all of them (the exports hold every row).
            "page": page_of(request, result.rows),
            "filtered": bool(form.filters()),
            "nav": "aged_balance",
        },
    )


@company_view
def aged_balance_export(request, fmt):
    if fmt not in ("xlsx", "csv"):
        raise Http404("Format inconnu.")
    _, result = _aged(request)
    name = f"balance-agee-{result.as_of.isoformat()}.{fmt}"
    if fmt == "xlsx":
        content_type, make = XLSX, lambda: aged_balance_xlsx(result)
    else:
        # Excel opens a CSV in the local code page unless it starts with a BOM.
        content_type = "text/csv; charset=utf-8"

        def make():
            return ("\ufeff" + aged_balance_csv(result)).encode("utf-8")

    title = f"Balance âgée au {result.as_of:%d/%m/%Y}"
    return export_content(request, name, content_type, title, len(result.rows), make)


@company_view
def aged_balance_items(request):
    """The open items behind one cell of the aged balance."""
    form = AsOfForm(request.GET)
    as_of = form.as_of_date()
    customer = get_object_or_404(
        Customer, pk=request.GET.get("customer") or 0, company=request.company
    )
    buckets = make_buckets(request.company.aging_buckets)
    try:
        index = int(request.GET.get("bucket", ""))
        items = bucket_items(request.company, as_of, customer, index)
    except (ValueError, DomainError):
        raise Http404("Tranche inconnue.") from None
    rows = [{"item": item, "days_overdue": max(0, (as_of - item.due_date).days)} for item in items]
    return render(
        request,
        "encaisse/reports/aged_items.html",
        {
            "customer": customer,
            "as_of": as_of,
            "bucket": buckets[index],
            "rows": rows,
            "total": sum((r["item"].open_amount for r in rows), ZERO),
            "nav": "aged_balance",
        },
    )


# ---------------------------------------------------------------- DSO


def _bar_chart(points: list, width: int = 720, height: int = 160) -> dict:
    """Bars of the countback DSO (simple when there is none), as SVG coordinates."""
    values = [p.countback if p.countback is not None else p.simple for p in points]
    top = max((v for v in values if v is not None), default=None)
    if not top:
        return {}
    slot = width / len(points)
    bars = []
    for index, (point, value) in enumerate(zip(points, values, strict=True)):
        bar_height = float(value / top) * (height - 20) if value else 0
        bars.append(
            {
                "x": round(index * slot + slot * 0.15, 1),
                "y": round(height - bar_height, 1),
                "w": round(slot * 0.7, 1),
                "h": round(bar_height, 1),
                "label_x": round(index * slot + slot / 2, 1),
                "value": value,
                "date": point.as_of,
            }
        )
    return {"width": width, "height": height, "bars": bars}


@company_view
def dso_view(request):
    form = DsoForm(with_defaults(request.GET, months="12"))
    as_of = form.as_of_date()
    months = form.cleaned_data.get("months") or 12
    # The trend ends on as_of with the same period: its last point is the DSO shown.
    trend = dso_trend(request.company, as_of, months=months)
    overall = trend[-1]
    # Per customer: one aged balance for every balance, the DSO of the page's rows only.
    rows = sorted(aged_balance(request.company, as_of).rows, key=lambda r: -r.balance)
    page = page_of(request, rows)
    page.object_list = dso_by_customer(request.company, as_of, months, list(page.object_list))
    return render(
        request,
        "encaisse/reports/dso.html",
        {
            "form": form,
            "result": overall,
            "trend": trend,
            "months": months,
            "chart": _bar_chart(trend),
            "page": page,
            "nav": "dso",
        },
    )


# ---------------------------------------------------------------- FEC


def _fiscal_periods(company) -> list[dict]:
    """The declared fiscal years, and the calendar years of entries outside any of them."""
    periods = [
        {"year": fy.end.year, "start": fy.start, "end": fy.end, "closed_on": fy.closed_on}
        for fy in FiscalYear.objects.filter(company=company).order_by("-end")
    ]
    declared = [(p["start"], p["end"]) for p in periods]
    ends = {p["end"].year for p in periods}
    for day in JournalEntry.objects.filter(company=company).dates("date", "year"):
        year = day.year
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        # export_fec(year) takes the declared year ending in `year`, else the calendar year.
        if year not in ends and not any(s <= start and end <= e for s, e in declared):
            periods.append({"year": year, "start": start, "end": end, "closed_on": None})
    for period in periods:
        period.update(
            JournalEntry.objects.filter(
                company=company, date__range=(period["start"], period["end"])
            ).aggregate(entries=Count("pk"), first=Min("date"), last=Max("date"))
        )
    return sorted(periods, key=lambda p: p["end"], reverse=True)


@company_view(needs=EXPORT_LEDGER)
def fec_list(request):
    return render(
        request,
        "encaisse/reports/fec.html",
        {"periods": _fiscal_periods(request.company), "nav": "fec"},
    )


@company_view(needs=EXPORT_LEDGER)
def fec_download(request, year):
    try:
        name, content = export_fec(request.company, year)
    except DomainError as exc:
        return render(
            request,
            "encaisse/reports/fec.html",
            {"periods": _fiscal_periods(request.company), "error": exc.message, "nav": "fec"},
            status=422,
        )
    response = HttpResponse(content, content_type="text/plain; charset=iso-8859-15")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
