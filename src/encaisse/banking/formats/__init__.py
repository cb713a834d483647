"""Bank statement formats behind one seam: `parse(data) -> list[Statement]`.

A new format is one module here with `sniff(data) -> bool` and `parse(data) ->
list[Statement]`, added to FORMATS. A ZIP archive of statement files (as some banks and
EBICS clients deliver camt.053) is read member by member, in name order.
"""

import io
import zipfile
import zlib
from importlib import import_module

from .base import Line, MalformedStatement, Statement

FORMATS = ("camt053", "cfonb120", "ofx", "mt940")
ZIP = "zip"
MAX_MEMBERS = 500
MAX_MEMBER_BYTES = 50 * 1024 * 1024  # uncompressed, per member: no zip bomb

__all__ = ["FORMATS", "Line", "MalformedStatement", "Statement", "detect", "parse"]


def detect(data: bytes) -> str:
    """The format of a file, from its content (never its name); "zip" for an archive."""
    if data.startswith(b"PK\x03\x04"):
        return ZIP
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
    name = detect(data)
    if name == ZIP:
        return _parse_zip(data)
    statements = import_module(f"{__name__}.{name}").parse(data)
    for statement in statements:
        statement.fit()
    return statements


def _parse_zip(data: bytes) -> list[Statement]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = sorted(
            (info for info in archive.infolist() if not info.is_dir()), key=lambda i: i.filename
        )
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise MalformedStatement(f"archive ZIP illisible ({error})", "fichier") from None
    if not members:
        raise MalformedStatement("archive ZIP vide", "fichier")
    if len(members) > MAX_MEMBERS:
        raise MalformedStatement(f"plus de {MAX_MEMBERS} fichiers dans l'archive", "fichier")
    statements: list[Statement] = []
    for info in members:
        where = f"archive / {info.filename}"
        try:
            with archive.open(info) as member:
                content = member.read(MAX_MEMBER_BYTES + 1)
        except (
            zipfile.BadZipFile,
            OSError,
            ValueError,
            NotImplementedError,
            RuntimeError,
            EOFError,
            zlib.error,
        ) as error:  # encrypted, damaged
            raise MalformedStatement(f"fichier illisible ({error})", where) from None
        if len(content) > MAX_MEMBER_BYTES:
            raise MalformedStatement("fichier trop volumineux", where)
        if content.startswith(b"PK\x03\x04"):
            raise MalformedStatement("archive dans l'archive", where)
        try:
            found = parse(content)
        except MalformedStatement as error:
            raise MalformedStatement(error.message, where) from None
        for statement in found:
            statement.where = f"{info.filename} / {statement.where}".rstrip(" /")
        statements.extend(found)
    return statements
