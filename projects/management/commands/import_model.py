"""`manage.py import_model --org SLUG FILE`: a threat model of another tool as a new project (or over one).

The same import as the upload page and POST /api/v1/imports/ (projects.interop.services.model_import). It prints
a JSON summary of what it wrote; a file that cannot be imported exits non-zero with the message, naming the place
in the file, and writes nothing.
"""

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.interop.document import MAX_FILE_BYTES, InvalidModelFile
from projects.interop.formats import AUTO, READERS, parse
from projects.interop.selectors import first_team, project_in, team_named
from projects.interop.services import model_import
from projects.models import Membership, Organisation, Project, Team
from projects.roles import Role


class Command(BaseCommand):
    help = (
        "Import a threat model (Open Threat Model, Threat Dragon, threat-composer or Threagile) as a new project "
        "of the organisation, or over one of its projects with --replace, and print a JSON summary. It acts as "
        "the organisation's first owner (the longest-standing one), whose name the project's history shows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The model file (JSON or YAML).")
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument(
            "--team",
            help="The slug of the team that owns the project (default: the organisation's first team).",
        )
        parser.add_argument(
            "--format",
            default=AUTO,
            choices=[AUTO, *READERS],
            help="The file's format (default: told from its content).",
        )
        parser.add_argument(
            "--replace",
            type=int,
            metavar="PROJECT_ID",
            help="Replace this project's model (it keeps its id, team and name).",
        )
        parser.add_argument("--name", help="The project's name, instead of the one in the file.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"There is no organisation “{options['org']}”.")
        membership = _first_owner(organisation)
        team = _team(organisation, options["team"])
        replace = _project(organisation, options["replace"]) if options["replace"] else None
        try:
            document = parse(_read(options["file"]), format=options["format"])
            result = model_import(
                membership=membership, team=team, document=document, replace=replace, name=options["name"]
            )
        except InvalidModelFile as error:
            raise CommandError(f"{options['file']}: {error}") from None
        except ValidationError as error:
            raise CommandError(_messages(error)) from None
        except PermissionDenied as error:
            raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(result.summary(), indent=2, ensure_ascii=False))


def _first_owner(organisation: Organisation) -> Membership:
    owner = (
        organisation.memberships.filter(role=Role.OWNER)
        .select_related("organisation", "user")
        .order_by("created_at", "pk")
        .first()
    )
    if owner is None:
        raise CommandError(f"{organisation} has no owner to import as.")
    return owner


def _team(organisation: Organisation, slug: str | None) -> Team:
    team = team_named(organisation, slug) if slug else first_team(organisation)
    if team is None:
        named = ", ".join(organisation.teams.order_by("slug").values_list("slug", flat=True)) or "none yet"
        missing = f"{organisation} has no team “{slug}”" if slug else f"{organisation} has no team"
        raise CommandError(f"{missing} (its teams: {named}).")
    return team


def _project(organisation: Organisation, project_id: int) -> Project:
    project = project_in(organisation, project_id)
    if project is None:
        raise CommandError(f"{organisation} has no project {project_id}.")
    return project


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CommandError(
                f"{path}: the file is {path.stat().st_size / 1_048_576:.1f} MB; "
                f"the limit is {MAX_FILE_BYTES // 1_048_576} MB."
            )
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from None


def _messages(error: ValidationError) -> str:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return "\n".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
