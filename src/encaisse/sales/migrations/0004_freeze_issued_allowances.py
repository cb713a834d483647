"""The same database guard as 0002, for document-level allowances and charges."""

from django.db import migrations

MESSAGE = "encaisse: an issued invoice or credit note cannot be changed or deleted"
PARENT_ISSUED = "(SELECT status FROM sales_invoice WHERE id = {row}.invoice_id) = 'issued'"

SQLITE = [
    f"""CREATE TRIGGER sales_invoiceallowance_frozen_{op.lower()}
    BEFORE {op} ON sales_invoiceallowance WHEN {condition}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
    for op, condition in (
        ("INSERT", PARENT_ISSUED.format(row="NEW")),
        ("UPDATE", f"{PARENT_ISSUED.format(row='OLD')} OR {PARENT_ISSUED.format(row='NEW')}"),
        ("DELETE", PARENT_ISSUED.format(row="OLD")),
    )
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS sales_invoiceallowance_frozen_{op}"
    for op in ("insert", "update", "delete")
]
# The line guard function of 0002 only looks at invoice_id: it serves this table too.
POSTGRESQL = [
    """CREATE TRIGGER sales_invoiceallowance_frozen BEFORE INSERT OR UPDATE OR DELETE
    ON sales_invoiceallowance FOR EACH ROW
    EXECUTE FUNCTION encaisse_refuse_issued_invoice_line()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS sales_invoiceallowance_frozen ON sales_invoiceallowance",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor[schema_editor.connection.vendor]:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("sales", "0003_invoice_allowance")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        )
    ]
