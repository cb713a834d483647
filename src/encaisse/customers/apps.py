from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "encaisse.customers"
    verbose_name = "Clients"
