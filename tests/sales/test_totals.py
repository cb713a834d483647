"""EN 16931 arithmetic, by hand and against an independent computation in integers."""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from encaisse.catalog.vat import RATES
from encaisse.sales.totals import compute_totals, line_amounts


@dataclass
class Line:
    net_amount: Decimal
    vat_rate: Decimal
    vat_exemption: str = ""
    vat_exemption_reason: str = ""


def test_line_amounts_by_hand():
    # 3 × 12.345 = 37.035 -> 37.04 (half up); 10 % of 37.04 = 3.704 -> 3.70; net 33.34
    amounts = line_amounts(Decimal("3"), Decimal("12.345"), Decimal("10"))
    assert (amounts.gross, amounts.discount, amounts.net) == (
        Decimal("37.04"),
        Decimal("3.70"),
        Decimal("33.34"),
    )


def test_vat_is_computed_on_the_sum_of_bases_not_per_line():
    # Three lines of 0.07 at 20 %: per line 0.014 -> 0.01 (0.03 in all);
    # on the sum of the bases 0.21 × 20 % = 0.042 -> 0.04, which EN 16931 requires.
    lines = [Line(Decimal("0.07"), Decimal("20.00")) for _ in range(3)]
    totals = compute_totals(lines)
    assert totals.vat == Decimal("0.04")
    assert totals.incl_vat == Decimal("0.25")


def test_breakdown_per_rate_and_exemption():
    lines = [
        Line(Decimal("100.00"), Decimal("20.00")),
        Line(Decimal("50.00"), Decimal("5.50")),
        Line(Decimal("33.33"), Decimal("20.00")),
        Line(Decimal("200.00"), Decimal("0.00"), "E", "Exonération de TVA, article 261 du CGI"),
    ]
    totals = compute_totals(lines)
    by_key = {(b.category, b.rate): (b.base, b.vat) for b in totals.breakdown}
    # 133.33 × 20 % = 26.666 -> 26.67 ; 50 × 5.5 % = 2.75 ; exempt: 0
    assert by_key == {
        ("S", Decimal("20.00")): (Decimal("133.33"), Decimal("26.67")),
        ("S", Decimal("5.50")): (Decimal("50.00"), Decimal("2.75")),
        ("E", Decimal("0.00")): (Decimal("200.00"), Decimal("0.00")),
    }
    assert totals.excl_vat == Decimal("383.33")
    assert totals.vat == Decimal("29.42")
    assert totals.incl_vat == Decimal("412.75")


def _round_half_up_cents(value: Fraction) -> int:
    """Independent rounding: exact rational -> integer cents, half away from zero."""
    cents = value * 100
    sign = -1 if cents < 0 else 1
    cents = abs(cents)
    whole, rest = divmod(cents.numerator, cents.denominator)
    if 2 * rest >= cents.denominator:
        whole += 1
    return sign * whole


quantities = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("10000"), places=4)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=4)
discounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)
rates = st.sampled_from(RATES)
raw_lines = st.lists(st.tuples(quantities, prices, discounts, rates), min_size=1, max_size=12)


@given(raw_lines)
def test_totals_match_an_independent_integer_computation(raw):
    lines, expected_bases = [], {}
    for quantity, price, discount, rate in raw:
        amounts = line_amounts(quantity, price, discount)
        gross = _round_half_up_cents(Fraction(quantity) * Fraction(price))
        allowance = _round_half_up_cents(Fraction(gross, 100) * Fraction(discount) / 100)
        assert amounts.net == Decimal(gross - allowance) / 100
        exemption = "E" if rate == 0 else ""
        lines.append(Line(amounts.net, rate, exemption))
        expected_bases[rate] = expected_bases.get(rate, 0) + gross - allowance
    expected_vat = sum(
        _round_half_up_cents(Fraction(base, 100) * Fraction(rate) / 100)
        for rate, base in expected_bases.items()
    )
    totals = compute_totals(lines)
    assert totals.excl_vat == Decimal(sum(expected_bases.values())) / 100
    assert totals.vat == Decimal(expected_vat) / 100
    assert totals.incl_vat == totals.excl_vat + totals.vat
    assert all(b.base.as_tuple().exponent == -2 for b in totals.breakdown)


@given(raw_lines, st.randoms())
def test_totals_do_not_depend_on_line_order(raw, rnd):
    lines = [Line(line_amounts(q, p, d).net, r, "E" if r == 0 else "") for q, p, d, r in raw]
    shuffled = lines[:]
    rnd.shuffle(shuffled)
    assert compute_totals(lines) == compute_totals(shuffled)


@given(raw_lines)
def test_document_vat_is_within_half_a_cent_per_line_of_line_level_vat(raw):
    # Rounding once per rate can differ from summing rounded line VATs by < 0.005 per line.
    lines = [Line(line_amounts(q, p, d).net, r, "E" if r == 0 else "") for q, p, d, r in raw]
    per_line = sum(Fraction(line.net_amount) * Fraction(line.vat_rate) / 100 for line in lines)
    assert abs(Fraction(compute_totals(lines).vat) - per_line) <= Fraction(5, 1000) * len(lines)
