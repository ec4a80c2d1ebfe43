"""A lead's to-dos are follow-ups in code ("tasks" now means only Celery). The rows stay; the
table is renamed. Activity rows keep their stored kind value "task"."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_attendancecheckin"),
        ("leads", "0003_lead_communities_index"),
    ]

    operations = [
        migrations.RenameModel(old_name="LeadTask", new_name="FollowUp"),
        migrations.AlterField(
            model_name="followup",
            name="assignee",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="follow_ups",
                to="accounts.membership",
            ),
        ),
        migrations.AlterField(
            model_name="followup",
            name="lead",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="follow_ups",
                to="leads.lead",
            ),
        ),
    ]
