from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "encaisse.demo"
    verbose_name = "Données de démonstration"
