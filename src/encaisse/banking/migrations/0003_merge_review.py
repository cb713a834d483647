# The review lane's merge of h-import (0002_import) and h-match (0002_matching): no
# change of its own. The lead renumbers the lanes' migrations at merge and drops this.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("banking", "0002_import"),
        ("banking", "0002_matching"),
    ]

    operations = []
