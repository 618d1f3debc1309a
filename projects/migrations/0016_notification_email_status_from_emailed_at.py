"""Notifications e-mailed before email_status existed read as sent; back, nothing to undo (the field goes)."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def mark_emailed_as_sent(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Notification = apps.get_model("projects", "Notification")
    Notification.objects.filter(emailed_at__isnull=False).update(email_status="sent")


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0015_notification_email_sending"),
    ]

    operations = [
        migrations.RunPython(mark_emailed_as_sent, migrations.RunPython.noop),
    ]
