"""The workspace's REST API: projects and their trust zones, assets, components, data flows, threats, controls
and threat-control links, under /api/v1/organisations/<org_slug>/projects/.

A second adapter over workspace_selectors and workspace_services, as projects.api is over selectors and
services. A handler resolves the member's project (404 for anyone outside the organisation), checks the right
to edit it before a write (403), validates the body (400, references only to the same project), and, to change
or delete an object, needs the version the client read: every read carries a strong ETag such as
"threat-41-v3" and the body's "version"; If-Match must name it (missing: 428, stale: 412 with the current
object, so the client can re-apply its change), and a PUT or PATCH without If-Match is a 428 before its body is
read. A list's page carries a weak ETag of its content and answers 304 to If-None-Match while it holds. The bulk
status changes name the version of each object in the body instead (412 names those that moved on).
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from projects import selectors, workspace_selectors, workspace_services
from projects.api import (
    LARGEST_ID,
    ORG_SLUG,
    ErrorBodySerializer,
    JsonApiView,
    PersonSerializer,
    TeamReferenceField,
    TeamSummarySerializer,
    answers,
    max_length,
)
from projects.api_access import organisation_membership
from projects.models import (
    Asset,
    AssetKind,
    Component,
    ComponentKind,
    Control,
    ControlKind,
    ControlStatus,
    Criticality,
    DataClassification,
    DataFlow,
    Goal,
    LikelihoodLevel,
    Membership,
    Project,
    ProjectStatus,
    Rating,
    Stride,
    Team,
    Threat,
    ThreatControl,
    ThreatStatus,
    TrustLevel,
    TrustZone,
    User,
    Versioned,
)
from projects.roles import Permission
from projects.threat_library import LIBRARY
from projects.workspace_selectors import (
    CONTROL_ORDERINGS,
    THREAT_ORDERINGS,
    ControlFilters,
    ProjectFilters,
    Seen,
    ThreatFilters,
    seen_rows,
)
from projects.workspace_services import (
    MAX_ASSET_NAMES,
    MAX_BULK_ITEMS,
    EditConflict,
    StaleObjects,
    ThreatLinks,
)

# Concurrency ----------------------------------------------------------------------------------------------


# The ETag names the kind of object and its id as well as its version, so no two objects share one.
def etag(obj: Versioned) -> str:
    return f'"{obj.etag_name}-{obj.pk}-v{obj.version}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def if_match_version(request: Request, obj: Versioned) -> int | None:
    """The version of `obj` that If-Match names (the current one, if it is among several); None when no tag
    names this object. 428 when there is no If-Match, or only `*`, which names no version."""
    tags = require_if_match(request)
    prefix = f'"{obj.etag_name}-{obj.pk}-v'
    versions = [
        int(number)
        for tag in tags  # a weak tag (W/"...") never matches: If-Match compares strongly
        if tag.startswith(prefix)
        and tag.endswith('"')
        and (number := tag.removeprefix(prefix).removesuffix('"')).isascii()
        and number.isdigit()
    ]
    return obj.version if obj.version in versions else next(iter(versions), None)


def not_modified(request: Request, tag: str) -> bool:
    """If-None-Match names the current version (compared weakly, as RFC 9110 says for this header)."""
    held = [held.removeprefix("W/") for held in _tags(request.headers.get("If-None-Match", ""))]
    return "*" in held or tag.removeprefix("W/") in held


def list_etag(request: Request, page: Any) -> str:
    """A weak ETag of a list's page: a digest of the query and of the page as it is sent. Every row's id and
    version are in it, and so is what a version does not count (a threat's number of controls, say)."""
    content = json.dumps([request.get_full_path(), page], cls=DjangoJSONEncoder, sort_keys=True)
    return f'W/"list-{hashlib.sha256(content.encode()).hexdigest()[:32]}"'


def tagged(request: Request, data: Any, tag: str) -> Response:
    """`data` with its ETag; 304 while If-None-Match holds that tag."""
    if not_modified(request, tag):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
    return Response(data, headers={"ETag": tag})


def require_if_match(request: Request) -> list[str]:
    """The tags If-Match names; 428 unless it names the version the request changes. Checked before the body
    is read."""
    tags = _tags(request.headers.get("If-Match", ""))
    if not tags or tags == ["*"]:
        raise PreconditionRequired()
    return tags


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = (
        'Send If-Match with the ETag you read (for example If-Match: "threat-41-v3"), so that no one '
        "else's change is overwritten."
    )
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    """Answered with the current object beside the error, and its ETag, so the client can re-apply."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "Someone else changed this since you read it. Re-apply your change to the current version."
    )
    default_code = "precondition_failed"

    def __init__(self, current: Any, current_etag: str) -> None:
        super().__init__()
        self.current = current
        self.current_etag = current_etag


class BulkPreconditionFailed(exceptions.APIException):
    """A bulk change whose objects moved on: answered with `stale`, each one's key and current version."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, error: StaleObjects, key: str) -> None:
        super().__init__(f"{error} Read them again and re-apply the change.")
        self.stale = [{key: getattr(obj, key), "version": obj.version} for obj in error.stale]


# Fields ---------------------------------------------------------------------------------------------------


def _an_id(data: object) -> int | None:
    if isinstance(data, int) and not isinstance(data, bool) and 0 < data <= LARGEST_ID:
        return data
    return None


@extend_schema_field({"type": "integer", "minimum": 1})
class PartField(serializers.Field):
    """One of the project's zones, assets, components, flows, threats (by number) or controls (by id)."""

    default_error_messages = {
        "invalid": "Give the {name} of a {what} (a number).",
        "missing": "This project has no {what} {value}.",
    }

    def __init__(self, *, related: str, what: str, key: str = "pk", **kwargs: Any) -> None:
        self.related, self.what, self.key = related, what, key
        super().__init__(**kwargs)

    def to_internal_value(self, data: object) -> Model:
        value = _an_id(data)
        if value is None:
            self.fail("invalid", name="number" if self.key == "number" else "id", what=self.what)
        found: Model | None = (
            getattr(self.context["project"], self.related).filter(**{self.key: value}).first()
        )
        if found is None:
            self.fail("missing", what=self.what, value=value)
        return found

    def to_representation(self, value: Model) -> object:
        return getattr(value, self.key)


@extend_schema_field({"type": "array", "items": {"type": "integer", "minimum": 1}})
class PartsField(serializers.ListField):
    """Several of the project's zones, assets, components or flows, by id; one query for all of them."""

    child = serializers.IntegerField(min_value=1, max_value=LARGEST_ID)

    def __init__(self, *, related: str, what: str, **kwargs: Any) -> None:
        self.related, self.what = related, what
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[Model]:
        ids = list(dict.fromkeys(super().to_internal_value(data)))
        found = {obj.pk: obj for obj in getattr(self.context["project"], self.related).filter(pk__in=ids)}
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            raise serializers.ValidationError(f"This project has no {self.what} {', '.join(missing)}.")
        return [found[pk] for pk in ids]


@extend_schema_field({"type": "array", "items": {"type": "integer"}})
class IdsField(serializers.Field):
    """The ids of a to-many relation, read from its (prefetched) rows."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> list[int]:
        return [obj.pk for obj in value.all()]


@extend_schema_field({"type": "integer", "minimum": 1, "nullable": True})
class MemberField(serializers.Field):
    """A member of the organisation, by user id: the owner of a threat or control."""

    default_error_messages = {
        "invalid": "Give the id of a member (a number), or null.",
        "missing": "This organisation has no member {value}.",
    }

    def to_internal_value(self, data: object) -> User:
        value = _an_id(data)
        if value is None:
            self.fail("invalid")
        user = workspace_selectors.people_of(self.context["membership"]).filter(pk=value).first()
        if user is None:
            self.fail("missing", value=value)
        return user

    def to_representation(self, value: User) -> int:
        return int(value.pk)


class TeamField(TeamReferenceField):
    """A team of the organisation, by id or slug."""

    def to_internal_value(self, data: object) -> Team:  # type: ignore[override]
        reference = super().to_internal_value(data)
        team = selectors.teams_named(
            self.context["organisation"],
            ids=[reference] if isinstance(reference, int) else [],
            slugs=[reference] if isinstance(reference, str) else [],
        ).first()
        if team is None:
            raise serializers.ValidationError(f"This organisation has no team {reference}.")
        return team


def text(model: type[Model], field: str, **kwargs: Any) -> serializers.CharField:
    """A text field as long as its column allows; optional ones may be blank and default to blank."""
    if not kwargs.pop("required", False):
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
    return serializers.CharField(max_length=max_length(model, field), **kwargs)


def letters(choices: Any, most: int) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=choices), max_length=most, default=list
    )


def distinct(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


# Serializers ----------------------------------------------------------------------------------------------


class VersionedOutput(serializers.Serializer):
    version = serializers.IntegerField(help_text="Send it back in If-Match (as the ETag) to change this.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="Project")
class ProjectOutput(VersionedOutput):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    team = TeamSummarySerializer()
    criticality = serializers.ChoiceField(choices=Criticality.choices)
    data_classification = serializers.ChoiceField(choices=DataClassification.choices)
    status = serializers.ChoiceField(
        choices=ProjectStatus.choices,
        help_text="in_review while its model waits for sign-off: it begins with a submission for review and ends "
        "with a decision on it (see the reviews endpoints).",
    )
    last_reviewed_on = serializers.DateField(
        allow_null=True,
        read_only=True,
        help_text="The day of its latest approval (null: never approved); set by approving its model, never "
        "written here.",
    )
    threat_count = serializers.IntegerField()
    open_threat_count = serializers.IntegerField()
    component_count = serializers.IntegerField()


@extend_schema_serializer(component_name="ProjectWrite")
class ProjectInput(serializers.Serializer):
    name = text(Project, "name", required=True)
    description = text(Project, "description")
    team = TeamField(help_text="The owning team, by id or slug.")
    criticality = serializers.ChoiceField(choices=Criticality.choices, default=Criticality.MEDIUM)
    data_classification = serializers.ChoiceField(
        choices=DataClassification.choices, default=DataClassification.INTERNAL
    )
    status = serializers.ChoiceField(
        choices=ProjectStatus.choices,
        default=ProjectStatus.DRAFT,
        help_text="A project enters in_review only by a submission for review and leaves it only by a decision on "
        "it (see the reviews endpoints); the status it has is always accepted.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The project as read back may be sent as it is; a last_reviewed_on of its own is refused, not ignored.
        if "last_reviewed_on" in self.initial_data:
            project = self.context.get("project")
            current = project.last_reviewed_on if project is not None else None
            sent = self.initial_data["last_reviewed_on"] or None
            if sent != (current.isoformat() if current is not None else None):
                raise serializers.ValidationError(
                    {"last_reviewed_on": workspace_services.LAST_REVIEWED_ON_IS_READ_ONLY}
                )
        return attrs


@extend_schema_serializer(component_name="TrustZone")
class TrustZoneOutput(VersionedOutput):
    id = serializers.IntegerField()
    name = serializers.CharField()
    trust_level = serializers.ChoiceField(choices=TrustLevel.choices)
    # Named as in the model. DRF's metaclass takes declared fields off the class; mypy only sees the clash.
    parent = serializers.IntegerField(source="parent_id", allow_null=True)  # type: ignore[assignment]
    description = serializers.CharField()
    component_count = serializers.IntegerField()


@extend_schema_serializer(component_name="TrustZoneWrite")
class ZoneInput(serializers.Serializer):
    name = text(TrustZone, "name", required=True)
    trust_level = serializers.ChoiceField(choices=TrustLevel.choices, default=TrustLevel.MEDIUM)
    parent = PartField(  # type: ignore[assignment]
        related="zones", what="trust zone", allow_null=True, default=None
    )
    description = text(TrustZone, "description")


@extend_schema_serializer(component_name="Asset")
class AssetOutput(VersionedOutput):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=AssetKind.choices)
    description = serializers.CharField()
    classification = serializers.ChoiceField(choices=DataClassification.choices)
    confidentiality = serializers.ChoiceField(choices=Rating.choices)
    integrity = serializers.ChoiceField(choices=Rating.choices)
    availability = serializers.ChoiceField(choices=Rating.choices)


@extend_schema_serializer(component_name="AssetWrite")
class AssetInput(serializers.Serializer):
    name = text(Asset, "name", required=True)
    kind = serializers.ChoiceField(choices=AssetKind.choices, default=AssetKind.DATA)
    description = text(Asset, "description")
    classification = serializers.ChoiceField(
        choices=DataClassification.choices, default=DataClassification.INTERNAL
    )
    confidentiality = serializers.ChoiceField(choices=Rating.choices, default=Rating.MEDIUM)
    integrity = serializers.ChoiceField(choices=Rating.choices, default=Rating.MEDIUM)
    availability = serializers.ChoiceField(choices=Rating.choices, default=Rating.MEDIUM)


@extend_schema_serializer(component_name="Component")
class ComponentOutput(VersionedOutput):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ComponentKind.choices)
    zone = serializers.IntegerField(source="zone_id", allow_null=True)
    description = serializers.CharField()
    technology = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    assets = IdsField(help_text="The assets it processes or stores.")
    threat_count = serializers.IntegerField()


@extend_schema_serializer(component_name="ComponentWrite")
class ComponentInput(serializers.Serializer):
    name = text(Component, "name", required=True)
    kind = serializers.ChoiceField(choices=ComponentKind.choices)
    zone = PartField(related="zones", what="trust zone", allow_null=True, default=None)
    description = text(Component, "description")
    technology = text(Component, "technology")
    tags = serializers.ListField(child=serializers.CharField(max_length=50), max_length=20, default=list)
    assets = PartsField(related="assets", what="asset", default=list)


@extend_schema_serializer(component_name="DataFlow")
class DataFlowOutput(VersionedOutput):
    id = serializers.IntegerField()
    name = serializers.CharField()
    source = serializers.IntegerField(source="source_id")  # type: ignore[assignment]
    destination = serializers.IntegerField(source="destination_id")
    protocol = serializers.CharField()
    data_carried = serializers.CharField()
    is_encrypted = serializers.BooleanField()
    is_authenticated = serializers.BooleanField()
    crosses_boundary = serializers.BooleanField(
        read_only=True, help_text="Its ends sit in different trust zones; derived, never written."
    )
    assets = IdsField(help_text="The assets it carries.")
    threat_count = serializers.IntegerField()


@extend_schema_serializer(component_name="DataFlowWrite")
class FlowInput(serializers.Serializer):
    name = text(DataFlow, "name", required=True)
    source = PartField(related="components", what="component")  # type: ignore[assignment]
    destination = PartField(related="components", what="component")
    protocol = text(DataFlow, "protocol")
    data_carried = text(DataFlow, "data_carried")
    is_encrypted = serializers.BooleanField(default=False)
    is_authenticated = serializers.BooleanField(default=False)
    assets = PartsField(related="assets", what="asset", default=list)


def choices_of(values: Iterable[Any], of: str) -> list[tuple[str, str]]:
    """Choices labelled after what they are, so each choice set has one name in the schema."""
    return [(value.value, f"{value.label} {of}") for value in values]


# Labelled as the risk calculator labels likelihoods, so the schema names this choice set once.
LIKELIHOODS = choices_of(LikelihoodLevel, "likelihood")


@extend_schema_field({"type": "array", "items": {"type": "integer", "minimum": 1}})
class RiskNumbersField(serializers.Field):
    """The numbers of a threat's business risks, read from its (prefetched) risks."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> list[int]:
        return sorted(risk.number for risk in value.all())


def frequency(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(
        min_value=0, max_value=1_000_000, allow_null=True, default=None, help_text=help_text
    )


@extend_schema_serializer(component_name="Threat")
class ThreatOutput(VersionedOutput):
    number = serializers.IntegerField()
    reference = serializers.CharField(help_text="The short id people use, e.g. T-12.")
    statement = serializers.CharField(help_text="The threat statement as one sentence.")
    threat_source = serializers.CharField()
    prerequisites = serializers.CharField()
    threat_action = serializers.CharField()
    threat_impact = serializers.CharField()
    impacted_goals = serializers.ListField(child=serializers.ChoiceField(choices=Goal.choices))
    impacted_assets = IdsField()
    stride = serializers.ListField(child=serializers.ChoiceField(choices=Stride.choices))
    target_components = IdsField()
    target_flows = IdsField()
    status = serializers.ChoiceField(choices=ThreatStatus.choices)
    status_reason = serializers.CharField()
    owner = PersonSerializer(allow_null=True)
    control_count = serializers.IntegerField()
    library_key = serializers.CharField(help_text="The threat-library entry it came from, if any.")
    likelihood = serializers.ChoiceField(
        choices=LIKELIHOODS,
        allow_blank=True,
        help_text="A level; blank when not given (or given as a range).",
    )
    frequency_min = serializers.FloatField(allow_null=True, help_text="Fewest events a year.")
    frequency_mode = serializers.FloatField(allow_null=True, help_text="Most likely events a year.")
    frequency_max = serializers.FloatField(allow_null=True, help_text="Most events a year.")
    business_risks = RiskNumbersField(help_text="The business risks it can cause, by number (12 for R-12).")


THREAT_LINK_FIELDS = ("impacted_assets", "impacted_asset_names", "target_components", "target_flows")


@extend_schema_serializer(component_name="ThreatWrite")
class ThreatInput(serializers.Serializer):
    threat_source = text(Threat, "threat_source", required=True)
    prerequisites = text(Threat, "prerequisites")
    threat_action = text(Threat, "threat_action", required=True)
    threat_impact = text(Threat, "threat_impact")
    impacted_goals = letters(Goal.choices, len(Goal) * 2)
    impacted_assets = PartsField(related="assets", what="asset", default=list)
    impacted_asset_names = serializers.ListField(
        child=serializers.CharField(max_length=max_length(Asset, "name")),
        max_length=MAX_ASSET_NAMES,
        default=list,
        help_text="Assets by name; names the project does not have yet become new assets. With "
        "impacted_assets it makes up the impacted assets: sending either replaces them.",
    )
    stride = letters(Stride.choices, len(Stride) * 2)
    target_components = PartsField(related="components", what="component", default=list)
    target_flows = PartsField(related="flows", what="data flow", default=list)
    status = serializers.ChoiceField(
        choices=ThreatStatus.choices,
        default=ThreatStatus.IDENTIFIED,
        help_text="Accepted and rejected are a security lead's decision.",
    )
    status_reason = text(Threat, "status_reason")
    owner = MemberField(allow_null=True, default=None)
    likelihood = serializers.ChoiceField(
        choices=LIKELIHOODS,
        allow_blank=True,
        default="",
        help_text="How often it happens, as a level; or give the frequency range (it wins when both are given).",
    )
    frequency_min = frequency("Fewest events a year: give all three of the range, or none.")
    frequency_mode = frequency("Most likely events a year, from frequency_min to frequency_max.")
    frequency_max = frequency("Most events a year, up to a million.")

    def validate_impacted_goals(self, value: Sequence[str]) -> list[str]:
        return distinct(value)

    def validate_stride(self, value: Sequence[str]) -> list[str]:
        return distinct(value)


@extend_schema_serializer(component_name="ControlLinkSummary")
class LinkSummary(serializers.Serializer):
    id = serializers.IntegerField()
    threat = serializers.IntegerField(source="threat.number", help_text="The threat's number.")
    effectiveness = serializers.IntegerField()
    version = serializers.IntegerField()


@extend_schema_serializer(component_name="Control")
class ControlOutput(VersionedOutput):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    kind = serializers.ChoiceField(choices=ControlKind.choices)
    status = serializers.ChoiceField(choices=ControlStatus.choices)
    owner = PersonSerializer(allow_null=True)
    due_on = serializers.DateField(allow_null=True)
    cost_per_year = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    effort_days = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    ticket_url = serializers.CharField()
    links = LinkSummary(many=True, source="threat_links", help_text="The threats it is applied to.")


@extend_schema_serializer(component_name="ControlWrite")
class ControlInput(serializers.Serializer):
    title = text(Control, "title", required=True)
    description = text(Control, "description")
    kind = serializers.ChoiceField(choices=ControlKind.choices, default=ControlKind.PREVENTIVE)
    status = serializers.ChoiceField(choices=ControlStatus.choices, default=ControlStatus.PROPOSED)
    owner = MemberField(allow_null=True, default=None)
    due_on = serializers.DateField(allow_null=True, default=None)
    cost_per_year = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, allow_null=True, default=None, help_text="Money a year."
    )
    effort_days = serializers.DecimalField(
        max_digits=7, decimal_places=1, min_value=0, allow_null=True, default=None
    )
    ticket_url = serializers.URLField(
        max_length=max_length(Control, "ticket_url"), allow_blank=True, default=""
    )


@extend_schema_serializer(component_name="ControlLink")
class ControlLinkOutput(VersionedOutput):
    id = serializers.IntegerField()
    threat = serializers.IntegerField(source="threat.number", help_text="The threat's number.")
    control = serializers.IntegerField(source="control_id")
    effectiveness = serializers.IntegerField(help_text="How much of the threat the control stops, in %.")


@extend_schema_serializer(component_name="ControlLinkCreate")
class LinkCreateInput(serializers.Serializer):
    threat = PartField(related="threats", what="threat", key="number", help_text="The threat's number.")
    control = PartField(related="controls", what="control")
    effectiveness = serializers.IntegerField(min_value=0, max_value=100, help_text="0 to 100 %.")


@extend_schema_serializer(component_name="ControlLinkWrite")
class LinkInput(serializers.Serializer):
    effectiveness = serializers.IntegerField(min_value=0, max_value=100, help_text="0 to 100 %.")


@extend_schema_serializer(component_name="SuggestedControl")
class SuggestedControlOutput(serializers.Serializer):
    title = serializers.CharField()
    description = serializers.CharField()
    kind = serializers.ChoiceField(choices=ControlKind.choices)


@extend_schema_serializer(component_name="LibraryEntry")
class LibraryEntryOutput(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    stride = serializers.ListField(child=serializers.ChoiceField(choices=Stride.choices))
    threat_source = serializers.CharField()
    prerequisites = serializers.CharField()
    threat_action = serializers.CharField()
    threat_impact = serializers.CharField()
    impacted_goals = serializers.ListField(child=serializers.ChoiceField(choices=Goal.choices))
    control = SuggestedControlOutput(help_text="A control that addresses it.")
    references = serializers.ListField(child=serializers.CharField(), help_text="CWE and CAPEC ids.")


@extend_schema_serializer(component_name="LibraryThreatsCreate")
class LibraryInput(serializers.Serializer):
    keys = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        default=list,
        max_length=len(LIBRARY),
        help_text="Keys of library entries to log as threats; those already on the target are skipped.",
    )
    not_applicable = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        default=list,
        max_length=len(LIBRARY),
        help_text="Keys of library entries that do not apply here (security leads): logged as rejected threats "
        "so they are not suggested again.",
    )
    reason = serializers.CharField(
        required=False, default="", allow_blank=True, help_text="Why the not-applicable ones do not apply."
    )
    with_controls = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Link each created threat to its entry's suggested control (the project's control of that "
        f"title, or a new proposed one) at {workspace_services.SUGGESTED_EFFECTIVENESS} % effectiveness.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["keys"] and not attrs["not_applicable"]:
            raise serializers.ValidationError({"keys": "Name at least one library entry."})
        return attrs


LARGEST_NUMBER = 2**31 - 1  # an integer column: a version, a threat's number


def version_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1, max_value=LARGEST_NUMBER, help_text="The version you read (the `version` of the object)."
    )


@extend_schema_serializer(component_name="ThreatSeen")
class ThreatSeenInput(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, max_value=LARGEST_NUMBER, help_text="The threat's number.")
    version = version_field()


@extend_schema_serializer(component_name="ControlSeen")
class ControlSeenInput(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=LARGEST_ID, help_text="The control's id.")
    version = version_field()


def _seen_items(
    project_rows: QuerySet[Any], key: str, field: str, what: str, items: Sequence[Any]
) -> list[Seen[Any]]:
    """The objects the items name, with the versions read; a key the project lacks is the items' error."""
    versions: dict[int, int] = {}
    for item in items:
        versions.setdefault(item[field], item["version"])
    seen, missing = seen_rows(project_rows, key, versions)
    if missing:
        raise serializers.ValidationError(f"This project has no {what} {', '.join(map(str, missing))}.")
    return seen


def _items(child: serializers.Serializer) -> serializers.ListField:
    return serializers.ListField(
        child=child,
        min_length=1,
        max_length=MAX_BULK_ITEMS,
        help_text=f"The objects to change (at most {MAX_BULK_ITEMS}), each with the version you read: "
        "if any has moved on, nothing changes (412).",
    )


@extend_schema_serializer(component_name="ThreatBulkStatus")
class ThreatBulkInput(serializers.Serializer):
    items = _items(ThreatSeenInput())
    status = serializers.ChoiceField(
        choices=ThreatStatus.choices, help_text="Accepted and rejected are a security lead's decision."
    )
    status_reason = text(
        Threat,
        "status_reason",
        help_text="Why they are accepted, or rejected / not applicable (required then). Left blank, threats "
        "that keep their decision keep their reason; any other status has none.",
    )

    def validate_items(self, items: Sequence[Any]) -> list[Seen[Threat]]:
        return _seen_items(self.context["project"].threats.all(), "number", "number", "threat", items)


@extend_schema_serializer(component_name="ControlBulkStatus")
class ControlBulkInput(serializers.Serializer):
    items = _items(ControlSeenInput())
    status = serializers.ChoiceField(choices=ControlStatus.choices)

    def validate_items(self, items: Sequence[Any]) -> list[Seen[Control]]:
        return _seen_items(self.context["project"].controls.all(), "pk", "id", "control", items)


# Documentation --------------------------------------------------------------------------------------------

PROJECT_ID = OpenApiParameter(
    "project_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The project's id."
)
ZONE_ID = OpenApiParameter("zone_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The zone's id.")
ASSET_ID = OpenApiParameter(
    "asset_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The asset's id."
)
COMPONENT_ID = OpenApiParameter(
    "component_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The component's id."
)
FLOW_ID = OpenApiParameter(
    "flow_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The data flow's id."
)
THREAT_NUMBER = OpenApiParameter(
    "threat_number",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The threat's number in its project: 12 for T-12.",
)
CONTROL_ID = OpenApiParameter(
    "control_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The control's id."
)
LINK_ID = OpenApiParameter(
    "link_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The threat-control link's id."
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag you read, e.g. "threat-41-v3". Without it: 428; when it is no longer current: 412, '
    "with the current object in `current`.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An ETag you hold: 304 while it is still current.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201, 412],
    description='The object\'s version, e.g. "threat-41-v3": send it in If-Match to change the object.',
)
NOT_MODIFIED = OpenApiResponse(description="Not modified: the ETag in If-None-Match is still current.")
SEARCH = OpenApiParameter("q", OpenApiTypes.STR, description="Search text.")


def query_parameter(
    name: str, description: str, enum: Iterable[str] = (), many: bool = False
) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.STR, description=description, enum=list(enum) or None, many=many or None
    )


PROJECT_FILTERS = [
    query_parameter("team", "Only the projects of this team (its slug)."),
    query_parameter("status", "Only projects in this status.", ProjectStatus.values),
    query_parameter(
        "review",
        '"overdue": only projects in use whose model was not reviewed in the last 90 days.',
        ["overdue"],
    ),
    SEARCH,
]
THREAT_FILTERS = [
    query_parameter(
        "status", "Only threats in these statuses (repeat it for several).", ThreatStatus.values, True
    ),
    query_parameter(
        "stride", "Only threats of these STRIDE categories (repeat it for several).", Stride.values, True
    ),
    OpenApiParameter("component", OpenApiTypes.INT, description="Only threats that target this component."),
    OpenApiParameter("flow", OpenApiTypes.INT, description="Only threats that target this data flow."),
    query_parameter(
        "owner", 'Only threats owned by this user (an id), or "none" for those without an owner.'
    ),
    query_parameter("control", '"none": only threats with no control yet.', ["none"]),
    query_parameter(
        "new",
        '"since_review": only threats logged after their model was last reviewed (every one if never reviewed).',
        ["since_review"],
    ),
    query_parameter("q", "Search the statement's text, or a reference such as T-12."),
    query_parameter("order", "Sort order.", THREAT_ORDERINGS),
]
CONTROL_FILTERS = [
    query_parameter(
        "status", "Only controls in these statuses (repeat it for several).", ControlStatus.values, True
    ),
    query_parameter(
        "owner", 'Only controls owned by this user (an id), or "none" for those without an owner.'
    ),
    query_parameter(
        "due",
        '"overdue": only controls not in force past their due date; "soon": those and the ones due within '
        "14 days.",
        ["overdue", "soon"],
    ),
    query_parameter("threat", '"none": only controls that address no threat yet.', ["none"]),
    SEARCH,
    query_parameter("order", 'Sort order; "-" before a column reverses it.', CONTROL_ORDERINGS),
]
LIST_ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description="A weak tag of this page as sent: send it in If-None-Match to be answered 304 while it holds.",
)


@cache
def conflict(output: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The 412 body: the error, and the object as it is now."""

    @extend_schema_serializer(component_name=f"{name}Conflict")
    class Conflict(serializers.Serializer):
        error = ErrorBodySerializer()
        current = output(help_text="The object as it is now; its ETag is in the ETag header.")

    return Conflict


def _name(output: type[serializers.Serializer]) -> str:
    return output.__name__.removesuffix("Output")


def lists(operation: str, summary: str, output: Any, filters: Sequence[OpenApiParameter] = ()) -> Any:
    return extend_schema(
        operation_id=operation,
        summary=summary,
        parameters=[*filters, IF_NONE_MATCH, LIST_ETAG],
        responses=answers({200: output(many=True), 304: NOT_MODIFIED}, 404),
    )


@extend_schema_serializer(component_name="ThreatStale")
class ThreatStaleOutput(serializers.Serializer):
    number = serializers.IntegerField()
    version = serializers.IntegerField(allow_null=True, help_text="Its version now; null once deleted.")


@extend_schema_serializer(component_name="ControlStale")
class ControlStaleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField(allow_null=True, help_text="Its version now; null once deleted.")


@cache
def bulk_conflict(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The 412 body of a bulk change: the error, and each object that moved on with its version now."""

    @extend_schema_serializer(component_name=f"{name}BulkConflict")
    class Conflict(serializers.Serializer):
        error = ErrorBodySerializer()
        stale = serializers.ListField(
            child=item(), help_text="The objects changed or deleted since they were read."
        )

    return Conflict


def bulk_changes(operation: str, summary: str, request: Any, output: Any, stale: Any) -> Any:
    return extend_schema(
        operation_id=operation,
        summary=summary,
        description="Every object named changes, or none does: when any has moved on from the version given, "
        "the answer is 412, naming each such object.",
        request=request,
        responses=answers({200: output(many=True), 412: bulk_conflict(stale, _name(output))}, 400, 403, 404),
    )


def creates(operation: str, summary: str, request: Any, output: Any) -> Any:
    return extend_schema(
        operation_id=operation,
        summary=summary,
        request=request,
        parameters=[ETAG],
        responses=answers({201: output}, 400, 403, 404),
    )


def retrieves(operation: str, summary: str, output: Any) -> Any:
    return extend_schema(
        operation_id=operation,
        summary=summary,
        parameters=[IF_NONE_MATCH, ETAG],
        responses=answers({200: output, 304: NOT_MODIFIED}, 404),
    )


def changes(operation: str, summary: str, request: Any, output: Any, description: str = "") -> Any:
    return extend_schema(
        operation_id=operation,
        summary=summary,
        description=description or None,
        request=request,
        parameters=[IF_MATCH, ETAG],
        responses=answers({200: output, 412: conflict(output, _name(output))}, 400, 403, 404, 428),
    )


def replaces(operation: str, summary: str, request: Any, output: Any) -> Any:
    return changes(
        operation, summary, request, output, "Every field is set: those left out take their defaults."
    )


def deletes(operation: str, summary: str, output: Any) -> Any:
    return extend_schema(
        operation_id=operation,
        summary=summary,
        parameters=[IF_MATCH],
        responses=answers({204: None, 412: conflict(output, _name(output))}, 403, 404, 428),
    )


# The protocol every handler follows -----------------------------------------------------------------------


class WorkspacePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def member_project(request: Request, org_slug: str, project_id: int) -> tuple[Membership, Project]:
    """The member's project: 404 when either is not theirs to see."""
    membership = organisation_membership(request, org_slug)
    return membership, workspace_selectors.project_of(membership, project_id)


def editable_project(request: Request, org_slug: str, project_id: int) -> tuple[Membership, Project]:
    """As member_project, and 403 unless the member may change the project."""
    membership, project = member_project(request, org_slug, project_id)
    workspace_services.require_edit(membership, project)
    return membership, project


def one[M: Model](queryset: QuerySet[M], what: str, **lookup: object) -> M:
    found = queryset.filter(**lookup).first()
    if found is None:
        raise Http404(f"No such {what}.")
    return found


class WorkspaceApiView(JsonApiView):
    pagination_class = WorkspacePagination
    OutputSerializer: type[serializers.Serializer]

    def show(self, request: Request, obj: Versioned, code: int = status.HTTP_200_OK) -> Response:
        tag = etag(obj)
        if code == status.HTTP_200_OK and not_modified(request, tag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
        return Response(self.OutputSerializer(obj).data, status=code, headers={"ETag": tag})

    def paginated(
        self,
        request: Request,
        queryset: QuerySet[Any] | Sequence[Any],
        serializer_class: type[serializers.Serializer],
    ) -> Response:
        """A page of the list, with its weak ETag; 304 while If-None-Match holds that tag."""
        page = super().paginated(request, queryset, serializer_class).data
        return tagged(request, page, list_etag(request, page))

    def valid(self, request: Request, serializer_class: type[serializers.Serializer], **context: Any) -> Any:
        """The validated body; PATCH may leave fields out, PUT and POST take defaults for them.

        A change (PUT, PATCH) must say which version it is based on before its body is looked at: 428."""
        if request.method in ("PUT", "PATCH"):
            require_if_match(request)
        partial = request.method == "PATCH"
        serializer = serializer_class(data=request.data, partial=partial, context=context)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def guarded(
        self,
        request: Request,
        obj: Versioned,
        current: Callable[[], Versioned],
        change: Callable[[int], object],
    ) -> None:
        """Run `change` against the version If-Match names: 428 without one, 412 when it is not current."""
        version = if_match_version(request, obj)
        try:
            if version is None:
                raise EditConflict(obj)
            change(version)
        except EditConflict as error:
            if error.current is None:
                raise exceptions.NotFound("Someone else deleted this.") from None
            now = current()
            raise PreconditionFailed(self.OutputSerializer(now).data, etag(now)) from None

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, PreconditionFailed):
            response.data["current"] = exc.current
            response["ETag"] = exc.current_etag
        if isinstance(exc, BulkPreconditionFailed):
            response.data["stale"] = exc.stale
        return response


def _context(membership: Membership, project: Project) -> dict[str, Any]:
    return {"membership": membership, "project": project, "organisation": membership.organisation}


# Projects -------------------------------------------------------------------------------------------------


def _project(membership: Membership, project_id: int) -> Project:
    return one(workspace_selectors.projects_of(membership), "project", pk=project_id)


@extend_schema(tags=["projects"], parameters=[ORG_SLUG])
class ProjectListApi(WorkspaceApiView):
    OutputSerializer = ProjectOutput

    @lists("project_list", "The organisation's projects", ProjectOutput, PROJECT_FILTERS)
    def get(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug)
        filters = ProjectFilters.from_query(request.query_params)
        return self.paginated(request, workspace_selectors.projects_of(membership, filters), ProjectOutput)

    @creates("project_create", "Create a project", ProjectInput, ProjectOutput)
    def post(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug, Permission.EDIT_TEAM_PROJECTS)
        fields = self.valid(request, ProjectInput, organisation=membership.organisation)
        project = workspace_services.project_create(membership=membership, **fields)
        return self.show(request, _project(membership, project.pk), status.HTTP_201_CREATED)


@extend_schema(tags=["projects"], parameters=[ORG_SLUG, PROJECT_ID])
class ProjectDetailApi(WorkspaceApiView):
    OutputSerializer = ProjectOutput

    @retrieves("project_retrieve", "A project", ProjectOutput)
    def get(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership = organisation_membership(request, org_slug)
        return self.show(request, _project(membership, project_id))

    @replaces("project_replace", "Replace a project", ProjectInput, ProjectOutput)
    def put(self, request: Request, org_slug: str, project_id: int) -> Response:
        return self.change(request, org_slug, project_id)

    @changes("project_update", "Change a project", ProjectInput, ProjectOutput)
    def patch(self, request: Request, org_slug: str, project_id: int) -> Response:
        return self.change(request, org_slug, project_id)

    @deletes("project_delete", "Delete a project and everything in it", ProjectOutput)
    def delete(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        self.guarded(
            request,
            project,
            lambda: _project(membership, project_id),
            lambda version: workspace_services.project_delete(
                membership=membership, project=project, version=version
            ),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def change(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        fields = self.valid(request, ProjectInput, organisation=membership.organisation, project=project)
        self.guarded(
            request,
            project,
            lambda: _project(membership, project_id),
            lambda version: workspace_services.project_update(
                membership=membership, project=project, version=version, **fields
            ),
        )
        return self.show(request, _project(membership, project_id))


# Trust zones ----------------------------------------------------------------------------------------------


def _zone(project: Project, zone_id: int) -> TrustZone:
    return one(workspace_selectors.zones_of(project), "trust zone", pk=zone_id)


@extend_schema(tags=["trust zones"], parameters=[ORG_SLUG, PROJECT_ID])
class ZoneListApi(WorkspaceApiView):
    OutputSerializer = TrustZoneOutput

    @lists("zone_list", "The project's trust zones", TrustZoneOutput)
    def get(self, request: Request, org_slug: str, project_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        return self.paginated(request, workspace_selectors.zones_of(project), TrustZoneOutput)

    @creates("zone_create", "Add a trust zone", ZoneInput, TrustZoneOutput)
    def post(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        fields = self.valid(request, ZoneInput, **_context(membership, project))
        zone = workspace_services.zone_create(membership=membership, project=project, **fields)
        return self.show(request, _zone(project, zone.pk), status.HTTP_201_CREATED)


@extend_schema(tags=["trust zones"], parameters=[ORG_SLUG, PROJECT_ID, ZONE_ID])
class ZoneDetailApi(WorkspaceApiView):
    OutputSerializer = TrustZoneOutput

    @retrieves("zone_retrieve", "A trust zone", TrustZoneOutput)
    def get(self, request: Request, org_slug: str, project_id: int, zone_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        return self.show(request, _zone(project, zone_id))

    @replaces("zone_replace", "Replace a trust zone", ZoneInput, TrustZoneOutput)
    def put(self, request: Request, org_slug: str, project_id: int, zone_id: int) -> Response:
        return self.change(request, org_slug, project_id, zone_id)

    @changes("zone_update", "Change a trust zone", ZoneInput, TrustZoneOutput)
    def patch(self, request: Request, org_slug: str, project_id: int, zone_id: int) -> Response:
        return self.change(request, org_slug, project_id, zone_id)

    @deletes("zone_delete", "Delete a trust zone (its components stay, outside any zone)", TrustZoneOutput)
    def delete(self, request: Request, org_slug: str, project_id: int, zone_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        zone = workspace_selectors.zone_of(project, zone_id)
        self.guarded(
            request,
            zone,
            lambda: _zone(project, zone_id),
            lambda version: workspace_services.zone_delete(membership=membership, zone=zone, version=version),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def change(self, request: Request, org_slug: str, project_id: int, zone_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        zone = workspace_selectors.zone_of(project, zone_id)
        fields = self.valid(request, ZoneInput, **_context(membership, project))
        self.guarded(
            request,
            zone,
            lambda: _zone(project, zone_id),
            lambda version: workspace_services.zone_update(
                membership=membership, zone=zone, version=version, **fields
            ),
        )
        return self.show(request, _zone(project, zone_id))


# Assets ---------------------------------------------------------------------------------------------------


def _asset(project: Project, asset_id: int) -> Asset:
    return one(workspace_selectors.assets_of(project), "asset", pk=asset_id)


@extend_schema(tags=["assets"], parameters=[ORG_SLUG, PROJECT_ID])
class AssetListApi(WorkspaceApiView):
    OutputSerializer = AssetOutput

    @lists("asset_list", "The project's assets", AssetOutput)
    def get(self, request: Request, org_slug: str, project_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        return self.paginated(request, workspace_selectors.assets_of(project), AssetOutput)

    @creates("asset_create", "Add an asset", AssetInput, AssetOutput)
    def post(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        fields = self.valid(request, AssetInput, **_context(membership, project))
        asset = workspace_services.asset_create(membership=membership, project=project, **fields)
        return self.show(request, _asset(project, asset.pk), status.HTTP_201_CREATED)


@extend_schema(tags=["assets"], parameters=[ORG_SLUG, PROJECT_ID, ASSET_ID])
class AssetDetailApi(WorkspaceApiView):
    OutputSerializer = AssetOutput

    @retrieves("asset_retrieve", "An asset", AssetOutput)
    def get(self, request: Request, org_slug: str, project_id: int, asset_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        return self.show(request, _asset(project, asset_id))

    @replaces("asset_replace", "Replace an asset", AssetInput, AssetOutput)
    def put(self, request: Request, org_slug: str, project_id: int, asset_id: int) -> Response:
        return self.change(request, org_slug, project_id, asset_id)

    @changes("asset_update", "Change an asset", AssetInput, AssetOutput)
    def patch(self, request: Request, org_slug: str, project_id: int, asset_id: int) -> Response:
        return self.change(request, org_slug, project_id, asset_id)

    @deletes("asset_delete", "Delete an asset", AssetOutput)
    def delete(self, request: Request, org_slug: str, project_id: int, asset_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        asset = workspace_selectors.asset_of(project, asset_id)
        self.guarded(
            request,
            asset,
            lambda: _asset(project, asset_id),
            lambda version: workspace_services.asset_delete(
                membership=membership, asset=asset, version=version
            ),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def change(self, request: Request, org_slug: str, project_id: int, asset_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        asset = workspace_selectors.asset_of(project, asset_id)
        fields = self.valid(request, AssetInput, **_context(membership, project))
        self.guarded(
            request,
            asset,
            lambda: _asset(project, asset_id),
            lambda version: workspace_services.asset_update(
                membership=membership, asset=asset, version=version, **fields
            ),
        )
        return self.show(request, _asset(project, asset_id))


# Components -----------------------------------------------------------------------------------------------


def _component(project: Project, component_id: int) -> Component:
    return one(workspace_selectors.components_of(project), "component", pk=component_id)


@extend_schema(tags=["components"], parameters=[ORG_SLUG, PROJECT_ID])
class ComponentListApi(WorkspaceApiView):
    OutputSerializer = ComponentOutput

    @lists("component_list", "The project's components", ComponentOutput)
    def get(self, request: Request, org_slug: str, project_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        return self.paginated(request, workspace_selectors.components_of(project), ComponentOutput)

    @creates("component_create", "Add a component", ComponentInput, ComponentOutput)
    def post(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        fields = self.valid(request, ComponentInput, **_context(membership, project))
        component = workspace_services.component_create(membership=membership, project=project, **fields)
        return self.show(request, _component(project, component.pk), status.HTTP_201_CREATED)


@extend_schema(tags=["components"], parameters=[ORG_SLUG, PROJECT_ID, COMPONENT_ID])
class ComponentDetailApi(WorkspaceApiView):
    OutputSerializer = ComponentOutput

    @retrieves("component_retrieve", "A component", ComponentOutput)
    def get(self, request: Request, org_slug: str, project_id: int, component_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        return self.show(request, _component(project, component_id))

    @replaces("component_replace", "Replace a component", ComponentInput, ComponentOutput)
    def put(self, request: Request, org_slug: str, project_id: int, component_id: int) -> Response:
        return self.change(request, org_slug, project_id, component_id)

    @changes("component_update", "Change a component", ComponentInput, ComponentOutput)
    def patch(self, request: Request, org_slug: str, project_id: int, component_id: int) -> Response:
        return self.change(request, org_slug, project_id, component_id)

    @deletes("component_delete", "Delete a component and its data flows", ComponentOutput)
    def delete(self, request: Request, org_slug: str, project_id: int, component_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        component = workspace_selectors.component_of(project, component_id)
        self.guarded(
            request,
            component,
            lambda: _component(project, component_id),
            lambda version: workspace_services.component_delete(
                membership=membership, component=component, version=version
            ),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def change(self, request: Request, org_slug: str, project_id: int, component_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        component = workspace_selectors.component_of(project, component_id)
        fields = self.valid(request, ComponentInput, **_context(membership, project))
        self.guarded(
            request,
            component,
            lambda: _component(project, component_id),
            lambda version: workspace_services.component_update(
                membership=membership, component=component, version=version, **fields
            ),
        )
        return self.show(request, _component(project, component_id))


# Data flows -----------------------------------------------------------------------------------------------


def _flow(project: Project, flow_id: int) -> DataFlow:
    return one(workspace_selectors.flows_of(project), "data flow", pk=flow_id)


@extend_schema(tags=["data flows"], parameters=[ORG_SLUG, PROJECT_ID])
class FlowListApi(WorkspaceApiView):
    OutputSerializer = DataFlowOutput

    @lists("flow_list", "The project's data flows", DataFlowOutput)
    def get(self, request: Request, org_slug: str, project_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        return self.paginated(request, workspace_selectors.flows_of(project), DataFlowOutput)

    @creates(
        "flow_create", "Add a data flow between two components of the project", FlowInput, DataFlowOutput
    )
    def post(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        fields = self.valid(request, FlowInput, **_context(membership, project))
        flow = workspace_services.flow_create(membership=membership, project=project, **fields)
        return self.show(request, _flow(project, flow.pk), status.HTTP_201_CREATED)


@extend_schema(tags=["data flows"], parameters=[ORG_SLUG, PROJECT_ID, FLOW_ID])
class FlowDetailApi(WorkspaceApiView):
    OutputSerializer = DataFlowOutput

    @retrieves("flow_retrieve", "A data flow", DataFlowOutput)
    def get(self, request: Request, org_slug: str, project_id: int, flow_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        return self.show(request, _flow(project, flow_id))

    @replaces("flow_replace", "Replace a data flow", FlowInput, DataFlowOutput)
    def put(self, request: Request, org_slug: str, project_id: int, flow_id: int) -> Response:
        return self.change(request, org_slug, project_id, flow_id)

    @changes("flow_update", "Change a data flow", FlowInput, DataFlowOutput)
    def patch(self, request: Request, org_slug: str, project_id: int, flow_id: int) -> Response:
        return self.change(request, org_slug, project_id, flow_id)

    @deletes("flow_delete", "Delete a data flow", DataFlowOutput)
    def delete(self, request: Request, org_slug: str, project_id: int, flow_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        flow = workspace_selectors.flow_of(project, flow_id)
        self.guarded(
            request,
            flow,
            lambda: _flow(project, flow_id),
            lambda version: workspace_services.flow_delete(membership=membership, flow=flow, version=version),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def change(self, request: Request, org_slug: str, project_id: int, flow_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        flow = workspace_selectors.flow_of(project, flow_id)
        fields = self.valid(request, FlowInput, **_context(membership, project))
        self.guarded(
            request,
            flow,
            lambda: _flow(project, flow_id),
            lambda version: workspace_services.flow_update(
                membership=membership, flow=flow, version=version, **fields
            ),
        )
        return self.show(request, _flow(project, flow_id))


# Threats --------------------------------------------------------------------------------------------------


def _threats(project: Project, filters: ThreatFilters | None = None) -> QuerySet[Threat]:
    """The project's threats as the API shows them, with the numbers of their business risks."""
    return workspace_selectors.threats_of(project, filters).prefetch_related("business_risks")


def _threat(project: Project, number: int) -> Threat:
    return one(_threats(project), "threat", number=number)


def _threat_fields(fields: dict[str, Any]) -> tuple[dict[str, Any], ThreatLinks]:
    """The threat's own fields, and its many-valued parts (those left out stay as they are)."""
    links = ThreatLinks(**{name: fields.pop(name) for name in THREAT_LINK_FIELDS if name in fields})
    return fields, links


@extend_schema(tags=["threats"], parameters=[ORG_SLUG, PROJECT_ID])
class ThreatListApi(WorkspaceApiView):
    OutputSerializer = ThreatOutput

    @lists("threat_list", "The project's threats", ThreatOutput, THREAT_FILTERS)
    def get(self, request: Request, org_slug: str, project_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        filters = ThreatFilters.from_query(request.query_params)
        return self.paginated(request, _threats(project, filters), ThreatOutput)

    @creates("threat_create", "Log a threat", ThreatInput, ThreatOutput)
    def post(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        fields, links = _threat_fields(self.valid(request, ThreatInput, **_context(membership, project)))
        threat = workspace_services.threat_create(
            membership=membership, project=project, links=links, **fields
        )
        return self.show(request, _threat(project, threat.number), status.HTTP_201_CREATED)


@extend_schema(tags=["threats"], parameters=[ORG_SLUG, PROJECT_ID])
class ThreatBulkStatusApi(WorkspaceApiView):
    @bulk_changes(
        "threat_bulk_status",
        "Set the status of several threats",
        ThreatBulkInput,
        ThreatOutput,
        ThreatStaleOutput,
    )
    def post(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        fields = self.valid(request, ThreatBulkInput, **_context(membership, project))
        try:
            threats = workspace_services.threats_set_status(
                membership=membership,
                project=project,
                seen=fields["items"],
                status=fields["status"],
                reason=fields["status_reason"],
            )
        except StaleObjects as error:
            raise BulkPreconditionFailed(error, "number") from None
        rows = _threats(project).filter(pk__in=[threat.pk for threat in threats])
        return Response(ThreatOutput(rows, many=True).data)


@extend_schema(tags=["threats"], parameters=[ORG_SLUG, PROJECT_ID, THREAT_NUMBER])
class ThreatDetailApi(WorkspaceApiView):
    OutputSerializer = ThreatOutput

    @retrieves("threat_retrieve", "A threat", ThreatOutput)
    def get(self, request: Request, org_slug: str, project_id: int, threat_number: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        return self.show(request, _threat(project, threat_number))

    @replaces("threat_replace", "Replace a threat", ThreatInput, ThreatOutput)
    def put(self, request: Request, org_slug: str, project_id: int, threat_number: int) -> Response:
        return self.change(request, org_slug, project_id, threat_number)

    @changes("threat_update", "Change a threat", ThreatInput, ThreatOutput)
    def patch(self, request: Request, org_slug: str, project_id: int, threat_number: int) -> Response:
        return self.change(request, org_slug, project_id, threat_number)

    @deletes("threat_delete", "Delete a threat (its number is not used again)", ThreatOutput)
    def delete(self, request: Request, org_slug: str, project_id: int, threat_number: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        threat = workspace_selectors.threat_of(project, threat_number)
        self.guarded(
            request,
            threat,
            lambda: _threat(project, threat_number),
            lambda version: workspace_services.threat_delete(
                membership=membership, threat=threat, version=version
            ),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def change(self, request: Request, org_slug: str, project_id: int, threat_number: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        threat = workspace_selectors.threat_of(project, threat_number)
        fields, links = _threat_fields(self.valid(request, ThreatInput, **_context(membership, project)))
        self.guarded(
            request,
            threat,
            lambda: _threat(project, threat_number),
            lambda version: workspace_services.threat_update(
                membership=membership, threat=threat, version=version, links=links, **fields
            ),
        )
        return self.show(request, _threat(project, threat_number))


# The threat library ---------------------------------------------------------------------------------------


def _created(project: Project, threats: Iterable[Threat]) -> list[Threat]:
    return list(_threats(project).filter(pk__in=[threat.pk for threat in threats]))


@extend_schema(tags=["threat library"], parameters=[ORG_SLUG, PROJECT_ID, COMPONENT_ID])
class ComponentLibraryApi(WorkspaceApiView):
    @lists(
        "component_library_list",
        "Library threats that apply to a component and are not on it yet",
        LibraryEntryOutput,
    )
    def get(self, request: Request, org_slug: str, project_id: int, component_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        component = workspace_selectors.component_of(project, component_id)
        suggestions = workspace_selectors.library_suggestions(project, component=component)
        return self.paginated(request, suggestions, LibraryEntryOutput)

    @extend_schema(
        operation_id="component_library_create",
        summary="Log library threats against a component, or mark them not applicable",
        request=LibraryInput,
        responses=answers({201: ThreatOutput(many=True)}, 400, 403, 404),
    )
    def post(self, request: Request, org_slug: str, project_id: int, component_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        component = workspace_selectors.component_of(project, component_id)
        review = workspace_services.library_suggestions_apply(
            membership=membership, project=project, component=component, **self.valid(request, LibraryInput)
        )
        written = [*review.created, *review.not_applicable]
        return Response(ThreatOutput(_created(project, written), many=True).data, status.HTTP_201_CREATED)


@extend_schema(tags=["threat library"], parameters=[ORG_SLUG, PROJECT_ID, FLOW_ID])
class FlowLibraryApi(WorkspaceApiView):
    @lists(
        "flow_library_list",
        "Library threats that apply to a data flow and are not on it yet",
        LibraryEntryOutput,
    )
    def get(self, request: Request, org_slug: str, project_id: int, flow_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        flow = workspace_selectors.flow_of(project, flow_id)
        suggestions = workspace_selectors.library_suggestions(project, flow=flow)
        return self.paginated(request, suggestions, LibraryEntryOutput)

    @extend_schema(
        operation_id="flow_library_create",
        summary="Log library threats against a data flow, or mark them not applicable",
        request=LibraryInput,
        responses=answers({201: ThreatOutput(many=True)}, 400, 403, 404),
    )
    def post(self, request: Request, org_slug: str, project_id: int, flow_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        flow = workspace_selectors.flow_of(project, flow_id)
        review = workspace_services.library_suggestions_apply(
            membership=membership, project=project, flow=flow, **self.valid(request, LibraryInput)
        )
        written = [*review.created, *review.not_applicable]
        return Response(ThreatOutput(_created(project, written), many=True).data, status.HTTP_201_CREATED)


# Controls -------------------------------------------------------------------------------------------------


def _control(project: Project, control_id: int) -> Control:
    return one(workspace_selectors.controls_of(project), "control", pk=control_id)


@extend_schema(tags=["controls"], parameters=[ORG_SLUG, PROJECT_ID])
class ControlListApi(WorkspaceApiView):
    OutputSerializer = ControlOutput

    @lists("control_list", "The project's controls", ControlOutput, CONTROL_FILTERS)
    def get(self, request: Request, org_slug: str, project_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        filters = ControlFilters.from_query(request.query_params)
        return self.paginated(request, workspace_selectors.controls_of(project, filters), ControlOutput)

    @creates("control_create", "Add a control", ControlInput, ControlOutput)
    def post(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        fields = self.valid(request, ControlInput, **_context(membership, project))
        control = workspace_services.control_create(membership=membership, project=project, **fields)
        return self.show(request, _control(project, control.pk), status.HTTP_201_CREATED)


@extend_schema(tags=["controls"], parameters=[ORG_SLUG, PROJECT_ID])
class ControlBulkStatusApi(WorkspaceApiView):
    @bulk_changes(
        "control_bulk_status",
        "Set the status of several controls",
        ControlBulkInput,
        ControlOutput,
        ControlStaleOutput,
    )
    def post(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        fields = self.valid(request, ControlBulkInput, **_context(membership, project))
        try:
            controls = workspace_services.controls_set_status(
                membership=membership, project=project, seen=fields["items"], status=fields["status"]
            )
        except StaleObjects as error:
            raise BulkPreconditionFailed(error, "id") from None
        rows = workspace_selectors.controls_of(project).filter(pk__in=[control.pk for control in controls])
        return Response(ControlOutput(rows, many=True).data)


@extend_schema(tags=["controls"], parameters=[ORG_SLUG, PROJECT_ID, CONTROL_ID])
class ControlDetailApi(WorkspaceApiView):
    OutputSerializer = ControlOutput

    @retrieves("control_retrieve", "A control", ControlOutput)
    def get(self, request: Request, org_slug: str, project_id: int, control_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        return self.show(request, _control(project, control_id))

    @replaces("control_replace", "Replace a control", ControlInput, ControlOutput)
    def put(self, request: Request, org_slug: str, project_id: int, control_id: int) -> Response:
        return self.change(request, org_slug, project_id, control_id)

    @changes("control_update", "Change a control", ControlInput, ControlOutput)
    def patch(self, request: Request, org_slug: str, project_id: int, control_id: int) -> Response:
        return self.change(request, org_slug, project_id, control_id)

    @deletes("control_delete", "Delete a control and its links to threats", ControlOutput)
    def delete(self, request: Request, org_slug: str, project_id: int, control_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        control = workspace_selectors.control_of(project, control_id)
        self.guarded(
            request,
            control,
            lambda: _control(project, control_id),
            lambda version: workspace_services.control_delete(
                membership=membership, control=control, version=version
            ),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def change(self, request: Request, org_slug: str, project_id: int, control_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        control = workspace_selectors.control_of(project, control_id)
        fields = self.valid(request, ControlInput, **_context(membership, project))
        self.guarded(
            request,
            control,
            lambda: _control(project, control_id),
            lambda version: workspace_services.control_update(
                membership=membership, control=control, version=version, **fields
            ),
        )
        return self.show(request, _control(project, control_id))


# Threat-control links -------------------------------------------------------------------------------------


def _link(project: Project, link_id: int) -> ThreatControl:
    return one(workspace_selectors.links_of(project), "control link", pk=link_id)


@extend_schema(tags=["controls"], parameters=[ORG_SLUG, PROJECT_ID])
class LinkListApi(WorkspaceApiView):
    OutputSerializer = ControlLinkOutput

    @lists("link_list", "The project's threat-control links", ControlLinkOutput)
    def get(self, request: Request, org_slug: str, project_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        return self.paginated(request, workspace_selectors.links_of(project), ControlLinkOutput)

    @creates("link_create", "Apply a control to a threat", LinkCreateInput, ControlLinkOutput)
    def post(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        fields = self.valid(request, LinkCreateInput, **_context(membership, project))
        link = workspace_services.control_link(membership=membership, **fields)
        return self.show(request, _link(project, link.pk), status.HTTP_201_CREATED)


@extend_schema(tags=["controls"], parameters=[ORG_SLUG, PROJECT_ID, LINK_ID])
class LinkDetailApi(WorkspaceApiView):
    OutputSerializer = ControlLinkOutput

    @retrieves("link_retrieve", "A threat-control link", ControlLinkOutput)
    def get(self, request: Request, org_slug: str, project_id: int, link_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        return self.show(request, _link(project, link_id))

    @replaces("link_replace", "Set a link's effectiveness", LinkInput, ControlLinkOutput)
    def put(self, request: Request, org_slug: str, project_id: int, link_id: int) -> Response:
        return self.change(request, org_slug, project_id, link_id)

    @changes("link_update", "Change a link's effectiveness", LinkInput, ControlLinkOutput)
    def patch(self, request: Request, org_slug: str, project_id: int, link_id: int) -> Response:
        return self.change(request, org_slug, project_id, link_id)

    @deletes("link_delete", "Take a control off a threat", ControlLinkOutput)
    def delete(self, request: Request, org_slug: str, project_id: int, link_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        link = workspace_selectors.link_of(project, link_id)
        self.guarded(
            request,
            link,
            lambda: _link(project, link_id),
            lambda version: workspace_services.control_unlink(
                membership=membership, link=link, version=version
            ),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def change(self, request: Request, org_slug: str, project_id: int, link_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        link = workspace_selectors.link_of(project, link_id)
        fields = {"effectiveness": link.effectiveness, **self.valid(request, LinkInput)}
        self.guarded(
            request,
            link,
            lambda: _link(project, link_id),
            lambda version: workspace_services.control_link_update(
                membership=membership, link=link, version=version, **fields
            ),
        )
        return self.show(request, _link(project, link_id))
