"""encaisse dunning run [--as-of DATE] [--company SIREN]

The daily dunning run (cron it each morning): proposes the reminders due, sends those
whose level needs no validation. Idempotent for a date.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from encaisse.companies.models import Company
from encaisse.dunning.run import run_dunning
from encaisse.errors import DomainError


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
                report = run_dunning(company, as_of)
            except DomainError as error:
                raise CommandError(f"{company.legal_name} : {error.message}") from error
            self.stdout.write(f"{company.legal_name} au {as_of:%d/%m/%Y} : {report.summary()}")
            for reminder, message in report.failed:
                self.stdout.write(f"  {reminder.customer.legal_name} : {message}")
