"""Database triggers that refuse any change to an issued invoice or credit note.

The model already refuses through the ORM; these make plain SQL refuse too, so an issued
document cannot be altered by a script, a console or a bug. The error is an integrity
error (SQLSTATE 23000 on PostgreSQL, SQLITE_CONSTRAINT on SQLite).
"""

from django.db import migrations

MESSAGE = "encaisse: an issued invoice or credit note cannot be changed or deleted"

SQLITE = [
    f"""CREATE TRIGGER sales_invoice_frozen_update BEFORE UPDATE ON sales_invoice
    WHEN OLD.status = 'issued'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER sales_invoice_frozen_delete BEFORE DELETE ON sales_invoice
    WHEN OLD.status = 'issued'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER sales_invoiceline_frozen_insert BEFORE INSERT ON sales_invoiceline
    WHEN (SELECT status FROM sales_invoice WHERE id = NEW.invoice_id) = 'issued'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER sales_invoiceline_frozen_update BEFORE UPDATE ON sales_invoiceline
    WHEN (SELECT status FROM sales_invoice WHERE id = OLD.invoice_id) = 'issued'
      OR (SELECT status FROM sales_invoice WHERE id = NEW.invoice_id) = 'issued'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER sales_invoiceline_frozen_delete BEFORE DELETE ON sales_invoiceline
    WHEN (SELECT status FROM sales_invoice WHERE id = OLD.invoice_id) = 'issued'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS sales_invoice_frozen_update",
    "DROP TRIGGER IF EXISTS sales_invoice_frozen_delete",
    "DROP TRIGGER IF EXISTS sales_invoiceline_frozen_insert",
    "DROP TRIGGER IF EXISTS sales_invoiceline_frozen_update",
    "DROP TRIGGER IF EXISTS sales_invoiceline_frozen_delete",
]

POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION encaisse_refuse_issued_invoice() RETURNS trigger AS $$
    BEGIN
      IF OLD.status = 'issued' THEN
        RAISE EXCEPTION '{MESSAGE} (%)', OLD.number USING ERRCODE = '23000';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER sales_invoice_frozen BEFORE UPDATE OR DELETE ON sales_invoice
    FOR EACH ROW EXECUTE FUNCTION encaisse_refuse_issued_invoice()""",
    f"""CREATE OR REPLACE FUNCTION encaisse_refuse_issued_invoice_line() RETURNS trigger AS $$
    BEGIN
      IF (TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
            SELECT 1 FROM sales_invoice WHERE id = OLD.invoice_id AND status = 'issued'))
         OR (TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
            SELECT 1 FROM sales_invoice WHERE id = NEW.invoice_id AND status = 'issued')) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23000';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER sales_invoiceline_frozen BEFORE INSERT OR UPDATE OR DELETE
    ON sales_invoiceline FOR EACH ROW EXECUTE FUNCTION encaisse_refuse_issued_invoice_line()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS sales_invoiceline_frozen ON sales_invoiceline",
    "DROP FUNCTION IF EXISTS encaisse_refuse_issued_invoice_line()",
    "DROP TRIGGER IF EXISTS sales_invoice_frozen ON sales_invoice",
    "DROP FUNCTION IF EXISTS encaisse_refuse_issued_invoice()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"No immutability triggers for {schema_editor.connection.vendor}")
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        )
    ]
