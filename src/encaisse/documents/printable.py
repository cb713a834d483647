"""Whether an issued document's texts can be rendered, decided before it is numbered.

The documents are rendered by a job after the issue has committed (documents/jobs.py):
a text that Typst cannot draw or XML 1.0 cannot carry would then leave a numbered
document without its files. Input refuses such characters where they are typed
(`validation.text_fault`); text stored before those checks existed is caught here, at
issue, by the same 422 the renderers give (`document_not_renderable`,
`xml_forbidden_character`), without rendering anything. Only what makes a render fail
is refused (not the input rules' stricter ones, such as emoji).
"""

from __future__ import annotations

from encaisse import fonts
from encaisse.errors import ValidationFailed

WHITESPACE = frozenset(" \t\n\r")


def xml_forbidden() -> ValidationFailed:
    return ValidationFailed(
        "xml_forbidden_character",
        "La facture électronique ne peut pas être produite : un texte (client, "
        "désignation, note...) contient un caractère interdit en XML (caractère de "
        "contrôle). Corrigez-le puis réessayez.",
    )


def not_renderable(detail: str) -> ValidationFailed:
    return ValidationFailed(
        "document_not_renderable",
        f"Le document ne peut pas être produit : {detail}. Corrigez le texte concerné "
        "(client, facture, relance...) puis réessayez.",
    )


def unprintable_detail(text: str) -> str:
    codes = " ".join(f"U+{ord(c):04X}" for c in text)
    return f"un texte contient un caractère qu'aucune police ne sait imprimer ({codes})"


def _xml_allowed(point: int) -> bool:
    """XML 1.0's Char production."""
    return (
        point in (0x9, 0xA, 0xD)
        or 0x20 <= point <= 0xD7FF
        or 0xE000 <= point <= 0xFFFD
        or 0x10000 <= point <= 0x10FFFF
    )


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def check_printable(invoice, lines, allowances) -> None:
    """Raise the renderers' ValidationFailed when a text the documents of the frozen
    `invoice` print (its snapshots, mentions, lines, allowances, notes and references)
    holds a character XML forbids or no shipped font draws."""
    drawable = fonts.drawable()
    texts = [
        invoice.seller,
        invoice.buyer,
        invoice.mentions,
        invoice.notes,
        invoice.customer_reference,
        invoice.credit_reason,
        [(line.description, line.unit) for line in lines],
        [item.reason for item in allowances],
    ]
    for text in _texts(texts):
        if text.isascii() and text.isprintable():
            continue
        for char in text:
            point = ord(char)
            if not _xml_allowed(point):
                raise xml_forbidden()
            if char not in WHITESPACE and point not in drawable:
                raise not_renderable(unprintable_detail(char))
