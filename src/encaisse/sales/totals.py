"""Invoice arithmetic, as EN 16931 defines it.

- line net amount (BT-131) = quantity × unit price, rounded to the cent, less the line
  discount (BT-136), itself rounded to the cent;
- document allowances (BG-20, BT-92) and charges (BG-21, BT-99), excl. VAT, each with the
  VAT category and rate whose base they change;
- VAT breakdown (BG-23): per category and rate, the base is Σ line nets − allowances +
  charges of that rate, and the VAT is base × rate rounded once (never a sum of rounded
  line VATs);
- totals: Σ line nets (BT-106), Σ allowances (BT-107), Σ charges (BT-108),
  excl. VAT (BT-109) = BT-106 − BT-107 + BT-108; VAT (BT-110) = Σ VAT per rate;
  incl. VAT (BT-112) = BT-109 + BT-110.
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
    lines: Decimal = ZERO  # BT-106
    allowances: Decimal = ZERO  # BT-107
    charges: Decimal = ZERO  # BT-108
    excl_vat: Decimal = ZERO  # BT-109
    vat: Decimal = ZERO  # BT-110
    incl_vat: Decimal = ZERO  # BT-112


def compute_totals(lines: Iterable, allowances: Iterable = ()) -> Totals:
    """Totals of lines (net_amount, vat_rate, vat_exemption, vat_exemption_reason) and
    document allowances/charges (amount, is_charge and the same VAT fields)."""
    groups: dict[tuple[str, Decimal], list] = {}
    line_total = allowance_total = charge_total = ZERO

    def add(item, amount):
        key = (category(item.vat_rate, item.vat_exemption), item.vat_rate)
        group = groups.setdefault(key, [ZERO, item.vat_exemption_reason])
        group[0] += amount

    for line in lines:
        add(line, line.net_amount)
        line_total += line.net_amount
    for item in allowances:
        if item.is_charge:
            add(item, item.amount)
            charge_total += item.amount
        else:
            add(item, -item.amount)
            allowance_total += item.amount
    breakdown = [
        VatBreakdown(cat, rate, q2(base), percent_of(base, rate), reason)
        for (cat, rate), (base, reason) in sorted(groups.items(), key=lambda kv: -kv[0][1])
    ]
    excl = sum((b.base for b in breakdown), ZERO)
    vat = sum((b.vat for b in breakdown), ZERO)
    return Totals(
        breakdown=breakdown,
        lines=line_total,
        allowances=allowance_total,
        charges=charge_total,
        excl_vat=excl,
        vat=vat,
        incl_vat=excl + vat,
    )
