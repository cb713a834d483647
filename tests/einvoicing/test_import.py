"""Importing a status file: all or nothing, line-numbered errors, duplicates ignored."""

import datetime as dt
from io import BytesIO

import pytest

from encaisse.companies.models import Role
from encaisse.einvoicing.models import EventSource, LifecycleEvent
from encaisse.einvoicing.services import current_status, import_statuses, set_status
from encaisse.errors import Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db

MARCH_2 = dt.date(2026, 3, 2)


@pytest.fixture
def two_invoices(invoice_of):
    return invoice_of(1, MARCH_2), invoice_of(2, MARCH_2)  # FA2026-00001, FA2026-00002


def _file(text: str, encoding="utf-8") -> BytesIO:
    return BytesIO(text.encode(encoding))


def test_import_a_good_file(company, admin, two_invoices):
    first, second = two_invoices
    report = import_statuses(
        company,
        _file(
            "numéro;statut;date;commentaire\n"
            "FA2026-00001;200;02/03/2026;\n"
            "FA2026-00001;Approuvée partiellement;2026-03-06;Ligne 2 contestée\n"
            "FA2026-00002;213 - Rejetée;03/03/2026;SIREN inconnu\n"
            "\n"
            "FA2026-00002;rejetee;03/03/2026\n"  # the same again: ignored
        ),
        by=admin,
    )
    assert len(report.created) == 3 and report.duplicates == 1
    assert current_status(first).status == "206"
    assert current_status(first).note == "Ligne 2 contestée"
    assert current_status(second).status == "213"
    assert {e.source for e in LifecycleEvent.objects.all()} == {EventSource.IMPORT}


def test_statuses_already_known_are_ignored(company, admin, two_invoices):
    first, _ = two_invoices
    set_status(first, "200", on=MARCH_2, by=admin)
    report = import_statuses(
        company,
        _file("FA2026-00001;200;02/03/2026\nFA2026-00001;204;04/03/2026\n"),
        by=admin,
    )
    assert report.duplicates == 1 and [e.status for e in report.created] == ["204"]
    assert LifecycleEvent.objects.count() == 2


def test_a_file_saved_by_a_windows_spreadsheet(company, admin, two_invoices):
    report = import_statuses(
        company, _file("FA2026-00001;Approuvée;05/03/2026;Validée", "cp1252"), by=admin
    )
    assert [(e.status, e.note) for e in report.created] == [("205", "Validée")]


def test_bad_lines_refuse_the_whole_file(company, admin, two_invoices, make_invoice):
    draft = make_invoice()
    assert draft.number == ""
    before = LifecycleEvent.objects.count()
    with pytest.raises(ValidationFailed) as error:
        import_statuses(
            company,
            _file(
                "FA2026-00001;200;02/03/2026;ok\n"  # 1: fine, but must not be imported
                "FA2026-00009;200;02/03/2026\n"  # 2: unknown invoice
                "FA2026-00002;Payée;02/03/2026\n"  # 3: unknown status
                "FA2026-00002;200;31/02/2026\n"  # 4: no such date
                "FA2026-00002;200\n"  # 5: a column missing
                "FA2026-00002;200;01/03/2026\n"  # 6: before the issue date
            ),
            by=admin,
        )
    exc = error.value
    assert exc.field == "file"
    assert exc.message.startswith("Fichier refusé, rien n'a été importé : 5 ligne(s)")
    assert [d["line"] for d in exc.details] == [2, 3, 4, 5, 6]
    messages = [d["message"] for d in exc.details]
    assert messages[0] == "Ligne 2 : facture « FA2026-00009 » introuvable."
    assert messages[1] == "Ligne 3 : statut « Payée » inconnu."
    assert messages[2].startswith("Ligne 4 : date « 31/02/2026 » invalide")
    assert messages[3].startswith("Ligne 5 : 2 colonne(s), 3 ou 4 attendues")
    assert messages[4].startswith("Ligne 6 : La date précède l'émission de FA2026-00002")
    assert LifecycleEvent.objects.count() == before == 0


def test_characters_no_document_can_carry_name_their_line(company, admin, two_invoices):
    """A NUL or a control character in a cell (a damaged export) is refused with its line
    number, on PostgreSQL too (where a NUL in a query is an error of the driver); a
    comment longer than the column is refused, not cut."""
    with pytest.raises(ValidationFailed) as error:
        import_statuses(
            company,
            _file(
                "FA2026-00001;200;02/03/2026;ok\n"
                "FA2026-00001\x00;204;04/03/2026\n"
                "FA2026-00002;200;02/03/2026;bip\x07\n"
                f"FA2026-00002;204;04/03/2026;{'x' * 501}\n"
            ),
            by=admin,
        )
    details = error.value.details
    assert [d["line"] for d in details] == [2, 3, 4]
    assert details[0]["message"].startswith("Ligne 2 : ")
    assert details[1]["message"].startswith("Ligne 3, commentaire : ")
    assert details[2]["message"] == "Ligne 4, commentaire : 500 caractères au plus (501 saisis)."
    assert LifecycleEvent.objects.count() == 0


def test_a_status_after_a_refusal_in_the_same_file_is_refused(company, admin, two_invoices):
    with pytest.raises(ValidationFailed) as error:
        import_statuses(
            company,
            # Written out of order: checked in date order, the approval comes after the
            # refusal.
            _file("FA2026-00001;205;10/03/2026\nFA2026-00001;210;05/03/2026;Prix\n"),
            by=admin,
        )
    assert [d["line"] for d in error.value.details] == [1]
    assert "aucun statut ne peut suivre" in error.value.details[0]["message"]
    assert LifecycleEvent.objects.count() == 0


def test_another_company_invoices_are_unknown(
    company, other_company, admin, two_invoices, make_user
):
    other_admin = make_user("autre", other_company, Role.ADMIN)
    with pytest.raises(ValidationFailed) as error:
        import_statuses(other_company, _file("FA2026-00001;200;02/03/2026"), by=other_admin)
    assert "introuvable" in error.value.details[0]["message"]
    with pytest.raises(Exception) as error:
        import_statuses(company, _file("FA2026-00001;200;02/03/2026"), by=other_admin)
    assert type(error.value).__name__ == "NotFound"
    assert LifecycleEvent.objects.count() == 0


def test_empty_file_and_roles(company, admin, make_user):
    with pytest.raises(ValidationFailed) as error:
        import_statuses(company, _file("numéro;statut;date\n\n"), by=admin)
    assert error.value.code == "empty_file"
    with pytest.raises(Forbidden):
        import_statuses(
            company, _file("x;200;02/03/2026"), by=make_user("lecteur", company, Role.READ_ONLY)
        )
