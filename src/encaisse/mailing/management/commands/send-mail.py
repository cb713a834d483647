"""`encaisse send-mail [--limit N]`: send the mails of the outbox that are due.

Meant for cron, e.g. every five minutes:

    */5 * * * *  cd /srv/encaisse && .venv/bin/encaisse send-mail --quiet

Queued mails are sent through EMAIL_BACKEND (ENCAISSE_EMAIL_BACKEND); a failure keeps its
reason and is retried later with a growing delay. The exit code is 0 even when some mails
failed (they stay in the outbox, see the "Envoi" page); it is 1 only when the command
itself cannot run.
"""

from django.core.management.base import BaseCommand

from encaisse.mailing.services import send_queued


class Command(BaseCommand):
    help = "Envoie les e-mails en attente de la file d'envoi (à lancer par cron)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="Nombre maximal d'e-mails.")
        parser.add_argument("--quiet", action="store_true", help="N'affiche que les échecs.")

    def handle(self, *args, limit, quiet, **options):
        report = send_queued(limit=limit)
        for mail in report.failed:
            self.stderr.write(
                f"Échec de l'e-mail n° {mail.pk} ({', '.join(mail.to)}) : {mail.last_error}"
            )
        if not quiet or report.failed:
            waiting = (
                f", {len(report.deferred)} en attente de leur document" if report.deferred else ""
            )
            self.stdout.write(
                f"{len(report.sent)} envoyé(s), {len(report.failed)} en échec{waiting}."
            )
