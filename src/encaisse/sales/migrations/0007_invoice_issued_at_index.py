"""documents.render_pending reads the last days' issues every minute: by issued_at."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sales", "0006_invoice_list_order")]

    operations = [
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["issued_at"], name="sales_invoice_issued_at"),
        ),
    ]
