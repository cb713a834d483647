import datetime as dt

from ninja import Field, Schema

from encaisse.catalog.models import Product

from ..fields import DecimalIn, DecimalOut, Text, TextOf, VatRateIn
from ..pagination import PageParams
from .common import Input, PageOut


class ProductIn(Input):
    reference: TextOf(Product.reference)
    label: TextOf(Product.label)
    kind: TextOf(Product.kind) = Field(description="goods (bien) ou service (prestation).")
    unit: TextOf(Product.unit) | None = Field(
        None, description="Code UN/ECE rec. 20 : C62 (défaut), HUR, DAY…"
    )
    unit_price: DecimalIn
    vat_rate: VatRateIn | None = None
    vat_exemption: TextOf(Product.vat_exemption) | None = Field(
        None, description="Catégorie d'exonération si 0 % : E, AE, K, G, O."
    )
    vat_exemption_reason: TextOf(Product.vat_exemption_reason) | None = None
    cost_price: DecimalIn | None = None
    is_active: bool | None = None


class ProductOut(Schema):
    id: int
    reference: str
    label: str
    kind: str
    unit: str
    unit_price: DecimalOut
    vat_rate: DecimalOut
    vat_exemption: str
    vat_exemption_reason: str
    cost_price: DecimalOut | None
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductFilters(PageParams):
    q: Text(200) = Field("", description="Recherche dans la référence ou la désignation.")
    active: bool | None = Field(None, description="true : actifs seulement ; false : inactifs.")


class ProductPage(PageOut):
    items: list[ProductOut]
