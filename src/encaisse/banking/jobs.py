"""The banking app's jobs.

--- match lane --- `banking.reconcile`: the reconciliation engine over a company's lines
to do (or one statement file's), with its progress; the import lane queues it after an
import, the review screen's « Relancer le rapprochement » button and
`encaisse bank reconcile` too."""

from encaisse.jobs.runner import enqueue, job, progress

from .models import BankLine
from .services.reconcile import reconcile


def start_reconcile(company, *, by=None, statement_file=None):
    """Queue the engine's run for `company` (a statement file's lines only, if given)."""
    arguments = {"statement_file": statement_file.pk} if statement_file is not None else {}
    return enqueue(
        "banking.reconcile",
        company=company,
        by=by,
        label="Rapprochement bancaire automatique",
        **arguments,
    )


@job("banking.reconcile", "Rapprochement bancaire automatique", max_attempts=2)
def run_reconcile(job_, statement_file=None):
    lines = None
    if statement_file is not None:
        lines = list(
            BankLine.objects.filter(
                company=job_.company, statement__file_id=statement_file
            ).values_list("pk", flat=True)
        )
    report = reconcile(
        job_.company,
        lines,
        by=job_.created_by,
        progress=lambda done, total: progress(job_, done, total),
    )
    return report.summary() + ".", report.counts()
