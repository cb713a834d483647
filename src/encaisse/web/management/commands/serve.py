"""encaisse serve [HOST:PORT] [--web-workers N] [--job-workers N] [--no-scheduler]

`make run`'s server: gunicorn serving encaisse.wsgi on HOST:PORT (default
127.0.0.1:8000), with `encaisse worker` (the background jobs) and `encaisse scheduler`
(the periodic ones) beside it, as child processes. Ctrl-C (SIGINT) or SIGTERM stops them
all: each is asked to stop (SIGTERM: gunicorn finishes its requests, the worker its job in
hand), then killed if it has not stopped after GRACE seconds. If one of them dies, the
others are stopped and the command exits with status 1 (a supervisor restarts it).

In production, run them apart instead (docs/architecture.md, « Running in production »):
gunicorn on the application servers, `encaisse worker` on as many machines as needed, one
or more `encaisse scheduler`.
"""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandError

GRACE = 20  # seconds: a request or a job in hand finishes, then it is killed

_PR_SET_PDEATHSIG = 1


def _own_group_and_die_with_parent() -> None:
    """In the child before exec: its own process group (a Ctrl-C in the terminal reaches
    `serve` alone, which stops each child once, in order) and, on Linux, SIGTERM when
    `serve` dies without having stopped it (killed with -9)."""
    os.setpgid(0, 0)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: stopped by serve only
        pass


class Command(BaseCommand):
    help = "Sert l'application (gunicorn) avec le processus des tâches de fond et le planificateur."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--web-workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "2")),
            help="Processus gunicorn (défaut : WEB_CONCURRENCY ou 2), 4 fils chacun.",
        )
        parser.add_argument(
            "--job-workers", type=int, default=1, help="Processus des tâches de fond (0 : aucun)."
        )
        parser.add_argument("--no-scheduler", action="store_true", help="Sans planificateur.")

    def handle(self, *args, addrport, web_workers, job_workers, no_scheduler, **options):
        if ":" not in addrport:
            addrport = f"127.0.0.1:{addrport}"
        python = sys.executable
        encaisse = [python, "-m", "encaisse.cli"]
        commands = {
            "web": [
                python,
                "-m",
                "gunicorn",
                "encaisse.wsgi:application",
                "--bind",
                addrport,
                "--workers",
                str(web_workers),
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--timeout",
                "120",
                "--graceful-timeout",
                str(GRACE - 5),
                "--no-control-socket",
            ],
            **{f"worker-{n + 1}": [*encaisse, "worker"] for n in range(job_workers)},
        }
        if not no_scheduler:
            commands["scheduler"] = [*encaisse, "scheduler"]

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        children: dict[str, subprocess.Popen] = {}
        try:
            for name, command in commands.items():
                children[name] = subprocess.Popen(
                    command, preexec_fn=_own_group_and_die_with_parent
                )
            self.stdout.write(
                f"encaisse sert http://{addrport}/ : {web_workers} processus web, "
                f"{job_workers} processus de tâches"
                + ("" if no_scheduler else ", le planificateur")
                + f" (pid {os.getpid()}, Ctrl+C pour arrêter)."
            )
            self.stdout.flush()
            dead = None
            while not stopping and dead is None:
                time.sleep(0.2)
                dead = next((n for n, c in children.items() if c.poll() is not None), None)
        finally:
            self._stop(children)
        if dead is not None and not stopping:
            raise CommandError(
                f"Le processus {dead} s'est arrêté (code {children[dead].returncode}) : "
                "tout est arrêté."
            )

    def _stop(self, children: dict) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE
        for child in children.values():
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
