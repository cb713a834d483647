"""encaisse fec --company SIREN --year YYYY [--output-dir DIR]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from encaisse.companies.models import Company
from encaisse.errors import DomainError
from encaisse.ledger.fec import export_fec


class Command(BaseCommand):
    help = "Fichier des écritures comptables (FEC) d'un exercice."

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="SIREN de la société")
        parser.add_argument(
            "--year", type=int, required=True, help="année de clôture de l'exercice"
        )
        parser.add_argument("--output-dir", default=".")

    def handle(self, *args, **options):
        company = Company.objects.filter(siren=options["company"]).first()
        if company is None:
            raise CommandError(f"Aucune société de SIREN {options['company']}.")
        try:
            name, content = export_fec(company, options["year"])
        except DomainError as error:
            raise CommandError(error.message) from error
        path = Path(options["output_dir"]) / name
        path.write_bytes(content)
        entries = content.count(b"\n") - 1  # less the header
        self.stdout.write(f"{path} ({entries} lignes d'écriture)")
