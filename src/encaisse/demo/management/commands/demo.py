"""`encaisse demo [--if-empty]`: load the demo company and a year of its business."""

import time

from django.core.management.base import BaseCommand

from encaisse.companies.models import Company
from encaisse.demo import builder, names
from encaisse.documents.jobs import RENDER
from encaisse.jobs.models import Job, JobState
from encaisse.jobs.runner import in_background


class Command(BaseCommand):
    help = (
        "Charge une société de démonstration (clients, catalogue, un an de factures, "
        "avoirs et règlements) et affiche les identifiants de connexion."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Ne rien charger si la démonstration (ou une autre société) existe déjà ; "
            "afficher seulement les identifiants.",
        )
        parser.add_argument(
            "--url",
            default=names.URL,
            help=f"Adresse affichée pour se connecter (défaut : {names.URL}) ; "
            "`make run` donne celle qu'il sert (HOST).",
        )

    def handle(self, *args, if_empty=False, url=names.URL, **options):
        existing = builder.demo_company()
        if existing is not None:
            if not if_empty:
                self.stdout.write(
                    f"La démonstration est déjà chargée (« {existing.legal_name} ») : "
                    "rien n'a été créé."
                )
            self.print_logins(existing, url)
            return
        if if_empty and Company.objects.exists():
            self.stdout.write(
                "La base contient déjà une société : pas de données de démonstration."
            )
            return
        self.stdout.write("Chargement des données de démonstration…")
        started = time.monotonic()
        with in_background():  # the renders it queues wait behind the users' own
            summary = builder.build()
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"« {summary.company.legal_name} » créée en {elapsed:.1f} s : "
                f"{summary.customers} clients, {summary.products} articles, "
                f"{summary.invoices} factures émises, {summary.drafts} brouillons, "
                f"{summary.credit_notes} avoirs, {summary.payments} règlements."
            )
        )
        renders = Job.objects.filter(
            name=RENDER, company=summary.company, state=JobState.QUEUED
        ).count()
        if renders:
            self.stdout.write(
                f"{renders} documents (PDF, Factur-X, UBL) en file de génération : le "
                "processus de fond (lancé par `make run`, ou `encaisse worker`) les produit "
                "dans les minutes qui suivent ; l'application est utilisable dès maintenant."
            )
        for note in summary.notes:
            self.stdout.write(self.style.WARNING(note))
        self.print_logins(summary.company, url)

    def print_logins(self, company, url):
        self.stdout.write("")
        self.stdout.write(f"Société de démonstration : {company.legal_name}")
        self.stdout.write(f"Ouvrez {url} et connectez-vous avec l'un de ces comptes :")
        for username, password, role in builder.logins():
            self.stdout.write(f"  {username:<14} mot de passe : {password:<10} ({role})")
        self.stdout.write("(« admin » ouvre aussi l'administration Django : /admin/)")
