import datetime as dt

from ninja import Field, Schema

from encaisse.customers.models import Customer

from ..fields import Id, Text, TextOf
from ..pagination import PageParams
from .common import Input, PageOut

TERMS_DAYS = Field(
    None, ge=0, le=999, description="Délai en jours (60 nets, 45 fin de mois au plus)."
)
TERMS_KIND_HELP = (
    "net (jours nets), eom (jours fin de mois), receipt (à réception) ; "
    "vide : défaut de la société."
)


class CustomerFields(Input):
    legal_name: TextOf(Customer.legal_name) | None = None
    kind: TextOf(Customer.kind) | None = Field(
        None, description="professional (défaut) ou consumer."
    )
    siren: Text(30) | None = None
    siret: Text(30) | None = None
    vat_number: Text(30) | None = None
    email: TextOf(Customer.email) | None = None
    phone: TextOf(Customer.phone) | None = None
    billing_line1: TextOf(Customer.billing_line1) | None = None
    billing_line2: TextOf(Customer.billing_line2) | None = None
    billing_postal_code: TextOf(Customer.billing_postal_code) | None = None
    billing_city: TextOf(Customer.billing_city) | None = None
    billing_country: TextOf(Customer.billing_country) | None = Field(
        None, description="Code pays ISO 3166 (FR)."
    )
    delivery_line1: TextOf(Customer.delivery_line1) | None = None
    delivery_line2: TextOf(Customer.delivery_line2) | None = None
    delivery_postal_code: TextOf(Customer.delivery_postal_code) | None = None
    delivery_city: TextOf(Customer.delivery_city) | None = None
    delivery_country: TextOf(Customer.delivery_country) | None = None
    terms_kind: TextOf(Customer.terms_kind) | None = Field(None, description=TERMS_KIND_HELP)
    terms_days: int | None = TERMS_DAYS
    einvoicing_address: TextOf(Customer.einvoicing_address) | None = None
    notes: TextOf(Customer.notes) | None = None


class CustomerIn(CustomerFields):
    legal_name: TextOf(Customer.legal_name)


class CustomerPatch(CustomerFields):
    """Only the fields sent change; null empties a field."""


class CustomerOut(Schema):
    id: int
    legal_name: str
    kind: str
    siren: str
    siret: str
    vat_number: str
    email: str
    phone: str
    billing_line1: str
    billing_line2: str
    billing_postal_code: str
    billing_city: str
    billing_country: str
    delivery_line1: str
    delivery_line2: str
    delivery_postal_code: str
    delivery_city: str
    delivery_country: str
    terms_kind: str
    terms_days: int | None
    einvoicing_address: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerFilters(PageParams):
    q: Text(200) = Field("", description="Recherche dans le nom, le SIREN/SIRET ou la ville.")


class CustomerPage(PageOut):
    items: list[CustomerOut]


__all__ = ["CustomerFilters", "CustomerIn", "CustomerOut", "CustomerPage", "CustomerPatch", "Id"]
