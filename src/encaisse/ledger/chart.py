"""The chart of accounts: French PCG defaults, created on first use, labels editable."""

from decimal import Decimal

from .models import Account

CUSTOMERS = "411"
DOUBTFUL = "416"
BANK = "512"
GOODS = "707"
SERVICES = "706"
ANCILLARY = "708"  # charges invoiced (carriage, packaging)
ALLOWANCES_GIVEN = "709"
LOSSES = "658"
GAINS = "758"
BAD_DEBTS = "654"
# Doubtful debts (PCG): the provision on the receivable excl. VAT, its charge and reversal.
CUSTOMER_PROVISIONS = "491"
PROVISION_CHARGES = "6817"
PROVISION_REVERSALS = "7817"
VAT_BY_RATE = {
    Decimal("20.00"): "445711",
    Decimal("10.00"): "445712",
    Decimal("5.50"): "445713",
    Decimal("2.10"): "445714",
}

DEFAULT_LABELS = {
    CUSTOMERS: "Clients",
    DOUBTFUL: "Clients douteux ou litigieux",
    BANK: "Banque",
    GOODS: "Ventes de marchandises",
    SERVICES: "Prestations de services",
    ANCILLARY: "Produits des activités annexes",
    ALLOWANCES_GIVEN: "Rabais, remises et ristournes accordés",
    LOSSES: "Charges diverses de gestion courante",
    GAINS: "Produits divers de gestion courante",
    BAD_DEBTS: "Pertes sur créances irrécouvrables",
    CUSTOMER_PROVISIONS: "Dépréciations des comptes de clients",
    PROVISION_CHARGES: "Dotations aux dépréciations des actifs circulants",
    PROVISION_REVERSALS: "Reprises sur dépréciations des actifs circulants",
    "445711": "TVA collectée 20 %",
    "445712": "TVA collectée 10 %",
    "445713": "TVA collectée 5,5 %",
    "445714": "TVA collectée 2,1 %",
}


def account(company, number: str, cache: dict | None = None) -> Account:
    """The company's account `number`, created with its PCG label on first use."""
    if cache is not None and number in cache:
        return cache[number]
    found, _ = Account.objects.get_or_create(
        company=company, number=number, defaults={"label": DEFAULT_LABELS.get(number, number)}
    )
    if cache is not None:
        cache[number] = found
    return found


def accounts(company, numbers) -> dict[str, Account]:
    """{number: account} of the company's accounts `numbers`, read in one query, those
    missing created with their PCG label."""
    wanted = set(numbers)
    found = {a.number: a for a in Account.objects.filter(company=company, number__in=wanted)}
    for number in wanted - found.keys():
        found[number] = account(company, number)
    return found


def customer_account_code(customer) -> str:
    """The customer's auxiliary account (FEC CompAuxNum)."""
    return f"C{customer.pk:06d}"
