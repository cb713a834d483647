"""encaisse receivables check-open-amounts [--fix] [--company SIREN]

Recomputes the stored open amounts (installments' open amount, payments' and credit
notes' unallocated amount) from the allocations, in set-based SQL, and prints every
difference: the document, the amount stored, the amount recomputed. Exits 1 when there
is any (also with --fix: a difference is a bug to look at), 0 otherwise. --fix sets the
stored amounts to the recomputed ones, in one transaction per company, audited
(`receivables.open_amounts_fixed` on the company, with each difference).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from encaisse.audit import services as audit
from encaisse.companies.models import Company
from encaisse.money import format_eur
from encaisse.receivables import stored

LABELS = {side.name: side.label for side in stored.SIDES}


def describe(difference: stored.Difference) -> str:
    kept = "aucun" if difference.stored is None else format_eur(difference.stored)
    return (
        f"{LABELS[difference.side]} {difference.document} (id {difference.pk}) : "
        f"enregistré {kept}, recalculé {format_eur(difference.computed)}"
    )


class Command(BaseCommand):
    help = "Lettrage : vérifie (et corrige) les restes dus enregistrés d'après les lettrages."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check-open-amounts"])
        parser.add_argument("--fix", action="store_true", help="corriger les écarts trouvés")
        parser.add_argument("--company", help="SIREN de la société (défaut : toutes)")

    def handle(self, *args, **options):
        companies = Company.objects.order_by("pk")
        if options["company"]:
            companies = companies.filter(siren=options["company"])
            if not companies.exists():
                raise CommandError(f"Aucune société de SIREN {options['company']}.")
        found = 0
        for company in companies:
            with transaction.atomic():
                differences = stored.differences(company.pk)
                if not differences:
                    continue
                found += len(differences)
                self.stdout.write(f"{company.legal_name} : {len(differences)} écart(s)")
                for difference in differences:
                    self.stdout.write(f"  {describe(difference)}")
                if options["fix"]:
                    stored.fix(company.pk)
                    audit.record(
                        "receivables.open_amounts_fixed",
                        company,
                        company=company,
                        changes={"differences": [describe(d) for d in differences]},
                    )
                    self.stdout.write(f"  corrigé{'s' if len(differences) > 1 else ''}")
        if not found:
            self.stdout.write("Aucun écart : les restes dus enregistrés sont ceux des lettrages.")
            return
        raise SystemExit(1)
