"""The mandatory mentions of an invoice: checked before it is issued, and built (one
builder for the draft's preview and the issued document, so they cannot drift).

Sources: C. com. L.441-9 (parties, dates, quantities, prices, payment date, discount
conditions, late-penalty rate, 40 EUR recovery fee); CGI ann. II art. 242 nonies A
(seller identity, SIREN, legal form and capital, RCS, VAT numbers, number, rates);
e-invoicing reform (buyer SIREN, delivery address, nature of operations, VAT on debits).
The texts fixed by law live in `encaisse.legal`.
"""

from encaisse import legal
from encaisse.catalog.models import ItemKind
from encaisse.customers.models import Customer

from . import schedule as schedules
from .models import OperationNature
from .terms import describe

# Legal forms without share capital or RCS registration (sole traders).
SOLE_TRADER_FORMS = {"EI", "EIRL", "MICRO-ENTREPRENEUR", "AUTO-ENTREPRENEUR"}

EU_COUNTRIES = {
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
}


def missing_mentions(company, customer: Customer, lines) -> list[dict]:
    """Each missing mention as {"field", "message"}; empty when the invoice may be issued."""
    missing: list[dict] = []

    def need(ok, field, message):
        if not ok:
            missing.append({"field": field, "message": message})

    sole_trader = company.legal_form.upper() in SOLE_TRADER_FORMS
    need(company.legal_name, "company.legal_name", "raison sociale du vendeur")
    need(company.legal_form, "company.legal_form", "forme juridique du vendeur")
    need(
        sole_trader or company.share_capital is not None,
        "company.share_capital",
        "capital social du vendeur",
    )
    need(company.siren, "company.siren", "SIREN du vendeur")
    need(company.siret, "company.siret", "SIRET du vendeur")
    need(sole_trader or company.rcs_city, "company.rcs_city", "ville du RCS du vendeur")
    need(company.vat_number, "company.vat_number", "n° de TVA du vendeur")
    need(
        company.address_line1 and company.postal_code and company.city,
        "company.address",
        "adresse du vendeur",
    )
    # The L.441-10 clause is the company's wording, printed to professionals; a consumer's
    # invoice prints the legal-interest sentence of `legal` instead.
    if legal.late_payment_regime(customer) is legal.LatePaymentRegime.COMMERCIAL:
        need(
            company.late_penalty_clause.strip(),
            "company.late_penalty_clause",
            "taux des pénalités de retard",
        )
    need(
        company.early_payment_discount_clause.strip(),
        "company.early_payment_discount_clause",
        "conditions d'escompte (ou leur absence)",
    )

    need(customer.legal_name, "customer.legal_name", "nom du client")
    need(
        customer.billing_line1 and customer.billing_postal_code and customer.billing_city,
        "customer.billing_address",
        "adresse de facturation du client",
    )
    if customer.is_professional and customer.billing_country == "FR":
        need(customer.siren, "customer.siren", "SIREN du client")
    if (
        customer.is_professional
        and customer.billing_country in EU_COUNTRIES
        and customer.billing_country != "FR"
    ):
        need(customer.vat_number, "customer.vat_number", "n° de TVA intracommunautaire du client")
    delivery = customer.delivery_address
    if delivery is not None:
        need(
            delivery["line1"] and delivery["postal_code"] and delivery["city"],
            "customer.delivery_address",
            "adresse de livraison complète",
        )

    need(lines, "lines", "au moins une ligne")
    for index, line in enumerate(lines, start=1):
        need(
            line.description.strip(),
            f"lines.{index}.description",
            f"désignation de la ligne {index}",
        )
        need(line.quantity > 0, f"lines.{index}.quantity", f"quantité positive à la ligne {index}")
        need(
            line.vat_rate > 0 or line.vat_exemption_reason,
            f"lines.{index}.vat_exemption",
            f"motif d'exonération de TVA à la ligne {index}",
        )
    return missing


def operation_nature(lines) -> str:
    """Goods, services or mixed (BT-23's first letter), from the lines' kinds."""
    kinds = {line.item_kind for line in lines}
    if kinds == {ItemKind.GOODS}:
        return OperationNature.GOODS
    if kinds == {ItemKind.SERVICE}:
        return OperationNature.SERVICES
    return OperationNature.MIXED


def build_mentions(invoice, company, customer, lines, installments) -> dict:
    """The mentions printed on `invoice` (a draft, read with the company and customer
    given, as they are now) and frozen into it at issue. `installments`: its schedule
    resolved for the issue date (empty without a schedule)."""
    mentions = {
        "payment_terms": schedules.describe(installments)
        if installments
        else describe(invoice.terms_kind, invoice.terms_days),
        **legal.late_payment_mentions(customer, company.late_penalty_clause),
        # The contractual rate (percent) the penalties of this invoice use; "" = legal
        # (and always for a consumer, who owes legal interest only).
        "late_penalty_rate": ""
        if company.late_penalty_rate is None
        or legal.late_payment_regime(customer) is legal.LatePaymentRegime.CONSUMER
        else str(company.late_penalty_rate),
        "early_payment_discount_clause": company.early_payment_discount_clause,
        "vat_on_debits": legal.VAT_ON_DEBITS_MENTION if company.vat_on_debits else "",
        "operation_nature": OperationNature(operation_nature(lines)).label,
    }
    original = invoice.credited_invoice if invoice.kind_spec.corrects_invoice else None
    if original is not None:
        mentions["credited_invoice"] = {
            "number": original.number,
            "issue_date": original.issue_date.isoformat(),
        }
    return mentions
