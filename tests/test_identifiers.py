"""Country codes: the list the EN 16931 schematron checks (BR-CL-14)."""

import pytest

from encaisse import identifiers
from encaisse.errors import ValidationFailed


@pytest.mark.parametrize(
    ("typed", "code"),
    [("FR", "FR"), ("fr", "FR"), (" be ", "BE"), ("XI", "XI"), ("GR", "GR"), ("1A", "1A")],
)
def test_codes_of_the_schematron_list_are_accepted(typed, code):
    assert identifiers.country(typed, "billing_country") == code


@pytest.mark.parametrize("typed", ["ZZ", "EL", "UK", "FRA", "F", "XX", "🇫🇷"])
def test_other_codes_are_refused(typed):
    # EL and UK are the VAT prefixes of Greece and the United Kingdom, not ISO codes.
    with pytest.raises(ValidationFailed) as refused:
        identifiers.country(typed, "billing_country")
    assert (refused.value.code, refused.value.field) == ("invalid_country", "billing_country")


def test_an_empty_country_is_required():
    with pytest.raises(ValidationFailed) as refused:
        identifiers.country("", "country")
    assert (refused.value.code, refused.value.field) == ("required", "country")


def test_the_list_is_iso_3166_alpha_2():
    countries = identifiers._code_list(identifiers.COUNTRY_LIST)
    # 249 ISO 3166-1 codes, with XI (Northern Ireland, VAT) and 1A (Kosovo).
    assert len(countries) == 251
    assert {"FR", "DE", "BE", "MC", "GP", "RE"} <= countries
