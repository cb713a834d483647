from django.contrib import admin

from .models import ArchivedDocument


@admin.register(ArchivedDocument)
class ArchivedDocumentAdmin(admin.ModelAdmin):
    """View only: the archive is written by issuing and never changed."""

    list_display = ["position", "company", "number", "format", "size", "created_at"]
    list_filter = ["company", "format", "kind"]
    search_fields = ["number", "storage_key", "sha256"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
