"""`encaisse create-token USER --company SIREN [--name LABEL]`."""

import io

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from encaisse.api.models import ApiToken
from encaisse.companies.models import Role

from .conftest import ApiClient, assert_error


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create-token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_a_token_that_authenticates(admin, company, customer):
    out, err = run("admin", "--company", "732 829 320", "--name", "ERP comptable")
    key = out.strip()
    assert key.startswith("enc_")
    token = ApiToken.objects.get()
    assert (token.user, token.company, token.name) == (admin, company, "ERP comptable")
    assert token.prefix in err and key not in err
    response = ApiClient(key).get("/api/customers")
    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["personne", "--company", "732829320"], "Utilisateur inconnu"),
        (["admin", "--company", "443061841"], "Aucune société"),
        (["hors-societe", "--company", "732829320"], "n'est pas membre"),
        (["admin", "--company", "732829320", "--name", "x" * 101], "100 caractères"),
    ],
)
def test_bad_inputs_raise_a_french_error(admin, make_user, args, message):
    make_user("hors-societe")  # a user with no membership
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not ApiToken.objects.exists()


@pytest.fixture
def keep_test_connection(monkeypatch):
    """run_from_argv closes every connection when it ends: not the test's, on PostgreSQL."""
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)


def test_command_line_exits_non_zero(admin, capsys, keep_test_connection):
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(
            ["encaisse", "create-token", "personne", "--company", "732829320"]
        )
    assert exit_info.value.code == 1
    assert "Utilisateur inconnu : « personne »" in capsys.readouterr().err
    assert not ApiToken.objects.exists()


def test_company_is_required(admin, capsys, keep_test_connection):
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["encaisse", "create-token", "admin"])
    assert exit_info.value.code != 0


def test_a_read_only_token_reads_but_cannot_write(company, make_user, customer):
    make_user("lecteur", company, Role.READ_ONLY)
    key = run("lecteur", "--company", "732829320")[0].strip()
    client = ApiClient(key)
    assert client.get("/api/customers").status_code == 200
    assert_error(client.post("/api/customers", {"legal_name": "X"}), 403, "forbidden")
