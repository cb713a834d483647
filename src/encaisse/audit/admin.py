from django.contrib import admin

from . import services
from .models import AuditEntry


class AuditedAdmin(admin.ModelAdmin):
    """Support staff's edits in the admin are logged like the services' changes."""

    def save_model(self, request, obj, form, change):
        before = {}
        if change and form.changed_data:
            original = type(obj).objects.get(pk=obj.pk)
            before = services.snapshot(original, form.changed_data)
        super().save_model(request, obj, form, change)
        after = services.snapshot(obj, form.changed_data)
        action = f"{obj._meta.model_name}.{'updated' if change else 'created'}_in_admin"
        services.record(action, obj, by=request.user, changes=services.diff(before, after))

    def delete_model(self, request, obj):
        services.record(f"{obj._meta.model_name}.deleted_in_admin", obj, by=request.user)
        super().delete_model(request, obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "company", "actor", "action", "object_repr"]
    list_filter = ["action", "company"]
    search_fields = ["object_repr", "action", "object_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
