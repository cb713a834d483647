from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "encaisse.catalog"
    verbose_name = "Catalogue"
