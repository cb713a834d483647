"""`encaisse verify-archive [--company SIREN]`: walk the archive's chains, report breaks.

For each company: the number of links checked, the last chain hash (keep it somewhere
else: it anchors everything archived so far) and the first break, if any: a changed file
byte, a missing file, a changed, deleted or inserted record. Exit status 1 on a break.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from encaisse.companies.models import Company
from encaisse.documents.archive import verify_archive


class Command(BaseCommand):
    help = "Vérifie la chaîne d'intégrité des documents archivés (un fichier modifié, "
    help += "supprimé ou inséré la rompt)."

    def add_arguments(self, parser):
        parser.add_argument("--company", metavar="SIREN", help="une seule société")

    def handle(self, *args, **options):
        company = None
        if options["company"]:
            company = Company.objects.filter(siren=options["company"].strip()).first()
            if company is None:
                raise CommandError(f"Aucune société de SIREN {options['company']}.")
        report = verify_archive(company)
        for chain in report.chains:
            self.stdout.write(
                f"{chain.company.siren} {chain.company.legal_name} : "
                f"{chain.checked} maillon(s) vérifié(s), dernière empreinte {chain.last_hash}"
            )
            if chain.broken is not None:
                self.stderr.write(f"  RUPTURE {chain.broken}")
        if not report.ok:
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("Archive intègre."))
