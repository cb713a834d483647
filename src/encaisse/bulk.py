"""Writing many rows at once: COPY on PostgreSQL, bulk_create elsewhere.

Django's bulk_create spends most of its time preparing each value and building one
huge INSERT (psycopg then splits it again): for the million rows of a first dunning run
over a large book that is minutes, where COPY takes seconds (docs/benchmarks.md).
psycopg adapts Python values (Decimal, date, bool, None) itself, so rows go as they are.
"""

from django.db import connection
from django.utils import timezone


def copy_rows(model, columns: list[str], rows) -> None:
    """Insert `rows` (tuples of the `columns`' attribute values, e.g. `customer_id`)."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            (model(**dict(zip(columns, row, strict=True))) for row in rows), batch_size=2000
        )
        return
    meta = model._meta
    names = ", ".join(connection.ops.quote_name(meta.get_field(c).column) for c in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(meta.db_table)} ({names}) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def insert(model, objs: list) -> None:
    """Insert model instances, setting their primary keys (and auto_now dates)."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=2000)
        return
    if not objs:
        return
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
    now = timezone.now()
    fields = meta.concrete_fields
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                setattr(obj, field.attname, now)
    columns = [field.attname for field in fields]
    copy_rows(model, columns, (tuple(getattr(obj, c) for c in columns) for obj in objs))
