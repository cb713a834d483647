from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "encaisse.receivables"
    verbose_name = "Créances clients"
