from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "encaisse.api"
    verbose_name = "API"
