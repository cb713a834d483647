"""Catalog: list, search, export, detail with history, create and edit."""

from django.shortcuts import get_object_or_404, redirect, render

from encaisse.catalog import services
from encaisse.catalog.models import Product
from encaisse.companies.permissions import EDIT_CATALOG
from encaisse.errors import DomainError
from encaisse.sales import selectors

from .. import audit
from ..exports import Column, export
from ..forms import CustomerSearchForm, ProductForm
from ..shortcuts import add_domain_error, company_view, page_of


@company_view
def product_list(request):
    form = CustomerSearchForm(request.GET)
    form.is_valid()
    query = form.cleaned_data.get("q", "")
    return render(
        request,
        "encaisse/products/list.html",
        {
            "form": form,
            "query": query,
            "page": page_of(request, selectors.products(request.company, query)),
            "nav": "products",
        },
    )


@company_view
def product_export(request):
    columns = [
        Column("Référence", lambda p: p.reference, width=16),
        Column("Désignation", lambda p: p.label, width=40),
        Column("Nature", lambda p: p.get_kind_display(), width=20),
        Column("Unité", lambda p: p.get_unit_display(), width=10),
        Column("Prix unitaire HT", lambda p: p.unit_price, money=True),
        Column("Taux de TVA (%)", lambda p: p.vat_rate, width=10),
        Column("Motif d'exonération", lambda p: p.vat_exemption, width=10),
        Column("Prix de revient HT", lambda p: p.cost_price, money=True),
        Column("Actif", lambda p: "oui" if p.is_active else "non", width=8),
    ]
    rows = selectors.products(request.company, request.GET.get("q", ""))
    return export(request, "articles", "Articles", columns, rows)


def _save(request, product: Product | None):
    initial = ProductForm.initial_of(product) if product else None
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if product is None:
                product = services.create_product(
                    request.company, form.cleaned_data, by=request.user
                )
            else:
                product = services.update_product(product, form.cleaned_data, by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("web:product_detail", pk=product.pk)
    return render(
        request,
        "encaisse/products/form.html",
        {"form": form, "product": product, "nav": "products"},
    )


@company_view(needs=EDIT_CATALOG)
def product_create(request):
    return _save(request, None)


@company_view(needs=EDIT_CATALOG)
def product_edit(request, pk):
    return _save(request, get_object_or_404(Product, pk=pk, company=request.company))


@company_view
def product_detail(request, pk):
    product = get_object_or_404(Product, pk=pk, company=request.company)
    return render(
        request,
        "encaisse/products/detail.html",
        {
            "product": product,
            "trail": audit.entries(product),
            "nav": "products",
        },
    )
