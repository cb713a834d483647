from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "encaisse.sales"
    verbose_name = "Ventes"
