"""`encaisse verify-archive [--company SIREN] [--grace-minutes 10]`: walk the archive's
chains, report breaks.

For each company: the number of links checked, the last chain hash (keep it somewhere
else: it anchors everything archived so far) and the first break, if any: a changed file
byte, a missing file, a changed, deleted or inserted record, or an issued document still
without its files more than `--grace-minutes` after its render job was queued (a stopped
worker, a render that keeps failing). Documents within that time are listed « en cours »
(their files are on their way) and are not a break. Exit status 1 on a break.
"""

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError

from encaisse.companies.models import Company
from encaisse.documents.archive import GRACE, verify_archive


class Command(BaseCommand):
    help = "Vérifie la chaîne d'intégrité des documents archivés (un fichier modifié, "
    help += "supprimé ou inséré la rompt)."

    def add_arguments(self, parser):
        parser.add_argument("--company", metavar="SIREN", help="une seule société")
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=int(GRACE.total_seconds() // 60),
            metavar="N",
            help="délai après l'émission au-delà duquel un document sans ses fichiers est "
            "une anomalie (défaut : %(default)s)",
        )

    def handle(self, *args, **options):
        company = None
        if options["company"]:
            company = Company.objects.filter(siren=options["company"].strip()).first()
            if company is None:
                raise CommandError(f"Aucune société de SIREN {options['company']}.")
        if options["grace_minutes"] < 0:
            raise CommandError("--grace-minutes : un nombre de minutes positif ou nul.")
        report = verify_archive(company, grace=dt.timedelta(minutes=options["grace_minutes"]))
        for chain in report.chains:
            self.stdout.write(
                f"{chain.company.siren} {chain.company.legal_name} : "
                f"{chain.checked} maillon(s) vérifié(s), dernière empreinte {chain.last_hash}"
            )
            if chain.pending:
                shown = ", ".join(chain.pending[:10])
                more = f" et {len(chain.pending) - 10} autre(s)" if len(chain.pending) > 10 else ""
                self.stdout.write(
                    f"  en cours : {len(chain.pending)} document(s) émis en cours de "
                    f"génération ({shown}{more})"
                )
            if chain.broken is not None:
                self.stderr.write(f"  RUPTURE {chain.broken}")
        if not report.ok:
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("Archive intègre."))
