"""encaisse bank import FILE --account IBAN [--company SIREN]
encaisse bank reconcile [--company SIREN] [--as USER]

(Both lanes' commands, joined at the review lane's merge of h-match and h-import.)

import: imports a statement file (CAMT.053, CFONB 120, OFX, MT940) into one of the
company's bank accounts, here and now (a large file too: no job), as the system (the
audit names no user), and prints the summary: statements, lines imported and already
imported, each gap of the balances with its dates. A file already imported is said so
and exits 0; a refused file prints the message and exits 1, with nothing written.
--company is needed only when several companies hold the account's IBAN.

reconcile: runs the reconciliation engine over each company's lines to do, as the job
`banking.reconcile` (run here unless a worker has taken it), and prints the counts. The
run acts as a user of the company who may reconcile (--as, default: its first admin or
accountant).
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from encaisse.banking.jobs import start_reconcile
from encaisse.banking.models import BankAccount
from encaisse.banking.services.accounts import account_of
from encaisse.banking.services.imports import import_file
from encaisse.companies.models import Company, Membership, Role
from encaisse.errors import DomainError, ValidationFailed
from encaisse.identifiers import iban as check_iban
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
    help = "Banque : importe un relevé (CAMT.053, CFONB 120, OFX, MT940) dans un compte."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        imported = actions.add_parser("import", help="importer un fichier de relevé")
        imported.add_argument("file", help="le fichier de relevé")
        imported.add_argument("--account", required=True, help="IBAN (ou id) du compte")
        imported.add_argument("--company", help="SIREN de la société")
        matched = actions.add_parser("reconcile", help="rapprochement automatique")
        matched.add_argument("--company", help="SIREN de la société (défaut : toutes)")
        matched.add_argument("--as", dest="username", help="utilisateur au nom duquel agir")

    def handle(self, *args, **options):
        if options["action"] == "import":
            return self.import_(options)
        if options["action"] == "reconcile":
            return self.reconcile(options)

    def reconcile(self, options):
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

    def _company(self, options) -> Company:
        if options["company"]:
            company = Company.objects.filter(siren=options["company"]).first()
            if company is None:
                raise CommandError(f"Aucune société de SIREN {options['company']}.")
            return company
        try:
            iban = check_iban(options["account"], "account")
        except ValidationFailed as error:
            raise CommandError(error.message) from error
        holders = list(
            Company.objects.filter(
                pk__in=BankAccount.objects.filter(iban=iban).values("company")
            ).order_by("pk")
        )
        if not holders:
            # The company's own IBAN, not yet made a bank account (accounts_of makes it).
            holders = list(Company.objects.filter(iban=iban).order_by("pk"))
        if len(holders) != 1:
            raise CommandError(
                f"Aucune société n'a le compte {iban}."
                if not holders
                else f"Plusieurs sociétés ont le compte {iban} : précisez --company SIREN."
            )
        return holders[0]

    def import_(self, options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        company = self._company(options)
        try:
            account = account_of(company, options["account"])
            result = import_file(
                company, account, path.read_bytes(), name=path.name, by=None, inline=True
            )
        except DomainError as error:
            raise CommandError(f"{path.name} refusé : {error.message}") from error
        if result.already_imported:
            self.stdout.write(result.message)
            return
        self.stdout.write(f"{path.name} importé dans {account.name} ({account.iban}).")
        for summary in result.statements:
            head = f"  Relevé {summary.reference or ''} ".replace("  ", " ", 1)
            period = " au ".join(
                f"{d:%d/%m/%Y}" for d in (summary.opening_date, summary.closing_date) if d
            )
            state = (
                "déjà importé"
                if summary.skipped
                else f"{summary.lines_imported} ligne(s) importée(s)"
                + (f", {summary.lines_skipped} déjà importée(s)" if summary.lines_skipped else "")
            )
            self.stdout.write(f" {head.strip()} {period} ({summary.account.iban}) : {state}")
            for gap in summary.gaps:
                self.stdout.write(f"    {gap.text}")
        self.stdout.write(
            f"Total : {len(result.statements)} relevé(s), {result.lines_imported} ligne(s) "
            f"importée(s), {result.lines_skipped} déjà importée(s), {len(result.gaps)} écart(s)."
        )
