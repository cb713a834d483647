"""The rules of French law the application applies, each once, with its source.

Amounts and delays that the law fixes live here; rates that change (ECB, legal interest)
are data (`collection.ReferenceRate`), never constants. Texts printed on documents
(mentions) are built from these values, so a figure cannot drift between the invoice, the
letters and the e-invoice.
"""

import enum
from decimal import Decimal

from encaisse.money import format_eur

RECOVERY_FEE = Decimal("40.00")  # per invoice paid late, professionals only (C. com. D.441-5)
LEGAL_MARGIN = Decimal("10")  # points over the ECB main refinancing rate (C. com. L.441-10)
CONTRACTUAL_RATE_FLOOR = 3  # × the legal interest rate, the lowest agreed rate (L.441-10)
FORMAL_NOTICE_DAYS = 8  # the usual deadline of a mise en demeure (C. civ. 1344)
# Legal interest is a yearly rate applied to the days elapsed (C. mon. fin. L.313-2);
# 365 whatever the company chose for its contractual penalties (a term of its B2B sales).
LEGAL_INTEREST_DAY_COUNT = 365


class LatePaymentRegime(enum.Enum):
    """What a customer owes when it pays late."""

    # L.441-10 penalties from the day after the due date, no reminder needed, and the 40 €
    # fee per invoice (D.441-5).
    COMMERCIAL = "commercial"
    # Legal interest (the rate of creditors who are not private persons) only from the
    # formal notice on (C. civ. 1231-6, 1344-1); no fee.
    CONSUMER = "consumer"


def late_payment_regime(party) -> LatePaymentRegime:
    """The one decision of which late-payment rules apply: to a customer, or to an issued
    invoice (its buyer as snapshotted on the issue day: a later change of the customer's
    kind does not change what a past invoice said)."""
    buyer = getattr(party, "buyer", None)
    kind = buyer.get("kind") if isinstance(buyer, dict) and buyer.get("kind") else None
    if kind is None:
        customer = getattr(party, "customer", party)
        kind = customer.kind
    if kind == "consumer":
        return LatePaymentRegime.CONSUMER
    return LatePaymentRegime.COMMERCIAL


# ---------------------------------------------------------------- mention texts
# Printed on documents and carried in the e-invoice's notes (BT-22); each figure comes
# from the constants above.


def whole_euros(amount: Decimal) -> str:
    """40.00 -> '40 €' (a round legal amount is written without cents, as in the law);
    other amounts as money ('40,50 €')."""
    if amount == amount.to_integral_value():
        return f"{amount:.0f}\u00a0€"
    return format_eur(amount)


# The L.441-10 clause: the default of `Company.late_penalty_clause` (a company may word
# its own, with a contractual rate). Printed to professional customers only.
LATE_PENALTY_CLAUSE = (
    "En cas de retard de paiement, des pénalités sont exigibles au taux de refinancement "
    f"de la BCE majoré de {LEGAL_MARGIN} points (art. L.441-10 du Code de commerce), à "
    "compter du jour suivant la date d'échéance."
)
# D.441-5: professional customers only.
RECOVERY_FEE_MENTION = (
    "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : "
    f"{whole_euros(RECOVERY_FEE)} (art. L.441-10 et D.441-5 du Code de commerce)."
)
# A consumer owes neither: what applies is legal interest from the formal notice.
CONSUMER_LATE_INTEREST_MENTION = (
    "En cas de retard de paiement, les sommes dues produisent intérêt au taux légal à "
    "compter de la mise en demeure (art. 1231-6 et 1344-1 du Code civil)."
)
# The same, as the pages that show penalties say it of a consumer's invoices.
CONSUMER_REGIME_NOTE = (
    "Client particulier : ni pénalités de retard (art. L.441-10 du Code de commerce) ni "
    "indemnité forfaitaire de recouvrement (art. D.441-5) ; intérêts au taux légal à "
    "compter du lendemain de la mise en demeure (art. 1231-6 et 1344-1 du Code civil)."
)
# BR-FR-05 wants a recovery-fee note (PMT) on every e-invoice, a consumer's included.
NO_RECOVERY_FEE_MENTION = (
    "Indemnité forfaitaire pour frais de recouvrement : non applicable (client non "
    "professionnel, art. L.441-10 du Code de commerce)."
)
VAT_ON_DEBITS_MENTION = "Option pour le paiement de la taxe d'après les débits."  # CGI 269


def late_payment_mentions(party, clause: str) -> dict[str, str]:
    """What a document says of late payment to `party` (a customer, or an issued
    invoice): {"late_penalty_clause", "recovery_fee"}. `clause` is the company's own
    wording of the L.441-10 clause, printed to professionals; a consumer gets the legal
    interest sentence instead, and no fee."""
    if late_payment_regime(party) is LatePaymentRegime.CONSUMER:
        return {"late_penalty_clause": CONSUMER_LATE_INTEREST_MENTION, "recovery_fee": ""}
    return {"late_penalty_clause": clause, "recovery_fee": RECOVERY_FEE_MENTION}
