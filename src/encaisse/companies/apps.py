from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "encaisse.companies"
    verbose_name = "Sociétés"
