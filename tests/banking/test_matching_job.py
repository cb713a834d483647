"""The job banking.reconcile: one statement file's lines, with its progress."""

import datetime as dt

from encaisse.banking.jobs import start_reconcile
from encaisse.banking.models import LineStatus
from encaisse.jobs.models import Job, JobState
from encaisse.jobs.runner import run_pending_jobs
from tests.banking.factories import make_line

JAN = dt.date(2026, 1, 10)
FEB = dt.date(2026, 2, 12)


def test_the_job_reconciles_one_files_lines(company, admin, invoice_of):
    invoice = invoice_of(2, JAN)
    line = make_line(company, "156.00", f"VIR {invoice.number}", on=FEB)
    other = make_line(company, "156.00", f"VIR {invoice.number}", on=FEB)  # another file
    job = start_reconcile(company, by=admin, statement_file=line.statement.file)
    run_pending_jobs()
    job = Job.objects.get(pk=job.pk)
    assert job.state == JobState.DONE
    assert job.message.startswith("1 ligne(s) : 1 rapprochée(s) automatiquement")
    assert (job.done, job.total) == (1, 1)
    line.refresh_from_db()
    other.refresh_from_db()
    assert (line.status, other.status) == (LineStatus.MATCHED, LineStatus.UNMATCHED)
