"""The installment schedule of an invoice.

A nullable column without a default: SQLite adds it with ALTER TABLE ADD COLUMN, so the
table is not rebuilt and keeps the freeze triggers of 0002 (a rebuild would drop them);
PostgreSQL's row triggers are unaffected. An issued invoice's schedule is thus frozen
with it, and issuing (an UPDATE of a draft row) and inserting drafts remain allowed.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0004_freeze_issued_allowances"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="schedule",
            field=models.JSONField(blank=True, null=True, verbose_name="échéancier"),
        ),
    ]
