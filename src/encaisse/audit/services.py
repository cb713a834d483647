"""Writing and reading the audit trail."""

import datetime as dt
from decimal import Decimal

from django.db import models

from .models import AuditEntry


def _plain(value):
    """A JSON-friendly form of a field value, exact for money and dates."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "url"):  # file fields
        return value.name or None
    return value


def snapshot(obj: models.Model, fields) -> dict:
    """The values of `fields` of `obj`, to diff against later with `diff`."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict, after: dict) -> dict:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def actor(by):
    """The user to store as author: None for the system (demo loader, scripts)."""
    return by if by is not None and by.is_authenticated else None


def record(action: str, obj: models.Model, *, by=None, company=None, changes=None) -> AuditEntry:
    """Log `action` on `obj`. `changes` is {"field": [old, new]} or any JSON data."""
    if company is None:
        company = getattr(obj, "company", None)
    return AuditEntry.objects.create(
        company=company,
        actor=actor(by),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes={
            k: _plain(v) if not isinstance(v, list) else [_plain(x) for x in v]
            for k, v in (changes or {}).items()
        },
    )


def trail(obj: models.Model):
    """The audit entries of one record, newest first."""
    return AuditEntry.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("actor")
