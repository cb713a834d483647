"""The invoice form's lines and schedule: parsed from the POST, rendered back with their
errors.

Rows are posted as `lines-<n>-<field>` (the installments as `schedule-<n>-<field>`);
they are read in the order of n and numbered again from 1 on each render, so that
"lines.2.quantity" in a service error names the second row the user sees.
"""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from encaisse.catalog.models import Product
from encaisse.money import format_decimal, q2

from .pickers import ProductPicker

LINE_FIELDS = [
    "product",
    "product_label",  # the picker's text (web.pickers): what names the product without an id
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
KEY_FIELDS = ("product", "product_label", "description", "quantity", "unit_price")
ROW_KEY = re.compile(r"^lines-(\d+)-")
LINE_ERROR = re.compile(r"^lines\.(\d+)\.(\w+)$")
# An installment: a date or days after issue, an amount or a percentage (sales.schedule).
SCHEDULE_FIELDS = ["due_date", "days", "amount", "percent"]
SCHEDULE_KEY = re.compile(r"^schedule-(\d+)-")
SCHEDULE_ERROR = re.compile(r"^schedule\.(\d+)\.(\w+)$")


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


def rows_from(post, key=ROW_KEY, prefix="lines", fields=LINE_FIELDS) -> list[dict]:
    """Every row of the form, blank ones included, in the order they were displayed."""
    indices = sorted({int(m.group(1)) for name in post for m in [key.match(name)] if m})
    return [{f: post.get(f"{prefix}-{i}-{f}", "").strip() for f in fields} for i in indices]


def is_filled(row: dict) -> bool:
    """The user wrote something in the row (selects always keep a value)."""
    return any(row[f] for f in KEY_FIELDS)


def filled(rows: list[dict]) -> list[dict]:
    """The rows the user wrote something in: what is sent to the services."""
    return [row for row in rows if is_filled(row)]


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


def line_rows(post, company) -> list[dict]:
    """The lines of the form (rows_from), their products picked (pick_products)."""
    return pick_products(rows_from(post), company)


def pick_products(rows: list[dict], company) -> list[dict]:
    """Each row's product: the id its picker chose, or else the one product of the company
    its text names (typed without choosing, or without scripts); a text that names none
    or several stays as the product, which the services refuse next to the field
    (« Article introuvable »). Then the text each picker shows, in one query."""
    picker = ProductPicker()
    picker.company = company
    for row in rows:
        text = row.get("product_label", "")
        if not row["product"] and text:
            try:
                row["product"] = str(picker.clean((row["product"], text)) or "")
            except ValidationError:
                row["product"] = text
    ids = {int(r["product"]) for r in rows if r["product"].isdigit() and len(r["product"]) < 18}
    products = Product.objects.filter(company=company, pk__in=ids) if ids else []
    names = {str(p.pk): picker.describe(p) for p in products}
    for row in rows:
        row["product_label"] = names.get(row["product"], row.get("product_label", ""))
    return rows


def fill_from_product(row: dict, company) -> dict:
    """The catalog's values in a row whose product was just chosen; a quantity of 1 when
    none (or zero) was typed, so that the line counts at once."""
    product = Product.objects.filter(company=company, pk=row.get("product") or 0).first()
    if product is None:
        return row
    return {
        **row,
        "quantity": row.get("quantity") if _quantity_typed(row.get("quantity")) else "1",
        "description": product.label,
        "item_kind": product.kind,
        "unit": product.unit,
        "unit_price": price_text(product.unit_price),
        "vat_rate": str(product.vat_rate),
        "vat_exemption": product.vat_exemption,
        "vat_exemption_reason": product.vat_exemption_reason,
    }


def _quantity_typed(text) -> bool:
    """Something typed as a quantity, other than zero (a wrong one is kept: the user
    sees its error rather than a silent 1)."""
    try:
        return Decimal(str(text).strip().replace(" ", "").replace(",", ".")) != 0
    except (InvalidOperation, ValueError):
        return bool(str(text or "").strip())


def split_error(field: str | None, pattern=LINE_ERROR) -> tuple[int, str] | None:
    """("lines.2.quantity") -> (2, "quantity"); None for a field outside the lines."""
    match = pattern.match(field or "")
    return (int(match.group(1)), match.group(2)) if match else None


def blank_installment() -> dict:
    return dict.fromkeys(SCHEDULE_FIELDS, "")


def schedule_from(post) -> list[dict]:
    """The installment rows of the form, blank ones included."""
    return rows_from(post, SCHEDULE_KEY, "schedule", SCHEDULE_FIELDS)


def schedule_filled(rows: list[dict]) -> list[dict]:
    """The installments the user wrote something in: what is sent to the services (an
    empty list removes the schedule)."""
    return [row for row in rows if any(row.values())]


def schedule_of(invoice) -> list[dict]:
    """A draft's saved schedule as form rows."""
    return [
        {
            "due_date": row.get("due_date") or "",
            "days": "" if row.get("days") is None else str(row["days"]),
            "amount": price_text(Decimal(row["amount"])) if row.get("amount") else "",
            "percent": format_decimal(Decimal(row["percent"])) if row.get("percent") else "",
        }
        for row in invoice.schedule or []
    ]


def split_schedule_error(field: str | None) -> tuple[int, str] | None:
    """("schedule.2.amount") -> (2, "amount"); None for any other field."""
    return split_error(field, SCHEDULE_ERROR)
