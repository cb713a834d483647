"""The search views behind the customer and product pickers (web.pickers): at most
MAX_MATCHES options of the company, as the `<li>` of the picker's list."""

from django.shortcuts import render

from ..pickers import MAX_MATCHES, CustomerPicker, InstallmentPicker, ProductPicker, query_text
from ..shortcuts import company_view


def _options(request, picker):
    text = query_text(request)
    picker.company = request.company
    found = list(picker.search(text)[: MAX_MATCHES + 1])
    return render(
        request,
        "encaisse/partials/picker_options.html",
        {
            "matches": [(r.pk, picker.describe(r), r) for r in found[:MAX_MATCHES]],
            "more": len(found) > MAX_MATCHES,
            "text": text,
        },
    )


@company_view
def customer_search(request):
    return _options(request, CustomerPicker())


@company_view
def product_search(request):
    return _options(request, ProductPicker())


@company_view
def installment_search(request):
    """Open installments (bank review: another candidate), by number, amount or name."""
    return _options(request, InstallmentPicker())
