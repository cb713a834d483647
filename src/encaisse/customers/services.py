"""Creating and changing customers and their contacts."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Q

from encaisse import identifiers
from encaisse.audit import services as audit
from encaisse.companies.models import Company
from encaisse.companies.permissions import EDIT_CUSTOMERS, require
from encaisse.errors import ValidationFailed
from encaisse.sales.terms import check_terms
from encaisse.validation import clean_model_texts

from .models import Civility, Contact, Customer, CustomerKind, RiskClass, Segment

CUSTOMER_FIELDS = [
    "legal_name",
    "kind",
    "siren",
    "siret",
    "vat_number",
    "email",
    "phone",
    "billing_line1",
    "billing_line2",
    "billing_postal_code",
    "billing_city",
    "billing_country",
    "delivery_line1",
    "delivery_line2",
    "delivery_postal_code",
    "delivery_city",
    "delivery_country",
    "terms_kind",
    "terms_days",
    "einvoicing_address",
    "notes",
    "salesperson",
    "segment",
    "risk_class",
]
NULLABLE = {"terms_days", "salesperson"}
CONTACT_FIELDS = [
    "civility",
    "first_name",
    "last_name",
    "name",
    "job_title",
    "email",
    "phone",
    "is_billing_contact",
]


def _clean(company: Company, data: dict, instance: Customer | None) -> dict:
    """Normalize and check the identity fields; raise on the first fault."""
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    if not data.get("legal_name"):
        raise ValidationFailed(
            "required", "La raison sociale ou le nom est obligatoire.", "legal_name"
        )
    if data.get("kind") not in CustomerKind.values:
        raise ValidationFailed("invalid_kind", "Type de client inconnu.", "kind")
    if data["kind"] == CustomerKind.CONSUMER and (data.get("siren") or data.get("siret")):
        raise ValidationFailed(
            "consumer_with_siren", "Un particulier n'a ni SIREN ni SIRET.", "siren"
        )
    if data.get("siret") and not data.get("siren"):
        data["siren"] = identifiers.siret(data["siret"])[:9]
    if data.get("siren"):
        data["siren"] = identifiers.siren(data["siren"])
    if data.get("siret"):
        data["siret"] = identifiers.siret(data["siret"], of_siren=data["siren"])
    if data.get("vat_number"):
        data["vat_number"] = identifiers.vat_number(data["vat_number"], of_siren=data.get("siren"))
    # A blank country is France, the model's default; a code must be one the e-invoice
    # accepts (BR-CL-14).
    data["billing_country"] = identifiers.country(
        data.get("billing_country") or "FR", "billing_country"
    )
    if data.get("delivery_country"):
        data["delivery_country"] = identifiers.country(data["delivery_country"], "delivery_country")
    if data.get("terms_kind"):
        check_terms(data["terms_kind"], data.get("terms_days"))
    else:
        data["terms_kind"], data["terms_days"] = "", None
    if data.get("segment", Segment.STANDARD) not in Segment.values:
        raise ValidationFailed("invalid_segment", "Segment inconnu.", "segment")
    if data.get("risk_class", RiskClass.LOW) not in RiskClass.values:
        raise ValidationFailed("invalid_risk_class", "Classe de risque inconnue.", "risk_class")
    if data.get("salesperson") not in (None, ""):
        salesperson = data["salesperson"]
        members = get_user_model().objects.filter(memberships__company=company)
        try:
            data["salesperson"] = members.get(pk=getattr(salesperson, "pk", salesperson))
        except (ObjectDoesNotExist, ValueError, TypeError):
            raise ValidationFailed(
                "unknown_salesperson",
                "Le commercial doit être un utilisateur de la société.",
                "salesperson",
            ) from None
    else:
        data["salesperson"] = None
    # After the identifiers are normalized: a SIREN typed with spaces fits once compacted.
    data = clean_model_texts(Customer, data)
    if data.get("siren"):
        others = Customer.objects.filter(company=company, siren=data["siren"])
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        first = others.order_by("id").first()
        if first is not None:
            raise ValidationFailed(
                "duplicate_siren",
                f"Le client « {first.legal_name} » a déjà le SIREN {data['siren']}.",
                "siren",
            )
    return data


def create_customer(company: Company, data: dict, *, by) -> Customer:
    require(by, company, EDIT_CUSTOMERS)
    data = {
        "kind": CustomerKind.PROFESSIONAL,
        "billing_country": "FR",
        **{k: v for k, v in data.items() if k in CUSTOMER_FIELDS and v is not None},
    }
    with transaction.atomic():
        data = _clean(company, data, None)
        customer = Customer.objects.create(company=company, **data)
        audit.record(
            "customer.created", customer, by=by, changes=audit.snapshot(customer, data.keys())
        )
    return customer


def update_customer(customer: Customer, data: dict, *, by) -> Customer:
    require(by, customer.company, EDIT_CUSTOMERS)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        before = audit.snapshot(customer, CUSTOMER_FIELDS)
        current = {k: getattr(customer, k) for k in CUSTOMER_FIELDS}
        merged = {**current, **{k: v for k, v in data.items() if k in CUSTOMER_FIELDS}}
        merged = {k: ("" if v is None and k not in NULLABLE else v) for k, v in merged.items()}
        merged = _clean(customer.company, merged, customer)
        for key, value in merged.items():
            setattr(customer, key, value)
        customer.save()
        changes = audit.diff(before, audit.snapshot(customer, CUSTOMER_FIELDS))
        if changes:
            audit.record("customer.updated", customer, by=by, changes=changes)
    return customer


def _contact_names(data: dict) -> dict:
    """Civility, first and last names checked; `name` made of the first and last names
    when a last name is given (a person), else kept as typed (a department)."""
    civility = (data.get("civility") or "").strip().lower()
    if civility not in ("", *Civility.values):
        raise ValidationFailed("invalid_civility", "Civilité : Madame ou Monsieur.", "civility")
    names = {"civility": civility}
    for key, label in (("first_name", "Le prénom"), ("last_name", "Le nom")):
        value = " ".join((data.get(key) or "").split())
        limit = Contact._meta.get_field(key).max_length
        if len(value) > limit:
            raise ValidationFailed("too_long", f"{label} a {limit} caractères au plus.", key)
        names[key] = value
    if names["last_name"]:
        names["name"] = f"{names['first_name']} {names['last_name']}".strip()
    else:
        names["name"] = (data.get("name") or "").strip()
    field = "last_name" if "last_name" in data else "name"
    if not names["name"]:
        raise ValidationFailed("required", "Le nom du contact est obligatoire.", field)
    limit = Contact._meta.get_field("name").max_length
    if len(names["name"]) > limit:
        raise ValidationFailed("too_long", f"Le nom a {limit} caractères au plus.", field)
    return names


def add_contact(customer: Customer, data: dict, *, by) -> Contact:
    require(by, customer.company, EDIT_CUSTOMERS)
    data = {
        k: (v.strip() if isinstance(v, str) else v) for k, v in data.items() if k in CONTACT_FIELDS
    }
    data.update(_contact_names(data))
    data = clean_model_texts(Contact, data)
    with transaction.atomic():
        contact = Contact.objects.create(customer=customer, **data)
        audit.record(
            "customer.contact_added",
            customer,
            by=by,
            changes={"contact": contact.name, "email": contact.email},
        )
    return contact


def remove_contact(contact: Contact, *, by) -> None:
    customer = contact.customer
    require(by, customer.company, EDIT_CUSTOMERS)
    with transaction.atomic():
        audit.record("customer.contact_removed", customer, by=by, changes={"contact": contact.name})
        contact.delete()


def search(company: Company, query: str = ""):
    """Customers of `company` matching a name, a SIREN/SIRET or a city."""
    qs = Customer.objects.filter(company=company)
    query = (query or "").strip()
    if query:
        digits = query.replace(" ", "")
        condition = Q(legal_name__icontains=query) | Q(billing_city__icontains=query)
        if digits.isdigit():
            condition |= Q(siren__startswith=digits) | Q(siret__startswith=digits)
        qs = qs.filter(condition)
    return qs
