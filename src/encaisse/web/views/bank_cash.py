"""The cash view (trésorerie): balances by value date over a period, with a chart, and the
13-week forecast with its alerts; both exported to Excel."""

import datetime as dt

from django import forms
from django.shortcuts import render
from django.utils import timezone

from encaisse.banking.cash import forecast, value_date_balances
from encaisse.banking.exports import forecast_xlsx
from encaisse.banking.models import BankAccount
from encaisse.money import ZERO

from ..exports import XLSX, export_content
from ..forms import date_field
from ..shortcuts import company_view, page_of

DEFAULT_DAYS = 90


class CashForm(forms.Form):
    start = date_field("Du")
    end = date_field("Au")
    step = forms.ChoiceField(
        label="Pas", required=False, choices=[("week", "Semaine"), ("day", "Jour")]
    )

    def __init__(self, query, *args, **kwargs):
        data = query.copy()
        today = timezone.localdate()
        if not data.get("end"):
            data["end"] = today.isoformat()
        if not data.get("start"):
            try:
                end = dt.date.fromisoformat(data["end"])
                data["start"] = (end - dt.timedelta(days=DEFAULT_DAYS)).isoformat()
            except (ValueError, OverflowError):  # the end's own error shows on its field
                data["start"] = (today - dt.timedelta(days=DEFAULT_DAYS)).isoformat()
        data.setdefault("step", "week")
        super().__init__(data, *args, **kwargs)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("start", "Le début doit précéder la fin.")
        return data

    def period(self) -> tuple[dt.date, dt.date, str]:
        self.is_valid()
        today = timezone.localdate()
        data = getattr(self, "cleaned_data", {})
        end = data.get("end") or today
        start = data.get("start") or end - dt.timedelta(days=DEFAULT_DAYS)
        if start > end:
            start = end - dt.timedelta(days=DEFAULT_DAYS)
        return start, end, data.get("step") or "week"


def _chart(totals: list, width: int = 720, height: int = 180) -> dict:
    """A line of the total balance by value date, as SVG coordinates (zero line when the
    balance crosses it)."""
    if len(totals) < 2:
        return {}
    values = [v for _, v in totals]
    top, bottom = max(max(values), ZERO), min(min(values), ZERO)
    span = (top - bottom) or 1
    step = width / (len(totals) - 1)

    def y(v):
        return round(float((top - v) / span) * (height - 20) + 10, 1)

    points = " ".join(f"{round(i * step, 1)},{y(v)}" for i, (_, v) in enumerate(totals))
    return {
        "width": width,
        "height": height,
        "points": points,
        "zero": y(ZERO),
        "first": totals[0][0],
        "last": totals[-1][0],
        "top": top,
        "bottom": bottom,
    }


def _bars(weeks, width: int = 720, height: int = 160) -> dict:
    """Bars of the 13 weeks' closing balances (red under the threshold)."""
    values = [w.closing for w in weeks]
    top, bottom = max(max(values), ZERO), min(min(values), ZERO)
    span = (top - bottom) or 1
    slot = width / len(weeks)
    zero = float(top / span) * (height - 20) + 10
    bars = []
    for index, week in enumerate(weeks):
        level = float((top - week.closing) / span) * (height - 20) + 10
        bars.append(
            {
                "x": round(index * slot + slot * 0.15, 1),
                "y": round(min(level, zero), 1),
                "w": round(slot * 0.7, 1),
                "h": round(max(abs(zero - level), 1), 1),
                "below": week.below,
                "week": week,
            }
        )
    return {"width": width, "height": height, "bars": bars, "zero": round(zero, 1)}


def _totals(series) -> list:
    if not series:
        return []
    return [
        (day, sum((s.points[i][1] for s in series), ZERO))
        for i, (day, _) in enumerate(series[0].points)
    ]


def _cash(request):
    form = CashForm(request.GET)
    start, end, step = form.period()
    accounts = list(
        BankAccount.objects.filter(company=request.company, active=True).order_by("name", "pk")
    )
    series = value_date_balances(request.company, start, end, step=step, accounts=accounts)
    result = forecast(request.company, timezone.localdate(), accounts=accounts)
    return form, series, result


@company_view
def cash(request):
    form, series, result = _cash(request)
    totals = _totals(series)
    rows = [
        {"day": day, "amounts": [s.points[i][1] for s in series], "total": total}
        for i, (day, total) in enumerate(totals)
    ]
    return render(
        request,
        "encaisse/bank/cash.html",
        {
            "form": form,
            "series": series,
            "forecast": result,
            "chart": _chart(totals),
            "bars": _bars(result.weeks),
            "page": page_of(request, rows[::-1]),
            "nav": "cash",
        },
    )


@company_view
def cash_export(request):
    _, series, result = _cash(request)
    name = f"tresorerie-{result.today.isoformat()}.xlsx"
    count = len(series[0].points) if series else 0
    return export_content(
        request, name, XLSX, "Trésorerie", count, lambda: forecast_xlsx(result, series)
    )
