"""Model imports and exports through the API: a second adapter over projects.interop.services and formats, as
projects.interop.views is the first.

POST /api/v1/imports/ takes a model file (multipart) with the organisation's slug, and answers 201 with what it
wrote, or with `dry_run` 200 with what it would write, writing nothing. A file that cannot be imported is a 400
whose `file` field says why and where. GET .../projects/<id>/export/?format=otm downloads the project's model.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from projects.api import LARGEST_ID, ORG_SLUG, JsonApiView, answers, max_length
from projects.api_access import organisation_membership
from projects.api_workspace import member_project
from projects.interop import selectors
from projects.interop.document import MAX_FILE_BYTES, InvalidModelFile
from projects.interop.formats import AUTO, WRITERS, parse, read_choices
from projects.interop.services import model_import, model_preview
from projects.interop.views import model_attachment
from projects.models import Organisation, Project, Team
from projects.roles import Permission

PROJECT_ID = OpenApiParameter(
    "project_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The project's id."
)


@extend_schema_serializer(component_name="ModelImportCreate")
class ImportInput(serializers.Serializer):
    organisation = serializers.SlugField(
        max_length=max_length(Organisation, "slug"), help_text="The slug of the organisation to import into."
    )
    file = serializers.FileField(
        help_text=f"The model file, JSON or YAML, at most {MAX_FILE_BYTES // 1_048_576} MB: Open Threat Model, "
        "Threat Dragon, threat-composer or Threagile."
    )
    format = serializers.ChoiceField(
        choices=read_choices(), default=AUTO, help_text="The file's format; by default told from its content."
    )
    team = serializers.CharField(
        required=False,
        max_length=max_length(Team, "slug"),
        help_text="The slug or id of the team that owns the new project; by default the organisation's first "
        "team. A replaced project keeps its team.",
    )
    replace = serializers.IntegerField(
        min_value=1,
        max_value=LARGEST_ID,
        required=False,
        help_text="The id of a project whose model the import replaces; it keeps its id, team and name.",
    )
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=max_length(Project, "name"),
        help_text="The project's name, instead of the one in the file (or the replaced project's).",
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Check the import and answer what it would write, writing nothing."
    )


class ImportedProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="None in a dry run that creates a project.")
    name = serializers.CharField()
    team = serializers.CharField(help_text="The team's slug.")


@extend_schema_serializer(component_name="ModelImport")
class ImportOutput(serializers.Serializer):
    project = ImportedProjectSerializer()
    replaced = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    zones = serializers.IntegerField()
    assets = serializers.IntegerField()
    components = serializers.IntegerField()
    flows = serializers.IntegerField()
    threats = serializers.IntegerField()
    controls = serializers.IntegerField()
    links = serializers.IntegerField(help_text="Threat-control links.")
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the file holds that the project does not keep, or keeps changed, with its place.",
    )


@extend_schema(tags=["imports and exports"])
class ImportApi(JsonApiView):
    # Multipart for the file; JSON is read too, so a body without one is refused for that, not for its type.
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        operation_id="model_import",
        summary="Import a model file as a project",
        description="A new project of the team, or, with `replace`, the model of an existing project. With "
        "`dry_run`, 200 with what would be written. A file that cannot be imported is a 400 whose `file` "
        "message names the problem and its place in the file; nothing is written.",
        request={"multipart/form-data": ImportInput},
        responses=answers({201: ImportOutput, 200: ImportOutput}, 400, 403, 404),
    )
    def post(self, request: Request) -> Response:
        slug = request.data.get("organisation") if isinstance(request.data, dict) else None
        if not isinstance(slug, str) or not slug:
            raise ValidationError({"organisation": "Name the organisation by its slug."})
        membership = organisation_membership(request, slug, Permission.EDIT_TEAM_PROJECTS)
        serializer = ImportInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields: dict[str, Any] = dict(serializer.validated_data)
        replace = _replaced(membership.organisation, fields.get("replace"))
        team = _team(membership.organisation, fields.get("team"), replace)
        name = fields.get("name") or None
        try:
            document = parse(_bytes_of(fields["file"]), format=fields["format"])
            if fields["dry_run"]:
                preview = model_preview(
                    membership=membership, team=team, document=document, replace=replace, name=name
                )
                return Response(preview.summary() | {"dry_run": True})
            result = model_import(
                membership=membership, team=team, document=document, replace=replace, name=name
            )
        except InvalidModelFile as error:
            raise ValidationError({"file": str(error)}) from None
        return Response(result.summary() | {"dry_run": False}, status=status.HTTP_201_CREATED)


def _replaced(organisation: Organisation, project_id: int | None) -> Project | None:
    if project_id is None:
        return None
    project = selectors.project_in(organisation, project_id)
    if project is None:
        raise ValidationError({"replace": "Choose a project of this organisation."})
    return project


def _team(organisation: Organisation, reference: str | None, replace: Project | None) -> Team:
    if replace is not None:
        return replace.team
    team = selectors.team_named(organisation, reference) if reference else selectors.first_team(organisation)
    if team is None:
        missing = "Choose a team of this organisation." if reference else "Create a team first."
        raise ValidationError({"team": missing})
    return team


def _bytes_of(upload: UploadedFile) -> bytes:
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        size = upload.size / 1_048_576
        raise InvalidModelFile(f"The file is {size:.1f} MB; the limit is {MAX_FILE_BYTES // 1_048_576} MB.")
    return upload.read()


EXPORT_FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=True,
    enum=list(WRITERS),
    description="otm: Open Threat Model 0.2 JSON; threat-dragon: Threat Dragon v2; threat-composer: a "
    "threat-composer workspace (.tc.json).",
)


@extend_schema(tags=["imports and exports"], parameters=[ORG_SLUG, PROJECT_ID, EXPORT_FORMAT])
class ExportApi(JsonApiView):
    @extend_schema(
        operation_id="model_export",
        summary="Download a project's model in another tool's format",
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.BINARY, description="The model file."),
            **answers({}, 400, 404),
        },
    )
    def get(self, request: Request, org_slug: str, project_id: int) -> HttpResponse:
        _, project = member_project(request, org_slug, project_id)
        format = request.query_params.get("format", "")
        if format not in WRITERS:
            raise ValidationError({"format": f"Choose one of: {', '.join(WRITERS)}."})
        return model_attachment(project, format)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # ?format= names the model's format here, not one of DRF's renderers; a refusal is JSON whatever.
        return super().perform_content_negotiation(request, force=True)
