"""encaisse bank import FILE --account IBAN [--company SIREN]."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from encaisse.banking import formats
from encaisse.banking.formats.base import MalformedStatement
from encaisse.banking.models import BankLine, StatementFile

from .factories import SG, day, line, statement

pytestmark = pytest.mark.django_db


def january(**kwargs):
    lines = [line("1500.00", day(12), "VIR DUPONT"), line("-12.50", day(13), "CB CARREFOUR")]
    return statement(lines, "1000.00", day(12), day(13), reference="STMT-1", **kwargs)


def bank(*args) -> str:
    out = io.StringIO()
    call_command("bank", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def file(tmp_path):
    path = tmp_path / "releve.xml"
    path.write_bytes(b"<Document/>")
    return path


def test_import_prints_the_summary_then_already_imported(file, sg_account, company, monkeypatch):
    second = statement([line("-7.34", day(15))], "2500.00", day(15), day(15), reference="S2")
    monkeypatch.setattr(formats, "parse", lambda data: [january(), second])
    out = bank("import", str(file), "--account", "FR76 3000 3012 3401 2345 6789 057")
    assert out.splitlines() == [
        f"releve.xml importé dans Société Générale ({SG}).",
        f" Relevé STMT-1 12/01/2024 au 13/01/2024 ({SG}) : 2 ligne(s) importée(s)",
        f" Relevé S2 15/01/2024 au 15/01/2024 ({SG}) : 1 ligne(s) importée(s)",
        "    Écart de 12,50\u00a0€ entre le solde final du 13/01/2024 et le solde initial "
        "du 15/01/2024",
        "Total : 2 relevé(s), 3 ligne(s) importée(s), 0 déjà importée(s), 1 écart(s).",
    ]
    assert StatementFile.objects.get().imported_by is None
    again = bank("import", str(file), "--account", SG, "--company", company.siren)
    assert again.startswith("Ce fichier a déjà été importé le ") and "(3 lignes)" in again
    assert BankLine.objects.count() == 3


def test_a_refused_file_exits_non_zero_with_the_message(file, sg_account, monkeypatch):
    def broken(data):
        raise MalformedStatement("enregistrement 07 manquant", "fin du fichier")

    monkeypatch.setattr(formats, "parse", broken)
    with pytest.raises(CommandError) as caught:
        bank("import", str(file), "--account", SG)
    assert str(caught.value) == "releve.xml refusé : fin du fichier : enregistrement 07 manquant"
    assert not StatementFile.objects.exists()


def test_unknown_account_company_or_file(file, sg_account, company):
    with pytest.raises(CommandError, match="Aucune société n'a le compte"):
        bank("import", str(file), "--account", "FR7610278012340001234567873")
    with pytest.raises(CommandError, match="Aucune société de SIREN"):
        bank("import", str(file), "--account", SG, "--company", "123456789")
    with pytest.raises(CommandError, match="Fichier introuvable"):
        bank("import", str(file) + ".absent", "--account", SG)
    with pytest.raises(CommandError, match="IBAN"):
        bank("import", str(file), "--account", "FR76")


def test_the_companys_own_iban_works_before_any_account_page_was_opened(file, company, monkeypatch):
    monkeypatch.setattr(formats, "parse", lambda data: [january(iban=company.iban)])
    out = bank("import", str(file), "--account", company.iban)
    assert "importé dans Compte principal" in out
