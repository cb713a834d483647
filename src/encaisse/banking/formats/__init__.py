"""Bank statement formats behind one seam: `parse(data) -> list[Statement]`.

A new format is one module here with `sniff(data) -> bool` and `parse(data) ->
list[Statement]`, added to FORMATS.
"""

from importlib import import_module

from .base import Line, MalformedStatement, Statement

FORMATS = ("camt053", "cfonb120", "ofx", "mt940")

__all__ = ["FORMATS", "Line", "MalformedStatement", "Statement", "detect", "parse"]


def detect(data: bytes) -> str:
    """The format of a file, from its content (never its name)."""
    for name in FORMATS:
        if import_module(f"{__name__}.{name}").sniff(data):
            return name
    raise MalformedStatement(
        "format non reconnu (CAMT.053, CFONB 120, OFX ou MT940 attendus)", "fichier"
    )


def parse(data: bytes) -> list[Statement]:
    """Every statement of a file, or MalformedStatement naming what is wrong and where."""
    if not data or not data.strip():
        raise MalformedStatement("le fichier est vide", "fichier")
    return import_module(f"{__name__}.{detect(data)}").parse(data)
