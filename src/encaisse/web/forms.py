"""Forms that render fields and parse basic types. The services do the validation."""

from django import forms
from django.contrib.auth import get_user_model

from encaisse.catalog.models import ItemKind, Unit
from encaisse.catalog.vat import RATES, Exemption
from encaisse.companies.models import MAX_BACKDATING_DAYS
from encaisse.customers.models import Customer, CustomerKind, RiskClass, Segment
from encaisse.money import format_decimal
from encaisse.sales.models import DocumentStatus
from encaisse.sales.terms import PaymentTermsKind

RATE_OPTIONS = [(str(r), f"{format_decimal(r)} %") for r in RATES]
EXEMPTION_OPTIONS = [("", "—"), *Exemption.choices]


def text(label, *, required=False, area=False, **kwargs):
    widget = forms.Textarea(attrs={"rows": 3}) if area else None
    return forms.CharField(label=label, required=required, widget=widget, **kwargs)


def date_field(label):
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )


def members_of(company):
    return [("", "—")] + [
        (u.pk, u.get_full_name() or u.get_username())
        for u in get_user_model().objects.filter(memberships__company=company).order_by("username")
    ]


class CustomerForm(forms.Form):
    legal_name = text("Raison sociale / nom")
    kind = forms.ChoiceField(label="Type", choices=CustomerKind.choices)
    siren = text("SIREN")
    siret = text("SIRET")
    vat_number = text("N° de TVA intracommunautaire")
    email = forms.EmailField(label="E-mail", required=False)
    phone = text("Téléphone")
    billing_line1 = text("Adresse de facturation")
    billing_line2 = text("Complément")
    billing_postal_code = text("Code postal")
    billing_city = text("Ville")
    billing_country = text("Pays (code ISO)", initial="FR")
    delivery_line1 = text("Adresse de livraison")
    delivery_line2 = text("Complément")
    delivery_postal_code = text("Code postal")
    delivery_city = text("Ville")
    delivery_country = text("Pays (code ISO)")
    terms_kind = forms.ChoiceField(
        label="Conditions de paiement",
        required=False,
        choices=[("", "Conditions de la société"), *PaymentTermsKind.choices],
    )
    terms_days = forms.IntegerField(label="Délai (jours)", required=False, min_value=0)
    einvoicing_address = text("Adresse de facturation électronique")
    salesperson = forms.ChoiceField(label="Commercial", required=False)
    segment = forms.ChoiceField(label="Segment", choices=Segment.choices)
    risk_class = forms.ChoiceField(label="Classe de risque", choices=RiskClass.choices)
    notes = text("Notes", area=True)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].choices = members_of(company)

    @staticmethod
    def initial_of(customer: Customer) -> dict:
        data = {name: getattr(customer, name) for name in CustomerForm.base_fields}
        data["salesperson"] = customer.salesperson_id or ""
        return data


class ContactForm(forms.Form):
    name = text("Nom")
    job_title = text("Fonction")
    email = forms.EmailField(label="E-mail", required=False)
    phone = text("Téléphone")
    is_billing_contact = forms.BooleanField(label="Destinataire des factures", required=False)


class ProductForm(forms.Form):
    reference = text("Référence")
    label = text("Désignation")
    kind = forms.ChoiceField(label="Nature", choices=[("", "—"), *ItemKind.choices], required=False)
    unit = forms.ChoiceField(label="Unité", choices=Unit.choices)
    # Amounts stay text: the service parses them (French comma, 4 decimals at most).
    unit_price = text("Prix unitaire HT (€)")
    vat_rate = forms.ChoiceField(label="Taux de TVA", choices=RATE_OPTIONS, initial="20.00")
    vat_exemption = forms.ChoiceField(
        label="Motif d'exonération (si 0 %)", choices=EXEMPTION_OPTIONS, required=False
    )
    vat_exemption_reason = text("Mention d'exonération")
    cost_price = text("Prix de revient HT (€)")
    is_active = forms.BooleanField(label="Actif", required=False, initial=True)

    @staticmethod
    def initial_of(product) -> dict:
        data = {name: getattr(product, name) for name in ProductForm.base_fields}
        data["vat_rate"] = str(product.vat_rate)
        data["unit_price"] = format_decimal(product.unit_price)
        data["cost_price"] = format_decimal(product.cost_price)
        return data


class CompanyForm(forms.Form):
    legal_name = text("Raison sociale")
    trade_name = text("Nom commercial")
    legal_form = text("Forme juridique")
    share_capital = forms.DecimalField(
        label="Capital social (€)", required=False, localize=True, decimal_places=2
    )
    siren = text("SIREN")
    siret = text("SIRET du siège")
    rcs_city = text("Ville du RCS")
    vat_number = text("N° de TVA intracommunautaire")
    address_line1 = text("Adresse")
    address_line2 = text("Complément d'adresse")
    postal_code = text("Code postal")
    city = text("Ville")
    country = text("Pays (code ISO)")
    email = forms.EmailField(label="E-mail", required=False)
    phone = text("Téléphone")
    iban = text("IBAN")
    bic = text("BIC")
    einvoicing_address = text("Adresse de facturation électronique")
    default_terms_kind = forms.ChoiceField(
        label="Conditions de paiement par défaut", choices=PaymentTermsKind.choices
    )
    default_terms_days = forms.IntegerField(label="Délai par défaut (jours)", required=False)
    late_penalty_clause = text("Clause de pénalités de retard", area=True)
    early_payment_discount_clause = text("Conditions d'escompte")
    vat_on_debits = forms.BooleanField(
        label="Option pour le paiement de la TVA d'après les débits", required=False
    )
    invoice_prefix = text("Préfixe des factures")
    credit_note_prefix = text("Préfixe des avoirs")
    # Bounds checked by the service (companies.services.check_backdating_days).
    backdating_days = forms.IntegerField(
        label="Antériorité maximale de la date d'émission (jours)",
        help_text=f"Une facture ou un avoir peut être daté d'au plus ce nombre de jours avant "
        f"aujourd'hui (0 à {MAX_BACKDATING_DAYS}).",
    )
    write_off_threshold = text("Seuil des écarts passés en pertes (€)")
    late_penalty_rate = text(
        "Taux contractuel des pénalités de retard (% par an)",
        help_text="Vide : taux BCE + 10 points. Au moins 3 fois le taux de l'intérêt légal.",
    )
    penalty_day_count = forms.TypedChoiceField(
        label="Base de calcul des pénalités",
        choices=[(365, "365 jours"), (360, "360 jours")],
        coerce=int,
    )
    financing_rate = text(
        "Taux de financement (% par an)", help_text="Pour le coût du retard de paiement."
    )

    @staticmethod
    def initial_of(company) -> dict:
        data = {name: getattr(company, name) for name in CompanyForm.base_fields}
        data["write_off_threshold"] = format_decimal(company.write_off_threshold)
        data["financing_rate"] = format_decimal(company.financing_rate)
        data["late_penalty_rate"] = format_decimal(company.late_penalty_rate)
        return data


class InvoiceHeaderForm(forms.Form):
    customer = forms.ChoiceField(label="Client")
    terms_kind = forms.ChoiceField(
        label="Conditions de paiement",
        required=False,
        choices=[("", "Celles du client"), *PaymentTermsKind.choices],
    )
    terms_days = forms.IntegerField(label="Délai (jours)", required=False, min_value=0)
    customer_reference = text("Référence commande client (bon de commande)")
    delivery_date = date_field("Date de livraison / prestation")
    notes = text("Mentions complémentaires", area=True)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [
            ("", "Choisir un client…"),
            *list(Customer.objects.filter(company=company).values_list("pk", "legal_name")),
        ]


class CustomerSearchForm(forms.Form):
    q = text("Rechercher")


KIND_FILTER = [("invoice", "Factures"), ("credit_note", "Avoirs"), ("all", "Factures et avoirs")]


class InvoiceFilterForm(forms.Form):
    q = text("N°")
    kind = forms.ChoiceField(label="Type", required=False, choices=KIND_FILTER)
    status = forms.ChoiceField(
        label="Statut", required=False, choices=[("", "Tous"), *DocumentStatus.choices]
    )
    customer = forms.ChoiceField(label="Client", required=False)
    issued_from = date_field("Émise du")
    issued_to = date_field("au")

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [
            ("", "Tous"),
            *list(Customer.objects.filter(company=company).values_list("pk", "legal_name")),
        ]

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
    amount = text("Montant HT à créditer (€)")
    vat_rate = forms.ChoiceField(label="Taux de TVA", required=False)
    reason = text("Motif de l'avoir")

    def __init__(self, *args, rates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vat_rate"].choices = [(str(r), f"{format_decimal(r)} %") for r in rates]
