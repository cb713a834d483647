from django.apps import AppConfig


class BankingConfig(AppConfig):
    name = "encaisse.banking"
    verbose_name = "Banque : relevés et rapprochement"
