"""Queue and search indexes for a million orders (decision 0306).

Search terms are read by (term, [branch,] opened_at) in display order and counted without the orders;
the open queues get partial indexes on open orders in their ORDER BY (time left, then id).
"""

import django.db.models.deletion
from django.db import migrations, models

OPEN = ["new", "acknowledged", "onsite", "remote", "repair", "waiting_third_party", "waiting_customer"]
NEXT_DUE = models.Case(
    models.When(
        first_response_at__isnull=True, response_due_at__isnull=False, then=models.F("response_due_at")
    ),
    default=models.F("resolution_due_at"),
    output_field=models.DateTimeField(),
)


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0003_search_term_scope"),
    ]

    operations = [
        migrations.AlterField(
            model_name="workorderterm",
            name="branch",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="identity.branch",
            ),
        ),
        migrations.AlterField(
            model_name="workorderterm",
            name="opened_at",
            field=models.DateTimeField(),
        ),
        migrations.AddIndex(
            model_name="workorderterm",
            index=models.Index(fields=["term", "opened_at", "work_order"], name="wo_term_opened"),
        ),
        migrations.AddIndex(
            model_name="workorderterm",
            index=models.Index(
                fields=["term", "branch", "opened_at", "work_order"], name="wo_term_branch_opened"
            ),
        ),
        migrations.RemoveIndex(model_name="workorder", name="wo_branch_opened"),
        migrations.RemoveIndex(model_name="workorder", name="wo_opened"),
        migrations.AddIndex(
            model_name="workorder",
            index=models.Index(fields=["branch", "opened_at", "id"], name="wo_branch_opened_id"),
        ),
        migrations.AddIndex(
            model_name="workorder",
            index=models.Index(fields=["opened_at", "id"], name="wo_opened_id"),
        ),
        migrations.AddIndex(
            model_name="workorder",
            index=models.Index(NEXT_DUE, "id", condition=models.Q(status__in=OPEN), name="wo_open_next_due"),
        ),
        migrations.AddIndex(
            model_name="workorder",
            index=models.Index(
                "branch", NEXT_DUE, "id", condition=models.Q(status__in=OPEN), name="wo_open_branch_next_due"
            ),
        ),
    ]
