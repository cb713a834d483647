"""The fonts shipped for the PDFs: Typst finds them, they carry their licence, and the
coverage the input validator reads from them is what the issue promised."""

import typst

from encaisse import fonts
from encaisse.documents import rendering


def points(first: int, last: int) -> set[int]:
    return set(range(first, last + 1))


def test_typst_finds_the_fallback_the_templates_name():
    found = typst.Fonts(include_system_fonts=False, font_paths=[str(fonts.FONTS_DIR)])
    assert fonts.FALLBACK in found.families()
    common = (rendering.TEMPLATES_DIR / "common.typ").read_text()
    assert f'font: ("Libertinus Serif", "{fonts.FALLBACK}")' in common


def test_every_font_file_has_its_licence_beside_it():
    files = sorted(p.name for p in fonts.FONTS_DIR.glob("*.ttf"))
    assert files == ["DejaVuSans-Bold.ttf", "DejaVuSans.ttf"]
    licence = (fonts.FONTS_DIR / "LICENSE-DejaVu.txt").read_text()
    assert all(name in licence for name in files)
    assert "Permission is hereby granted, free of charge" in licence


def test_coverage_latin_greek_cyrillic_and_more():
    drawable = fonts.drawable()
    assert points(0x20, 0x7E) <= drawable  # ASCII
    assert points(0xA0, 0x17F) <= drawable  # Latin-1 and Latin Extended-A
    assert points(0x410, 0x44F) <= drawable  # Cyrillic А..я
    assert points(0x391, 0x3A1) | points(0x3A3, 0x3C9) <= drawable  # Greek Α..ω
    assert points(0x5D0, 0x5EA) <= drawable  # Hebrew
    assert points(0x627, 0x63A) <= drawable  # Arabic letters
    assert {0x20AC, 0x2019, 0x2026, 0x202F} <= drawable  # € ’ … narrow no-break space


def test_no_cjk_and_no_colour_emoji():
    drawable = fonts.drawable()
    assert not points(0x4E00, 0x9FFF) & drawable  # CJK unified ideographs
    assert 0x1F950 not in drawable  # 🥐
    # DejaVu draws a few emoji in black and white (😀): the validator refuses them all.
    assert 0x1F600 in drawable
