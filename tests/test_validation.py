"""Free text and dates as users type them: what is accepted prints in every PDF and
travels in XML; the rest is refused with the field named."""

import datetime as dt
import json
import unicodedata
from functools import cache

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from encaisse import fonts, validation
from encaisse.customers.models import Contact, Customer
from encaisse.documents import rendering
from encaisse.errors import ValidationFailed
from encaisse.validation import clean_text, text_fault


def fault(value, multiline=False):
    found = text_fault(value, multiline=multiline)
    return found[0] if found else None


@pytest.mark.parametrize(
    "value",
    [
        "Café de la Gare SARL",
        "Ελληνική Αρτοποιία Ωμέγα Α.Ε.",  # Greek
        "ООО «Пекарня Пушкин»",  # Cyrillic
        "Łódź Piekarnia sp. z o.o.",  # Latin extended (Polish)
        "Bánh mì Phở Hà Nội",  # Vietnamese
        "Ölçer Fırın Ş.T.İ.",  # Turkish
        "מאפיית כהן",  # Hebrew
        "مخبز الأمل",  # Arabic
        "Հայկական հացատուն",  # Armenian
        "€ £ ¥ ₹ ₽ № ™ ® © ‰ ± × ÷ → ✓ ★ …",  # symbols
        "l'Œuf\u202f: 12\u00a0€",  # French typography (narrow and plain no-break spaces)
        "Persian\u200cjoiner",  # ZWNJ, needed by Arabic-script orthographies
    ],
)
def test_scripts_the_fonts_draw_are_accepted(value):
    assert fault(value) is None
    assert clean_text(value, "legal_name") == unicodedata.normalize("NFC", value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Café 🥐 Lyon SARL", "emoji"),  # no colour font shipped
        ("Merci 😀", "emoji"),  # DejaVu draws this one, refused all the same
        ("🂡 As", "emoji"),
        ("北京面包有限公司", "unprintable_character"),  # CJK: 10-20 MB of font, refused
        ("東京", "unprintable_character"),
        ("नमस्ते", "unprintable_character"),  # Devanagari: not in the shipped fonts
        ("bell\x07", "invisible_character"),  # XML 1.0 forbids C0 controls
        ("tab\x0bvertical", "invisible_character"),
        ("escape\x1b[31m", "invisible_character"),
        ("nul\x00", "invisible_character"),
        ("not a char\ufffe", "invisible_character"),  # U+FFFE: not an XML character
        ("lone \ud800 surrogate", "invisible_character"),
        ("zero\u200bwidth", "invisible_character"),  # makes equal-looking names differ
        ("Dupont\u202eLRAS", "invisible_character"),  # bidi override disguises a name
        ("soft\u00adhyphen", "invisible_character"),
        ("\ufeffBOM", "invisible_character"),
        ("private\ue000use", "invisible_character"),
        ("two\nlines", "line_break"),
        ("carriage\rreturn", "line_break"),
        ("a\ttab", "tab"),
        ("line\u2028separator", "invisible_character"),
    ],
)
def test_what_no_document_can_carry_is_refused_with_the_field(value, code):
    assert fault(value) == code
    with pytest.raises(ValidationFailed) as refused:
        clean_text(value, "legal_name")
    assert (refused.value.code, refused.value.field) == (code, "legal_name")


def test_the_message_shows_the_character_and_its_code_point():
    with pytest.raises(ValidationFailed) as refused:
        clean_text("Café 🥐 Lyon SARL", "legal_name")
    assert refused.value.message == (
        "« 🥐 » (U+1F950) : les émojis ne peuvent pas figurer sur les factures et les lettres."
    )
    with pytest.raises(ValidationFailed) as refused:
        clean_text("北京", "legal_name")
    assert refused.value.message == (
        "Le caractère « 北 » (U+5317) ne peut pas être imprimé sur les factures et les "
        "lettres : retirez-le."
    )
    with pytest.raises(ValidationFailed) as refused:
        clean_text("bell\x07", "notes", multiline=True)
    assert refused.value.message == "Caractère invisible ou de contrôle U+0007 refusé."


def test_multi_line_text_keeps_its_line_breaks_and_tabs_as_newlines():
    assert clean_text("Livrer\r\nporte 2\rquai\tB", "notes", multiline=True) == (
        "Livrer\nporte 2\nquai\tB"
    )
    assert fault("a\x0bb", multiline=True) == "invisible_character"


def test_text_is_stored_composed_nfc():
    decomposed = "Cafe\u0301"  # what some keyboards and pastes send for « Café »
    assert clean_text(decomposed, "legal_name") == "Café"


def test_length_is_the_columns():
    assert clean_text("x" * 200, "legal_name", max_length=200) == "x" * 200
    with pytest.raises(ValidationFailed) as refused:
        clean_text("x" * 201, "legal_name", max_length=200, label="Raison sociale")
    assert (refused.value.code, refused.value.field) == ("too_long", "legal_name")
    assert refused.value.message == "Raison sociale : 200 caractères au plus (201 saisis)."


def test_model_texts_take_each_columns_limit_and_kind():
    data = {"legal_name": "A" * 200, "notes": "ligne 1\r\nligne 2", "terms_days": 30}
    cleaned = validation.clean_model_texts(Customer, data)
    assert cleaned == {"legal_name": "A" * 200, "notes": "ligne 1\nligne 2", "terms_days": 30}
    with pytest.raises(ValidationFailed) as refused:
        validation.clean_model_texts(Customer, {"legal_name": "A" * 201})
    assert refused.value.field == "legal_name"
    assert refused.value.message.startswith("Raison sociale / nom : 200 caractères")
    # A CharField is one line; a TextField (notes) may have several.
    with pytest.raises(ValidationFailed) as refused:
        validation.clean_model_texts(Contact, {"name": "Jean\nDupont"}, prefix="contacts.1.")
    assert (refused.value.code, refused.value.field) == ("line_break", "contacts.1.name")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (dt.date(2000, 1, 1), True),
        (dt.date(2099, 12, 31), True),
        (dt.date(1999, 12, 31), False),
        (dt.date(2100, 1, 1), False),
        (dt.date(9999, 12, 31), False),  # + 3 days of tolerance overflowed: a 500
        (dt.date(1, 1, 1), False),
    ],
)
def test_dates_lie_in_the_window(value, ok):
    if ok:
        assert validation.check_date(value, "promised_on") == value
    else:
        with pytest.raises(ValidationFailed) as refused:
            validation.check_date(value, "promised_on", "La date promise")
        assert (refused.value.code, refused.value.field) == ("date_out_of_range", "promised_on")
        assert refused.value.message == (
            "La date promise doit être comprise entre le 01/01/2000 et le 31/12/2099."
        )


@pytest.mark.parametrize("value", ["2026-02-30", "demain", "0", "", None, "02/03/2026"])
def test_parse_date_refuses_what_is_not_a_date(value):
    with pytest.raises(ValidationFailed) as refused:
        validation.parse_date(value, "date", "La date")
    assert (refused.value.code, refused.value.field) == ("invalid_date", "date")


def test_parse_date_reads_iso_text_and_dates():
    assert validation.parse_date("2026-03-02", "date") == dt.date(2026, 3, 2)
    assert validation.parse_date(dt.date(2026, 3, 2), "date") == dt.date(2026, 3, 2)
    with pytest.raises(ValidationFailed):
        validation.parse_date("9999-12-31", "date")


# ---------------------------------------------------------------------------
# What is accepted renders: the real fonts, the real page layout, PDF/A-3b


PROBE = """
#import "{common}": *
#let data = load-data()
#show: layout.with(data, title: "FACTURE", number: "FA2026-00001")
#party-box("Client", data.text, (data.text,), extra: (data.text,))
#items-table(columns: (1fr, auto), headers: ("Désignation", "Montant"),
  aligns: (left, right), rows: ((data.text, "1,00 €"),))
#small-print((data.text,))
#emph(data.text)
"""


@cache
def probe_path(folder) -> str:
    path = folder / "probe.typ"
    path.write_text(PROBE.replace("{common}", str(rendering.TEMPLATES_DIR / "common.typ")))
    return str(path)


def render(text: str, folder) -> bytes:
    """`text` as the seller's name (bold, header and footer), a party's name and lines, a
    table cell, small print and italics, through the documents' own layout and fonts."""
    seller = rendering.seller_context({"legal_name": text, "city": text, "siren": "732829320"})
    return rendering._compiler().compile(
        input=probe_path(folder),
        format="pdf",
        sys_inputs={"data": json.dumps({"seller": seller, "text": text}, ensure_ascii=False)},
        pdf_standards=rendering.PDF_STANDARD,
        pdf_tags=rendering.PDF_TAGS,
    )


def carried_by_xml(text: str) -> None:
    element = etree.Element("Name", attrib={"value": text})
    element.text = text
    parsed = etree.fromstring(etree.tostring(element, encoding="UTF-8"))
    assert parsed.text == text
    assert parsed.get("value") == text  # lxml escapes an attribute's line breaks


ACCEPTED = sorted(
    chr(point) for point in fonts.drawable() if text_fault(chr(point), multiline=True) is None
)


def test_every_accepted_character_renders_and_travels_in_xml(tmp_path):
    """All at once: 5 900 characters, in regular, bold and italic."""
    assert len(ACCEPTED) > 5000
    everything = "".join(ACCEPTED)
    assert render(everything, tmp_path).startswith(b"%PDF-")
    carried_by_xml(everything)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.text(
        alphabet=st.one_of(st.sampled_from(ACCEPTED), st.sampled_from("\n\r\t "), st.characters()),
        min_size=1,
        max_size=40,
    ),
    st.booleans(),
)
def test_any_text_the_validator_accepts_renders_and_serialises(tmp_path, value, multiline):
    """Mixes of scripts, combining marks, right-to-left runs, line breaks: whatever
    clean_text lets through is printed by Typst in PDF/A-3b and carried by lxml."""
    try:
        value = clean_text(value, "field", multiline=multiline)
    except ValidationFailed:
        assume(False)
    assert render(value, tmp_path).startswith(b"%PDF-")
    carried_by_xml(value)
