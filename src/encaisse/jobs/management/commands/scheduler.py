"""encaisse scheduler [--once] [--interval S]

Queues the periodic jobs when they are due (jobs/schedule.py): every 30 seconds, it
enqueues each due occurrence under its key. Run one or several (on several machines): an
occurrence is queued once whatever the number of schedulers. The work itself is done by
`encaisse worker`.
"""

import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from encaisse.jobs import schedule

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Planifie les tâches périodiques (envoi des e-mails, relances du matin, taux BCE...)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Planifie ce qui est dû et s'arrête."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=schedule.INTERVAL,
            help="Secondes entre deux passages.",
        )

    def handle(self, *args, once, interval, verbosity, **options):
        stop = threading.Event()
        if not once:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
        while True:
            if not once:
                close_old_connections()  # a connection dropped while sleeping
            try:
                jobs = schedule.tick()
            except Exception:  # a database restart: log it and try again next time
                if once:
                    raise
                logger.exception("scheduler tick failed")
                jobs = []
            if verbosity > 1:
                self.stdout.write(f"{len(jobs)} tâche(s) planifiée(s).")
            if once or stop.wait(interval):
                break
