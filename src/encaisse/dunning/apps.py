from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "encaisse.dunning"
    verbose_name = "Relances"
