"""One router per resource; each endpoint parses, calls one service or query, returns."""

from encaisse.errors import NotFound

from ..fields import MAX_ID


def get_or_404(queryset, pk: int, message: str):
    """The row `pk` of `queryset` (already filtered by company), or NotFound."""
    if not (1 <= pk <= MAX_ID):
        raise NotFound(message)
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise NotFound(message)
    return obj
