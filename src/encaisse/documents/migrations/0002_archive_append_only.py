"""Database triggers that make the archive append-only: no UPDATE, no DELETE.

The model refuses through the ORM; these make plain SQL refuse too, like the guards of
issued invoices (sales 0002). The error is an integrity error (SQLSTATE 23000 on
PostgreSQL, SQLITE_CONSTRAINT on SQLite). TRUNCATE is left alone on PostgreSQL: the test
runner empties tables with it, and it needs table ownership, not a plain write grant.
"""

from django.db import migrations

MESSAGE = "encaisse: an archived document cannot be changed or deleted"

SQLITE = [
    f"""CREATE TRIGGER documents_archive_no_{op.lower()} BEFORE {op} ON documents_archiveddocument
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
    for op in ("UPDATE", "DELETE")
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS documents_archive_no_{op}" for op in ("update", "delete")
]

POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION encaisse_refuse_archive_change() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION '{MESSAGE} (% %)', OLD.number, OLD.format USING ERRCODE = '23000';
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER documents_archive_append_only BEFORE UPDATE OR DELETE
    ON documents_archiveddocument FOR EACH ROW EXECUTE FUNCTION encaisse_refuse_archive_change()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS documents_archive_append_only ON documents_archiveddocument",
    "DROP FUNCTION IF EXISTS encaisse_refuse_archive_change()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"No archive triggers for {schema_editor.connection.vendor}")
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        )
    ]
