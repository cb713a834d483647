"""Bank accounts: IBAN/BIC checked and normalised, journal and 512x account unique per
company, watched folder checked; admins only; the company's IBAN becomes the first one."""

import pytest

from encaisse.audit.models import AuditEntry
from encaisse.banking.models import BankAccount
from encaisse.banking.services import accounts
from encaisse.companies.models import Role
from encaisse.errors import Forbidden, NotFound, ValidationFailed

pytestmark = pytest.mark.django_db

SG = "FR7630003012340123456789057"  # Société Générale (bank 30003)
CIC = "FR7610278012340001234567873"  # bank 10278
DE = "DE89370400440532013000"


def make(company, admin, **data):
    return accounts.create_account(company, {"name": "SG", "iban": SG, **data}, by=admin)


def error_of(call) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value


def test_an_account_is_created_normalised_and_audited(company, admin):
    account = accounts.create_account(
        company,
        {
            "name": "Société Générale",
            "iban": "fr76 3000 3012 3401 2345 6789 057",
            "bic": "sogefrpp",
            "journal": "bq2",
            "ledger_account": "5121",
        },
        by=admin,
    )
    assert (account.iban, account.bic, account.journal, account.ledger_account) == (
        SG,
        "SOGEFRPP",
        "BQ2",
        "5121",
    )
    assert account.currency == "EUR" and account.active
    entry = AuditEntry.objects.get(action="bank.account_created", object_id=str(account.pk))
    assert entry.actor == admin and entry.changes["iban"] == SG


@pytest.mark.parametrize(
    "data, field, words",
    [
        ({"iban": "FR7630003012340123456789058"}, "iban", "n'est pas valide"),
        ({"iban": ""}, "iban", "obligatoire"),
        ({"bic": "SOGEFRP"}, "bic", "n'est pas valide"),
        ({"bic": "COBADEFFXXX"}, "bic", "pays DE"),  # a German bank's BIC, a French IBAN
        ({"currency": "EURO"}, "currency", "ISO 4217"),
        ({"currency": "XYZ"}, "currency", "ISO 4217"),
        ({"journal": "B"}, "journal", "de 2 à 6"),
        ({"journal": "BQ-1"}, "journal", "de 2 à 6"),
        ({"journal": "BANQUE1"}, "journal", "de 2 à 6"),
        ({"journal": "VE"}, "journal", "ventes"),
        ({"ledger_account": "411"}, "ledger_account", "512"),
        ({"ledger_account": "5120000000000"}, "ledger_account", "10 chiffres"),
        ({"ledger_account": "512A"}, "ledger_account", "512"),
        ({"watch_folder": "releves/sg"}, "watch_folder", "chemin absolu"),
        ({"watch_folder": "/nulle/part/ici"}, "watch_folder", "n'existe pas"),
    ],
)
def test_bad_input_names_its_field_and_writes_nothing(company, admin, data, field, words):
    error = error_of(lambda: make(company, admin, **data))
    assert error.field == field and words in error.message, error.message
    assert not BankAccount.objects.exists()
    assert not AuditEntry.objects.filter(action="bank.account_created").exists()


def test_bic_of_an_overseas_department_fits_a_french_iban(company, admin):
    account = make(company, admin, bic="BNPAGPGP")  # BNP Paribas Guadeloupe
    assert account.bic == "BNPAGPGP"
    german = accounts.create_account(
        company,
        {"iban": DE, "bic": "COBADEFFXXX", "journal": "BQ3", "ledger_account": "5123"},
        by=admin,
    )
    assert german.bic == "COBADEFFXXX" and german.name.endswith("3000")


def test_currency_is_upper_cased(company, admin):
    assert make(company, admin, currency="chf").currency == "CHF"


def test_iban_journal_and_ledger_account_are_unique_per_company(
    company, admin, other_company, make_user
):
    make(company, admin)
    other = {"iban": CIC, "journal": "BQ2", "ledger_account": "5122"}
    for key, value in (("iban", SG), ("journal", "BQ"), ("ledger_account", "512")):
        error = error_of(
            lambda key=key, value=value: accounts.create_account(
                company, {**other, key: value}, by=admin
            )
        )
        assert error.field == key and error.code == f"duplicate_{key}"
    assert BankAccount.objects.count() == 1
    # Another company may hold the same journal and account numbers (and even the IBAN).
    theirs = accounts.create_account(other_company, {"iban": SG}, by=make_user("b", other_company))
    assert (theirs.journal, theirs.ledger_account) == ("BQ", "512")


def test_watch_folder_must_exist_and_is_kept_absolute(company, admin, tmp_path):
    account = make(company, admin, watch_folder=f"  {tmp_path}  ")
    assert account.watch_folder == str(tmp_path)
    file = tmp_path / "a-file"
    file.write_text("x")
    error = error_of(
        lambda: accounts.update_account(account, {"watch_folder": str(file)}, by=admin)
    )
    assert error.field == "watch_folder"


def test_update_changes_fields_and_audits_the_difference(company, admin):
    account = make(company, admin)
    accounts.update_account(account, {"name": "SG pro", "journal": "SG"}, by=admin)
    account.refresh_from_db()
    assert (account.name, account.journal, account.iban) == ("SG pro", "SG", SG)
    entry = AuditEntry.objects.get(action="bank.account_updated")
    assert entry.changes == {"name": ["SG", "SG pro"], "journal": ["BQ", "SG"]}


def test_deactivate_and_reactivate(company, admin):
    account = make(company, admin)
    accounts.set_active(account, False, by=admin)
    account.refresh_from_db()
    assert not account.active
    assert list(accounts.accounts_of(company, active_only=True)) == []
    accounts.set_active(account, True, by=admin)
    assert BankAccount.objects.get().active
    assert AuditEntry.objects.filter(action__startswith="bank.account_").count() == 3


@pytest.mark.parametrize("role", [Role.ACCOUNTING, Role.SALES, Role.READ_ONLY, Role.COLLECTION])
def test_only_an_admin_manages_accounts(company, admin, make_user, role):
    user = make_user(f"u-{role}", company, role)
    with pytest.raises(Forbidden):
        make(company, user)
    account = make(company, admin)
    with pytest.raises(Forbidden):
        accounts.update_account(account, {"name": "x"}, by=user)
    with pytest.raises(Forbidden):
        accounts.set_active(account, False, by=user)
    account.refresh_from_db()
    assert account.name == "SG" and account.active


def test_another_companys_admin_does_not_see_the_account(company, admin, other_company, make_user):
    account = make(company, admin)
    stranger = make_user("autre", other_company)
    with pytest.raises(NotFound):
        accounts.update_account(account, {"name": "x"}, by=stranger)
    with pytest.raises(NotFound):
        accounts.account_of(other_company, account.pk)
    with pytest.raises(NotFound):
        accounts.account_of(other_company, SG)


def test_account_of_by_id_or_iban_in_any_spelling(company, admin):
    account = make(company, admin)
    assert accounts.account_of(company, str(account.pk)) == account
    assert accounts.account_of(company, "fr76 3000 3012 3401 2345 6789 057") == account


def test_the_company_iban_becomes_the_first_account_once(company):
    # conftest's company: IBAN FR76 3000 6000 0112 3456 7890 189, BIC AGRIFRPP.
    (account,) = accounts.accounts_of(company)
    assert (account.iban, account.bic, account.name) == (
        "FR7630006000011234567890189",
        "AGRIFRPP",
        "Compte principal",
    )
    assert (account.journal, account.ledger_account, account.currency) == ("BQ", "512", "EUR")
    assert AuditEntry.objects.get(action="bank.account_created").actor is None
    assert accounts.accounts_of(company).count() == 1
    # Deactivated, it is not made again.
    BankAccount.objects.update(active=False)
    assert accounts.accounts_of(company).count() == 1


def test_no_account_from_a_company_without_iban(company):
    company.iban = ""
    company.save()
    assert list(accounts.accounts_of(company)) == []
