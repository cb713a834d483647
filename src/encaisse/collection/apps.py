from django.apps import AppConfig


class CollectionConfig(AppConfig):
    name = "encaisse.collection"
    verbose_name = "Recouvrement"
