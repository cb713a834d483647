"""Forms that render fields and parse basic types. The services do the business rules.

What every form checks itself, so that a mistake shows next to its field before anything
is sent to a service: free text fits the column it is stored in and holds only what the
documents can print (`text`, `email_field`: `validation.clean_text`), dates lie in the window
of `validation.DATE_MIN`..`DATE_MAX` (`date_field`). tests/web/test_form_limits.py walks
every form to hold it to that.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db import models

from encaisse import validation
from encaisse.catalog.models import ItemKind, Product, Unit
from encaisse.catalog.vat import RATES, Exemption
from encaisse.companies.models import MAX_BACKDATING_DAYS, Company, time_zones
from encaisse.customers.models import Civility, Contact, Customer, CustomerKind, RiskClass, Segment
from encaisse.errors import ValidationFailed
from encaisse.money import format_decimal
from encaisse.sales.models import DocumentStatus, Invoice
from encaisse.sales.terms import PaymentTermsKind

from .pickers import CustomerPicker

RATE_OPTIONS = [(str(r), f"{format_decimal(r)} %") for r in RATES]
EXEMPTION_OPTIONS = [("", "—"), *Exemption.choices]
NUMBER_MAX = 40  # characters of an amount or a rate typed as text
CODE_MAX = 50  # characters of an identifier typed with spaces (SIREN, IBAN...)
SEARCH_MAX = 200  # characters of a search
RECIPIENTS_MAX = 2000  # e-mail addresses separated by commas
REASON_MAX = 200  # a reason kept in the audit trail only


def _form_error(exc: ValidationFailed) -> forms.ValidationError:
    return forms.ValidationError(exc.message, code=exc.code)


class Printable:
    """Mixin of the text fields: `validation.clean_text` on what the user typed (NFC,
    line breaks only when multi-line, only characters the documents can print)."""

    multiline = False

    def clean(self, value):
        value = super().clean(value)
        if value:
            try:
                value = validation.clean_text(value, "", multiline=self.multiline)
            except ValidationFailed as exc:
                raise _form_error(exc) from None
        return value


class PrintableText(Printable, forms.CharField):
    def __init__(self, *, multiline=False, **kwargs):
        self.multiline = multiline
        super().__init__(**kwargs)


class PrintableEmail(Printable, forms.EmailField):
    pass


def text(label, *, of=None, max_length=None, required=False, area=None, rows=3, **kwargs):
    """A free-text field. `of`: the model field it is stored in (`Customer.legal_name`),
    whose max_length it takes (a TextField: validation.TEXT_AREA_MAX, in a textarea,
    multi-line, unless `area` is False); a text stored nowhere, or normalized before it is
    stored (a SIREN typed with spaces), gives its own `max_length`."""
    if of is not None:
        column = of.field
        limit = column.max_length or validation.TEXT_AREA_MAX
        max_length = min(max_length or limit, limit)
        if area is None:
            area = isinstance(column, models.TextField)
    if max_length is None:
        raise TypeError(f"text({label!r}): give the column (of=) or a max_length")
    widget = forms.Textarea(attrs={"rows": rows}) if area else None
    return PrintableText(
        label=label,
        required=required,
        widget=widget,
        max_length=max_length,
        multiline=area,
        **kwargs,
    )


def email_field(label="E-mail", *, of, required=False, **kwargs):
    return PrintableEmail(label=label, required=required, max_length=of.field.max_length, **kwargs)


def _in_window(value):
    try:
        validation.check_date(value, "")
    except ValidationFailed as exc:
        raise _form_error(exc) from None


def date_field(label, *, required=False, **kwargs):
    """A date, inside validation.DATE_MIN..DATE_MAX (the browser's picker too)."""
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(
            attrs={
                "type": "date",
                "min": validation.DATE_MIN.isoformat(),
                "max": validation.DATE_MAX.isoformat(),
            },
            format="%Y-%m-%d",
        ),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        validators=[_in_window],
        **kwargs,
    )


def members_of(company):
    return [("", "—")] + [
        (u.pk, u.get_full_name() or u.get_username())
        for u in get_user_model().objects.filter(memberships__company=company).order_by("username")
    ]


class CustomerForm(forms.Form):
    legal_name = text("Raison sociale / nom", of=Customer.legal_name)
    kind = forms.ChoiceField(label="Type", choices=CustomerKind.choices)
    siren = text("SIREN", max_length=CODE_MAX)
    siret = text("SIRET", max_length=CODE_MAX)
    vat_number = text("N° de TVA intracommunautaire", max_length=CODE_MAX)
    email = email_field(of=Customer.email)
    phone = text("Téléphone", of=Customer.phone)
    billing_line1 = text("Adresse de facturation", of=Customer.billing_line1)
    billing_line2 = text("Complément", of=Customer.billing_line2)
    billing_postal_code = text("Code postal", of=Customer.billing_postal_code)
    billing_city = text("Ville", of=Customer.billing_city)
    billing_country = text("Pays (code ISO)", of=Customer.billing_country, initial="FR")
    delivery_line1 = text("Adresse de livraison", of=Customer.delivery_line1)
    delivery_line2 = text("Complément", of=Customer.delivery_line2)
    delivery_postal_code = text("Code postal", of=Customer.delivery_postal_code)
    delivery_city = text("Ville", of=Customer.delivery_city)
    delivery_country = text("Pays (code ISO)", of=Customer.delivery_country)
    terms_kind = forms.ChoiceField(
        label="Conditions de paiement",
        required=False,
        choices=[("", "Conditions de la société"), *PaymentTermsKind.choices],
    )
    terms_days = forms.IntegerField(label="Délai (jours)", required=False, min_value=0)
    einvoicing_address = text("Adresse de facturation électronique", of=Customer.einvoicing_address)
    salesperson = forms.ChoiceField(label="Commercial", required=False)
    segment = forms.ChoiceField(label="Segment", choices=Segment.choices)
    risk_class = forms.ChoiceField(label="Classe de risque", choices=RiskClass.choices)
    notes = text("Notes", of=Customer.notes)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].choices = members_of(company)

    @staticmethod
    def initial_of(customer: Customer) -> dict:
        data = {name: getattr(customer, name) for name in CustomerForm.base_fields}
        data["salesperson"] = customer.salesperson_id or ""
        return data


class ContactForm(forms.Form):
    civility = forms.ChoiceField(
        label="Civilité", required=False, choices=[("", "—"), *Civility.choices]
    )
    first_name = text("Prénom", of=Contact.first_name)
    last_name = text("Nom", of=Contact.last_name)
    job_title = text("Fonction", of=Contact.job_title)
    email = email_field(of=Contact.email)
    phone = text("Téléphone", of=Contact.phone)
    is_billing_contact = forms.BooleanField(label="Destinataire des factures", required=False)


class ProductForm(forms.Form):
    reference = text("Référence", of=Product.reference)
    label = text("Désignation", of=Product.label)
    kind = forms.ChoiceField(label="Nature", choices=[("", "—"), *ItemKind.choices], required=False)
    unit = forms.ChoiceField(label="Unité", choices=Unit.choices)
    # Amounts stay text: the service parses them (French comma, 4 decimals at most).
    unit_price = text("Prix unitaire HT (€)", max_length=NUMBER_MAX)
    vat_rate = forms.ChoiceField(label="Taux de TVA", choices=RATE_OPTIONS, initial="20.00")
    vat_exemption = forms.ChoiceField(
        label="Motif d'exonération (si 0 %)", choices=EXEMPTION_OPTIONS, required=False
    )
    vat_exemption_reason = text("Mention d'exonération", of=Product.vat_exemption_reason)
    cost_price = text("Prix de revient HT (€)", max_length=NUMBER_MAX)
    is_active = forms.BooleanField(label="Actif", required=False, initial=True)

    @staticmethod
    def initial_of(product) -> dict:
        data = {name: getattr(product, name) for name in ProductForm.base_fields}
        data["vat_rate"] = str(product.vat_rate)
        data["unit_price"] = format_decimal(product.unit_price)
        data["cost_price"] = format_decimal(product.cost_price)
        return data


class CompanyForm(forms.Form):
    legal_name = text("Raison sociale", of=Company.legal_name)
    trade_name = text("Nom commercial", of=Company.trade_name)
    legal_form = text("Forme juridique", of=Company.legal_form)
    share_capital = forms.DecimalField(
        label="Capital social (€)", required=False, localize=True, decimal_places=2
    )
    siren = text("SIREN", max_length=CODE_MAX)
    siret = text("SIRET du siège", max_length=CODE_MAX)
    rcs_city = text("Ville du RCS", of=Company.rcs_city)
    vat_number = text("N° de TVA intracommunautaire", max_length=CODE_MAX)
    address_line1 = text("Adresse", of=Company.address_line1)
    address_line2 = text("Complément d'adresse", of=Company.address_line2)
    postal_code = text("Code postal", of=Company.postal_code)
    city = text("Ville", of=Company.city)
    country = text("Pays (code ISO)", of=Company.country)
    email = email_field(of=Company.email)
    phone = text("Téléphone", of=Company.phone)
    iban = text("IBAN", max_length=CODE_MAX)
    bic = text("BIC", max_length=CODE_MAX)
    einvoicing_address = text("Adresse de facturation électronique", of=Company.einvoicing_address)
    default_terms_kind = forms.ChoiceField(
        label="Conditions de paiement par défaut", choices=PaymentTermsKind.choices
    )
    default_terms_days = forms.IntegerField(label="Délai par défaut (jours)", required=False)
    late_penalty_clause = text("Clause de pénalités de retard", of=Company.late_penalty_clause)
    early_payment_discount_clause = text(
        "Conditions d'escompte", of=Company.early_payment_discount_clause
    )
    vat_on_debits = forms.BooleanField(
        label="Option pour le paiement de la TVA d'après les débits", required=False
    )
    invoice_prefix = text("Préfixe des factures", of=Company.invoice_prefix)
    credit_note_prefix = text("Préfixe des avoirs", of=Company.credit_note_prefix)
    # Bounds checked by the service (companies.services.check_backdating_days).
    backdating_days = forms.IntegerField(
        label="Antériorité maximale de la date d'émission (jours)",
        help_text=f"Une facture ou un avoir peut être daté d'au plus ce nombre de jours avant "
        f"aujourd'hui (0 à {MAX_BACKDATING_DAYS}).",
    )
    write_off_threshold = text("Seuil des écarts passés en pertes (€)", max_length=NUMBER_MAX)
    late_penalty_rate = text(
        "Taux contractuel des pénalités de retard (% par an)",
        max_length=NUMBER_MAX,
        help_text="Vide : taux BCE + 10 points. Au moins 3 fois le taux de l'intérêt légal.",
    )
    penalty_day_count = forms.TypedChoiceField(
        label="Base de calcul des pénalités",
        choices=[(365, "365 jours"), (360, "360 jours")],
        coerce=int,
    )
    financing_rate = text(
        "Taux de financement (% par an)",
        max_length=NUMBER_MAX,
        help_text="Pour le coût du retard de paiement.",
    )
    # Banking: the cash view's alert and the reconciliation report's old items.
    cash_alert_threshold = text(
        "Seuil d'alerte de trésorerie (€)",
        max_length=NUMBER_MAX,
        help_text="Vide : pas d'alerte. Sinon, une alerte quand le solde prévu passe dessous.",
    )
    bank_item_age_days = forms.IntegerField(
        label="Ancienneté d'un suspens bancaire ancien (jours)",
        help_text="Un suspens de l'état de rapprochement plus ancien est signalé (1 à 3650).",
    )
    # Bounds and names checked by the service (check_dunning_hour, check_time_zone).
    dunning_hour = forms.IntegerField(
        label="Heure de la relance automatique",
        help_text=Company._meta.get_field("dunning_hour").help_text,
    )
    time_zone = forms.ChoiceField(
        label="Fuseau horaire",
        choices=lambda: [(name, name) for name in sorted(time_zones())],
    )

    @staticmethod
    def initial_of(company) -> dict:
        data = {name: getattr(company, name) for name in CompanyForm.base_fields}
        data["write_off_threshold"] = format_decimal(company.write_off_threshold)
        data["financing_rate"] = format_decimal(company.financing_rate)
        data["cash_alert_threshold"] = format_decimal(company.cash_alert_threshold)
        data["late_penalty_rate"] = format_decimal(company.late_penalty_rate)
        return data


class InvoiceHeaderForm(forms.Form):
    customer = CustomerPicker(label="Client")
    terms_kind = forms.ChoiceField(
        label="Conditions de paiement",
        required=False,
        choices=[("", "Celles du client"), *PaymentTermsKind.choices],
    )
    terms_days = forms.IntegerField(label="Délai (jours)", required=False, min_value=0)
    customer_reference = text(
        "Référence commande client (bon de commande)", of=Invoice.customer_reference
    )
    delivery_date = date_field("Date de livraison / prestation")
    notes = text("Mentions complémentaires", of=Invoice.notes)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].company = company


class CustomerSearchForm(forms.Form):
    q = text("Rechercher", max_length=SEARCH_MAX)


KIND_FILTER = [("invoice", "Factures"), ("credit_note", "Avoirs"), ("all", "Factures et avoirs")]


class InvoiceFilterForm(forms.Form):
    q = text("N°", of=Invoice.number)
    kind = forms.ChoiceField(label="Type", required=False, choices=KIND_FILTER)
    status = forms.ChoiceField(
        label="Statut", required=False, choices=[("", "Tous"), *DocumentStatus.choices]
    )
    customer = CustomerPicker(label="Client", required=False)
    issued_from = date_field("Émise du")
    issued_to = date_field("au")

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].company = company
        if self.data.get("kind", "invoice") != "invoice":
            # Un avoir émis; factures et avoirs émis: the words agree.
            self.fields["status"].choices = [
                ("", "Tous"),
                ("draft", "Brouillon"),
                ("issued", "Émis"),
            ]
            self.fields["issued_from"].label = "Émis du"

    def filters(self) -> dict:
        """The selector's keyword arguments; an invalid value is dropped, not fatal."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v}


class CreditNoteForm(forms.Form):
    mode = forms.ChoiceField(
        label="Avoir",
        widget=forms.RadioSelect,
        initial="full",
        choices=[
            ("full", "Total : annule tout ce qui reste de la facture"),
            ("lines", "Par lignes : quantités à créditer ligne par ligne"),
            ("amount", "Par montant : un montant HT à un taux de TVA"),
        ],
    )
    amount = text("Montant HT à créditer (€)", max_length=NUMBER_MAX)
    vat_rate = forms.ChoiceField(label="Taux de TVA", required=False)
    reason = text("Motif de l'avoir", of=Invoice.credit_reason)

    def __init__(self, *args, rates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vat_rate"].choices = [(str(r), f"{format_decimal(r)} %") for r in rates]
