"""The outbox's jobs: the mail that is due, every minute (queued by the scheduler), and a
selection sent at once with its progress bar (« Envoyer les factures du jour »)."""

from django.urls import reverse

from encaisse.jobs.runner import enqueue, job, progress

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


def send_now(company, mails, *, by, label: str):
    """Queue the sending of `mails` at once, as one job with its progress (in the
    caller's transaction, with the mails). Each mail is claimed as by the minute's
    sending: whichever takes it first sends it, once."""
    return enqueue(
        "mailing.send_mails", company=company, by=by, label=label, mail_ids=[m.pk for m in mails]
    )


@job("mailing.send_mails", "Envoi des e-mails", max_attempts=1)
def send_mails(job_, mail_ids):
    progress(job_, 0, len(mail_ids))
    report = send_queued(ids=mail_ids, on_progress=lambda done, total: progress(job_, done, total))
    message = f"{len(report.sent)} e-mail(s) envoyé(s), {len(report.failed)} en échec"
    if report.deferred:  # their document not archived yet: sent by the minute's sending
        message += f", {len(report.deferred)} en attente de leur document"
    done = len(report.sent) + len(report.failed) + len(report.deferred)
    if skipped := len(mail_ids) - done:
        message += f", {skipped} déjà parti(s) par ailleurs"
    return message + ".", {
        "sent": len(report.sent),
        "failed": len(report.failed),
        "url": reverse("web:outbox"),
        "link_label": "Voir l'envoi",
    }
