"""The archive: what issuing stores, the chain, append-only rows, verify-archive."""

import datetime as dt
import hashlib
import io
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone
from facturx import get_xml_from_pdf
from freezegun import freeze_time

from encaisse import clock
from encaisse.companies.models import NumberSequence
from encaisse.documents import archive, einvoice
from encaisse.documents.archive import ArchiveAltered, read, verify_archive
from encaisse.documents.jobs import RENDER_PENDING, render_key
from encaisse.documents.models import GENESIS, ArchiveAppendOnly, ArchivedDocument, chain_hash_of
from encaisse.errors import Conflict, NotFound
from encaisse.jobs.models import Job, JobState
from encaisse.jobs.runner import BACKOFF, enqueue, recover_stale, run_pending_jobs
from encaisse.sales.models import DocumentStatus, Invoice
from encaisse.sales.services import create_credit_note
from tests.conftest import archived, issue_on_day

DAY = dt.date(2026, 3, 2)
SIREN = "732829320"  # tests/conftest.py SELLER


def links(company):
    return list(ArchivedDocument.objects.filter(company=company).order_by("position"))


def file_of(archive_dir, document) -> bytes:
    return (archive_dir / document.storage_key).read_bytes()


def by_hand_chain_hash(document, previous: str) -> str:
    when = document.created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    text = (
        f"encaisse-archive-1|{previous}|{document.position}|{document.kind}|{document.number}"
        f"|{document.format}|{document.storage_key}|{document.size}|{document.sha256}|{when}"
    )
    return hashlib.sha256(text.encode()).hexdigest()


@contextmanager
def guards_off():
    """Drop the append-only triggers for the rest of the test (rolled back with it), as
    someone with direct database access could."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER documents_archive_no_update")
            cursor.execute("DROP TRIGGER documents_archive_no_delete")
        else:
            # ALTER TABLE refuses while deferred foreign-key checks are pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE documents_archiveddocument "
                "DISABLE TRIGGER documents_archive_append_only"
            )
        yield cursor


def flip_byte(path, offset=200):
    os.chmod(path, 0o640)  # stored read-only
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture
def issued(make_invoice):
    """Two issued invoices, rendered: six links, positions 1..6."""
    invoices = [make_invoice(issue_on=DAY), make_invoice(issue_on=DAY)]
    archived()
    return invoices


# ---------------------------------------------------------------- what issuing stores


@pytest.mark.django_db
def test_issuing_stores_pdf_cii_and_ubl_as_three_chained_links(make_invoice, archive_dir):
    invoice = make_invoice(issue_on=DAY)
    assert links(invoice.company) == []  # issued and committed: rendered by its job after
    archived()
    pdf, cii, ubl = links(invoice.company)

    assert [(d.position, d.format) for d in (pdf, cii, ubl)] == [(1, "pdf"), (2, "cii"), (3, "ubl")]
    assert {d.invoice_id for d in (pdf, cii, ubl)} == {invoice.pk}
    assert {(d.kind, d.number) for d in (pdf, cii, ubl)} == {("invoice", "FA2026-00001")}
    assert [d.storage_key for d in (pdf, cii, ubl)] == [
        f"{SIREN}/2026/FA2026-00001.pdf",
        f"{SIREN}/2026/FA2026-00001-factur-x.xml",
        f"{SIREN}/2026/FA2026-00001-ubl.xml",
    ]
    assert [d.filename for d in (pdf, cii, ubl)] == [
        "FA2026-00001.pdf",
        "FA2026-00001-factur-x.xml",
        "FA2026-00001-ubl.xml",
    ]
    for document in (pdf, cii, ubl):
        stored = file_of(archive_dir, document)
        assert document.size == len(stored)
        assert document.sha256 == hashlib.sha256(stored).hexdigest()
    # the chain: each link names the one before it, and its hash is the documented one
    assert pdf.previous_sha256 == GENESIS
    assert cii.previous_sha256 == pdf.chain_hash
    assert ubl.previous_sha256 == cii.chain_hash
    assert pdf.chain_hash == by_hand_chain_hash(pdf, GENESIS)
    assert ubl.chain_hash == by_hand_chain_hash(ubl, cii.chain_hash)

    stored_pdf = file_of(archive_dir, pdf)
    assert stored_pdf.startswith(b"%PDF-")
    # the archived XML is the one inside the PDF, and the one the mapping gives
    _, embedded = get_xml_from_pdf(stored_pdf, check_xsd=False)
    assert embedded == file_of(archive_dir, cii) == einvoice.cii_xml(invoice)
    assert file_of(archive_dir, ubl) == einvoice.ubl_xml(invoice)
    head = NumberSequence.objects.get(company=invoice.company, document_type="archive")
    assert head.last_number == 3


@pytest.mark.django_db
def test_the_chain_goes_on_across_documents_and_is_per_company(
    issued, company, other_company, their_draft
):
    assert [d.position for d in links(company)] == [1, 2, 3, 4, 5, 6]
    first, second = links(company)[2:4]
    assert second.number == "FA2026-00002" and second.previous_sha256 == first.chain_hash

    draft, other_admin = their_draft
    archived(issue_on_day(draft, by=other_admin, on=DAY))
    theirs = links(other_company)
    assert [d.position for d in theirs] == [1, 2, 3]
    assert theirs[0].previous_sha256 == GENESIS
    assert theirs[0].storage_key == "443061841/2026/FA2026-00001.pdf"
    assert [d.position for d in links(company)] == [1, 2, 3, 4, 5, 6]


@pytest.mark.django_db
def test_a_credit_note_is_archived_too(issued, admin):
    note = create_credit_note(issued[0], by=admin, mode="full", reason="Erreur de prix")
    note = archived(issue_on_day(note, by=admin, on=DAY))
    stored = ArchivedDocument.objects.filter(invoice=note).order_by("position")
    assert [(d.position, d.kind, d.number, d.format) for d in stored] == [
        (7, "credit_note", "AV2026-00001", "pdf"),
        (8, "credit_note", "AV2026-00001", "cii"),
        (9, "credit_note", "AV2026-00001", "ubl"),
    ]
    assert b"<ram:TypeCode>381</ram:TypeCode>" in read(note, "cii")
    assert verify_archive().ok


def render_job(invoice) -> Job:
    return Job.objects.get(key=render_key(invoice.pk))


def files_in(folder) -> list:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


@pytest.mark.django_db
def test_when_archiving_fails_the_issue_stands_nothing_is_half_archived_and_a_retry_finishes(
    make_invoice, admin, archive_dir, monkeypatch
):
    invoice = make_invoice(issue_on=DAY)
    assert invoice.status == DocumentStatus.ISSUED and invoice.number == "FA2026-00001"

    def broken_lock(*args, **kwargs):
        raise OSError("disque plein")

    monkeypatch.setattr(archive, "lock_sequence", broken_lock)  # after the files are written
    start = timezone.now()
    with freeze_time(start):
        assert run_pending_jobs() == 1
    job_ = render_job(invoice)
    assert job_.state == JobState.QUEUED and "disque plein" in job_.error  # to be retried
    assert not ArchivedDocument.objects.exists() and files_in(archive_dir) == []
    assert not archive.is_archived(invoice)

    monkeypatch.undo()
    with freeze_time(start + BACKOFF[0] + dt.timedelta(seconds=1)):
        assert run_pending_jobs() == 1
    job_.refresh_from_db()
    assert (job_.state, job_.attempts) == (JobState.DONE, 2)
    assert [d.position for d in links(invoice.company)] == [1, 2, 3]
    assert verify_archive().ok


@pytest.mark.django_db
def test_a_worker_killed_between_rendering_and_the_archive_commit_is_recovered(
    make_invoice, archive_dir, monkeypatch
):
    """The worker dies after writing the files, before its transaction commits: nothing
    is archived, the files it left are orphans; `recover_stale` queues its job again and
    the next attempt replaces them and archives the document once."""
    invoice = make_invoice(issue_on=DAY)

    def killed(*args, **kwargs):
        raise SystemExit("kill -9")

    monkeypatch.setattr(archive, "lock_sequence", killed)
    start = timezone.now()
    with freeze_time(start), pytest.raises(SystemExit):
        run_pending_jobs()
    monkeypatch.undo()
    assert render_job(invoice).state == JobState.RUNNING  # its worker is gone
    assert not ArchivedDocument.objects.exists()
    # kill -9 would not have cleaned up: the files a dead worker leaves behind
    orphan = archive_dir / SIREN / "2026" / "FA2026-00001.pdf"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"%PDF- half written by a dead worker")

    later = start + dt.timedelta(minutes=20)
    with freeze_time(later):
        assert recover_stale(dt.timedelta(minutes=15)) == 1
    with freeze_time(later + BACKOFF[0] + dt.timedelta(seconds=1)):
        assert run_pending_jobs() == 1
    assert render_job(invoice).state == JobState.DONE
    assert [d.position for d in links(invoice.company)] == [1, 2, 3]
    assert read(invoice, "pdf").startswith(b"%PDF-") and b"dead worker" not in read(invoice, "pdf")
    assert verify_archive().ok


@pytest.mark.django_db
def test_two_executions_archive_once(make_invoice, monkeypatch):
    invoice = make_invoice(issue_on=DAY)
    first = archive.archive_issued(invoice)
    rendered = archive.render_files(invoice)

    def no_render(invoice):
        raise AssertionError("rendered again")

    monkeypatch.setattr(archive, "render_files", no_render)
    assert archive.archive_issued(invoice) == first  # a second execution: a no-op
    # rendered by two workers at once, the later one finds it archived when it appends
    assert archive.append(invoice, rendered) == first
    # and the queued job, running after all that, does nothing either
    assert run_pending_jobs() == 1
    assert render_job(invoice).state == JobState.DONE
    assert ArchivedDocument.objects.count() == 3
    assert verify_archive().ok


@pytest.mark.django_db
def test_render_pending_queues_what_has_neither_files_nor_a_job(make_invoice):
    # issued now (render_pending looks at the last days' issues)
    invoice, other = make_invoice(issue_on=clock.today()), make_invoice(issue_on=clock.today())
    Job.objects.filter(key=render_key(invoice.pk)).delete()  # e.g. purged
    enqueue(RENDER_PENDING)
    run_pending_jobs()
    assert archive.is_archived(invoice) and archive.is_archived(other)
    assert render_job(invoice).state == JobState.DONE
    pending = Job.objects.get(name=RENDER_PENDING)
    assert pending.result == {"queued": [invoice.pk]}
    enqueue(RENDER_PENDING)  # nothing left to do
    run_pending_jobs()
    assert Job.objects.filter(name=RENDER_PENDING).first().result == {"queued": []}


@pytest.mark.django_db
def test_a_file_left_by_a_failed_render_is_replaced(make_invoice, admin, archive_dir):
    invoice = make_invoice(issue_on=DAY)
    orphan = archive_dir / SIREN / "2026" / "FA2026-00001.pdf"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"left behind by a rollback")
    archived()
    assert read(invoice, "pdf").startswith(b"%PDF-")
    assert verify_archive().ok


# ---------------------------------------------------------------- reading


@pytest.mark.django_db
def test_read_gives_the_stored_bytes_and_refuses_a_draft(issued, make_invoice, archive_dir):
    invoice = issued[1]
    for document in ArchivedDocument.objects.filter(invoice=invoice):
        assert read(invoice, document.format) == file_of(archive_dir, document)
    with pytest.raises(Conflict) as refused:
        read(make_invoice(), "pdf")
    assert refused.value.code == "not_issued"
    with pytest.raises(NotFound):
        read(invoice, "docx")
    waiting = make_invoice(issue_on=DAY)  # issued, its render job not run yet
    with pytest.raises(archive.DocumentNotReady) as not_ready:
        read(waiting, "pdf")
    assert (not_ready.value.code, not_ready.value.status) == ("document_not_ready", 409)
    assert "en cours de génération" in not_ready.value.message


@pytest.mark.django_db
def test_read_refuses_a_changed_or_missing_file(issued, archive_dir):
    pdf = ArchivedDocument.objects.get(invoice=issued[0], format="pdf")
    flip_byte(archive_dir / pdf.storage_key)
    with pytest.raises(ArchiveAltered) as altered:
        read(issued[0], "pdf")
    assert altered.value.code == "archive_altered" and "FA2026-00001" in altered.value.message

    (archive_dir / pdf.storage_key).unlink()
    with pytest.raises(ArchiveAltered, match="introuvable"):
        read(issued[0], "pdf")


# ---------------------------------------------------------------- append-only


@pytest.mark.django_db
def test_the_archive_refuses_updates_and_deletes(issued):
    document = ArchivedDocument.objects.get(position=2)
    document.sha256 = "0" * 64
    with pytest.raises(ArchiveAppendOnly):
        document.save()
    with pytest.raises(ArchiveAppendOnly):
        document.delete()
    # plain SQL: the triggers refuse
    for sql in (
        "UPDATE documents_archiveddocument SET sha256 = 'x' WHERE position = 2",
        "DELETE FROM documents_archiveddocument WHERE position = 2",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert ArchivedDocument.objects.filter(position=2).values_list("sha256", flat=True).get() != (
        "x"
    )
    assert ArchivedDocument.objects.count() == 6


# ---------------------------------------------------------------- verify-archive


@pytest.mark.django_db
def test_verify_passes_on_a_clean_archive(issued, other_company):
    report = verify_archive()
    assert report.ok
    chains = {chain.company.siren: chain for chain in report.chains}
    assert chains[SIREN].checked == 6
    assert chains[SIREN].last_hash == ArchivedDocument.objects.get(position=6).chain_hash
    assert chains["443061841"].checked == 0 and chains["443061841"].broken is None


@pytest.mark.django_db
def test_verify_detects_a_changed_byte_in_a_stored_pdf(issued, archive_dir):
    pdf = ArchivedDocument.objects.get(invoice=issued[1], format="pdf")
    flip_byte(archive_dir / pdf.storage_key)
    broken = verify_archive().chains[0].broken
    assert (broken.position, broken.number) == (4, "FA2026-00002")
    assert "fichier modifié" in broken.problem
    assert verify_archive().chains[0].checked == 3  # the links before it are fine


@pytest.mark.django_db
def test_verify_detects_a_missing_file(issued, archive_dir):
    ubl = ArchivedDocument.objects.get(invoice=issued[0], format="ubl")
    (archive_dir / ubl.storage_key).unlink()
    broken = verify_archive().chains[0].broken
    assert (broken.position, broken.problem) == (3, "fichier introuvable")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("deleted", "seen_at", "problem"),
    [
        ("2", 3, "maillon 2 manquant (enregistrement supprimé)"),
        ("2, 3", 4, "maillons 2 à 3 manquants (enregistrement supprimé)"),
    ],
)
def test_verify_detects_a_deleted_record(issued, deleted, seen_at, problem):
    with guards_off() as cursor:
        cursor.execute(f"DELETE FROM documents_archiveddocument WHERE position IN ({deleted})")
        broken = verify_archive().chains[0].broken
    assert (broken.position, broken.problem) == (seen_at, problem)


@pytest.mark.django_db
def test_verify_detects_a_deleted_last_record(issued):
    with guards_off() as cursor:
        cursor.execute("DELETE FROM documents_archiveddocument WHERE position = 6")
        broken = verify_archive().chains[0].broken
    assert broken.position == 6
    assert (
        str(broken) == "maillon 6 : maillon 6 manquant en fin de chaîne (enregistrement supprimé)"
    )


@pytest.mark.django_db
def test_verify_detects_a_deleted_last_record_even_with_the_counter_moved_back(issued):
    with guards_off() as cursor:
        cursor.execute("DELETE FROM documents_archiveddocument WHERE position = 6")
        NumberSequence.objects.filter(document_type="archive").update(last_number=5)
        broken = verify_archive().chains[0].broken
    assert (broken.position, broken.number) == (None, "FA2026-00002")
    assert "n'est pas archivé" in broken.problem


@pytest.mark.django_db
def test_verify_detects_a_changed_record(issued):
    with guards_off() as cursor:
        cursor.execute(
            "UPDATE documents_archiveddocument SET number = 'FA2026-00009' WHERE position = 5"
        )
        broken = verify_archive().chains[0].broken
    assert broken.position == 5 and broken.problem.startswith("enregistrement modifié")


def _forge(company, position, previous, archive_dir, invoice=None):
    """A link built the way the service builds one, file included, added behind its back."""
    data = b"%PDF-1.7 forged"
    key = f"{SIREN}/2026/FA2026-00099.pdf"
    (archive_dir / key).write_bytes(data)
    fields = {
        "position": position,
        "kind": "invoice",
        "number": "FA2026-00099",
        "format": "pdf",
        "storage_key": key,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "created_at": dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC),
    }
    ArchivedDocument.objects.bulk_create(
        [
            ArchivedDocument(
                company=company,
                invoice=invoice,
                filename="FA2026-00099.pdf",
                previous_sha256=previous,
                chain_hash=chain_hash_of(previous=previous, **fields),
                **fields,
            )
        ]
    )


@pytest.mark.django_db
def test_verify_detects_an_inserted_record(issued, company, archive_dir):
    last = ArchivedDocument.objects.get(position=6)
    _forge(company, 7, last.chain_hash, archive_dir)  # a perfect link, but never handed out
    broken = verify_archive().chains[0].broken
    assert (broken.position, broken.number) == (7, "FA2026-00099")
    assert broken.problem.startswith("maillon inséré")


@pytest.mark.django_db
def test_verify_detects_an_inserted_record_with_the_counter_moved(issued, company, archive_dir):
    NumberSequence.objects.filter(document_type="archive").update(last_number=7)
    # chained to link 5, as if slipped in before the last one
    _forge(company, 7, ArchivedDocument.objects.get(position=5).chain_hash, archive_dir)
    broken = verify_archive().chains[0].broken
    assert broken.position == 7 and broken.problem.startswith("ne suit pas le maillon précédent")


@pytest.mark.django_db
def test_verify_archive_command(issued, archive_dir):
    out = io.StringIO()
    call_command("verify-archive", stdout=out)
    text = out.getvalue()
    assert f"{SIREN}" in text and "6 maillon(s) vérifié(s)" in text
    assert ArchivedDocument.objects.get(position=6).chain_hash in text

    flip_byte(archive_dir / ArchivedDocument.objects.get(position=1).storage_key)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify-archive", "--company", SIREN, stdout=out, stderr=err)
    assert exit_.value.code == 1
    assert "maillon 1, FA2026-00001 (PDF Factur-X) : fichier modifié" in err.getvalue()
    assert "0 maillon(s) vérifié(s)" in out.getvalue()

    with pytest.raises(CommandError, match="123456789"):
        call_command("verify-archive", "--company", "123456789")


@pytest.mark.django_db
def test_verify_archive_reports_documents_without_files_after_the_grace_time(issued, make_invoice):
    waiting = make_invoice(issue_on=DAY)  # its render job not run: no files yet
    report = verify_archive()
    assert report.ok and report.chains[0].pending == [waiting.number]
    out = io.StringIO()
    call_command("verify-archive", stdout=out)
    assert "en cours : 1 document(s) émis en cours de génération (FA2026-00003)" in (out.getvalue())

    with freeze_time(timezone.now() + dt.timedelta(minutes=11)):
        broken = verify_archive().chains[0].broken
        assert (broken.position, broken.number) == (None, "FA2026-00003")
        assert "pas archivé (depuis plus de 10 min)" in broken.problem
        assert verify_archive(grace=dt.timedelta(minutes=30)).ok
        err = io.StringIO()
        with pytest.raises(SystemExit):
            call_command("verify-archive", "--grace-minutes", "5", stdout=io.StringIO(), stderr=err)
        assert "FA2026-00003" in err.getvalue()
        call_command("verify-archive", "--grace-minutes", "60", stdout=io.StringIO())
    archived()
    report = verify_archive()
    assert report.ok and report.chains[0].pending == []


# ---------------------------------------------------------------- concurrency

WORKERS = 6
INVOICES = 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issuers_keep_one_linear_chain(make_invoice, admin, company):
    drafts = [make_invoice().pk for _ in range(INVOICES)]

    def issue(pk):
        close_old_connections()  # each thread opens its own connection
        try:
            return issue_on_day(Invoice.objects.get(pk=pk), by=admin, on=DAY).number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(issue, drafts))
    assert links(company) == []

    def work(_):  # several workers render and archive at once
        close_old_connections()
        try:
            return run_pending_jobs()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=3) as pool:
        assert sum(pool.map(work, range(3))) == INVOICES

    chain = links(company)
    assert [d.position for d in chain] == list(range(1, 3 * INVOICES + 1))
    previous = GENESIS
    for document in chain:
        assert document.previous_sha256 == previous
        previous = document.chain_hash
    # each invoice's three files are consecutive links: no interleaving between workers
    # (in the order they were rendered, not necessarily their numbers')
    for start in range(0, len(chain), 3):
        assert len({d.invoice_id for d in chain[start : start + 3]}) == 1
    assert verify_archive(company).ok
