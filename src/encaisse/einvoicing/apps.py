from django.apps import AppConfig


class EinvoicingConfig(AppConfig):
    name = "encaisse.einvoicing"
    verbose_name = "Facturation électronique : cycle de vie"
