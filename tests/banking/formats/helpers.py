"""What the format tests share: sums of a statement's lines, the corpus' file lists."""

from decimal import Decimal
from pathlib import Path

FOLDERS = ("camt053", "cfonb120", "ofx", "mt940")


def credits(statement) -> Decimal:
    return sum((line.amount for line in statement.lines if line.amount > 0), Decimal(0))


def debits(statement) -> Decimal:
    """The debits' total, as a positive figure (EXPECTED.md writes them so)."""
    return -sum((line.amount for line in statement.lines if line.amount < 0), Decimal(0))


def statement_files(corpus: Path, folder: str) -> list[Path]:
    """Every statement file of a corpus folder (not the upstream outputs beside them)."""
    return sorted(
        path
        for path in (corpus / folder).iterdir()
        if path.is_file() and ".expected." not in path.name and path.suffix != ".pydata"
    )


def texts(line) -> str:
    return " | ".join([line.label, line.remittance_info, *line.details])
