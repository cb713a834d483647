"""The import of real files of shared/corpus/bank (EXPECTED.md) end to end: parser, then
import. Each test is skipped until its format's parser is merged (formats lane).

Figures from EXPECTED.md: C1 (CFONB, 13 operations, 1,017,311.89 -> 1,031,585.79, the
same 77 records with and without line breaks), X3 (ABN AMRO CAMT: 4 lines of -12.99 in
all, 15,568.27 -> 15,121.12: the upstream balances do not add up, by 434.16), O1 (OFX:
two accounts with the same ACCTID), E1 (malformed files).
"""

from decimal import Decimal

import pytest

from encaisse.banking.models import BankLine, BankStatement, StatementFile
from encaisse.banking.services.accounts import create_account
from encaisse.banking.services.imports import import_file
from encaisse.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def parser(name: str):
    pytest.importorskip(f"encaisse.banking.formats.{name}", reason="parser not merged yet")


def account(company, admin, iban, **data):
    return create_account(
        company,
        {"iban": iban, "journal": data.pop("journal", "BQ9"), "ledger_account": "5129", **data},
        by=admin,
    )


def load(corpus, company, target, by, path):
    return import_file(company, target, (corpus / path).read_bytes(), name=path, by=by)


def test_c1_cfonb_then_the_same_records_without_line_breaks(bank_corpus, company, admin):
    parser("cfonb120")
    target = account(company, admin, "FR7630003012340123456789057")  # 30003 01234 01234567890
    first = load(bank_corpus, company, target, admin, "cfonb120/oca_cfonb_classic.cfo")
    assert (first.lines_imported, first.lines_skipped, first.gaps) == (13, 0, [])
    stored = BankStatement.objects.get()
    assert (stored.opening_balance, stored.closing_balance) == (
        Decimal("1017311.89"),
        Decimal("1031585.79"),
    )
    assert stored.balance_gap == 0
    credits = sum(x for x in BankLine.objects.values_list("amount", flat=True) if x > 0)
    assert credits == Decimal("17968.57")
    # Another file (other bytes), the same statement: recognised line by line.
    second = load(bank_corpus, company, target, admin, "cfonb120/oca_cfonb_no_carriage_return.cfo")
    assert not second.already_imported
    assert (second.lines_imported, second.lines_skipped, second.statements_skipped) == (0, 13, 1)
    assert BankStatement.objects.count() == 1 and BankLine.objects.count() == 13


def test_x3_camt_balances_that_do_not_add_up_are_shown(bank_corpus, company, admin):
    parser("camt053")
    target = account(company, admin, "NL77ABNA0574908765")
    result = load(bank_corpus, company, target, admin, "camt053/oca_test-camt053_abnamro.xml")
    assert result.lines_imported == 4
    stored = BankStatement.objects.get()
    assert stored.balance_gap == Decimal("15568.27") - Decimal("12.99") - Decimal("15121.12")
    assert [g.kind for g in result.gaps] == ["balance"]
    assert result.gaps[0].text.startswith("Écart de 434,16\u00a0€ entre le solde initial")


def test_o1_two_ofx_accounts_with_one_acctid_never_mix(bank_corpus, company, admin):
    parser("ofx")
    target = account(company, admin, "FR7610907000019999999999926")  # bank 10907, 99999999999
    with pytest.raises(ValidationFailed) as caught:
        load(bank_corpus, company, target, admin, "ofx/ofxstatement-french_BPACA_OP_20220717.ofx")
    assert caught.value.code in {"ambiguous_account", "unknown_account"}
    assert not StatementFile.objects.exists() and not BankLine.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "malformed/DERIVED_truncated_oca_cfonb_classic.cfo",
        "malformed/genkgo_camt053.v2.wrong.xml",
        "malformed/oca_test_ofx_wrong.ofx",
        "malformed/pennylane_cfonb_invalid_date.txt",
        "malformed/wolph_self-provided_invalid_statement.sta",
    ],
)
def test_e1_malformed_files_are_refused_and_nothing_is_written(bank_corpus, company, admin, path):
    for name in ("camt053", "cfonb120", "ofx", "mt940"):
        parser(name)
    target = account(company, admin, "FR7630003012340123456789057")
    with pytest.raises(ValidationFailed) as caught:
        load(bank_corpus, company, target, admin, path)
    assert caught.value.message
    assert not StatementFile.objects.exists() and not BankLine.objects.exists()
