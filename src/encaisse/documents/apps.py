from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "encaisse.documents"
    verbose_name = "Documents"
