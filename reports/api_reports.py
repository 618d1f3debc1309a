"""PDF reports through the API, under /api/v1/organisations/<org_slug>/reports/: a second adapter over
reports.services.report_request and reports.selectors, as reports.report_views is the first.

Asking for a report answers 202 with the job, which a client polls (its `url`) until it is done or failed, then
fetches the file (its `download`). An identical request on unchanged data answers 200 with the report already
made. The body is checked by the page's own form (reports.forms.ReportRequestForm), so both refuse alike, with
the same messages. The per-organisation cap on jobs being made is a 400 as on the page: it is a state of the
organisation's queue rather than this client's rate, and no honest Retry-After can be given, since nobody knows
when a worker finishes.
"""

import json
from typing import Any

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from projects.api import LARGEST_ID, ORG_SLUG, JsonApiView, PersonSerializer, answers
from projects.api_access import organisation_membership
from projects.api_workspace import choices_of
from projects.models import Membership, Project
from projects.roles import Permission
from reports import selectors, services
from reports.forms import ReportRequestForm
from reports.models import PaperSize, Report, ReportKind, ReportStatus
from reports.report_views import pdf_attachment

REPORT_ID = OpenApiParameter(
    "report_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The report's id."
)
JOB_LOCATION = OpenApiParameter(
    "Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[202], description="The job, to poll."
)


def _absolute(request: Request, name: str, report: Report) -> str:
    return request.build_absolute_uri(reverse(name, args=[report.organisation.slug, report.pk]))


@extend_schema_serializer(component_name="ReportCreate")
class ReportInput(serializers.Serializer):
    """Documents the body; ReportRequestForm judges it, so a value the page refuses is refused here alike."""

    # Labelled apart from the answer's `kind`, so each has one name in the schema (as risks.api_register's do).
    kind = serializers.ChoiceField(choices=choices_of(ReportKind, "report"))
    project = serializers.IntegerField(
        min_value=1,
        max_value=LARGEST_ID,
        required=False,
        allow_null=True,
        help_text="The project's id, for a project report; the other kinds name none.",
    )
    paper = serializers.ChoiceField(choices=PaperSize.choices)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Send a JSON object: kind, project and paper."]}
            )
        membership: Membership = self.context["membership"]
        form = ReportRequestForm(
            {name: _as_typed(value) for name, value in data.items()},
            projects=Project.objects.filter(organisation=membership.organisation_id),
        )
        if not form.is_valid():
            raise serializers.ValidationError(
                {
                    ("non_field_errors" if name == "__all__" else name): [str(m) for m in messages]
                    for name, messages in form.errors.items()
                }
            )
        return form.cleaned_data


def _as_typed(value: object) -> object:
    """A JSON value as a browser would post it: text and whole numbers as they are; anything else (true, a list)
    as its JSON text, which no choice matches, rather than a value a field would coerce (true into project 1)."""
    if value is None or isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    return json.dumps(value)


@extend_schema_serializer(component_name="Report")
class ReportOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    title = serializers.CharField(help_text="Its kind, and for a project report the project's name.")
    project = serializers.IntegerField(
        source="project_id", allow_null=True, help_text="The project's id; null unless a project report."
    )
    paper = serializers.ChoiceField(choices=PaperSize.choices)
    requested_by = PersonSerializer(allow_null=True, help_text="null: a monthly schedule asked for it.")
    status = serializers.ChoiceField(choices=ReportStatus.choices)
    progress = serializers.IntegerField(help_text="Per cent, while a worker makes it.")
    stage = serializers.CharField(help_text="What the worker is doing, in words.")
    error = serializers.CharField(help_text="Why it failed; empty unless it did.")
    page_count = serializers.IntegerField(allow_null=True, help_text="null until done.")
    file_size = serializers.IntegerField(allow_null=True, help_text="In bytes; null until done.")
    as_of = serializers.DateTimeField(allow_null=True, help_text="When the figures in it were read.")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField(help_text="This job: poll it until it is done or failed.")
    download = serializers.SerializerMethodField(help_text="The PDF; null until the report is done.")

    def get_url(self, report: Report) -> str:
        return _absolute(self.context["request"], "api_report_detail", report)

    def get_download(self, report: Report) -> str | None:
        if report.status != ReportStatus.DONE or not report.file:
            return None
        return _absolute(self.context["request"], "api_report_download", report)


@extend_schema(tags=["reports"], parameters=[ORG_SLUG])
class ReportListApi(JsonApiView):
    @extend_schema(
        operation_id="report_list",
        summary="The organisation's PDF reports, the newest first",
        responses=answers({200: ReportOutput(many=True)}, 403, 404),
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug, Permission.DOWNLOAD_REPORTS)
        paginator = self.pagination_class()
        rows = paginator.paginate_queryset(selectors.reports_of(membership), request, view=self)
        data = ReportOutput(rows, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="report_create",
        summary="Ask for a PDF report",
        description="A worker makes it: the answer is 202 with the job, to poll at its `url` until it is done. "
        "The same request on unchanged data answers 200 with the report already made. At most a few reports "
        "of an organisation are made at once; more is refused (400) until one finishes.",
        request=ReportInput,
        parameters=[JOB_LOCATION],
        responses=answers(
            {
                202: OpenApiResponse(ReportOutput, description="Queued for a worker."),
                200: OpenApiResponse(ReportOutput, description="Made before, from the same data."),
            },
            400,
            403,
            404,
        ),
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug, Permission.DOWNLOAD_REPORTS)
        serializer = ReportInput(data=request.data, context={"membership": membership})
        serializer.is_valid(raise_exception=True)
        asked = services.report_request(membership=membership, **serializer.validated_data)
        reused = asked.status == ReportStatus.DONE
        report = selectors.report_of(membership, asked.pk)
        body = ReportOutput(report, context={"request": request}).data
        if reused:
            return Response(body)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


@extend_schema(tags=["reports"], parameters=[ORG_SLUG, REPORT_ID])
class ReportDetailApi(JsonApiView):
    @extend_schema(
        operation_id="report_retrieve",
        summary="A report job: its state and progress",
        responses=answers({200: ReportOutput}, 403, 404),
    )
    def get(self, request: Request, org_slug: str, report_id: int) -> Response:
        membership = organisation_membership(request, org_slug, Permission.DOWNLOAD_REPORTS)
        report = selectors.report_of(membership, report_id)
        return Response(ReportOutput(report, context={"request": request}).data)


class ErrorsInJson(BaseContentNegotiation):
    """Whatever the client accepts, a refusal is the API's JSON error: the PDF is the only other answer, and it
    is a file response that no renderer touches."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


@extend_schema(tags=["reports"], parameters=[ORG_SLUG, REPORT_ID])
class ReportDownloadApi(JsonApiView):
    content_negotiation_class = ErrorsInJson

    @extend_schema(
        operation_id="report_download",
        summary="A finished report's PDF",
        description="An attachment with a safe file name; 404 until the report is done.",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            **answers({}, 403, 404),
        },
    )
    def get(self, request: Request, org_slug: str, report_id: int) -> FileResponse:
        membership = organisation_membership(request, org_slug, Permission.DOWNLOAD_REPORTS)
        return pdf_attachment(selectors.report_of(membership, report_id))
