"""The invoice form's lines: parsed from the POST, rendered back with their errors.

Rows are posted as `lines-<n>-<field>`; they are read in the order of n and numbered
again from 1 on each render, so that "lines.2.quantity" in a service error names the
second row the user sees.
"""

import re

from encaisse.catalog.models import Product
from encaisse.money import format_decimal, q2

LINE_FIELDS = [
    "product",
    "description",
    "item_kind",
    "quantity",
    "unit",
    "unit_price",
    "discount_percent",
    "vat_rate",
    "vat_exemption",
    "vat_exemption_reason",
]
# A row is blank (and ignored) when none of these is filled: selects keep a value.
KEY_FIELDS = ("product", "description", "quantity", "unit_price")
ROW_KEY = re.compile(r"^lines-(\d+)-")
LINE_ERROR = re.compile(r"^lines\.(\d+)\.(\w+)$")


def price_text(value) -> str:
    """A price as typed back into an input: 64.9 -> "64,90", 0.1234 kept whole; no
    thousands separator, the services' parser would not take one."""
    if value is None:
        return ""
    if value == q2(value):
        return f"{value:.2f}".replace(".", ",")
    return format_decimal(value)


def blank_row() -> dict:
    return dict.fromkeys(LINE_FIELDS, "")


def rows_from(post) -> list[dict]:
    """Every row of the form, blank ones included, in the order they were displayed."""
    indices = sorted({int(m.group(1)) for key in post for m in [ROW_KEY.match(key)] if m})
    return [{f: post.get(f"lines-{i}-{f}", "").strip() for f in LINE_FIELDS} for i in indices]


def filled(rows: list[dict]) -> list[dict]:
    """The rows the user wrote something in: what is sent to the services."""
    return [row for row in rows if any(row[f] for f in KEY_FIELDS)]


def rows_of(invoice) -> list[dict]:
    """A draft's saved lines as form rows."""
    return [
        {
            "product": str(line.product_id or ""),
            "description": line.description,
            "item_kind": line.item_kind,
            "quantity": format_decimal(line.quantity),
            "unit": line.unit,
            "unit_price": price_text(line.unit_price),
            "discount_percent": format_decimal(line.discount_percent)
            if line.discount_percent
            else "",
            "vat_rate": str(line.vat_rate),
            "vat_exemption": line.vat_exemption,
            "vat_exemption_reason": line.vat_exemption_reason,
        }
        for line in invoice.lines.all()
    ]


def fill_from_product(row: dict, company) -> dict:
    """The catalog's values in a row whose product was just chosen."""
    product = Product.objects.filter(company=company, pk=row.get("product") or 0).first()
    if product is None:
        return row
    return {
        **row,
        "description": product.label,
        "item_kind": product.kind,
        "unit": product.unit,
        "unit_price": price_text(product.unit_price),
        "vat_rate": str(product.vat_rate),
        "vat_exemption": product.vat_exemption,
        "vat_exemption_reason": product.vat_exemption_reason,
    }


def split_error(field: str | None) -> tuple[int, str] | None:
    """("lines.2.quantity") -> (2, "quantity"); None for a field outside the lines."""
    match = LINE_ERROR.match(field or "")
    return (int(match.group(1)), match.group(2)) if match else None
