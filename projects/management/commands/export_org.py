"""`manage.py export_org SLUG`: the organisation's backup (projects.interop.backup) as JSON on standard output,
or in --output FILE. docs/backup-format.md describes the document."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.interop.backup import backup_bytes, export_org_document
from projects.models import Organisation


class Command(BaseCommand):
    help = (
        "Write one versioned JSON document with everything the organisation owns (members by e-mail, teams, "
        "settings, projects and their models, the register, results, snapshots, report schedules; never "
        "passwords, tokens or secrets) to standard output or --output. import_org restores it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The organisation's slug, as in /o/SLUG/.")
        parser.add_argument("--output", type=Path, help="Write to this file instead of standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["slug"]).first()
        if organisation is None:
            raise CommandError(f"No organisation at /o/{options['slug']}/.")
        data = backup_bytes(export_org_document(organisation))
        if options["output"] is None:
            self.stdout.write(data.decode())
            return
        try:
            options["output"].write_bytes(data)
        except OSError as error:
            raise CommandError(f"Cannot write {options['output']}: {error.strerror}.") from None
