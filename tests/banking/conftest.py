"""The public bank statements of `shared/corpus/bank/`, read where they lie.

They are never copied into the repository (several are AGPL/GPL test files): the tests
look for the folder beside the project's checkout (`../shared/corpus/bank` from the
root, or any parent's `shared/corpus/bank`), or at ENCAISSE_BANK_CORPUS.
"""

import os
from pathlib import Path

import pytest

from encaisse.banking.services.accounts import create_account
from encaisse.companies.models import Role

ROOT = Path(__file__).resolve().parents[2]


def find_corpus() -> Path | None:
    if os.environ.get("ENCAISSE_BANK_CORPUS"):
        return Path(os.environ["ENCAISSE_BANK_CORPUS"])
    for parent in [ROOT, *ROOT.parents]:
        candidate = parent / "shared" / "corpus" / "bank"
        if candidate.is_dir():
            return candidate
    fallback = Path("/work/shared/corpus/bank")
    return fallback if fallback.is_dir() else None


@pytest.fixture(scope="session")
def bank_corpus() -> Path:
    path = find_corpus()
    if path is None:
        pytest.skip("corpus of bank statements not found (shared/corpus/bank)")
    return path


# --- import lane ---


@pytest.fixture
def sg_account(company, admin):
    """The company's Société Générale account (journal BQ2, 5121): tests.banking.factories.SG."""
    return create_account(
        company,
        {
            "name": "Société Générale",
            "iban": "FR7630003012340123456789057",
            "journal": "BQ2",
            "ledger_account": "5121",
        },
        by=admin,
    )


@pytest.fixture
def accountant(company, make_user):
    return make_user("compta", company, Role.ACCOUNTING)
