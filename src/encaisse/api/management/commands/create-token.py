"""`encaisse create-token USER --company SIREN [--name LABEL]`: a new API token.

The key is printed once, on standard output, and never stored in clear: keep it.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from encaisse.api.tokens import create_token
from encaisse.companies.models import Company
from encaisse.errors import DomainError


class Command(BaseCommand):
    help = "Crée un jeton d'API pour un utilisateur dans une société ; l'affiche une seule fois."

    def add_arguments(self, parser):
        parser.add_argument("user", help="Identifiant (nom d'utilisateur) de l'utilisateur.")
        parser.add_argument("--company", required=True, help="SIREN de la société.")
        parser.add_argument("--name", default="", help="Libellé du jeton (100 caractères).")

    def handle(self, *args, user, company, name, **options):
        User = get_user_model()
        try:
            account = User.objects.get(**{User.USERNAME_FIELD: user})
        except User.DoesNotExist:
            raise CommandError(f"Utilisateur inconnu : « {user} ».") from None
        siren = "".join(company.split())
        try:
            seller = Company.objects.get(siren=siren)
        except Company.DoesNotExist:
            raise CommandError(f"Aucune société de SIREN « {siren} ».") from None
        if not account.is_active:
            raise CommandError(f"L'utilisateur « {user} » est désactivé.")
        try:
            token, key = create_token(account, seller, name)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stderr.write(
            f"Jeton {token.prefix}… créé pour {account.get_username()} dans {seller} "
            "(il ne sera plus affiché) :"
        )
        self.stdout.write(key)
