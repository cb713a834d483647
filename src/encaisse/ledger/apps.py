from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "encaisse.ledger"
    verbose_name = "Comptabilité"
