from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A key for the REST API: it acts as one user in one company.

    Only the SHA-256 hash of the key is stored; the clear key is shown once, when it is
    created. `prefix` (the first characters of the key) lets people tell their tokens
    apart without revealing them. A revoked token is kept for the record.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField("libellé", max_length=100, blank=True)
    prefix = models.CharField("début de la clé", max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)

    class Meta:
        verbose_name = "jeton d'API"
        verbose_name_plural = "jetons d'API"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        label = f" ({self.name})" if self.name else ""
        return f"{self.prefix}…{label}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
