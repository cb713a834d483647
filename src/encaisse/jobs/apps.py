from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "encaisse.jobs"
    verbose_name = "Tâches de fond"

    def ready(self):
        # Each app declares its jobs in its own jobs.py (registered with @job).
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("jobs")
