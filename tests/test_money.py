from decimal import Decimal

import pytest

from encaisse.money import format_decimal, format_eur, q2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2.675", "2.68"),
        ("2.665", "2.67"),
        ("-2.675", "-2.68"),
        ("0.004", "0.00"),
        ("0.005", "0.01"),
        ("1", "1.00"),
    ],
)
def test_q2_rounds_half_up_away_from_zero(value, expected):
    assert q2(Decimal(value)) == Decimal(expected)


def test_q2_refuses_floats():
    with pytest.raises(TypeError):
        q2(0.1)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1234.5", "1\u202f234,50\u00a0€"),
        ("0", "0,00\u00a0€"),
        ("-99.999", "-100,00\u00a0€"),
        ("1234567.89", "1\u202f234\u202f567,89\u00a0€"),
    ],
)
def test_format_eur_french_typography(amount, expected):
    assert format_eur(Decimal(amount)) == expected


def test_format_decimal_drops_trailing_zeros():
    assert format_decimal(Decimal("2.5000")) == "2,5"
    assert format_decimal(Decimal("5.50")) == "5,5"
    assert format_decimal(Decimal("20.00")) == "20"
