from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "encaisse.web"
    verbose_name = "Interface web"
