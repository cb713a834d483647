"""encaisse aged-balance --company SIREN [--as-of DATE] [--format table|json|csv|xlsx]"""

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from encaisse.companies.models import Company
from encaisse.errors import DomainError
from encaisse.reporting.aged_balance import aged_balance
from encaisse.reporting.exports import aged_balance_csv, aged_balance_xlsx


class Command(BaseCommand):
    help = "Balance âgée d'une société à une date."

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="SIREN de la société")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date.today())
        parser.add_argument("--format", choices=["table", "json", "csv", "xlsx"], default="table")
        parser.add_argument("--output", help="fichier de sortie (obligatoire pour xlsx)")

    def handle(self, *args, **options):
        company = Company.objects.filter(siren=options["company"]).first()
        if company is None:
            raise CommandError(f"Aucune société de SIREN {options['company']}.")
        try:
            result = aged_balance(company, options["as_of"])
        except DomainError as error:
            raise CommandError(error.message) from error
        fmt = options["format"]
        if fmt == "xlsx":
            if not options["output"]:
                raise CommandError("--output est obligatoire pour le format xlsx.")
            with open(options["output"], "wb") as out:
                out.write(aged_balance_xlsx(result))
            return
        if fmt == "csv":
            text = aged_balance_csv(result)
        elif fmt == "json":
            text = json.dumps(
                {
                    "as_of": result.as_of.isoformat(),
                    "buckets": [b.label for b in result.buckets],
                    "rows": [
                        {
                            "customer_id": r.customer_id,
                            "customer": r.customer_name,
                            "amounts": [str(a) for a in r.amounts],
                            "unapplied": str(r.unapplied),
                            "balance": str(r.balance),
                        }
                        for r in result.rows
                    ],
                    "totals": [str(t) for t in result.totals],
                    "balance": str(result.balance),
                },
                ensure_ascii=False,
                indent=2,
            )
        else:
            labels = [b.label for b in result.buckets]
            lines = [
                "Client".ljust(32)
                + "".join(label.rjust(13) for label in labels)
                + "Solde".rjust(14)
            ]
            for row in result.rows:
                lines.append(
                    row.customer_name[:31].ljust(32)
                    + "".join(f"{a:13.2f}" for a in row.amounts)
                    + f"{row.balance:14.2f}"
                )
            lines.append(
                "Total".ljust(32)
                + "".join(f"{t:13.2f}" for t in result.totals)
                + f"{result.balance:14.2f}"
            )
            text = "\n".join(lines) + "\n"
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as out:
                out.write(text)
        else:
            sys.stdout.write(text)
