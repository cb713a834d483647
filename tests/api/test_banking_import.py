"""POST /api/bank-statements (upload), GET /api/bank-statements, GET /api/bank-lines."""

import pytest
from django.test import Client

from encaisse.banking import formats
from encaisse.banking.formats.base import MalformedStatement
from encaisse.banking.models import BankLine, StatementFile
from encaisse.companies.models import Role
from encaisse.jobs.runner import run_pending_jobs
from tests.banking.factories import SG, day, line, make_sg_account, statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def sg_account(company, admin):
    return make_sg_account(company, admin)


def january(**kwargs):
    lines = [
        line(
            "1500.00",
            day(12),
            "VIR SEPA BOULANGERIE DUPONT FA2024-00012",
            counterparty_name="Dupont",
        ),
        line("-12.50", day(13), "CB CARREFOUR 12/01"),
        line("-40.00", day(13), "PRLV ORANGE"),
    ]
    return statement(lines, "1000.00", day(12), day(13), reference="STMT-1", **kwargs)


@pytest.fixture
def parsed(monkeypatch):
    monkeypatch.setattr(formats, "parse", lambda data: [january()])


def upload(key, account, content=b"<Document/>", name="releve.xml"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return Client().post(
        "/api/bank-statements",
        {"file": SimpleUploadedFile(name, content), "account": account},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


@pytest.fixture
def key(admin, company, make_key):
    return make_key(admin, company, "tests")


def test_upload_imports_then_says_already_imported(key, sg_account, parsed):
    response = upload(key, SG)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["lines_imported"], body["lines_skipped"], body["statements"]) == (3, 0, 1)
    assert body["gaps"] == [] and body["message"] == "1 relevé, 3 lignes importées."
    again = upload(key, str(sg_account.pk))  # the account by its id
    assert again.status_code == 200
    assert again.json()["already_imported"] and again.json()["file"] == body["file"]
    assert again.json()["message"].startswith("Ce fichier a déjà été importé le ")
    assert BankLine.objects.count() == 3


def test_upload_reports_gaps(key, sg_account, monkeypatch):
    monkeypatch.setattr(formats, "parse", lambda data: [january(closing="2440.00")])
    body = upload(key, SG).json()
    assert body["gaps"] == [
        {
            "kind": "balance",
            "amount": "7.50",
            "text": "Écart de 7,50\u00a0€ entre le solde initial du 12/01/2024 plus les "
            "opérations et le solde final du 13/01/2024",
        }
    ]


def test_a_malformed_file_is_422_with_the_parsers_message(key, sg_account, monkeypatch):
    def broken(data):
        raise MalformedStatement("élément <Amt> vide", "Stmt 1 / Ntry 3")

    monkeypatch.setattr(formats, "parse", broken)
    response = upload(key, SG)
    assert response.status_code == 422
    assert response.json() == {
        "code": "malformed_statement",
        "message": "Stmt 1 / Ntry 3 : élément <Amt> vide",
        "field": "file",
    }
    assert not StatementFile.objects.exists()


def test_a_large_file_is_202_with_its_job(key, sg_account, parsed, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ENCAISSE_BANK_IMPORT_INLINE_LINES = 2
    response = upload(key, SG)
    assert response.status_code == 202
    assert response.json()["job"] and response.json()["file"] is None
    run_pending_jobs()
    assert BankLine.objects.count() == 3


def test_unknown_account_is_404_and_read_only_is_403(
    key, sg_account, parsed, company, make_user, make_key
):
    response = upload(key, "FR7610278012340001234567873")
    assert response.status_code == 404 and "introuvable" in response.json()["message"]
    reader = make_key(make_user("lecteur", company, Role.READ_ONLY), company)
    assert upload(reader, SG).status_code == 403
    assert not StatementFile.objects.exists()


def test_another_companys_account_does_not_exist(
    sg_account, parsed, other_api, other_company, other_admin, make_key
):
    response = upload(make_key(other_admin, other_company), SG)
    assert response.status_code == 404 and not StatementFile.objects.exists()


def test_statements_and_lines_lists(api, key, sg_account, parsed):
    upload(key, SG)
    statements = api.get("/api/bank-statements").json()
    assert statements["count"] == 1
    (item,) = statements["items"]
    assert (item["account_iban"], item["reference"], item["lines"]) == (SG, "STMT-1", 3)
    assert (item["opening_balance"], item["closing_balance"], item["balance_gap"]) == (
        "1000.00",
        "2447.50",
        "0.00",
    )
    lines = api.get("/api/bank-lines", {"limit": 2}).json()
    assert lines["count"] == 3 and len(lines["items"]) == 2
    assert [x["amount"] for x in lines["items"]] == ["-40.00", "-12.50"]  # newest first
    assert api.get("/api/bank-lines", {"q": "dupont"}).json()["count"] == 1
    assert api.get("/api/bank-lines", {"status": "unmatched", "account": SG}).json()["count"] == 3
    assert api.get("/api/bank-lines", {"status": "matched"}).json()["count"] == 0
    assert api.get("/api/bank-lines", {"date_from": "2024-01-13"}).json()["count"] == 2
    assert api.get("/api/bank-lines", {"date_to": "2024-01-12"}).json()["count"] == 1
    assert api.get("/api/bank-lines", {"limit": 501}).status_code == 422
    assert api.get("/api/bank-lines", {"status": "nope"}).status_code == 422
    first = BankLine.objects.order_by("pk").first()
    detail = api.get(f"/api/bank-lines/{first.pk}").json()
    assert detail["label"] == "VIR SEPA BOULANGERIE DUPONT FA2024-00012"
    assert detail["counterparty_name"] == "Dupont" and detail["status"] == "unmatched"


def test_lines_of_another_company_are_404(other_api, key, sg_account, parsed):
    upload(key, SG)
    line_ = BankLine.objects.first()
    assert other_api.get(f"/api/bank-lines/{line_.pk}").status_code == 404
    assert other_api.get("/api/bank-lines").json()["count"] == 0
    assert other_api.get("/api/bank-statements").json()["count"] == 0
