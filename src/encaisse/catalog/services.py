"""Creating and changing catalog items."""

from django.db import transaction

from encaisse.audit import services as audit
from encaisse.companies.models import Company
from encaisse.companies.permissions import EDIT_CATALOG, require
from encaisse.errors import ValidationFailed
from encaisse.validation import clean_model_texts, parse_decimal

from .models import ItemKind, Product, Unit
from .vat import clean_vat

PRODUCT_FIELDS = [
    "reference",
    "label",
    "kind",
    "unit",
    "unit_price",
    "vat_rate",
    "vat_exemption",
    "vat_exemption_reason",
    "cost_price",
    "is_active",
]


def _clean(company: Company, data: dict, instance: Product | None) -> dict:
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    if not data.get("reference"):
        raise ValidationFailed("required", "La référence est obligatoire.", "reference")
    if not data.get("label"):
        raise ValidationFailed("required", "La désignation est obligatoire.", "label")
    data = clean_model_texts(Product, data)
    if data.get("kind") not in ItemKind.values:
        raise ValidationFailed(
            "invalid_kind", "Indiquez s'il s'agit d'un bien ou d'un service.", "kind"
        )
    if data.get("unit") not in Unit.values:
        raise ValidationFailed("invalid_unit", "Unité inconnue.", "unit")
    data["unit_price"] = parse_decimal(data.get("unit_price"), "unit_price", "Le prix unitaire")
    data["cost_price"] = parse_decimal(
        data.get("cost_price"), "cost_price", "Le prix de revient", required=False
    )
    data["vat_rate"], data["vat_exemption"], data["vat_exemption_reason"] = clean_vat(
        data.get("vat_rate", "20"),
        data.get("vat_exemption", ""),
        data.get("vat_exemption_reason", ""),
    )
    others = Product.objects.filter(company=company, reference=data["reference"])
    if instance is not None:
        others = others.exclude(pk=instance.pk)
    if others.exists():
        raise ValidationFailed(
            "duplicate_reference",
            f"La référence « {data['reference']} » existe déjà dans le catalogue.",
            "reference",
        )
    return data


def create_product(company: Company, data: dict, *, by) -> Product:
    require(by, company, EDIT_CATALOG)
    data = {
        "unit": Unit.PIECE,
        "vat_rate": "20",
        **{k: v for k, v in data.items() if k in PRODUCT_FIELDS and v is not None},
    }
    with transaction.atomic():
        data = _clean(company, data, None)
        product = Product.objects.create(company=company, **data)
        audit.record(
            "product.created", product, by=by, changes=audit.snapshot(product, data.keys())
        )
    return product


def update_product(product: Product, data: dict, *, by) -> Product:
    require(by, product.company, EDIT_CATALOG)
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        before = audit.snapshot(product, PRODUCT_FIELDS)
        merged = {
            **{k: getattr(product, k) for k in PRODUCT_FIELDS},
            **{k: v for k, v in data.items() if k in PRODUCT_FIELDS},
        }
        merged = _clean(product.company, merged, product)
        for key, value in merged.items():
            setattr(product, key, value)
        product.save()
        changes = audit.diff(before, audit.snapshot(product, PRODUCT_FIELDS))
        if changes:
            audit.record("product.updated", product, by=by, changes=changes)
    return product
