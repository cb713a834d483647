"""Watched folders: new files imported and moved to importes/, refused ones to refuses/
with their message, idempotent by hash, a file still being written left for later."""

import datetime as dt
import os
import time

import pytest

from encaisse.banking import formats
from encaisse.banking.formats.base import MalformedStatement
from encaisse.banking.models import BankLine, StatementFile
from encaisse.banking.services import watch
from encaisse.banking.services.accounts import update_account
from encaisse.jobs import schedule
from encaisse.jobs.models import Job, JobState
from encaisse.jobs.runner import run_pending_jobs

from .factories import day, line, statement

pytestmark = pytest.mark.django_db

NOW = dt.timedelta(0)


@pytest.fixture
def folder(tmp_path, sg_account, admin):
    path = tmp_path / "ebics"
    path.mkdir()
    update_account(sg_account, {"watch_folder": str(path)}, by=admin)
    sg_account.refresh_from_db()
    return path


@pytest.fixture
def parse_by_content(monkeypatch):
    """The parser stand-in: b"day N" is one statement of the Nth of January with one
    line of N euros; b"bad" is malformed."""

    def parse(data: bytes):
        text = data.decode()
        if text.startswith("bad"):
            raise MalformedStatement("balise <Ntry> non fermée", "Stmt 1 / Ntry 2")
        n = int(text.split()[1])
        return [statement([line(f"{n}.00", day(n), f"VIR {n}")], "0", day(n), day(n))]

    monkeypatch.setattr(formats, "parse", parse)


def old(path, content: bytes):
    """Written a minute ago (the watch leaves files younger than MIN_AGE)."""
    path.write_bytes(content)
    stamp = time.time() - 60
    os.utime(path, (stamp, stamp))
    return path


def test_new_files_are_imported_and_moved(folder, sg_account, parse_by_content):
    old(folder / "releve-01.xml", b"day 1")
    old(folder / "releve-02.xml", b"day 2")
    (folder / ".partial").write_bytes(b"day 3")
    report = watch.watch_account(sg_account)
    assert report.imported == ["releve-01.xml", "releve-02.xml"] and not report.refused
    assert sorted(p.name for p in (folder / "importes").iterdir()) == [
        "releve-01.xml",
        "releve-02.xml",
    ]
    assert sorted(p.name for p in folder.iterdir()) == [".partial", "importes"]
    assert BankLine.objects.count() == 2
    file = StatementFile.objects.get(name="releve-01.xml")
    assert file.imported_by is None and file.account == sg_account


def test_a_file_still_being_written_waits(folder, sg_account, parse_by_content):
    (folder / "releve.xml").write_bytes(b"day 1")  # just now
    assert watch.watch_account(sg_account).text() == "Aucun nouveau fichier."
    assert (folder / "releve.xml").exists() and not StatementFile.objects.exists()
    assert watch.watch_account(sg_account, min_age=NOW).imported == ["releve.xml"]


def test_a_refused_file_goes_to_refuses_with_its_message(folder, sg_account, parse_by_content):
    (folder / "releve.xml").write_bytes(b"bad file")
    report = watch.watch_account(sg_account, min_age=NOW)
    assert report.refused == ["releve.xml"]
    assert (folder / "refuses" / "releve.xml").read_bytes() == b"bad file"
    message = (folder / "refuses" / "releve.xml.erreur.txt").read_text(encoding="utf-8")
    assert message == "Stmt 1 / Ntry 2 : balise <Ntry> non fermée\n"
    assert not StatementFile.objects.exists() and not BankLine.objects.exists()


def test_the_same_file_dropped_again_is_recognised(folder, sg_account, parse_by_content):
    (folder / "releve.xml").write_bytes(b"day 5")
    watch.watch_account(sg_account, min_age=NOW)
    (folder / "releve.xml").write_bytes(b"day 5")  # the EBICS client fetched it again
    report = watch.watch_account(sg_account, min_age=NOW)
    assert report.already == ["releve.xml"] and not report.imported
    assert sorted(p.name for p in (folder / "importes").iterdir()) == [
        "releve.xml",
        "releve.xml.1",
    ]
    assert StatementFile.objects.count() == 1 and BankLine.objects.count() == 1


def test_an_unexpected_failure_leaves_the_file_for_the_next_run(folder, sg_account, monkeypatch):
    def boom(data):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(formats, "parse", boom)
    (folder / "releve.xml").write_bytes(b"day 1")
    report = watch.watch_account(sg_account, min_age=NOW)
    assert report.left == ["releve.xml"] and (folder / "releve.xml").exists()


def test_the_scheduled_job_watches_every_active_account(
    folder, sg_account, parse_by_content, admin
):
    old(folder / "releve.xml", b"day 4")
    schedule.tick()
    run_pending_jobs()
    job = Job.objects.get(name="banking.watch_folders")
    assert job.state == JobState.DONE and job.message == "1 fichier(s) importé(s)."
    assert BankLine.objects.get().label == "VIR 4"
