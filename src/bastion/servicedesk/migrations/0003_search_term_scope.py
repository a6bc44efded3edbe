"""Search terms carry their order's branch and opening time (decision 0306), backfilled here.

The columns become NOT NULL and indexed in 0004: a separate transaction on PostgreSQL, where the
backfill's deferred foreign-key checks would otherwise block the ALTER TABLE.
"""

import django.db.models.deletion
from django.db import migrations, models

# Correlated subqueries: the same statement on SQLite and PostgreSQL.
BACKFILL = """
UPDATE servicedesk_workorderterm SET
    branch_id = (SELECT w.branch_id FROM servicedesk_workorder w WHERE w.id = servicedesk_workorderterm.work_order_id),
    opened_at = (SELECT w.opened_at FROM servicedesk_workorder w WHERE w.id = servicedesk_workorderterm.work_order_id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0001_initial"),
        ("servicedesk", "0002_search_terms"),
    ]

    operations = [
        migrations.AlterField(
            model_name="workorderterm",
            name="work_order",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="terms",
                to="servicedesk.workorder",
            ),
        ),
        migrations.AddField(
            model_name="workorderterm",
            name="branch",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="identity.branch",
            ),
        ),
        migrations.AddField(
            model_name="workorderterm",
            name="opened_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
