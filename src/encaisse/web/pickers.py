"""Customer and product pickers: a text input that searches as one types (autocomplete),
never a `<select>` of the whole table.

The widget renders a combobox (`partials/picker.html`): the text the user types, sent by
htmx to a small search view (`customer_search`, `product_search`: at most
`MAX_MATCHES` matches of the company, as `<li role="option">`), and a hidden input with
the chosen record's id, set by app.js (arrow keys, Enter, Escape, or a click). Without
scripts only the text is posted: the field then looks the text up in the company (a name,
a reference, a SIREN...) and takes the one record it names, else it says what is wrong
next to the field. An id of another company's record is "unknown", never a 500.

`cleaned_data[name]` is the record's id (an int), as the services take it; None when
left empty.
"""

from django import forms
from django.db.models import Q
from django.urls import reverse

from encaisse.catalog.models import Product
from encaisse.customers.models import Customer
from encaisse.customers.services import search as search_customers
from encaisse.money import format_eur
from encaisse.receivables.models import Installment
from encaisse.sales.selectors import products as search_products

MAX_MATCHES = 20
LABEL_SUFFIX = "_label"  # the text input's name: the field's name + this


def query_text(request) -> str:
    """What a search view looks for: `q`, or the text of the picker that asked."""
    text = request.GET.get("q") or next(
        (v for k, v in request.GET.items() if k.endswith(LABEL_SUFFIX)), ""
    )
    return text.strip()[:100]


class Picker(forms.Widget):
    template_name = "encaisse/partials/picker.html"

    def __init__(self, field, attrs=None):
        super().__init__(attrs)
        self.field = field

    def value_from_datadict(self, data, files, name):
        return (data.get(name, ""), data.get(name + LABEL_SUFFIX, ""))

    def value_omitted_from_data(self, data, files, name):
        return name not in data and name + LABEL_SUFFIX not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, None, attrs)
        pk, text = value if isinstance(value, (tuple, list)) else (value, "")
        pk = str(pk or "").strip()
        if pk and not text:  # an id (initial, or posted alone): its record's label
            record = self.field.record(pk)
            text = self.field.describe(record) if record else ""
        context["widget"].update(
            value=pk,
            text=text,
            label_name=name + LABEL_SUFFIX,
            url=reverse(self.field.url_name),
            placeholder=self.field.placeholder,
        )
        return context


class RecordPicker(forms.Field):
    """A record of the company chosen by searching; `company` set by the form."""

    model = None
    noun = ""  # « client », for the messages
    feminine = False  # « Aucune facture », « Facture inconnue »
    url_name = ""
    placeholder = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = None
        self.widget = Picker(self)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.widget = Picker(result, self.widget.attrs)
        return result

    def search(self, text: str):
        raise NotImplementedError

    def exact(self, text: str) -> Q:
        raise NotImplementedError

    def describe(self, record) -> str:
        raise NotImplementedError

    def record(self, pk):
        pk = str(pk or "").strip()
        if not pk.isdigit() or len(pk) > 18:
            return None
        return self.model.objects.filter(company=self.company, pk=int(pk)).first()

    def to_python(self, value):
        pk, text = value if isinstance(value, (tuple, list)) else (value, "")
        pk, text = str(pk or "").strip(), str(text or "").strip()
        if pk:
            record = self.record(pk)
            if record is None:
                ending = "e" if self.feminine else ""
                raise forms.ValidationError(f"{self.noun.capitalize()} inconnu{ending}.")
            return record.pk
        if not text:
            return None
        # No id posted (no scripts, or text typed without choosing): the text must name
        # one record, exactly (a name, a reference...) or as the only match of a search.
        exact = list(self.search(text).filter(self.exact(text))[:2])
        matches = exact or list(self.search(text)[:2])
        if len(matches) == 1:
            return matches[0].pk
        if not matches:
            none = "Aucune" if self.feminine else "Aucun"
            raise forms.ValidationError(f"{none} {self.noun} ne correspond à « {text[:100]} ».")
        raise forms.ValidationError(
            f"Plusieurs {self.noun}s correspondent à « {text[:100]} » : précisez, ou "
            "choisissez dans la liste."
        )


class CustomerPicker(RecordPicker):
    model = Customer
    noun = "client"
    url_name = "web:customer_search"
    placeholder = "Nom, SIREN, SIRET ou ville"

    def search(self, text):
        return search_customers(self.company, text).order_by("legal_name", "pk")

    def exact(self, text):
        digits = text.replace(" ", "")
        return Q(legal_name__iexact=text) | Q(siren=digits) | Q(siret=digits)

    def describe(self, record):
        return record.legal_name


class ProductPicker(RecordPicker):
    model = Product
    noun = "article"
    url_name = "web:product_search"
    placeholder = "Référence ou désignation"

    def search(self, text):
        return search_products(self.company, text).filter(is_active=True)

    def exact(self, text):
        return Q(reference__iexact=text) | Q(label__iexact=text)

    def describe(self, record):
        return f"{record.reference} — {record.label}"


class InstallmentPicker(RecordPicker):
    """An open installment (review screen: « / » searches another candidate), by invoice
    number, amount or customer name; bounded like the others (banking.review.search)."""

    noun = "facture"
    feminine = True
    url_name = "web:installment_search"
    placeholder = "N° de facture, montant ou client"

    model = Installment

    def record(self, pk):
        pk = str(pk or "").strip()
        if not pk.isdigit() or len(pk) > 18:
            return None
        return (
            self.model.objects.filter(company=self.company, pk=int(pk), open_amount__gt=0)
            .select_related("invoice", "customer")
            .first()
        )

    def search(self, text):
        from encaisse.banking.review import search_installments

        return search_installments(self.company, text)

    def exact(self, text):
        return Q(invoice__number__iexact=text.strip())

    def describe(self, record):
        return (
            f"{record.invoice.number} — {format_eur(record.open_amount)} dû — "
            f"{record.customer.legal_name}"
        )
