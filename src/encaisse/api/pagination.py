"""Lists: limit/offset pages with the total count, in a stable order.

Every list the API returns goes through `page`: a queryset (counted and sliced in SQL) or
a list a service computed (a report's rows: sliced in Python, the totals stay those of
the whole report).
"""

from collections.abc import Sequence

from django.db.models import QuerySet
from ninja import Field, Schema

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 10**9


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Éléments par page.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Éléments à sauter.")


def page(items: QuerySet | Sequence, params: PageParams) -> dict:
    return {
        "count": items.count() if isinstance(items, QuerySet) else len(items),
        "limit": params.limit,
        "offset": params.offset,
        "items": list(items[params.offset : params.offset + params.limit]),
    }
