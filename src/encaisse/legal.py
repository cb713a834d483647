"""The rules of French law the application applies, each once, with its source.

Amounts and delays that the law fixes live here; rates that change (ECB, legal interest)
are data (`collection.ReferenceRate`), never constants. Texts printed on documents
(mentions) are built from these values, so a figure cannot drift between the invoice, the
letters and the e-invoice.
"""

import enum
from decimal import Decimal

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
