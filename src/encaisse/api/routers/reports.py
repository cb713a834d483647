from django.http import HttpResponse
from ninja import Query, Router

from encaisse.customers.models import Customer
from encaisse.reporting.aged_balance import aged_balance, bucket_items
from encaisse.reporting.dso import dso, dso_trend
from encaisse.reporting.exports import aged_balance_csv, aged_balance_xlsx

from ..errors import READ, responses
from ..pagination import page
from ..schemas.reports import (
    AgedBalanceFilters,
    AgedBalanceOut,
    AgedItemPage,
    AgedItemsFilters,
    DsoFilters,
    DsoOut,
    DsoTrendFilters,
)
from . import as_of_date, get_or_404
from .customers import NOT_FOUND as CUSTOMER_NOT_FOUND

router = Router(tags=["rapports"])
# What the JSON aged balance gives of the whole report, whatever the page of its rows.
REPORT_TOTALS = ("as_of", "buckets", "totals", "unapplied", "balance")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/aged-balance",
    response=responses({200: AgedBalanceOut}, READ),
    summary="Balance âgée à une date (JSON, ou fichier csv / xlsx)",
    openapi_extra={
        "responses": {
            200: {
                "description": "JSON ; avec format=csv ou xlsx, le fichier à télécharger.",
                "content": {
                    "text/csv; charset=utf-8": {"schema": {"type": "string"}},
                    XLSX: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def get_aged_balance(request, filters: Query[AgedBalanceFilters]):
    as_of = as_of_date(filters.as_of)
    bounds = filters.buckets.split(",") if filters.buckets else None
    wanted = {
        key: getattr(filters, key)
        for key in ("salesperson", "segment", "risk_class", "customer")
        if getattr(filters, key) is not None
    }
    result = aged_balance(request.company, as_of, bounds, **wanted)
    if filters.format == "json":
        rows = page(result.rows, filters)
        return {
            **{key: rows[key] for key in ("count", "limit", "offset")},
            "rows": rows["items"],
            **{key: getattr(result, key) for key in REPORT_TOTALS},
        }
    name = f"balance-agee-{as_of.isoformat()}.{filters.format}"
    if filters.format == "csv":
        # UTF-8 with a BOM: Excel opens a French CSV with its accents right.
        body = "\ufeff" + aged_balance_csv(result)
        response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(aged_balance_xlsx(result), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get(
    "/aged-balance/items",
    response=responses({200: AgedItemPage}, READ, 404),
    summary="Les échéances d'une case de la balance âgée (client × tranche)",
)
def get_aged_items(request, filters: Query[AgedItemsFilters]):
    customers = Customer.objects.filter(company=request.company)
    customer = get_or_404(customers, filters.customer, CUSTOMER_NOT_FOUND)
    bounds = filters.buckets.split(",") if filters.buckets else None
    items = bucket_items(
        request.company, as_of_date(filters.as_of), customer, filters.bucket, bounds
    )
    return page(items, filters)


@router.get(
    "/dso",
    response=responses({200: DsoOut}, READ, 404),
    summary="DSO à une date : méthode simple et par épuisement, avec le détail du calcul",
)
def get_dso(request, filters: Query[DsoFilters]):
    as_of = as_of_date(filters.as_of)
    customer = None
    if filters.customer is not None:
        customers = Customer.objects.filter(company=request.company)
        customer = get_or_404(customers, filters.customer, CUSTOMER_NOT_FOUND)
    result = dso(request.company, as_of, filters.months, customer=customer)
    result.customer = customer.pk if customer else None
    return result


@router.get(
    "/dso/trend",
    response=responses({200: list[DsoOut]}, READ),
    summary="DSO à chaque fin de mois (tendance)",
)
def get_dso_trend(request, filters: Query[DsoTrendFilters]):
    return dso_trend(request.company, as_of_date(filters.as_of), filters.months, filters.points)
