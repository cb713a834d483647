from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "encaisse.dunning"
    verbose_name = "Relances"

    def ready(self):
        # collection (below dunning) computes a consumer's interest from the formal
        # notices that dunning keeps: it asks through this one registered lookup.
        from encaisse.collection.penalties import register_formal_notices

        from .notices import formal_notices

        register_formal_notices(formal_notices)
