"""encaisse dunning run [--as-of DATE] [--company SIREN]

The dunning run of a date (the scheduler starts each company's every morning): proposes
the reminders due, sends those whose level needs no validation. The same job as the
scheduler's and the page's, under the same key: one run per company and day, whoever
starts it; it runs here unless a worker has taken it already.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from encaisse.companies.models import Company
from encaisse.dunning.jobs import start_run
from encaisse.dunning.run import check_run_date
from encaisse.errors import DomainError
from encaisse.jobs.models import JobState
from encaisse.jobs.runner import run_now


class Command(BaseCommand):
    help = "Relances : propose les relances dues à une date et envoie les niveaux automatiques."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["run"])
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--company", help="SIREN de la société (défaut : toutes)")

    def handle(self, *args, **options):
        as_of = options["as_of"] or timezone.localdate()
        companies = Company.objects.order_by("pk")
        if options["company"]:
            companies = companies.filter(siren=options["company"])
            if not companies.exists():
                raise CommandError(f"Aucune société de SIREN {options['company']}.")
        for company in companies:
            try:
                check_run_date(company, as_of)
            except DomainError as error:
                raise CommandError(f"{company.legal_name} : {error.message}") from error
            run = run_now(start_run(company, as_of))
            head = f"{company.legal_name} au {as_of:%d/%m/%Y} : "
            if run.state == JobState.DONE:
                self.stdout.write(head + run.message)
            elif run.state == JobState.RUNNING:
                self.stdout.write(head + "en cours dans un processus de fond.")
            else:
                raise CommandError(head + (run.error_text or run.get_state_display()))
