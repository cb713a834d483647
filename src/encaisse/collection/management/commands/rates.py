"""encaisse rates update [--as-of DATE]

Reads the ECB main refinancing rate from the ECB Data Portal and records the rate in force
on each 1 January and 1 July, from the last half-year in the table to the current one
(collection/ecb.py). Idempotent: run it every day from cron until the background jobs
take it over, e.g.

    0 7 * * *  cd /srv/encaisse && ENCAISSE_DATA_DIR=/srv/encaisse/var encaisse rates update

Exit status 1, with nothing written, when the ECB cannot be read; exit status 1 as well
when a row of the table differs from what the ECB publishes (the row is left unchanged:
correct it in the admin). The legal interest rates are not published in a machine-readable
form: the command lists the half-years still missing one, to enter in the admin.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from encaisse.collection.ecb import SERIES, update_ecb_rates
from encaisse.collection.models import ReferenceRate
from encaisse.collection.rates import missing_rates
from encaisse.errors import DomainError
from encaisse.money import format_decimal


class Command(BaseCommand):
    help = "Taux de référence : enregistre le taux BCE au 1er janvier et au 1er juillet."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["update"])
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, **options):
        as_of = options["as_of"] or timezone.localdate()
        try:
            report = update_ecb_rates(as_of)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Taux BCE (série {SERIES}) au 1er janvier et au 1er juillet :")
        lines = {row.valid_from: f"{_pct(row.rate)} déjà enregistré" for row in report.unchanged}
        lines |= {row.valid_from: f"{_pct(row.rate)} enregistré" for row in report.created}
        lines |= {
            row.valid_from: f"la table indique {_pct(row.rate)}, la BCE publie "
            f"{_pct(published.rate)} (changement du {published.day:%d/%m/%Y}) : ligne "
            "laissée telle quelle"
            for row, published in report.conflicts
        }
        for day in report.half_years:
            self.stdout.write(f"  {day:%d/%m/%Y} : {lines[day]}")
        legal = [m for m in missing_rates(as_of) if m.kind == ReferenceRate.Kind.LEGAL_INTEREST_PRO]
        if legal:
            self.stdout.write(
                "Taux de l'intérêt légal à saisir dans l'administration (arrêté publié au "
                "Journal officiel) : " + ", ".join(f"{m.half_year:%d/%m/%Y}" for m in legal)
            )
        if report.conflicts:
            raise CommandError(
                f"{len(report.conflicts)} taux de la table diffère(nt) de celui publié par la "
                "BCE : vérifiez-les et corrigez-les dans l'administration."
            )


def _pct(rate) -> str:
    return f"{format_decimal(rate)} %"
