"""Lists: limit/offset pages with the total count, in a stable order."""

from django.db.models import QuerySet
from ninja import Field, Schema

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 10**9


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Éléments par page.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Éléments à sauter.")


def page(queryset: QuerySet, params: PageParams) -> dict:
    return {
        "count": queryset.count(),
        "limit": params.limit,
        "offset": params.offset,
        "items": list(queryset[params.offset : params.offset + params.limit]),
    }
