"""Creating, checking and revoking API tokens.

A key reads `enc_` followed by 43 URL-safe characters (256 random bits). The database
keeps its SHA-256 hash, looked up directly: a key with that much entropy needs no slow
hash, and a stolen table gives no usable key.
"""

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from encaisse.audit import services as audit
from encaisse.companies.models import Company
from encaisse.companies.permissions import role_of
from encaisse.errors import Conflict, ValidationFailed

from .models import ApiToken

KEY_PREFIX = "enc_"
VISIBLE_CHARS = 12  # "enc_" + 8 characters, shown in lists to tell tokens apart
MAX_KEY_LENGTH = 200  # longer Authorization values are refused before hashing
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)  # write last_used_at at most this often


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user, company: Company, name: str = "", *, by=None) -> tuple[ApiToken, str]:
    """A new token for `user` acting in `company`; returns it with its clear key."""
    if role_of(user, company) is None:
        raise ValidationFailed(
            "not_a_member",
            f"L'utilisateur « {user.get_username()} » n'est pas membre de {company}.",
            "user",
        )
    name = (name or "").strip()
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ValidationFailed("too_long", "Le libellé a 100 caractères au plus.", "name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            company=company,
            name=name,
            prefix=key[:VISIBLE_CHARS],
            key_hash=hash_key(key),
        )
        audit.record(
            "api_token.created",
            token,
            by=by,
            company=company,
            changes={"user": user.get_username(), "name": name, "prefix": token.prefix},
        )
    return token, key


def revoke_token(token: ApiToken, *, by=None) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            raise Conflict("already_revoked", "Ce jeton est déjà révoqué.")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            "api_token.revoked",
            token,
            by=by,
            company=token.company,
            changes={"prefix": token.prefix},
        )
    return token


def authenticate(key: str) -> ApiToken | None:
    """The active token of `key` whose user is active and still a member of its company."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.startswith(KEY_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "company")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if role_of(token.user, token.company) is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
