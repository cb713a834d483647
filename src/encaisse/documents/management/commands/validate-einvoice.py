"""`encaisse validate-einvoice FILE`: XSD, EN 16931 and BR-FR rules on an e-invoice.

FILE is a Factur-X PDF (its factur-x.xml is checked), a CII XML or a UBL 2.1 XML. Each
failed rule is printed with its id and message; the exit status is 1 when any rule is
fatal, 2 when the file is not an e-invoice, 0 otherwise (warnings do not fail).
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from encaisse.documents import validation


class Command(BaseCommand):
    help = "Valide une facture électronique (Factur-X PDF, CII ou UBL) : XSD, EN 16931, BR-FR."

    def add_arguments(self, parser):
        parser.add_argument("file", help="PDF Factur-X, XML CII ou XML UBL 2.1")
        parser.add_argument(
            "--no-warnings", action="store_true", help="n'afficher que les erreurs bloquantes"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Lecture impossible de {path} : {exc.strerror}.") from exc
        try:
            report = validation.validate(data)
        except validation.NotAnEInvoice as exc:
            raise CommandError(str(exc), returncode=2) from exc

        shown = report.fatal if options["no_warnings"] else report.failures
        for failure in shown:
            stream = self.stderr if failure.flag == validation.FATAL else self.stdout
            stream.write(str(failure))
        summary = (
            f"{path.name} ({report.syntax.upper()}, {report.level}) : "
            f"{len(report.fatal)} erreur(s) bloquante(s), {len(report.warnings)} avertissement(s)."
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS(summary))
            return
        self.stderr.write(summary)
        sys.exit(1)
