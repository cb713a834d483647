from ninja import Schema
from pydantic import ConfigDict


class Input(Schema):
    """Request bodies refuse fields they do not know (a typo is an error, not a no-op)."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
    details: list[dict] | None = None


class PageOut(Schema):
    count: int
    limit: int
    offset: int
