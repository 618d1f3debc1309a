import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import ClassVar

import pghistory
from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from projects.one_line import validate_one_line
from projects.roles import Permission, Role, role_allows

INVITATION_LIFETIME = timedelta(days=14)
TOKEN_PREFIX = "tm_"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        return self.create_user(email, password, is_staff=True, is_superuser=True, **fields)


class User(AbstractUser):
    """A person. Email is the login; which organisations they see comes from their memberships."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    # Part of the session hash: changing it ends every session of this user at once.
    session_stamp = models.UUIDField(default=uuid.uuid4)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()  # type: ignore[misc,assignment]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    def get_session_auth_hash(self) -> str:
        return hashlib.sha256(f"{super().get_session_auth_hash()}:{self.session_stamp}".encode()).hexdigest()


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def visible_to(self, user: "User") -> "OrganisationQuerySet":
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Organisation(models.Model):
    """The tenant: every row of tenant data hangs from one organisation."""

    # It heads the subject of every e-mail the organisation sends, so it stays on one line.
    name = models.CharField(max_length=200, validators=[validate_one_line])
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamQuerySet(models.QuerySet["Team"]):
    def visible_to(self, user: "User") -> "TeamQuerySet":
        if not user.is_authenticated:
            return self.none()
        return self.filter(organisation__memberships__user=user)


class Team(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="team_slug_unique_in_organisation"),
            models.UniqueConstraint(fields=["organisation", "name"], name="team_name_unique_in_organisation"),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def visible_to(self, user: "User") -> "MembershipQuerySet":
        if not user.is_authenticated:
            return self.none()
        return self.filter(organisation__memberships__user=user)


class Membership(models.Model):
    """A user's place in one organisation: their role and their teams."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    teams = models.ManyToManyField(Team, blank=True, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_organisation"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_known"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.get_role_display()})"

    def can(self, permission: Permission) -> bool:
        return role_allows(self.role, permission)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> "InvitationQuerySet":
        return self.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())


def _invitation_expiry() -> datetime:
    return timezone.now() + INVITATION_LIFETIME


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    teams = models.ManyToManyField(Team, blank=True, related_name="invitations")
    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=Q(accepted_at__isnull=True),
                name="one_open_invitation_per_email",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_known"),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organisation}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal access token. Only a hash of the secret is kept; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_PREFIX}{self.prefix}…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        # Tokens carry 256 bits of randomness, so a fast hash is enough; a slow one would tax every request.
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# The threat-model workspace: a project and what it is made of.
#
# Every row carries a version for optimistic concurrency: a write names the version it read and fails when
# the row has moved on (services.py). Database triggers (django-pghistory) record every insert, update and
# delete, so no bulk update or raw write escapes the history.


# Trackers are bound to the model they track, so each model gets its own instances.
def history_trackers() -> tuple[pghistory.Tracker, ...]:
    return (
        pghistory.InsertEvent("created"),
        pghistory.UpdateEvent("updated"),
        pghistory.DeleteEvent("deleted"),
    )


def _link_history() -> tuple[pghistory.Tracker, ...]:
    return (pghistory.InsertEvent("linked"), pghistory.DeleteEvent("unlinked"))


def feed_indexes(name: str, *columns: str, whole: bool = True) -> list[models.Index]:
    """The indexes the activity feeds (projects.activity) read an event table by: its events newest first within
    each of `columns` (the organisation or project a feed is scoped by, where the events carry it), and, when
    `whole`, over the whole table, for a feed that reaches them through the live row they hang from (a threat's
    project, a link's threat) and stops after a page."""
    indexes = [
        models.Index(fields=[column, "pgh_created_at", "pgh_id"], name=f"{name}_{column}_feed")
        for column in columns
    ]
    if whole:
        indexes.append(models.Index(fields=["pgh_created_at", "pgh_id"], name=f"{name}_feed"))
    return indexes


class Criticality(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class DataClassification(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal"
    CONFIDENTIAL = "confidential", "Confidential"
    RESTRICTED = "restricted", "Restricted"


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    IN_REVIEW = "in_review", "In review"
    ARCHIVED = "archived", "Archived"


class Versioned(models.Model):
    """A row saved only from the version its writer read (projects.writes.save_version). `etag_name` names its
    kind in the API's ETags, so If-Match works alike for every kind."""

    etag_name: ClassVar[str]
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ProjectQuerySet(models.QuerySet["Project"]):
    def visible_to(self, user: "User") -> "ProjectQuerySet":
        if not user.is_authenticated:
            return self.none()
        return self.filter(organisation__memberships__user=user)


@pghistory.track(
    *history_trackers(),
    meta={
        "indexes": [
            *feed_indexes("projectevent", "organisation", whole=False),
            # Each event's version and the one before it: the threat counter moves the row without a new
            # version, and the feeds leave those updates out by comparing the two.
            models.Index(fields=["pgh_obj", "pgh_id"], include=["version"], name="projectevent_versions"),
        ]
    },
)
class Project(Versioned):
    """One system being threat-modelled, owned by a team."""

    etag_name = "project"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="projects")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="projects")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=10_000)
    criticality = models.CharField(max_length=20, choices=Criticality.choices, default=Criticality.MEDIUM)
    data_classification = models.CharField(
        max_length=20, choices=DataClassification.choices, default=DataClassification.INTERNAL
    )
    # In review only while a model review waits, and reviewed on the day of its latest approval: only
    # projects.review_services moves a project into or out of review, and only an approval sets the day.
    status = models.CharField(max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT)
    last_reviewed_on = models.DateField(null=True, blank=True)
    # The last threat number handed out, so numbers are never reused even after a threat is deleted.
    threat_counter = models.PositiveIntegerField(default=0)
    # What an import found in its file and could not keep as parts of the model (projects.interop.services).
    notes = models.TextField(blank=True, max_length=100_000)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="project_name_unique_in_organisation",
                violation_error_code="name",
                violation_error_message="A project with this name already exists.",
            ),
            models.CheckConstraint(
                condition=Q(criticality__in=Criticality.values), name="project_criticality_known"
            ),
            models.CheckConstraint(
                condition=Q(data_classification__in=DataClassification.values),
                name="project_classification_known",
            ),
            models.CheckConstraint(condition=Q(status__in=ProjectStatus.values), name="project_status_known"),
        ]

    def __str__(self) -> str:
        return self.name


class ProjectPartQuerySet[M: models.Model](models.QuerySet[M]):
    def visible_to(self, user: "User") -> "ProjectPartQuerySet[M]":
        if not user.is_authenticated:
            return self.none()
        return self.filter(project__organisation__memberships__user=user)


class TrustLevel(models.IntegerChoices):
    UNTRUSTED = 0, "Untrusted"
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    FULL = 4, "Fully trusted"


@pghistory.track(*history_trackers(), meta={"indexes": feed_indexes("zoneevent", "project")})
class TrustZone(Versioned):
    """An area of equal trust. Flows between components of different zones cross a trust boundary."""

    etag_name = "zone"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(max_length=120)
    trust_level = models.PositiveSmallIntegerField(choices=TrustLevel.choices, default=TrustLevel.MEDIUM)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    description = models.TextField(blank=True, max_length=2_000)

    objects = ProjectPartQuerySet["TrustZone"].as_manager()

    class Meta:
        ordering = ["trust_level", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="zone_name_unique_in_project",
                violation_error_code="name",
                violation_error_message="A trust zone with this name already exists in this project.",
            ),
            models.CheckConstraint(
                condition=Q(trust_level__lte=TrustLevel.FULL), name="zone_trust_level_known"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")),
                name="zone_not_its_own_parent",
                violation_error_code="parent",
                violation_error_message="A zone cannot sit inside itself.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AssetKind(models.TextChoices):
    DATA = "data", "Data set"
    SERVICE = "service", "Service"
    CREDENTIAL = "credential", "Credential or key"
    OTHER = "other", "Other"


class Rating(models.IntegerChoices):
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"


@pghistory.track(*history_trackers(), meta={"indexes": feed_indexes("assetevent", "project")})
class Asset(Versioned):
    """Something of value the system holds or provides, rated for confidentiality, integrity, availability."""

    etag_name = "asset"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assets")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=AssetKind.choices, default=AssetKind.DATA)
    description = models.TextField(blank=True, max_length=2_000)
    classification = models.CharField(
        max_length=20, choices=DataClassification.choices, default=DataClassification.INTERNAL
    )
    confidentiality = models.PositiveSmallIntegerField(choices=Rating.choices, default=Rating.MEDIUM)
    integrity = models.PositiveSmallIntegerField(choices=Rating.choices, default=Rating.MEDIUM)
    availability = models.PositiveSmallIntegerField(choices=Rating.choices, default=Rating.MEDIUM)

    objects = ProjectPartQuerySet["Asset"].as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="asset_name_unique_in_project",
                violation_error_code="name",
                violation_error_message="An asset with this name already exists in this project.",
            ),
            models.CheckConstraint(condition=Q(kind__in=AssetKind.values), name="asset_kind_known"),
            models.CheckConstraint(
                condition=Q(classification__in=DataClassification.values), name="asset_classification_known"
            ),
            models.CheckConstraint(
                condition=Q(
                    confidentiality__range=(1, 4), integrity__range=(1, 4), availability__range=(1, 4)
                ),
                name="asset_ratings_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ComponentKind(models.TextChoices):
    ACTOR = "actor", "Actor"
    PROCESS = "process", "Process"
    DATA_STORE = "data_store", "Data store"
    EXTERNAL_SERVICE = "external_service", "External service"

    @property
    def plural(self) -> str:
        """The kind as a plural noun in running text: "processes", "data stores"."""
        label = str(self.label).lower()
        return f"{label}es" if label.endswith("s") else f"{label}s"


@pghistory.track(*history_trackers(), meta={"indexes": feed_indexes("componentevent", "project")})
class Component(Versioned):
    """An element of the system: an actor, a process, a data store or an external service."""

    etag_name = "component"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ComponentKind.choices)
    zone = models.ForeignKey(
        TrustZone, on_delete=models.SET_NULL, null=True, blank=True, related_name="components"
    )
    description = models.TextField(blank=True, max_length=5_000)
    technology = models.CharField(max_length=200, blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True, size=20)
    assets = models.ManyToManyField(Asset, blank=True, related_name="components", through="ComponentAsset")

    objects = ProjectPartQuerySet["Component"].as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="component_name_unique_in_project",
                violation_error_code="name",
                violation_error_message="A component with this name already exists in this project.",
            ),
            models.CheckConstraint(condition=Q(kind__in=ComponentKind.values), name="component_kind_known"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def kind_plural(self) -> str:
        return ComponentKind(self.kind).plural


class DataFlowQuerySet(ProjectPartQuerySet["DataFlow"]):
    def with_boundary(self) -> "DataFlowQuerySet":
        """Compute `crosses_boundary` in the query: the ends sit in different zones (a zoneless end counts as
        its own zone). Lists of flows use it rather than loading both ends' zones."""
        return self.annotate(
            boundary_crossed=models.ExpressionWrapper(
                ~Q(source__zone=models.F("destination__zone"))
                | Q(source__zone__isnull=True, destination__zone__isnull=False)
                | Q(source__zone__isnull=False, destination__zone__isnull=True),
                output_field=models.BooleanField(),
            )
        )


@pghistory.track(*history_trackers(), meta={"indexes": feed_indexes("flowevent", "project")})
class DataFlow(Versioned):
    """A directed flow of data between two components of the same project."""

    etag_name = "flow"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="flows")
    source = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="outgoing_flows")
    destination = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="incoming_flows")
    name = models.CharField(max_length=200)
    protocol = models.CharField(max_length=100, blank=True)
    data_carried = models.CharField(max_length=500, blank=True)
    is_encrypted = models.BooleanField("encrypted", default=False)
    is_authenticated = models.BooleanField("authenticated", default=False)
    assets = models.ManyToManyField(Asset, blank=True, related_name="flows", through="FlowAsset")

    objects = DataFlowQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=models.F("destination")),
                name="flow_ends_differ",
                violation_error_code="destination",
                violation_error_message="A flow goes between two different components.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def crosses_boundary(self) -> bool:
        """Whether the ends sit in different zones; DataFlowQuerySet.with_boundary() computes it in the query."""
        if "boundary_crossed" in self.__dict__:
            return bool(self.__dict__["boundary_crossed"])
        return self.source.zone_id != self.destination.zone_id


class Stride(models.TextChoices):
    SPOOFING = "S", "Spoofing"
    TAMPERING = "T", "Tampering"
    REPUDIATION = "R", "Repudiation"
    INFORMATION_DISCLOSURE = "I", "Information disclosure"
    DENIAL_OF_SERVICE = "D", "Denial of service"
    ELEVATION_OF_PRIVILEGE = "E", "Elevation of privilege"


class Goal(models.TextChoices):
    CONFIDENTIALITY = "confidentiality", "Confidentiality"
    INTEGRITY = "integrity", "Integrity"
    AVAILABILITY = "availability", "Availability"
    AUTHENTICITY = "authenticity", "Authenticity"
    NON_REPUDIATION = "non_repudiation", "Non-repudiation"
    AUTHORISATION = "authorisation", "Authorisation"


class ThreatStatus(models.TextChoices):
    IDENTIFIED = "identified", "Identified"
    IN_REVIEW = "in_review", "In review"
    CONFIRMED = "confirmed", "Confirmed"
    MITIGATED = "mitigated", "Mitigated"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected / not applicable"


# Statuses only a security lead sets (or an approved risk acceptance): they close a threat without a fix.
DECISION_STATUSES = frozenset({ThreatStatus.ACCEPTED, ThreatStatus.REJECTED})


class LikelihoodLevel(models.TextChoices):
    """The five qualitative levels of risks.scoring.levels.Level, as a threat's likelihood."""

    VERY_LOW = "very_low", "Very low"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    VERY_HIGH = "very_high", "Very high"


@pghistory.track(*history_trackers(), meta={"indexes": feed_indexes("threatevent", "project")})
class Threat(Versioned):
    """Something that can go wrong, written as a structured threat statement."""

    etag_name = "threat"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="threats")
    number = models.PositiveIntegerField()
    threat_source = models.CharField(max_length=200)
    prerequisites = models.CharField(max_length=500, blank=True)
    threat_action = models.CharField(max_length=500)
    threat_impact = models.CharField(max_length=500, blank=True)
    impacted_goals = ArrayField(
        models.CharField(max_length=20, choices=Goal.choices), default=list, blank=True
    )
    impacted_assets = models.ManyToManyField(Asset, blank=True, related_name="threats", through="ThreatAsset")
    stride = ArrayField(models.CharField(max_length=1, choices=Stride.choices), default=list, blank=True)
    target_components = models.ManyToManyField(
        Component, blank=True, related_name="threats", through="ThreatComponent"
    )
    target_flows = models.ManyToManyField(DataFlow, blank=True, related_name="threats", through="ThreatFlow")
    status = models.CharField(max_length=20, choices=ThreatStatus.choices, default=ThreatStatus.IDENTIFIED)
    status_reason = models.TextField(blank=True, max_length=2_000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_threats",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The threat-library entry this threat came from, so the library does not offer it again.
    library_key = models.CharField(max_length=100, blank=True)
    # How often it happens: a level, or a range of events per year (least, most likely, most). With a range,
    # the level is the one whose range holds the most likely value (risks.inputs keeps the two in step).
    likelihood = models.CharField(max_length=20, choices=LikelihoodLevel.choices, blank=True)
    frequency_min = models.FloatField("fewest events a year", null=True, blank=True)
    frequency_mode = models.FloatField("most likely events a year", null=True, blank=True)
    frequency_max = models.FloatField("most events a year", null=True, blank=True)

    objects = ProjectPartQuerySet["Threat"].as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="threat_number_unique_in_project"),
            models.CheckConstraint(condition=Q(status__in=ThreatStatus.values), name="threat_status_known"),
            models.CheckConstraint(
                condition=Q(stride__contained_by=Stride.values), name="threat_stride_letters_known"
            ),
            models.CheckConstraint(
                condition=Q(impacted_goals__contained_by=Goal.values), name="threat_goals_known"
            ),
            models.CheckConstraint(
                condition=Q(likelihood="") | Q(likelihood__in=LikelihoodLevel.values),
                name="threat_likelihood_known",
                violation_error_code="likelihood",
            ),
            models.CheckConstraint(
                condition=(
                    Q(frequency_min__isnull=True, frequency_mode__isnull=True, frequency_max__isnull=True)
                    | Q(
                        frequency_min__gte=0,
                        frequency_mode__gte=models.F("frequency_min"),
                        frequency_max__gte=models.F("frequency_mode"),
                        frequency_max__lte=1_000_000,
                    )
                ),
                name="threat_frequency_ordered",
                violation_error_code="frequency_mode",
                violation_error_message="Give the fewest, most likely and most events a year, in that order, "
                "from 0 up to a million (or none of them).",
            ),
            models.CheckConstraint(
                condition=~Q(status=ThreatStatus.REJECTED) | ~Q(status_reason=""),
                name="threat_rejection_has_reason",
                violation_error_code="status_reason",
                violation_error_message="Say why this threat is rejected or not applicable.",
            ),
        ]
        indexes = [
            # With created_at, the dashboards count a project's threats in review and those new since its last
            # review from the index alone (reports.dashboard, projects.attention).
            models.Index(fields=["project", "status"], include=["created_at"], name="threat_project_status")
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.statement}"

    @property
    def reference(self) -> str:
        return f"T-{self.number}"

    @property
    def statement(self) -> str:
        return threat_statement(
            threat_source=self.threat_source,
            prerequisites=self.prerequisites,
            threat_action=self.threat_action,
            threat_impact=self.threat_impact,
            impacted_goals=[Goal(goal).label.lower() for goal in self.impacted_goals],
            impacted_assets=[asset.name for asset in self.impacted_assets.all()],
        )


class ControlKind(models.TextChoices):
    PREVENTIVE = "preventive", "Preventive"
    DETECTIVE = "detective", "Detective"
    CORRECTIVE = "corrective", "Corrective"


class ControlStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    IMPLEMENTED = "implemented", "Implemented"
    VERIFIED = "verified", "Verified"


# Controls in these statuses reduce risk today; the others are plans.
IN_FORCE_STATUSES = frozenset({ControlStatus.IMPLEMENTED, ControlStatus.VERIFIED})


@pghistory.track(*history_trackers(), meta={"indexes": feed_indexes("controlevent", "project")})
class Control(Versioned):
    """A mitigation, linked to the threats it addresses, each link with its own effectiveness."""

    etag_name = "control"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="controls")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5_000)
    kind = models.CharField(max_length=20, choices=ControlKind.choices, default=ControlKind.PREVENTIVE)
    status = models.CharField(max_length=20, choices=ControlStatus.choices, default=ControlStatus.PROPOSED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_controls",
    )
    due_on = models.DateField(null=True, blank=True)
    cost_per_year = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    effort_days = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    ticket_url = models.URLField(max_length=500, blank=True)
    threats = models.ManyToManyField(Threat, through="ThreatControl", related_name="controls")

    objects = ProjectPartQuerySet["Control"].as_manager()

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ControlKind.values), name="control_kind_known"),
            models.CheckConstraint(condition=Q(status__in=ControlStatus.values), name="control_status_known"),
            models.CheckConstraint(
                condition=Q(cost_per_year__isnull=True) | Q(cost_per_year__gte=0),
                name="control_cost_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(effort_days__isnull=True) | Q(effort_days__gte=0),
                name="control_effort_not_negative",
            ),
        ]
        indexes = [
            # The controls not yet in force, in due-date order, with their project: the dashboards list the
            # first overdue ones without sorting them all and count them from the index alone.
            models.Index(
                fields=["due_on"],
                include=["project"],
                condition=~Q(status__in=sorted(status.value for status in IN_FORCE_STATUSES)),
                name="control_not_in_force_by_due",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ThreatControlQuerySet(models.QuerySet["ThreatControl"]):
    def visible_to(self, user: "User") -> "ThreatControlQuerySet":
        if not user.is_authenticated:
            return self.none()
        return self.filter(control__project__organisation__memberships__user=user)


@pghistory.track(*history_trackers(), meta={"indexes": feed_indexes("threatcontrolevent")})
class ThreatControl(Versioned):
    """A control applied to a threat, and how much of the threat it stops (0-100 %)."""

    etag_name = "link"

    threat = models.ForeignKey(Threat, on_delete=models.CASCADE, related_name="control_links")
    control = models.ForeignKey(Control, on_delete=models.CASCADE, related_name="threat_links")
    effectiveness = models.PositiveSmallIntegerField(default=50, validators=[MaxValueValidator(100)])

    objects = ThreatControlQuerySet.as_manager()

    class Meta:
        ordering = ["threat__number", "control__title"]
        constraints = [
            models.UniqueConstraint(
                fields=["threat", "control"],
                name="one_link_per_threat_and_control",
                violation_error_code="threat",
                violation_error_message="This control is already linked to that threat.",
            ),
            models.CheckConstraint(
                condition=Q(effectiveness__lte=100),
                name="effectiveness_is_a_percentage",
                violation_error_code="effectiveness",
                violation_error_message="Effectiveness is a percentage from 0 to 100.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.control} on {self.threat.reference} ({self.effectiveness} %)"


# The plain links between parts of a model. They are models of their own so the triggers can record them:
# who linked which asset or target, and when.


@pghistory.track(*_link_history(), meta={"indexes": feed_indexes("componentassetevent")})
class ComponentAsset(models.Model):
    component = models.ForeignKey(Component, on_delete=models.CASCADE)
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["component", "asset"], name="component_asset_once")]

    def __str__(self) -> str:
        return f"{self.component_id} - {self.asset_id}"


@pghistory.track(*_link_history(), meta={"indexes": feed_indexes("flowassetevent")})
class FlowAsset(models.Model):
    flow = models.ForeignKey(DataFlow, on_delete=models.CASCADE)
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["flow", "asset"], name="flow_asset_once")]

    def __str__(self) -> str:
        return f"{self.flow_id} - {self.asset_id}"


@pghistory.track(*_link_history(), meta={"indexes": feed_indexes("threatassetevent")})
class ThreatAsset(models.Model):
    threat = models.ForeignKey(Threat, on_delete=models.CASCADE)
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["threat", "asset"], name="threat_asset_once")]

    def __str__(self) -> str:
        return f"{self.threat_id} - {self.asset_id}"


@pghistory.track(*_link_history(), meta={"indexes": feed_indexes("threatcomponentevent")})
class ThreatComponent(models.Model):
    threat = models.ForeignKey(Threat, on_delete=models.CASCADE)
    component = models.ForeignKey(Component, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["threat", "component"], name="threat_component_once")]

    def __str__(self) -> str:
        return f"{self.threat_id} - {self.component_id}"


@pghistory.track(*_link_history(), meta={"indexes": feed_indexes("threatflowevent")})
class ThreatFlow(models.Model):
    threat = models.ForeignKey(Threat, on_delete=models.CASCADE)
    flow = models.ForeignKey(DataFlow, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["threat", "flow"], name="threat_flow_once")]

    def __str__(self) -> str:
        return f"{self.threat_id} - {self.flow_id}"


def threat_statement(
    *,
    threat_source: str,
    prerequisites: str = "",
    threat_action: str,
    threat_impact: str = "",
    impacted_goals: list[str] | tuple[str, ...] = (),
    impacted_assets: list[str] | tuple[str, ...] = (),
) -> str:
    """The one-sentence threat statement; clauses whose fields are empty are left out.

    "A [source] [prerequisites] can [action], which leads to [impact], resulting in reduced [goals] of
    [assets]."
    """
    source = threat_source.strip() or "threat source"
    words = [_with_article(source)]
    if prerequisites.strip():
        words.append(prerequisites.strip())
    words.append(f"can {threat_action.strip() or '…'}")
    sentence = " ".join(words)
    if threat_impact.strip():
        sentence += f", which leads to {threat_impact.strip()}"
    if impacted_goals:
        sentence += f", resulting in reduced {_join(impacted_goals)}"
        if impacted_assets:
            sentence += f" of {_join(impacted_assets)}"
    elif impacted_assets:
        sentence += f", affecting {_join(impacted_assets)}"
    return sentence if sentence.endswith("…") else sentence + "."


def indefinite_article(phrase: str) -> str:
    return "An" if phrase[:1].lower() in "aeiou" else "A"


# Words a source may already start with, which take no article before them.
DETERMINERS = frozenset({"a", "an", "the", "another", "any", "some", "every", "each", "our", "their", "your"})


def _with_article(source: str) -> str:
    """ "external attacker" reads "An external attacker"; a source typed with its own article keeps it, so
    "an external attacker" does not become "An an external attacker"."""
    if source.split(maxsplit=1)[0].casefold() in DETERMINERS:
        return source[:1].upper() + source[1:]
    return f"{indefinite_article(source)} {source}"


def _join(items: list[str] | tuple[str, ...]) -> str:
    items = [item for item in items if item]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


# Models kept in modules of their own (comments, notifications, reviews, webhooks), registered with the app here.
from projects.comment_models import *  # noqa: E402,F403
from projects.notification_models import *  # noqa: E402,F403
from projects.review_models import *  # noqa: E402,F403
from projects.webhook_models import *  # noqa: E402,F403
