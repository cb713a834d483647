"""Reading the bank's texts: numbers (mangled), RF references, payers' names."""

from encaisse.banking.matching.text import (
    find_numbers,
    find_rf,
    near_sequences,
    normalise_name,
    payer_from_label,
    rf_reference,
    rf_valid,
)


def test_numbers_even_mangled():
    text = "FACT FA 2026 123 2026-00124 FA202600125 FA2026-0126 AV2026-00007"
    assert [(p, y, int(s)) for p, y, s in find_numbers(text)] == [
        ("FA", 2026, 123),
        ("", 2026, 124),
        ("FA", 2026, 125),
        ("FA", 2026, 126),
        ("AV", 2026, 7),
    ]
    assert find_numbers("IBAN FR7630006000011234567890189") == []


def test_near_sequences_are_one_slip_away():
    near = near_sequences("00128")
    assert 123 in near and 182 in near and 1280 in near and 12 in near
    assert 128 not in near and 456 not in near


def test_rf_references():
    ref = rf_reference("FA202600123")
    assert rf_valid(ref) and ref == "RF83FA202600123"  # 98 - (1510202600123271500 mod 97)
    assert not rf_valid("RF84FA202600123")
    assert rf_valid("RF18539007547034")  # ISO 11649's example
    assert find_rf("VIR /RF18 5390 0754 7034 /DE X") == ["RF18539007547034"]


def test_names_and_payers():
    assert normalise_name("SARL Boulangerie Dupont & Fils") == normalise_name(
        "BOULANGERIE DUPONT FILS SARL"
    )
    assert normalise_name("Éts Pâtisserie Lefèvre") == "PATISSERIE LEFEVRE"
    assert normalise_name("SCI GARAGE MARTIN PAIEMENT FACT 12") == "GARAGE MARTIN"
    assert payer_from_label("VIR SEPA RECU /DE SARL DUPONT ET FILS /MOTIF FACT 1") == (
        "SARL DUPONT ET FILS"
    )
