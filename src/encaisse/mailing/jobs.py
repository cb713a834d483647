"""The outbox's job: send the mail that is due (queued every minute by the scheduler)."""

from encaisse.jobs.runner import job

from .services import send_queued


@job("mailing.send_queued", "Envoi des e-mails en attente", max_attempts=1)
def send(job_):
    # One attempt: the next minute's occurrence sends what this one could not, and each
    # mail keeps its own tries and reason (the « Envoi » page).
    report = send_queued()
    return (
        f"{len(report.sent)} e-mail(s) envoyé(s), {len(report.failed)} en échec.",
        {"sent": len(report.sent), "failed": len(report.failed)},
    )
