from django.db import migrations, models


def mark_existing_sent(apps, schema_editor):
    # Invitations made before this field had their email sent already: never send them again.
    Invitation = apps.get_model("accounts", "Invitation")
    Invitation.objects.using(schema_editor.connection.alias).filter(sent_at__isnull=True).update(
        sent_at=models.F("created_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_attendancecheckin"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(
            mark_existing_sent,
            migrations.RunPython.noop,
            hints={"model_name": "invitation"},
        ),
    ]
