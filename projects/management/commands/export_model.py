"""`manage.py export_model PROJECT_ID --format otm`: a project's model in another tool's format, on stdout.

The same export as the project page's Export menu and GET .../projects/<id>/export/ (projects.interop.formats).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.interop.formats import WRITERS, export
from projects.interop.selectors import project_document
from projects.models import Project


class Command(BaseCommand):
    help = (
        "Write a project's threat model to standard output as Open Threat Model 0.2 JSON (otm), Threat Dragon v2 "
        "(threat-dragon) or a threat-composer workspace (threat-composer)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", type=int, metavar="PROJECT_ID", help="The project's id.")
        parser.add_argument("--format", required=True, choices=list(WRITERS), help="The format to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(pk=options["project"]).first()
        if project is None:
            raise CommandError(f"There is no project {options['project']}.")
        exported = export(project_document(project), options["format"])
        self.stdout.write(exported.data.decode(), ending="")
