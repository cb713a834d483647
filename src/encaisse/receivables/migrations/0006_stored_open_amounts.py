"""Stored open amounts: Installment.open_amount, Payment.unallocated_amount and, for
issued credit notes (frozen rows), CreditNoteCredit.unallocated_amount, each the amount
less the allocations not undone.

The columns are added with 0 (no table rewrite on PostgreSQL), then filled in set-based
SQL by receivables.stored.fix: one UPDATE ... FROM (SELECT ... SUM ... GROUP BY) per
side, writing only the rows whose figure is not 0 (on a book mostly settled, the open
ones), and one INSERT ... SELECT of the credit notes' rows. The checks and the partial
indexes come after the fill. On the 1,000,000-invoice bench book: docs/benchmarks.md."""

import django.db.models.deletion
from decimal import Decimal

from django.conf import settings
from django.db import migrations, models


def fill(apps, schema_editor):
    from encaisse.receivables.stored import fix

    fix()


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0006_company_backdating_days"),
        ("customers", "0005_contact_civility"),
        ("receivables", "0005_allocation_paid_on"),
        ("sales", "0006_invoice_list_order"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CreditNoteCredit",
            fields=[
                (
                    "credit_note",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="stored_credit",
                        serialize=False,
                        to="sales.invoice",
                    ),
                ),
                ("issue_date", models.DateField()),
                (
                    "amount",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="montant TTC"),
                ),
                (
                    "unallocated_amount",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="non lettré"),
                ),
                (
                    "company",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="companies.company",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="customers.customer",
                    ),
                ),
            ],
            options={"verbose_name": "crédit d'un avoir"},
        ),
        migrations.AddField(
            model_name="installment",
            name="open_amount",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0"), max_digits=14, verbose_name="reste dû"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="payment",
            name="unallocated_amount",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0"), max_digits=14, verbose_name="non lettré"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="installment",
            constraint=models.CheckConstraint(
                condition=models.Q(("open_amount__gte", 0), ("open_amount__lte", models.F("amount"))),
                name="installment_open_amount_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("unallocated_amount__gte", 0), ("unallocated_amount__lte", models.F("amount"))
                ),
                name="payment_unallocated_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="creditnotecredit",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("unallocated_amount__gte", 0), ("unallocated_amount__lte", models.F("amount"))
                ),
                name="credit_note_unallocated_range",
            ),
        ),
        migrations.AddIndex(
            model_name="allocation",
            index=models.Index(
                condition=models.Q(("undone_on__isnull", False)),
                fields=["company", "undone_on"],
                name="allocation_undone_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="installment",
            index=models.Index(
                condition=models.Q(("open_amount__gt", 0)),
                fields=["company", "customer"],
                include=("due_date", "open_amount"),
                name="installment_owing_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                condition=models.Q(("unallocated_amount__gt", 0)),
                fields=["company", "customer"],
                include=("unallocated_amount",),
                name="payment_unallocated_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="creditnotecredit",
            index=models.Index(fields=["company", "issue_date"], name="credit_note_credit_date_idx"),
        ),
        migrations.AddIndex(
            model_name="creditnotecredit",
            index=models.Index(
                condition=models.Q(("unallocated_amount__gt", 0)),
                fields=["company", "customer"],
                include=("unallocated_amount",),
                name="credit_note_unallocated_idx",
            ),
        ),
    ]
