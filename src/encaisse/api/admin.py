from django.contrib import admin, messages

from encaisse.errors import DomainError

from .models import ApiToken
from .tokens import revoke_token


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Support staff see and revoke tokens; they are created with `encaisse create-token`."""

    list_display = ["prefix", "name", "user", "company", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["company"]
    search_fields = ["prefix", "name", "user__username"]
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name != "key_hash"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Révoquer les jetons choisis")
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                revoke_token(token, by=request.user)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
