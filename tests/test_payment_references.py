"""RF creditor references (ISO 11649): check digits, validation, finding them in bank
labels, and the reference of an invoice derived from its number."""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from encaisse.identifiers import compact_rf, find_rf, format_rf, is_valid_rf, rf_reference
from encaisse.sales.references import payment_reference, reference_body

ALPHANUMERIC = string.ascii_uppercase + string.digits
bodies = st.text(alphabet=ALPHANUMERIC, min_size=1, max_size=21)

# Published examples, each with the source that prints it as valid.
PUBLISHED = [
    "RF18539007547034",  # ISO 11649's own example, "RF18 5390 0754 7034"
    "RF18000000000539007547034",  # the same, left-padded to 21 digits
    "RF185390075470Y",  # python-stdnum's documentation
    "RF45G72UUR",  # mobilefish.com's validation steps
    "RF6518K5",  # mobilefish.com
    "RF485000056789012345",  # mobilefish.com, "RF 48 5000056789012345"
    "RF2012345678",  # maric.info, in a SEPA CdtrRefInf example
    "RF712348231",  # Wikipedia's "Creditor Reference" article
]


@pytest.mark.parametrize("reference", PUBLISHED)
def test_published_references_are_valid_and_rebuilt_from_their_body(reference):
    assert is_valid_rf(reference)
    assert rf_reference(reference[4:]) == reference


def test_the_iso_example_printed_and_in_lower_case():
    assert rf_reference("539007547034") == "RF18539007547034"
    assert format_rf("RF18539007547034") == "RF18 5390 0754 7034"
    assert is_valid_rf("RF18 5390 0754 7034")
    assert is_valid_rf("rf18 5390 0754 7034")
    assert compact_rf(" rf18 5390\t0754 7034 ") == "RF18539007547034"


def test_an_invoice_number_gives_its_reference():
    # "FA202600123RF00" -> 15 10 2026 00123 27 15 00: 1510202600123271500 mod 97 = 15,
    # check digits 98 - 15 = 83.
    assert int("1510202600123271500") % 97 == 15
    assert rf_reference("FA202600123") == "RF83FA202600123"
    assert format_rf("RF83FA202600123") == "RF83 FA20 2600 123"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "RF",
        "RF18",  # no body
        "RF17539007547034",  # wrong check digits
        "RF18539007547035",  # wrong last digit
        "XX18539007547034",
        "RFAB539007547034",  # letters as check digits
        "RF18 5390-0754-7034",  # a separator that is not a space
        "RF1853900754703412345678901",  # body of 23 characters
        "RF18539007547034é",
        "RF\u00b2\u00b3539007547034",  # superscript digits are not digits here
        "RF18٥٣٩٠٠٧٥٤٧٠٣٤",  # nor Arabic-Indic ones
    ],
)
def test_invalid_references(text):
    assert not is_valid_rf(text)


@pytest.mark.parametrize("body", ["", "A" * 22, "FA-2026", "ÉTÉ"])
def test_a_body_outside_1_to_21_letters_or_digits_is_refused(body):
    with pytest.raises(ValueError):
        rf_reference(body)


@given(bodies)
def test_every_generated_reference_validates_and_agrees_with_stdnum(body):
    reference = rf_reference(body)
    assert reference == "RF" + mod_97_10.calc_check_digits(body + "RF") + body
    assert is_valid_rf(reference) and iso11649.is_valid(reference)
    assert is_valid_rf(format_rf(reference))
    assert rf_reference(body.lower()) == reference


@given(bodies, st.data())
def test_any_single_substitution_within_digits_or_within_letters_is_detected(body, data):
    """ISO 7064 MOD 97-10 detects every single substitution of a digit by a digit or of a
    letter by a letter (the difference, a multiple of a power of ten by less than 97, is
    never a multiple of 97). A digit replaced by a letter (or the reverse) changes the
    length of the digit string and escapes about once in 97 times: the matcher checks
    the reference against those it issued anyway."""
    reference = rf_reference(body)
    position = data.draw(st.integers(min_value=2, max_value=len(reference) - 1))
    old = reference[position]
    pool = string.digits if old.isdigit() else string.ascii_uppercase
    new = data.draw(st.sampled_from([c for c in pool if c != old]))
    changed = reference[:position] + new + reference[position + 1 :]
    assert not is_valid_rf(changed)


@given(st.text(alphabet=string.digits, min_size=2, max_size=21), st.data())
def test_a_swap_of_two_adjacent_different_digits_is_detected(body, data):
    reference = rf_reference(body)
    position = data.draw(st.integers(min_value=2, max_value=len(reference) - 2))
    a, b = reference[position], reference[position + 1]
    if a == b:
        return
    swapped = reference[:position] + b + a + reference[position + 2 :]
    assert not is_valid_rf(swapped)


# ----------------------------------------------------------------- in bank labels


@pytest.mark.parametrize(
    ("label", "found"),
    [
        ("VIR SEPA RF18539007547034 SARL X", ["RF18539007547034"]),
        ("VIR SEPA rf18539007547034 sarl x", ["RF18539007547034"]),
        ("PRLV RF18 5390 0754 7034 BOULANGERIE", ["RF18539007547034"]),
        ("REF:RF18539007547034/FACT FA2026-00123", ["RF18539007547034"]),
        ("/RFB/RF83FA202600123/EREF/NOTPROVIDED", ["RF83FA202600123"]),
        ("VIR RF83 FA20 2600 123", ["RF83FA202600123"]),
        ("VIR RF83\u00a0FA20\u00a02600\u00a0123 (copié du PDF)", ["RF83FA202600123"]),
        ("RF83FA202600123 ET RF79FA202600001", ["RF83FA202600123", "RF79FA202600001"]),
        ("RF83FA202600123 RF83FA202600123", ["RF83FA202600123"]),
        ("FACTURE FA2026-00123 MERCI", []),
        ("VIR SEPA RF17539007547034 SARL X", []),  # a wrong check digit: nothing
        ("RF18539007547034SARL", []),  # glued to a word: no end to trust
        ("", []),
    ],
)
def test_find_rf_in_noisy_labels(label, found):
    assert find_rf(label) == found


@given(
    bodies,
    st.text(alphabet=string.ascii_uppercase + " /:-", max_size=30),
    st.text(alphabet=string.ascii_uppercase + string.digits + " /:-", max_size=30),
    st.booleans(),
)
def test_find_rf_finds_any_reference_between_words(body, before, after, printed):
    reference = rf_reference(body)
    shown = format_rf(reference) if printed else reference
    label = f"{before} {shown} {after}"
    assert reference in find_rf(label)


# ----------------------------------------------------------------- invoices


def test_the_body_of_an_invoice_number():
    assert reference_body("FA2026-00123") == "FA202600123"
    assert reference_body("fa/2026-00123") == "FA202600123"
    # A 12-character prefix and a six-digit sequence (22 characters): the last 21, the
    # prefix's first letter dropped.
    assert reference_body("ABCDEFGHIJKL2026-123456") == "BCDEFGHIJKL2026123456"


def test_issued_invoices_have_their_reference_and_drafts_and_credit_notes_none(make_invoice, admin):
    from encaisse.sales.services import create_credit_note
    from tests.conftest import issue_on_day

    draft = make_invoice()
    assert draft.payment_reference == ""
    first = issue_on_day(make_invoice(), by=admin)
    second = issue_on_day(make_invoice(), by=admin)
    assert first.payment_reference == rf_reference(reference_body(first.number))
    assert is_valid_rf(first.payment_reference)
    assert first.payment_reference != second.payment_reference
    note = issue_on_day(create_credit_note(first, by=admin, reason="Erreur"), by=admin)
    assert note.number and payment_reference(note) == ""


prefixes = st.from_regex(r"[A-Za-z0-9+\-_/]{0,12}", fullmatch=True)  # PREFIX_VALIDATOR


@given(
    prefixes,
    st.lists(st.tuples(st.integers(2000, 2099), st.integers(1, 99_999)), min_size=2, max_size=20),
)
def test_bodies_fit_21_characters_and_differ_for_distinct_year_and_sequence(prefix, numbers):
    """A number is prefix + year + "-" + sequence (issuing.format_number); the sequence
    is unique per company, kind and year: two invoices differ in (year, sequence), and
    so do their bodies, whatever the prefix (up to 99,999 invoices a year)."""
    from encaisse.sales.services.issuing import format_number

    bodies_of = {
        (year, seq): reference_body(format_number(prefix, year, seq)) for year, seq in numbers
    }
    assert all(1 <= len(body) <= 21 for body in bodies_of.values())
    assert len(set(bodies_of.values())) == len(bodies_of)
    assert all(is_valid_rf(rf_reference(body)) for body in bodies_of.values())
