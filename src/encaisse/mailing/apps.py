from django.apps import AppConfig


class MailingConfig(AppConfig):
    name = "encaisse.mailing"
    verbose_name = "Envoi des e-mails"
