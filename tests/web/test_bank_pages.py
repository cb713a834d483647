"""The banking pages of the import lane: « Comptes bancaires » (list, form), « Relevés »
(import form, statements with balances and gaps), a file's import, a statement's lines,
the Excel export; rights per role; bounded queries on the list pages."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from encaisse.banking import formats
from encaisse.banking.formats.base import MalformedStatement
from encaisse.banking.models import BankAccount, BankLine, BankStatement, StatementFile
from encaisse.banking.services.imports import import_statements
from encaisse.companies.models import Role
from encaisse.jobs.runner import run_pending_jobs
from tests.banking.factories import SG, day, line, make_sg_account, statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def sg_account(company, admin):
    return make_sg_account(company, admin)


@pytest.fixture
def accountant(company, make_user):
    return make_user("compta", company, Role.ACCOUNTING)


def january(**kwargs):
    lines = [
        line("1500.00", day(12), "VIR SEPA BOULANGERIE DUPONT FA2024-00012"),
        line("-12.50", day(13), "CB CARREFOUR 12/01"),
    ]
    return statement(lines, "1000.00", day(12), day(13), reference="STMT-1", **kwargs)


def imported(company, account, by, statements, name="a.xml"):
    return import_statements(
        company,
        account,
        statements,
        file_name=name,
        sha256=name.ljust(64, "0"),
        format="camt053",
        by=by,
    )


def upload(client, account, content=b"<Document/>", name="releve.xml"):
    return client.post(
        reverse("web:bank_import"),
        {"file": SimpleUploadedFile(name, content), "account": account.pk},
    )


# ---------------------------------------------------------------- accounts


def test_accounts_page_lists_the_company_iban_as_first_account(admin_client, company):
    html = admin_client.get(reverse("web:bank_accounts")).content.decode()
    assert "Compte principal" in html and "FR76 3000 6000 0112 3456 7890 189" in html
    assert reverse("web:bank_account_create") in html
    # Reached from the company's settings page.
    settings_html = admin_client.get(reverse("web:company_settings")).content.decode()
    assert reverse("web:bank_accounts") in settings_html


def test_account_form_creates_and_shows_errors_next_to_fields(admin_client, company):
    response = admin_client.post(
        reverse("web:bank_account_create"),
        {"name": "SG", "iban": "FR76 3000 3012 3401 2345 6789 058", "journal": "BQ2"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_iban-error"' in html and "est pas valide" in html
    response = admin_client.post(
        reverse("web:bank_account_create"),
        {"name": "SG", "iban": SG, "bic": "COBADEFF", "journal": "BQ2", "ledger_account": "5121"},
    )
    assert 'id="id_bic-error"' in response.content.decode()
    response = admin_client.post(
        reverse("web:bank_account_create"),
        {"name": "SG", "iban": SG, "journal": "bq2", "ledger_account": "5121", "currency": "EUR"},
    )
    assert response.status_code == 302
    account = BankAccount.objects.get(iban=SG)
    assert account.journal == "BQ2"
    response = admin_client.post(
        reverse("web:bank_account_edit", args=[account.pk]),
        {
            "name": "SG pro",
            "iban": SG,
            "journal": "BQ2",
            "ledger_account": "5121",
            "currency": "EUR",
        },
    )
    assert response.status_code == 302 and BankAccount.objects.get(pk=account.pk).name == "SG pro"
    admin_client.post(reverse("web:bank_account_toggle", args=[account.pk]))
    assert not BankAccount.objects.get(pk=account.pk).active


@pytest.mark.parametrize("role", [Role.ACCOUNTING, Role.READ_ONLY, Role.SALES])
def test_only_admins_see_and_use_the_account_form(client_of, make_user, company, role):
    client = client_of(make_user(f"u-{role}", company, role))
    html = client.get(reverse("web:bank_accounts")).content.decode()
    assert "Compte principal" in html
    assert reverse("web:bank_account_create") not in html and "Désactiver" not in html
    assert client.get(reverse("web:bank_account_create")).status_code == 403
    account = BankAccount.objects.get()
    assert client.post(reverse("web:bank_account_toggle", args=[account.pk])).status_code == 403
    assert BankAccount.objects.get().active


# ---------------------------------------------------------------- import


def test_import_shows_the_summary_with_gaps_on_the_files_page(
    client_of, accountant, sg_account, monkeypatch
):
    second = statement([line("-7.34", day(15))], "2500.00", day(15), day(15), reference="STMT-2")
    monkeypatch.setattr(formats, "parse", lambda data: [january(), second])
    client = client_of(accountant)
    response = upload(client, sg_account)
    file = StatementFile.objects.get()
    assert response.status_code == 302 and response.url == reverse("web:bank_file", args=[file.pk])
    html = client.get(response.url).content.decode()
    gap = (
        "Écart de 12,50\u00a0€ entre le solde final du 13/01/2024 et le solde initial du 15/01/2024"
    )
    assert gap in html  # in the flash message and on the statement's row
    assert html.count('class="gap"') == 1 and "3 lignes importées" in html
    # Again: already imported, nothing written, said clearly.
    response = upload(client, sg_account)
    html = client.get(response.url).content.decode()
    assert "Ce fichier a déjà été importé le" in html and "(3 lignes)" in html
    assert StatementFile.objects.count() == 1 and BankLine.objects.count() == 3


def test_a_malformed_file_shows_the_parsers_message_next_to_the_field(
    client_of, accountant, sg_account, monkeypatch
):
    def broken(data):
        raise MalformedStatement("montant « 12,3x » illisible", "ligne 4")

    monkeypatch.setattr(formats, "parse", broken)
    response = upload(client_of(accountant), sg_account)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_file-error"' in html and "ligne 4 : montant « 12,3x » illisible" in html
    assert not StatementFile.objects.exists()


def test_a_statement_of_another_currency_is_refused_next_to_the_account(
    client_of, accountant, sg_account, monkeypatch
):
    monkeypatch.setattr(formats, "parse", lambda data: [january(currency="CHF")])
    html = upload(client_of(accountant), sg_account).content.decode()
    assert 'id="id_account-error"' in html and "est en CHF" in html
    assert not BankStatement.objects.exists()


def test_a_large_file_goes_to_a_job_with_a_progress_bar(
    client_of, accountant, sg_account, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ENCAISSE_BANK_IMPORT_INLINE_LINES = 1
    monkeypatch.setattr(formats, "parse", lambda data: [january()])
    client = client_of(accountant)
    response = upload(client, sg_account)
    assert "?job=" in response.url
    html = client.get(response.url).content.decode()
    assert 'class="job-progress' in html and "Import du relevé « releve.xml »" in html
    run_pending_jobs()
    html = client.get(response.url).content.decode()
    assert "Voir les relevés importés" in html and BankLine.objects.count() == 2


@pytest.mark.parametrize("role", [Role.READ_ONLY, Role.SALES, Role.COLLECTION])
def test_roles_without_the_right_see_no_import_form_and_are_refused(
    client_of, make_user, company, sg_account, role, monkeypatch
):
    monkeypatch.setattr(formats, "parse", lambda data: [january()])
    client = client_of(make_user(f"u-{role}", company, role))
    html = client.get(reverse("web:bank_statements")).content.decode()
    assert "Importer un relevé" not in html and reverse("web:bank_import") not in html
    assert upload(client, sg_account).status_code == 403
    assert not StatementFile.objects.exists()


def test_another_companys_pages_do_not_exist(
    client_of, make_user, other_company, company, admin, sg_account
):
    result = imported(company, sg_account, admin, [january()])
    stranger = client_of(make_user("autre", other_company))
    statement_ = result.statements[0].statement
    assert stranger.get(reverse("web:bank_statement", args=[statement_.pk])).status_code == 404
    assert stranger.get(reverse("web:bank_file", args=[result.file.pk])).status_code == 404
    assert stranger.get(reverse("web:bank_account_edit", args=[sg_account.pk])).status_code in (
        403,
        404,
    )
    html = stranger.get(reverse("web:bank_statements")).content.decode()
    assert "STMT-1" not in html


# ---------------------------------------------------------------- lists and export


def test_statements_list_queries_are_bounded(
    client_of, accountant, company, admin, sg_account, django_assert_max_num_queries
):
    for n in range(30):
        imported(
            company,
            sg_account,
            admin,
            [
                statement(
                    [line("1.00", day(n % 28 + 1, 2 + n // 28))],
                    "0",
                    None,
                    day(n % 28 + 1, 2 + n // 28),
                    reference=f"S{n}",
                )
            ],
            name=f"f{n}",
        )
    client = client_of(accountant)
    client.get(reverse("web:bank_statements"))  # the session, the first account
    with django_assert_max_num_queries(14):  # the same for 3 statements or 3,000
        html = client.get(reverse("web:bank_statements")).content.decode()
    assert html.count('href="/bank/statements/') >= 25 and "Page 1 sur 2" in html
    # The files too (a file whose statements were all known has no statement row).
    assert html.count('href="/bank/files/') == 25 + 10 and "Page 1 sur 3" in html
    assert 'href="?files=2#fichiers"' in html


def test_statement_page_lines_paged_with_status_badges(
    client_of, accountant, company, admin, sg_account, django_assert_max_num_queries
):
    lines = [line(f"{n}.00", day(1 + n % 28), f"VIR {n}") for n in range(1, 61)]
    result = imported(company, sg_account, admin, [statement(lines, "0", day(1), day(28))])
    stored = result.statements[0].statement
    BankLine.objects.filter(label="VIR 1").update(status="matched")
    client = client_of(accountant)
    url = reverse("web:bank_statement", args=[stored.pk])
    client.get(url)
    with django_assert_max_num_queries(11):
        html = client.get(url).content.decode()
    assert html.count('class="badge badge-line-') == 50 and "Page 1 sur 2" in html
    assert "Rapprochée" in html
    html = client.get(url + "?status=matched").content.decode()
    assert "VIR 1<" in html and "VIR 2<" not in html


def test_export_of_a_statements_lines(admin_client, company, admin, sg_account):
    result = imported(company, sg_account, admin, [january()])
    stored = result.statements[0].statement
    response = admin_client.get(reverse("web:bank_lines_export") + f"?statement={stored.pk}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Compte", "Date d'opération", "Date de valeur", "Montant")
    assert [r[3] for r in rows[1:]] == [1500, -12.5]
    assert rows[1][5] == "VIR SEPA BOULANGERIE DUPONT FA2024-00012"


def test_nav_link_banque(admin_client):
    html = admin_client.get(reverse("web:home")).content.decode()
    assert f'href="{reverse("web:bank_statements")}"' in html and ">Relevés bancaires<" in html
