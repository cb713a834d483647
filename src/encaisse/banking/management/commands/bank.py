"""encaisse bank reconcile [--company SIREN] [--as USER]

--- match lane --- (the import lane adds `encaisse bank import FILE --account IBAN`).
Runs the reconciliation engine over each company's lines to do, as the job
`banking.reconcile` (run here unless a worker has taken it), and prints the counts:
matched automatically, proposed, left without a candidate. The run acts as a user of
the company who may reconcile (--as, default: its first admin or accountant).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from encaisse.banking.jobs import start_reconcile
from encaisse.companies.models import Company, Membership, Role
from encaisse.jobs.models import JobState
from encaisse.jobs.runner import run_now


def acting_user(company, username: str | None):
    if username:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Aucun utilisateur {username}.")
        return user
    member = (
        Membership.objects.filter(company=company, role__in=[Role.ADMIN, Role.ACCOUNTING])
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if member is None:
        raise CommandError(f"{company.legal_name} : aucun administrateur ni comptable.")
    return member.user


class Command(BaseCommand):
    help = "Banque : rapprochement automatique des lignes de relevé."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["reconcile"])
        parser.add_argument("--company", help="SIREN de la société (défaut : toutes)")
        parser.add_argument("--as", dest="username", help="utilisateur au nom duquel agir")

    def handle(self, *args, **options):
        companies = Company.objects.order_by("pk")
        if options["company"]:
            companies = companies.filter(siren=options["company"])
            if not companies.exists():
                raise CommandError(f"Aucune société de SIREN {options['company']}.")
        for company in companies:
            user = acting_user(company, options["username"])
            run = run_now(start_reconcile(company, by=user))
            head = f"{company.legal_name} : "
            if run.state == JobState.DONE:
                self.stdout.write(head + run.message)
            elif run.state == JobState.RUNNING:
                self.stdout.write(head + "en cours dans un processus de fond.")
            else:
                raise CommandError(head + (run.error_text or run.get_state_display()))
