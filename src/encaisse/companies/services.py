"""Setting up companies and their members."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from encaisse import clock, identifiers
from encaisse.audit import services as audit
from encaisse.collection.models import ReferenceRate
from encaisse.collection.rates import rate_on
from encaisse.errors import ValidationFailed
from encaisse.money import format_decimal
from encaisse.sales.terms import check_terms
from encaisse.validation import clean_model_texts, parse_decimal

from .models import (
    MAX_BACKDATING_DAYS,
    PREFIX_VALIDATOR,
    Company,
    Membership,
    Role,
    time_zones,
)
from .permissions import EDIT_COMPANY, require

COMPANY_FIELDS = [
    "legal_name",
    "trade_name",
    "legal_form",
    "share_capital",
    "siren",
    "siret",
    "rcs_city",
    "vat_number",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "email",
    "phone",
    "iban",
    "bic",
    "einvoicing_address",
    "default_terms_kind",
    "default_terms_days",
    "late_penalty_clause",
    "early_payment_discount_clause",
    "vat_on_debits",
    "invoice_prefix",
    "credit_note_prefix",
    "write_off_threshold",
    "late_penalty_rate",
    "penalty_day_count",
    "financing_rate",
    "backdating_days",
    "cash_alert_threshold",
    "bank_item_age_days",
    "dunning_hour",
    "time_zone",
]


def _clean(data: dict, instance: Company | None) -> dict:
    data = {
        k: (v.strip() if isinstance(v, str) else v) for k, v in data.items() if k in COMPANY_FIELDS
    }
    if not data.get("legal_name"):
        raise ValidationFailed("required", "La raison sociale est obligatoire.", "legal_name")
    if "country" in data:
        data["country"] = identifiers.country(data["country"])
    data["siren"] = identifiers.siren(data.get("siren", ""))
    if data.get("siret"):
        data["siret"] = identifiers.siret(data["siret"], of_siren=data["siren"])
    if data.get("vat_number"):
        data["vat_number"] = identifiers.vat_number(data["vat_number"], of_siren=data["siren"])
    if "write_off_threshold" in data:
        data["write_off_threshold"] = parse_decimal(
            data["write_off_threshold"], "write_off_threshold", "Le seuil des écarts", places=2
        )
    if "late_penalty_rate" in data:
        data["late_penalty_rate"] = check_late_penalty_rate(data["late_penalty_rate"], instance)
    if "financing_rate" in data:
        data["financing_rate"] = parse_decimal(
            data["financing_rate"],
            "financing_rate",
            "Le taux de financement",
            places=3,
            required=False,
        )
        if data["financing_rate"] is not None and data["financing_rate"] > 100:
            raise ValidationFailed(
                "too_large", "Le taux de financement dépasse 100 %.", "financing_rate"
            )
    if "penalty_day_count" in data:
        if str(data["penalty_day_count"]) not in ("365", "360"):
            raise ValidationFailed(
                "invalid_day_count",
                "La base de calcul des pénalités est de 365 ou 360 jours.",
                "penalty_day_count",
            )
        data["penalty_day_count"] = int(data["penalty_day_count"])
    if "backdating_days" in data:
        data["backdating_days"] = check_backdating_days(data["backdating_days"])
    if "cash_alert_threshold" in data:
        data["cash_alert_threshold"] = parse_decimal(
            data["cash_alert_threshold"],
            "cash_alert_threshold",
            "Le seuil d'alerte de trésorerie",
            places=2,
            required=False,
        )
    if "bank_item_age_days" in data:
        try:
            days = int(str(data["bank_item_age_days"]).strip())
        except (TypeError, ValueError):
            days = 0
        if not 1 <= days <= 3650:
            raise ValidationFailed(
                "invalid_bank_item_age_days",
                "L'ancienneté d'un suspens ancien est un nombre entier de jours, de 1 à 3650.",
                "bank_item_age_days",
            )
        data["bank_item_age_days"] = days
    if "dunning_hour" in data:
        data["dunning_hour"] = check_dunning_hour(data["dunning_hour"])
    if "time_zone" in data:
        data["time_zone"] = check_time_zone(data["time_zone"])
    if data.get("iban"):
        data["iban"] = identifiers.iban(data["iban"])
    if data.get("bic"):
        data["bic"] = identifiers.bic(data["bic"])
    for key in ("invoice_prefix", "credit_note_prefix"):
        if key in data:
            try:
                PREFIX_VALIDATOR(data[key])
            except DjangoValidationError as exc:
                raise ValidationFailed("invalid_prefix", exc.messages[0], key) from None
    prefixes = [
        data.get(key, Company._meta.get_field(key).default)
        for key in ("invoice_prefix", "credit_note_prefix")
    ]
    if prefixes[0] == prefixes[1]:
        raise ValidationFailed(
            "same_prefix",
            "Les factures et les avoirs ont des préfixes distincts.",
            "credit_note_prefix",
        )
    if "default_terms_kind" in data:
        check_terms(
            data["default_terms_kind"], data.get("default_terms_days"), field="default_terms_days"
        )
    # After the identifiers are normalized: an IBAN typed in groups fits once compacted.
    data = clean_model_texts(Company, data)
    others = Company.objects.filter(siren=data["siren"])
    if instance is not None:
        others = others.exclude(pk=instance.pk)
    if others.exists():
        raise ValidationFailed(
            "duplicate_siren", f"Une société de SIREN {data['siren']} existe déjà.", "siren"
        )
    return data


def check_backdating_days(value) -> int:
    """How many days back an issue date may go: a whole number from 0 to
    MAX_BACKDATING_DAYS (see companies.models)."""
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError):
        days = -1
    if not 0 <= days <= MAX_BACKDATING_DAYS:
        raise ValidationFailed(
            "invalid_backdating_days",
            "L'antériorité maximale de la date d'émission est un nombre entier de jours, "
            f"de 0 à {MAX_BACKDATING_DAYS} (au-delà, une facture tomberait dans une "
            "déclaration de TVA déjà déposée).",
            "backdating_days",
        )
    return days


def check_dunning_hour(value) -> int:
    """The hour of the morning dunning run: a whole number from 0 to 23."""
    try:
        hour = int(str(value).strip())
    except (TypeError, ValueError):
        hour = -1
    if not 0 <= hour <= 23:
        raise ValidationFailed(
            "invalid_dunning_hour",
            "L'heure de la relance automatique est un nombre entier de 0 à 23.",
            "dunning_hour",
        )
    return hour


def check_time_zone(value) -> str:
    """A time zone of the IANA database as zoneinfo knows it (Europe/Paris)."""
    name = str(value or "").strip()
    if name not in time_zones():
        raise ValidationFailed(
            "invalid_time_zone",
            f"« {name} » n'est pas un fuseau horaire connu (par exemple Europe/Paris).",
            "time_zone",
        )
    return name


def check_late_penalty_rate(value, instance: Company | None):
    """A contractual rate may not be lower than three times the legal interest rate
    (C. com. L.441-10), checked against the rate in force the day it is set: an unchanged
    rate is not checked again when the legal rate later rises."""
    rate = parse_decimal(
        value, "late_penalty_rate", "Le taux des pénalités de retard", places=3, required=False
    )
    if rate is None or (instance is not None and instance.late_penalty_rate == rate):
        return rate
    today = clock.today()
    legal, _ = rate_on(ReferenceRate.Kind.LEGAL_INTEREST_PRO, today, instance)
    if rate < 3 * legal:
        raise ValidationFailed(
            "penalty_rate_too_low",
            f"Le taux des pénalités de retard ({format_decimal(rate)} %) ne peut être "
            "inférieur à trois fois le taux de l'intérêt légal en vigueur le "
            f"{today:%d/%m/%Y} ({format_decimal(legal)} %), soit {format_decimal(3 * legal)} %.",
            "late_penalty_rate",
        )
    return rate


def create_company(data: dict, *, owner=None) -> Company:
    """A new company; `owner`, when given, becomes its administrator."""
    with transaction.atomic():
        company = Company.objects.create(**_clean(data, None))
        if owner is not None:
            Membership.objects.create(user=owner, company=company, role=Role.ADMIN)
        audit.record(
            "company.created",
            company,
            by=owner,
            company=company,
            changes={"legal_name": company.legal_name, "siren": company.siren},
        )
    return company


def update_company(company: Company, data: dict, *, by) -> Company:
    require(by, company, EDIT_COMPANY)
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company.pk)
        before = audit.snapshot(company, COMPANY_FIELDS)
        merged = _clean(
            {**before, **data, "share_capital": data.get("share_capital", company.share_capital)},
            company,
        )
        for key, value in merged.items():
            setattr(company, key, value)
        company.save()
        changes = audit.diff(before, audit.snapshot(company, COMPANY_FIELDS))
        if changes:
            audit.record("company.updated", company, by=by, company=company, changes=changes)
    return company


def add_member(company: Company, user, role: str, *, by=None) -> Membership:
    if by is not None:
        require(by, company, EDIT_COMPANY)
    if role not in Role.values:
        raise ValidationFailed("invalid_role", "Rôle inconnu.", "role")
    with transaction.atomic():
        membership, _ = Membership.objects.update_or_create(
            user=user, company=company, defaults={"role": role}
        )
        audit.record(
            "company.member_set",
            company,
            by=by,
            company=company,
            changes={"user": user.get_username(), "role": role},
        )
    return membership
