from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "encaisse.audit"
    verbose_name = "Journal d'audit"
