"""encaisse worker [--once] [--interval S] [--queue-name Q]

Runs the background jobs: django-tasks-db's `db_worker` on every queue, checking for work
every second, until SIGINT/SIGTERM (it finishes the job in hand first; a second Ctrl-C
stops it at once, and the job is taken up again by `jobs.recover_stale`). Start as many
as needed, on as many machines as needed: each queued execution is claimed by one of them
(SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, an exclusive transaction on SQLite).

`--once`: run what is due now in this process, then exit (cron, scripts, tests).
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from encaisse.jobs.runner import run_pending_jobs


class Command(BaseCommand):
    help = "Exécute les tâches de fond (toutes les files ; --once : ce qui est dû, puis s'arrête)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Exécute ce qui est dû et s'arrête."
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Secondes entre deux recherches."
        )
        parser.add_argument("--queue-name", default="*", help="Files à traiter (défaut : toutes).")

    def handle(self, *args, once, interval, queue_name, verbosity, **options):
        if once:
            count = run_pending_jobs()
            if verbosity:
                self.stdout.write(f"{count} exécution(s).")
            return
        call_command(
            "db_worker",
            queue_name=queue_name,
            interval=interval,
            reload=False,
            verbosity=verbosity,
            stdout=self.stdout._out,
            stderr=self.stderr._out,
        )
