"""Jobs in the Django admin (support staff): every company's and the periodic ones, read
only, with « Relancer » for failed ones."""

from django.contrib import admin, messages

from . import runner
from .models import Job, JobState


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "label", "name", "company", "state", "attempts", "created_at"]
    list_filter = ["state", "name"]
    search_fields = ["label", "key", "error"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Relancer les tâches en échec sélectionnées")
    def retry_failed(self, request, queryset):
        failed = list(queryset.filter(state=JobState.FAILED))
        for job in failed:
            runner.retry(job)
        messages.success(request, f"{len(failed)} tâche(s) relancée(s).")
