"""`manage.py import_org FILE [--name NAME] [--slug SLUG]`: restore an organisation's backup (export_org) as a new
organisation, in one transaction, and print a JSON summary: the organisation's slug and name, and the rows
restored per table. A file that is not a backup this server reads exits non-zero with the message and the place
in the file, having written nothing."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.interop.backup import TABLES, InvalidBackup, import_org_document, read_backup


class Command(BaseCommand):
    help = (
        "Restore an organisation from a backup made by export_org, as a new organisation: under the name and "
        "slug in the file, or those given. Members are matched by e-mail; people this server does not know are "
        "created without a usable password (they set one by resetting it)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The backup: a JSON file written by export_org.")
        parser.add_argument("--name", help="The restored organisation's name (default: the one in the file).")
        parser.add_argument("--slug", help="Its slug, as in /o/SLUG/ (default: the one in the file).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = options["file"].read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}.") from None
        try:
            organisation = import_org_document(read_backup(data), name=options["name"], slug=options["slug"])
        except InvalidBackup as error:
            raise CommandError(str(error)) from None
        summary = {
            "organisation": organisation.slug,
            "name": organisation.name,
            "rows": {
                table.label: table.model._base_manager.filter(**{table.path: organisation.pk}).count()
                for table in TABLES
            },
        }
        self.stdout.write(json.dumps(summary, indent=2))
