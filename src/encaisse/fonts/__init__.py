"""The fonts the PDF documents fall back on, and the characters they can draw.

Typst sets the documents in Libertinus Serif, bundled in the `typst` wheel (Latin,
Greek, Cyrillic, Hebrew). This folder adds DejaVu Sans, regular and bold (Debian's
fonts-dejavu-core 2.37, licence in LICENSE-DejaVu.txt), which the templates name as
fallback: Latin extended, Greek, Cyrillic, Armenian, Georgian, Hebrew, Arabic, IPA and
nearly 2,000 symbols (arrows, currencies, maths, box drawing). PDF/A embeds whatever a
document uses, and Typst refuses to write a character no font draws.

`drawable()` is what the input validator trusts (`encaisse.validation`): the code points
of these files' cmaps, read once per process. The wheel's own fonts draw a few hundred
more (Devanagari in its maths font, rare diacritics), but their files cannot be read
from here, so the validator refuses those rather than guess; a test renders everything
it accepts.

Left out on purpose: CJK (a font is 10 to 20 MB per weight, for scripts that French
invoices do not carry: a Chinese or Japanese company is invoiced under its Latin name)
and emoji (a colour font of about 10 MB, and no place in a legal document; the few that
DejaVu draws in black and white are refused too, see validation.PICTOGRAPHS).
"""

from functools import cache
from pathlib import Path

FONTS_DIR = Path(__file__).resolve().parent
FALLBACK = "DejaVu Sans"


@cache
def drawable() -> frozenset[int]:
    """The code points that at least one of the shipped fonts maps to a glyph."""
    from fontTools.ttLib import TTFont  # only the first call pays for the import

    points: set[int] = set()
    for path in sorted(FONTS_DIR.glob("*.ttf")):
        points.update(TTFont(path, lazy=True).getBestCmap())
    return frozenset(points)
