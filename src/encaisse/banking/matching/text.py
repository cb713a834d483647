"""What a bank line's texts say: invoice numbers (even mangled), RF creditor references
(ISO 11649), the payer's name; names normalised for comparison."""

import re
import unicodedata

from encaisse.identifiers import find_rf, is_valid_rf, rf_reference  # noqa: F401

# Legal forms and filler words dropped before comparing names.
LEGAL_FORMS = frozenset(
    {
        "SA",
        "SAS",
        "SARL",
        "EURL",
        "SCI",
        "SASU",
        "SNC",
        "EI",
        "EIRL",
        "SCOP",
        "SCA",
        "SCS",
        "SEL",
        "SELARL",
        "SELAS",
        "SE",
        "GIE",
        "STE",
        "SOCIETE",
        "ETS",
        "ETABLISSEMENTS",
        "CIE",
    }
)
FILLERS = frozenset(["ET", "DE", "DU", "DES", "LA", "LE", "LES", "L", "D", "AND"])
# Words of the transfer's purpose that follow the payer's name in some banks' labels.
PURPOSE = frozenset(
    [
        "PAIEMENT",
        "REGLEMENT",
        "REGL",
        "RGLT",
        "FACTURE",
        "FACTURES",
        "FACT",
        "FACTS",
        "ACOMPTE",
        "ECHEANCE",
        "SOLDE",
        "VIREMENT",
        "VIR",
        "SEPA",
        "RECU",
        "MOTIF",
        "REF",
    ]
)


NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def fold(text: str) -> str:
    """Upper case without accents, anything but letters and digits a space."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(NOT_ALNUM.sub(" ", text.upper()).split())


def normalise_name(name: str) -> str:
    """A name for comparison: folded, without legal forms nor filler words."""
    words = []
    for word in fold(name).split():
        if word in PURPOSE:
            break  # what follows is the transfer's purpose, not the name
        if word not in LEGAL_FORMS and word not in FILLERS:
            words.append(word)
    return " ".join(words)


# « VIR SEPA RECU /DE SARL DUPONT ET FILS /MOTIF ... », « DE: X », « VIREMENT DE X REF ».
PAYER_PATTERNS = (
    re.compile(r"/\s*DE[:\s]+([^/]+)", re.I),
    re.compile(r"\bDE\s*:\s*([^/]+?)(?:\s+(?:MOTIF|REF|REFDO|LIB|ID)\b|/|$)", re.I),
    re.compile(
        r"\bVIR(?:EMENT)?(?:\s+SEPA)?(?:\s+RECU|\s+INST(?:ANTANE)?(?:\s+RE(?:CU)?)?)?"
        r"\s+(?:DE\s+)?(.+?)"
        r"(?:\s+(?:MOTIF|REF|REFDO|LIB|FACT|FACTURE|FA)\b|/|$)",
        re.I,
    ),
)


def payer_from_label(label: str) -> str:
    for pattern in PAYER_PATTERNS:
        found = pattern.search(label or "")
        if found:
            name = found.group(1).strip(" :/-")
            if len(fold(name)) >= 3:
                return name
    return ""


# A number of our series: prefix (optional), year, separators (optional), sequence.
NUMBER = re.compile(
    r"(?<![A-Z0-9])(?:([A-Z]{1,6})[\s\-/_.]{0,2})?(20\d\d)[\s\-/_.]{0,2}(\d{1,6})(?![0-9])"
)


def find_numbers(text: str) -> list[tuple[str, int, str]]:
    """[(prefix or "", year, sequence digits as written)] of the numbers in `text`."""
    upper = unicodedata.normalize("NFKD", text or "").upper()
    return [(m.group(1) or "", int(m.group(2)), m.group(3)) for m in NUMBER.finditer(upper)]


def parse_number(number: str) -> tuple[str, int, int] | None:
    """(prefix, year, sequence) of one of our numbers (« FA2026-00123 »)."""
    head, dash, sequence = (number or "").rpartition("-")
    year = head[-4:]
    if not dash or len(year) != 4 or not year.isdigit() or not sequence.isdigit():
        return None
    return head[:-4].upper(), int(year), int(sequence)


def near_sequences(digits: str) -> set[int]:
    """The sequences one typing slip away from `digits` as written (padded to five):
    one digit changed, missing, extra, or two neighbours swapped."""
    written = digits.zfill(5)
    variants = set()
    for i in range(len(written)):
        for d in "0123456789":
            variants.add(written[:i] + d + written[i + 1 :])  # changed
        variants.add(written[:i] + written[i + 1 :])  # extra digit typed
        if i + 1 < len(written):
            variants.add(written[:i] + written[i + 1] + written[i] + written[i + 2 :])
    for i in range(len(written) + 1):
        for d in "0123456789":
            variants.add(written[:i] + d + written[i:])  # a digit missing
    exact = int(digits)
    return {int(v) for v in variants if v} - {exact}


# RF creditor references (ISO 11649): one implementation, in encaisse.identifiers.
rf_valid = is_valid_rf
