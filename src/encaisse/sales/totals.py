"""Invoice arithmetic, as EN 16931 defines it.

- line net amount (BT-131) = quantity × unit price, rounded to the cent, less the line
  discount (BT-136), itself rounded to the cent;
- VAT breakdown (BG-23): per category and rate, the base is the sum of the line net
  amounts and the VAT is base × rate, rounded once (never a sum of rounded line VATs);
- totals: excl. VAT (BT-109) = Σ line nets; VAT (BT-110) = Σ VAT per rate;
  incl. VAT (BT-112) = excl. + VAT.
All Decimal, all ROUND_HALF_UP to the cent.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from encaisse.catalog.vat import category
from encaisse.money import ZERO, percent_of, q2


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal  # quantity × unit price, rounded
    discount: Decimal  # line allowance, rounded
    net: Decimal  # BT-131


def line_amounts(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> LineAmounts:
    gross = q2(quantity * unit_price)
    discount = percent_of(gross, discount_percent) if discount_percent else ZERO
    return LineAmounts(gross=gross, discount=discount, net=gross - discount)


@dataclass(frozen=True)
class VatBreakdown:
    category: str  # EN 16931 code: S, E, AE, K, G, O
    rate: Decimal
    base: Decimal
    vat: Decimal
    exemption_reason: str = ""


@dataclass(frozen=True)
class Totals:
    breakdown: list[VatBreakdown] = field(default_factory=list)
    excl_vat: Decimal = ZERO
    vat: Decimal = ZERO
    incl_vat: Decimal = ZERO


def compute_totals(lines: Iterable) -> Totals:
    """Totals of lines having net_amount, vat_rate, vat_exemption, vat_exemption_reason."""
    groups: dict[tuple[str, Decimal], list] = {}
    for line in lines:
        key = (category(line.vat_rate, line.vat_exemption), line.vat_rate)
        group = groups.setdefault(key, [ZERO, line.vat_exemption_reason])
        group[0] += line.net_amount
    breakdown = [
        VatBreakdown(cat, rate, q2(base), percent_of(base, rate), reason)
        for (cat, rate), (base, reason) in sorted(groups.items(), key=lambda kv: -kv[0][1])
    ]
    excl = sum((b.base for b in breakdown), ZERO)
    vat = sum((b.vat for b in breakdown), ZERO)
    return Totals(breakdown=breakdown, excl_vat=excl, vat=vat, incl_vat=excl + vat)
