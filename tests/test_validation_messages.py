"""parse_decimal: what users type, and French messages that agree with the label."""

from decimal import Decimal

import pytest

from encaisse.errors import ValidationFailed
from encaisse.validation import parse_decimal


def message(value, label, **options) -> str:
    with pytest.raises(ValidationFailed) as error:
        parse_decimal(value, "field", label, **options)
    assert error.value.field == "field"
    return error.value.message


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("La quantité", "La quantité ne peut pas être négative."),
        ("Ligne 2 : la remise", "Ligne 2 : la remise ne peut pas être négative."),
        ("Le prix unitaire", "Le prix unitaire ne peut pas être négatif."),
        ("Ligne 1 : le prix unitaire", "Ligne 1 : le prix unitaire ne peut pas être négatif."),
        ("Échéance 3 : le montant", "Échéance 3 : le montant ne peut pas être négatif."),
    ],
)
def test_negative_agrees_with_the_label(label, expected):
    assert message("-1", label) == expected


def test_too_large_agrees_with_the_label():
    assert message("1e10", "La quantité") == "La quantité est trop grande."
    assert message("10000000000", "Le montant") == "Le montant est trop grand."


def test_other_messages_and_values():
    assert message("", "La quantité") == "La quantité est obligatoire."
    assert message("trois", "La quantité") == "La quantité n'est pas un nombre."
    assert message("1,234", "Le montant", places=2) == "Le montant a plus de 2 décimales."
    assert parse_decimal("-1,5", "f", "Le solde", allow_negative=True) == Decimal("-1.5")
    assert parse_decimal(" 1 234,50 ", "f", "Le montant") == Decimal("1234.50")
    assert parse_decimal("", "f", "Le montant", required=False) is None
