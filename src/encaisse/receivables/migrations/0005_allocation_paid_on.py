"""Allocation.paid_on: the day the credit's money counts as received (penalties stop, the
invoice counts as paid), kept apart from the day of the matching (allocated_on).

Existing rows get their credit's date, as services.allocation.paid_on sets it: a
payment's date, or its remittance slip's for a remitted cheque; a credit note's issue
date; a write-off's date. Three set-based UPDATEs, whatever the number of rows."""

from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    Allocation = apps.get_model("receivables", "Allocation")
    Payment = apps.get_model("receivables", "Payment")
    WriteOff = apps.get_model("receivables", "WriteOff")
    Invoice = apps.get_model("sales", "Invoice")
    for link, rows, date in (
        ("payment", Payment, Coalesce(F("remittance__date"), F("date"))),
        ("credit_note", Invoice, F("issue_date")),
        ("write_off", WriteOff, F("date")),
    ):
        credit_date = rows.objects.filter(pk=OuterRef(f"{link}_id")).values_list(date)[:1]
        Allocation.objects.filter(**{f"{link}__isnull": False}).update(
            paid_on=Subquery(credit_date)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("receivables", "0004_aging_indexes"),
        ("sales", "0005_invoice_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="allocation",
            name="paid_on",
            field=models.DateField(null=True, verbose_name="payé le"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="allocation",
            name="paid_on",
            field=models.DateField(verbose_name="payé le"),
        ),
    ]
