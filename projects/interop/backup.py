"""Organisation backup and restore: everything an organisation owns as one versioned JSON document, and that
document restored as a new organisation, on this server or another (docs/backup-format.md is the format).

The document is built from the models' metadata, not from lists of fields: every concrete field of every table
in TABLES is written, so a field added to one of those models travels without a change here. Rows are numbered
within their table (the document-local `id`) and references name those numbers. A restore allocates new primary
keys and maps every reference through them, so no id in a file is trusted or kept; what the file says is
checked field by field as the models define it, and the whole restore is one transaction: a file refused at
its last row writes nothing.

Never written: the fields in NEVER_EXPORTED (secrets and privileges), the models in NOT_BACKED_UP (each with its
reason) and the history the triggers record; a person is written as an e-mail address and a name only.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models.functions import Lower
from django.db.models.sql import InsertQuery
from django.utils import timezone

from projects.comment_models import Comment
from projects.models import (
    Asset,
    Component,
    ComponentAsset,
    Control,
    DataFlow,
    FlowAsset,
    Membership,
    Organisation,
    Project,
    Team,
    Threat,
    ThreatAsset,
    ThreatComponent,
    ThreatControl,
    ThreatFlow,
    TrustZone,
    User,
)
from projects.notification_models import NotificationPreference
from projects.review_models import ModelReview, ThreatReview
from projects.roles import Role
from projects.webhook_models import WebhookEndpoint
from reports.models import ReportSchedule
from risks import changes, inputs
from risks.models import (
    BusinessRisk,
    PortfolioResult,
    RiskAcceptance,
    RiskResult,
    RiskSnapshot,
    Scenario,
    ScenarioResult,
    ScoringSettings,
)
from risks.selectors import StoredFigures

from .document import MAX_DEPTH, InvalidModelFile
from .loading import nested_too_deep

FORMAT = "threatmodel-organisation-backup"
VERSION = 1


class InvalidBackup(InvalidModelFile):
    """The document cannot be restored: the message names the problem, ``where`` the place in the document."""


@dataclass(frozen=True)
class Table:
    model: type[models.Model]
    path: str  # the lookup from a row to its organisation

    @property
    def label(self) -> str:
        return self.model._meta.label


# Everything an organisation owns, in dependency order: a row refers only to the organisation, to people and to
# rows of the tables above it (or of its own table, a zone to its parent). tests/test_org_backup.py fails for a
# model that reaches an organisation and is neither here nor in NOT_BACKED_UP.
TABLES: tuple[Table, ...] = (
    Table(Team, "organisation"),
    Table(Membership, "organisation"),
    Table(NotificationPreference, "membership__organisation"),
    Table(ScoringSettings, "organisation"),
    Table(Project, "organisation"),
    Table(TrustZone, "project__organisation"),
    Table(Asset, "project__organisation"),
    Table(Component, "project__organisation"),
    Table(DataFlow, "project__organisation"),
    Table(Threat, "project__organisation"),
    Table(Control, "project__organisation"),
    Table(ThreatControl, "control__project__organisation"),
    Table(ComponentAsset, "component__project__organisation"),
    Table(FlowAsset, "flow__project__organisation"),
    Table(ThreatAsset, "threat__project__organisation"),
    Table(ThreatComponent, "threat__project__organisation"),
    Table(ThreatFlow, "threat__project__organisation"),
    Table(ModelReview, "project__organisation"),
    Table(ThreatReview, "threat__project__organisation"),
    Table(BusinessRisk, "organisation"),
    Table(Scenario, "risk__organisation"),
    Table(RiskAcceptance, "risk__organisation"),
    Table(Comment, "organisation"),
    Table(RiskResult, "risk__organisation"),
    Table(PortfolioResult, "organisation"),
    Table(ScenarioResult, "risk__organisation"),
    Table(RiskSnapshot, "organisation"),
    Table(ReportSchedule, "organisation"),
    Table(WebhookEndpoint, "organisation"),
)

# Models that reach an organisation and are left out on purpose. The history tables the triggers write
# (pghistory events) are left out by rule: a restored organisation's history starts with its restore.
NOT_BACKED_UP: dict[str, str] = {
    "projects.Invitation": "a pending invitation is a secret link already e-mailed; its token is never exported "
    "and an invitation without it cannot be accepted, so owners invite again",
    "reports.Report": "PDF files made from the data: ask for them again; monthly schedules are backed up",
    "projects.ApiToken": "a person's, not the organisation's, and a secret",
    "projects.WebhookDelivery": "a log of events already sent; a restored organisation's log starts afresh",
    "projects.Notification": "messages already delivered to people about past events; the preferences that "
    "decide how people are told are backed up",
}

# Fields never written, whatever table they are in: secrets, and privileges that must not cross servers.
NEVER_EXPORTED: frozenset[str] = frozenset(
    {
        "projects.User.password",
        "projects.User.session_stamp",
        "projects.User.last_login",
        "projects.User.is_superuser",
        "projects.User.is_staff",
        "projects.User.groups",
        "projects.User.user_permissions",
        "projects.ApiToken.secret_hash",
        "projects.ApiToken.prefix",
        "projects.Invitation.token",
        "reports.Report.lease_token",
        # A restored endpoint has no secret, and is sent nothing, until an owner makes a new one.
        "projects.WebhookEndpoint.secret",
    }
)

# A person belongs to no organisation: the document names them by what a restore matches and shows.
PERSON_FIELDS = ("email", "name")

# Stored results record a fingerprint of the inputs they were computed from (risks.inputs), and those inputs
# include their rows' ids, so a fingerprint means nothing once the ids are new. The document says instead
# whether each result was current when exported; a restore writes the fingerprint of the restored inputs for a
# current one and one that matches nothing for a stale one, which the pages then show as out of date. Results
# are carried rather than recomputed because the engines' seed is the organisation's id: a recomputation under
# the new id would move every figure a little.
FINGERPRINTED: tuple[type[models.Model], ...] = (RiskResult, PortfolioResult)
CURRENT, STALE = "current", "stale"
# A result's figures also record the change counter of the server that computed them (risks.changes).
SERVER_KEYS = ("change",)

BATCH = 1_000  # rows per INSERT


def label_of(model_field: models.Field[Any, Any] | models.ForeignObjectRel) -> str:
    return f"{model_field.model._meta.label}.{model_field.name}"


def columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The concrete fields a row of this model is written with: all but an automatic primary key (the row's
    `id` is its number in the document), the organisation (the document's own) and NEVER_EXPORTED."""
    return [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and not f.is_relation)
        and not (f.is_relation and f.related_model is Organisation)
        and label_of(f) not in NEVER_EXPORTED
    ]


def link_fields(model: type[models.Model]) -> list[models.ManyToManyField[Any, Any]]:
    """Relations written as a list of ids in the row: those through Django's own link tables. Those through a
    model of ours (a threat's assets, a control's threats) are tables of their own."""
    return [
        f
        for f in model._meta.many_to_many
        if isinstance(f, models.ManyToManyField)
        and _through(f)._meta.auto_created
        and label_of(f) not in NEVER_EXPORTED
    ]


def _through(link: models.ManyToManyField[Any, Any]) -> type[models.Model]:
    through = link.remote_field.through
    assert through is not None  # set once the models are loaded
    return through


def _link_columns(link: models.ManyToManyField[Any, Any]) -> tuple[str, str]:
    through = _through(link)
    return (
        through._meta.get_field(link.m2m_field_name()).attname,  # type: ignore[union-attr]
        through._meta.get_field(link.m2m_reverse_field_name()).attname,  # type: ignore[union-attr]
    )


# Export.


def export_org_document(organisation: Organisation) -> dict[str, Any]:
    """The organisation as one JSON-ready document, in a fixed number of queries per table however many rows."""
    fetched: list[tuple[Table, list[dict[str, Any]], dict[str, dict[Any, list[Any]]]]] = []
    numbers: dict[type[models.Model], dict[Any, int]] = {}
    people: set[int] = set()
    for table in TABLES:
        model, pk = table.model, table.model._meta.pk
        names = list(dict.fromkeys([pk.attname, *(f.attname for f in columns(model))]))
        rows = list(model._base_manager.filter(**{table.path: organisation.pk}).order_by("pk").values(*names))
        numbers[model] = {row[pk.attname]: n for n, row in enumerate(rows, start=1)}
        links: dict[str, dict[Any, list[Any]]] = {}
        for link in link_fields(model):
            source, target = _link_columns(link)
            pairs = (
                _through(link)
                ._base_manager.filter(**{f"{link.m2m_field_name()}__{table.path}": organisation.pk})
                .values_list(source, target)
            )
            links[link.name] = {}
            for owner, other in pairs.order_by(source, target):
                links[link.name].setdefault(owner, []).append(other)
                if link.related_model is User:
                    people.add(other)
        people.update(
            row[f.attname]
            for f in columns(model)
            if f.is_relation and f.related_model is User
            for row in rows
            if row[f.attname] is not None
        )
        fetched.append((table, rows, links))

    persons = list(User.objects.filter(pk__in=people).order_by("email").values("pk", *PERSON_FIELDS))
    numbers[User] = {person["pk"]: n for n, person in enumerate(persons, start=1)}
    freshness = (
        _Freshness.of(organisation)
        if any(rows for t, rows, _ in fetched if t.model in FINGERPRINTED)
        else None
    )
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, rows, links in fetched:
        tables[table.label] = [_written_row(table.model, row, links, numbers, freshness) for row in rows]
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "organisation": {f.name: _dumped(getattr(organisation, f.attname)) for f in columns(Organisation)},
        "users": [
            {"id": numbers[User][person["pk"]], **{name: person[name] for name in PERSON_FIELDS}}
            for person in persons
        ],
        "tables": tables,
    }


def _written_row(
    model: type[models.Model],
    row: dict[str, Any],
    links: dict[str, dict[Any, list[Any]]],
    numbers: dict[type[models.Model], dict[Any, int]],
    freshness: _Freshness | None,
) -> dict[str, Any]:
    pk = model._meta.pk
    written: dict[str, Any] = {} if pk.is_relation else {"id": numbers[model][row[pk.attname]]}
    for f in columns(model):
        value = row[f.attname]
        if f.is_relation:
            written[f.name] = None if value is None else _number_of(numbers, f.related_model, value, f)
        else:
            written[f.name] = _dumped(value)
    for link in link_fields(model):
        targets = links[link.name].get(row[pk.attname], [])
        written[link.name] = [_number_of(numbers, link.related_model, target, link) for target in targets]
    if model in FINGERPRINTED:
        assert freshness is not None
        written["fingerprint"] = CURRENT if freshness.current(model, row) else STALE
        written["figures"] = {k: v for k, v in row["figures"].items() if k not in SERVER_KEYS}
    return written


def _number_of(numbers: dict[type[models.Model], dict[Any, int]], model: Any, key: object, by: Any) -> int:
    found = numbers.get(model, {}).get(key)
    if found is None:  # a row of another organisation, or of a table not backed up: the data is wrong
        raise ValueError(
            f"{label_of(by)} refers to {model._meta.label} {key}, which is not the organisation's."
        )
    return found


def _dumped(value: object) -> object:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list):
        return [_dumped(item) for item in value]
    return value


@dataclass(frozen=True)
class _Freshness:
    """The fingerprints of the organisation's current inputs, to tell which stored results are up to date."""

    risks: dict[int, str]
    portfolio: str

    @classmethod
    def of(cls, organisation: Organisation) -> _Freshness:
        risks = {each.risk_id: each.fingerprint() for each in inputs.risk_inputs(organisation)}
        return cls(risks=risks, portfolio=inputs.portfolio_fingerprint(risks.values()))

    def current(self, model: type[models.Model], row: dict[str, Any]) -> bool:
        if model is RiskResult:
            return bool(self.risks.get(row["risk_id"]) == row["fingerprint"])
        return bool(self.portfolio == row["fingerprint"])


def backup_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, allow_nan=False, indent=1).encode()


# Reading a file.


def read_backup(data: bytes, *, limit: int | None = None) -> Any:
    """The document in a backup file, or InvalidBackup naming what is wrong and where."""
    if limit is not None and len(data) > limit:
        raise InvalidBackup(
            f"The file is {len(data) / 1_048_576:.1f} MB; the limit is {limit // 1_048_576} MB."
        )
    if not data.strip():
        raise InvalidBackup("The file is empty.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidBackup("The file is not UTF-8 text (is it a backup?).", f"byte {error.start}") from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise InvalidBackup(
            f"This is not valid JSON: {error.msg}.", f"line {error.lineno}, column {error.colno}"
        ) from None
    except RecursionError:
        raise InvalidBackup(f"The file is nested more than {MAX_DEPTH} levels deep.") from None
    _check_depth(document)
    return document


def _refuse_constant(name: str) -> object:
    raise InvalidBackup(f"{name} is not a number a backup can hold.")


def _check_depth(value: object) -> None:
    if nested_too_deep(value):
        raise InvalidBackup(f"The file is nested more than {MAX_DEPTH} levels deep.")


# Restore.

_TOP_LEVEL = {"format", "version", "exported_at", "organisation", "users", "tables"}


def import_org_document(
    document: Any, *, name: str | None = None, slug: str | None = None, owner: User | None = None
) -> Organisation:
    """Restore a backup as a new organisation (named `name` at `slug` when given, else as in the file), in one
    transaction: InvalidBackup, and nothing written, for a document that is not a backup this server reads,
    that does not hold together, or whose slug is taken. `owner`, when given, becomes an owner of it (the
    person restoring it in the browser), alongside the members in the file."""
    _check_header(document)
    with transaction.atomic():
        organisation = _restore_organisation(document["organisation"], name=name, slug=slug)
        context = {"organisation": organisation.pk, "restored_from": document["organisation"].get("slug")}
        with pghistory.context(**context, **({"user": owner.pk} if owner else {})):
            restore = _Restore(organisation, _restore_people(document["users"], restoring=owner))
            for table in TABLES:
                restore.table(table, document["tables"].get(table.label, []))
            if owner is not None:
                _make_owner(organisation, owner)
        _check_references_now()
    return organisation


def _check_references_now() -> None:
    """Check the foreign keys now rather than at commit, so a broken reference is a message, not a crash."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    except IntegrityError as error:
        raise InvalidBackup(
            f"Some rows refer to rows that are not there: {str(error).splitlines()[0]}"
        ) from None


def _check_header(document: Any) -> None:
    if not isinstance(document, dict):
        raise InvalidBackup("This is not an organisation backup: expected a JSON object.")
    if document.get("format") != FORMAT:
        raise InvalidBackup(
            f'This is not an organisation backup: "format" is {json.dumps(document.get("format"))}, '
            f'not "{FORMAT}".',
            "format",
        )
    version = document.get("version")
    if not _whole(version):
        raise InvalidBackup("The version is not a whole number.", "version")
    if version != VERSION:
        raise InvalidBackup(
            f"This backup is version {version}; this server reads version {VERSION}.", "version"
        )
    unknown = sorted(set(document) - _TOP_LEVEL)
    if unknown:
        raise InvalidBackup(f"Unknown key{_s(unknown)}: {', '.join(unknown)}.")
    for key, kind, noun in (
        ("organisation", dict, "an object"),
        ("users", list, "a list"),
        ("tables", dict, "an object"),
    ):
        if not isinstance(document.get(key), kind):
            raise InvalidBackup(f"Expected {noun} here.", key)
    known = {table.label for table in TABLES}
    strangers = sorted(set(document["tables"]) - known)
    if strangers:
        raise InvalidBackup(
            f"This server keeps no table named {', '.join(strangers)}; nothing of it could be restored.",
            "tables",
        )


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _s(items: Iterable[object]) -> str:
    return "s" if len(list(items)) != 1 else ""


def _restore_organisation(row: dict[str, Any], *, name: str | None, slug: str | None) -> Organisation:
    organisation = Organisation()
    for f in columns(Organisation):
        if f.name in row:
            setattr(organisation, f.attname, _loaded(f, row[f.name], f"organisation.{f.name}"))
    unknown = sorted(set(row) - {f.name for f in columns(Organisation)})
    if unknown:
        raise InvalidBackup(f"Unknown field{_s(unknown)}: {', '.join(unknown)}.", "organisation")
    if name:
        organisation.name = name
    if slug:
        organisation.slug = slug
    _stamp(organisation)
    _check_row(organisation, "organisation", exclude=[])
    if Organisation.objects.filter(slug=organisation.slug).exists():
        raise InvalidBackup(
            f"An organisation at /o/{organisation.slug}/ exists already: restore under another slug.",
            "organisation.slug",
        )
    organisation.pk = _reserved_keys(Organisation, 1)[0]
    try:
        with transaction.atomic():
            _insert(Organisation, [organisation])
    except IntegrityError:
        raise InvalidBackup(
            f"An organisation at /o/{organisation.slug}/ exists already: restore under another slug.",
            "organisation.slug",
        ) from None
    return organisation


def _restore_people(rows: list[Any], *, restoring: User | None = None) -> dict[int, int]:
    """Each person's number in the document -> the user of this server with that e-mail address, created
    (with no usable password: they set one through a password reset) when there is none. Existing people are
    left as they are.

    `restoring` is the owner restoring from the browser: a file anyone can write must not make someone who
    already has an account here a member of a new organisation without their say, so it may name only people
    new to this server and people who already share an organisation that `restoring` owns (the command line,
    run by whoever runs the server, may name anyone)."""
    wanted: dict[int, tuple[str, str]] = {}
    emails: set[str] = set()
    for index, row in enumerate(rows):
        where = f"users[{index}]"
        if not isinstance(row, dict):
            raise InvalidBackup("Expected an object (a person).", where)
        unknown = sorted(set(row) - {"id", *PERSON_FIELDS})
        if unknown:
            raise InvalidBackup(f"Unknown field{_s(unknown)}: {', '.join(unknown)}.", where)
        number, email, name = row.get("id"), row.get("email"), row.get("name", "")
        if not _whole(number):
            raise InvalidBackup("Every person needs a whole-number id.", f"{where}.id")
        if number in wanted:
            raise InvalidBackup(f"Two people have the id {number}.", f"{where}.id")
        if not isinstance(email, str) or len(email) > 254:
            raise InvalidBackup("Expected an e-mail address.", f"{where}.email")
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidBackup(f"{email!r} is not an e-mail address.", f"{where}.email") from None
        if email.lower() in emails:
            raise InvalidBackup(f"{email} is listed twice.", f"{where}.email")
        if not isinstance(name, str) or len(name) > 150 or "\x00" in name:
            raise InvalidBackup("Expected a name of at most 150 characters.", f"{where}.name")
        emails.add(email.lower())
        wanted[number] = (email.lower(), name)
    found = {
        email: pk
        for email, pk in User.objects.annotate(address=Lower("email"))
        .filter(address__in=emails)
        .values_list("address", "pk")
    }
    if restoring is not None:
        _check_people_may_be_added(rows, found, restoring)
    missing = [User(email=email, name=name) for email, name in wanted.values() if email not in found]
    for user in missing:
        user.set_unusable_password()
    found |= {user.email: user.pk for user in User.objects.bulk_create(missing)}
    return {number: found[email] for number, (email, _) in wanted.items()}


def _check_people_may_be_added(rows: list[Any], found: dict[str, int], restoring: User) -> None:
    owned = Membership.objects.filter(user=restoring, role=Role.OWNER).values("organisation")
    known = set(Membership.objects.filter(organisation__in=owned).values_list("user_id", flat=True))
    known.add(restoring.pk)
    for index, row in enumerate(rows):
        user_id = found.get(str(row["email"]).lower())
        if user_id is not None and user_id not in known:
            raise InvalidBackup(
                f"{row['email']} already has an account on this server and is not a member of an organisation "
                "you own, so a restore in the browser cannot add them: remove them from the file and invite them "
                "once it is restored, or restore it with manage.py import_org.",
                f"users[{index}].email",
            )


def _make_owner(organisation: Organisation, owner: User) -> None:
    updated = Membership.objects.filter(organisation=organisation, user=owner).update(role=Role.OWNER)
    if not updated:
        Membership.objects.create(organisation=organisation, user=owner, role=Role.OWNER)


@dataclass
class _Row:
    instance: models.Model
    number: int
    where: str
    parents: dict[models.Field[Any, Any], int] = field(default_factory=dict)  # self references, by number
    links: dict[str, list[int]] = field(default_factory=dict)


class _Restore:
    """The tables restored so far: each row's number in the document -> its new primary key, and the project a
    row belongs to, so a row cannot join parts of two projects."""

    def __init__(self, organisation: Organisation, people: dict[int, int]) -> None:
        self.organisation = organisation
        self.keys: dict[type[models.Model], dict[int, Any]] = {User: people}
        self.project_of: dict[type[models.Model], dict[Any, Any]] = {}
        self.fingerprints: dict[int, str] | None = None
        self.portfolio = STALE
        self.change: int | None = None

    def table(self, table: Table, rows: Any) -> None:
        model, where = table.model, f"tables.{table.label}"
        if not isinstance(rows, list):
            raise InvalidBackup("Expected a list of rows.", where)
        built = [self._row(model, row, f"{where}[{index}]") for index, row in enumerate(rows)]
        numbers: dict[int, str] = {}
        for row in built:
            if row.number in numbers:
                raise InvalidBackup(
                    f"Two rows have the id {row.number} (the other: {numbers[row.number]}).", row.where
                )
            numbers[row.number] = row.where
        pk = model._meta.pk
        if pk.is_relation:
            keys = {row.number: getattr(row.instance, pk.attname) for row in built}
        else:
            keys = dict(zip(numbers, _reserved_keys(model, len(built)), strict=True))
            for row in built:
                setattr(row.instance, pk.attname, keys[row.number])
        self.keys[model] = keys
        _refuse_loops(built, numbers)
        for row in built:
            for parent_field, number in row.parents.items():
                setattr(row.instance, parent_field.attname, keys[number])
        projects = {keys[row.number]: self._project(row.instance) for row in built}
        self.project_of[model] = {key: project for key, project in projects.items() if project is not None}
        for row in built:
            self._same_project(row, [projects[keys[number]] for number in row.parents.values()])
            if model in FINGERPRINTED:
                self._fingerprint(row)
        try:
            with transaction.atomic():
                _insert(model, [row.instance for row in built])
        except DatabaseError as error:
            raise InvalidBackup(_database_message(model, error), where) from None
        self._links(model, built)

    def _row(self, model: type[models.Model], row: Any, where: str) -> _Row:
        if not isinstance(row, dict):
            raise InvalidBackup("Expected an object (a row).", where)
        pk, fields, links = model._meta.pk, columns(model), link_fields(model)
        allowed = (
            {f.name for f in fields} | {link.name for link in links} | (set() if pk.is_relation else {"id"})
        )
        unknown = sorted(set(row) - allowed)
        if unknown:
            raise InvalidBackup(
                f"Unknown field{_s(unknown)}: {', '.join(unknown)} (a backup from a newer version?).", where
            )
        instance = model()
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is Organisation:
                setattr(instance, f.attname, self.organisation.pk)
        parents: dict[models.Field[Any, Any], int] = {}
        for f in fields:
            here = f"{where}.{f.name}"
            if f.name not in row:
                if f.is_relation and not f.null:
                    raise InvalidBackup(f"Missing: the {f.name} of this row.", here)
                continue
            value = row[f.name]
            if not f.is_relation:
                setattr(instance, f.attname, _loaded(f, value, here))
            elif value is None:
                if not f.null:
                    raise InvalidBackup(f"Missing: the {f.name} of this row.", here)
                setattr(instance, f.attname, None)
            elif f.related_model is model:
                parents[f] = self._number(value, here)
            else:
                setattr(instance, f.attname, self._key(f.related_model, value, here))  # type: ignore[arg-type]
        number = row.get(pk.name if pk.is_relation else "id")
        if not _whole(number):
            raise InvalidBackup("Every row needs a whole-number id.", f"{where}.id")
        restored = _Row(instance, number, where, parents)
        for link in links:
            restored.links[link.name] = self._link_keys(link, row.get(link.name, []), f"{where}.{link.name}")
        if model in FINGERPRINTED:
            _check_fingerprint_marker(row, where)
        _stamp(instance)
        _check_row(instance, where, exclude=[f.name for f in model._meta.concrete_fields if f.is_relation])
        _check_meaning(instance, where)
        self._same_project(restored, [])
        return restored

    def _number(self, value: object, where: str) -> int:
        if not _whole(value):
            raise InvalidBackup(f"Expected the id of a row, not {json.dumps(value)}.", where)
        return value

    def _key(self, model: type[models.Model], value: object, where: str) -> Any:
        number = self._number(value, where)
        if model not in self.keys:
            raise InvalidBackup(f"{model._meta.label} is not a table of the backup.", where)
        key = self.keys[model].get(number)
        if key is None:
            place = "users" if model is User else f"tables.{model._meta.label}"
            raise InvalidBackup(f"There is no row {number} in {place}.", where)
        return key

    def _link_keys(self, link: models.ManyToManyField[Any, Any], value: object, where: str) -> list[int]:
        if not isinstance(value, list):
            raise InvalidBackup("Expected a list of ids.", where)
        keys = [self._key(link.related_model, item, f"{where}[{i}]") for i, item in enumerate(value)]
        return list(dict.fromkeys(keys))

    def _project(self, instance: models.Model) -> Any:
        """The project this row is part of: its own, or that of a row it refers to."""
        model = type(instance)
        if model is Project:
            return instance.pk
        projects = self._projects_of(instance)
        return next(iter(projects), None)

    def _projects_of(self, instance: models.Model) -> set[Any]:
        found = set()
        for f in type(instance)._meta.concrete_fields:
            value = getattr(instance, f.attname)
            if not f.is_relation or value is None:
                continue
            if f.related_model is Project:
                found.add(value)
            elif f.related_model in self.project_of and value in self.project_of[f.related_model]:
                found.add(self.project_of[f.related_model][value])
        return found

    def _same_project(self, row: _Row, more: list[Any]) -> None:
        projects = self._projects_of(row.instance) | {project for project in more if project is not None}
        if len(projects) > 1:
            raise InvalidBackup("This row joins parts of different projects.", row.where)

    def _fingerprint(self, row: _Row) -> None:
        """A current result gets the fingerprint of the restored inputs, and the server's change counter so
        pages take the fast path; a stale one keeps a fingerprint no inputs have."""
        instance: Any = row.instance
        if instance.fingerprint == STALE:
            instance.figures = {k: v for k, v in instance.figures.items() if k not in SERVER_KEYS}
            return
        if self.fingerprints is None:
            risks = {each.risk_id: each.fingerprint() for each in inputs.risk_inputs(self.organisation)}
            self.fingerprints = risks
            self.portfolio = inputs.portfolio_fingerprint(risks.values())
            self.change = changes.next_change(self.organisation.pk)
        instance.fingerprint = (
            self.fingerprints.get(instance.risk_id, STALE)
            if isinstance(instance, RiskResult)
            else self.portfolio
        )
        instance.figures = {**instance.figures, "change": self.change}

    def _links(self, model: type[models.Model], built: list[_Row]) -> None:
        for link in link_fields(model):
            through = _through(link)
            source, target = _link_columns(link)
            through._base_manager.bulk_create(
                [
                    through(**{source: self.keys[model][row.number], target: key})
                    for row in built
                    for key in row.links[link.name]
                ],
                batch_size=BATCH,
            )


def _check_fingerprint_marker(row: dict[str, Any], where: str) -> None:
    if row.get("fingerprint") not in (CURRENT, STALE):
        raise InvalidBackup(f'Expected "{CURRENT}" or "{STALE}".', f"{where}.fingerprint")
    if not isinstance(row.get("figures"), dict):
        raise InvalidBackup("Expected the figures as an object.", f"{where}.figures")


def _refuse_loops(rows: list[_Row], numbers: dict[int, str]) -> None:
    """Refuse a reference to a row missing from the table, and rows that are each other's parents in a loop."""
    for row in rows:
        for parent_field, number in row.parents.items():
            if number not in numbers:
                raise InvalidBackup(
                    f"There is no row {number} in this table.", f"{row.where}.{parent_field.name}"
                )
    placed: set[int] = set()
    waiting = [row for row in rows if row.parents]
    placed.update(row.number for row in rows if not row.parents)
    while waiting:
        ready = [row for row in waiting if all(n in placed for n in row.parents.values())]
        if not ready:
            raise InvalidBackup("These rows are each other's parents, in a loop.", waiting[0].where)
        placed.update(row.number for row in ready)
        waiting = [row for row in waiting if row.number not in placed]


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "CharField": (str,),
    "TextField": (str,),
    "SlugField": (str,),
    "EmailField": (str,),
    "URLField": (str,),
    "DateField": (str,),
    "DateTimeField": (str,),
    "DecimalField": (str,),
    "UUIDField": (str,),
    "BooleanField": (bool,),
    "IntegerField": (int,),
    "SmallIntegerField": (int,),
    "BigIntegerField": (int,),
    "PositiveIntegerField": (int,),
    "PositiveSmallIntegerField": (int,),
    "PositiveBigIntegerField": (int,),
    "FloatField": (int, float),
    "ArrayField": (list,),
}
_NOUNS = {str: "text", bool: "true or false", int: "a whole number", float: "a number", list: "a list"}


def _loaded(model_field: models.Field[Any, Any], value: object, where: str) -> object:
    """A JSON value as the field's Python value, with the JSON type each kind of field is written as."""
    if value is None:
        if model_field.null:
            return None
        raise InvalidBackup("This cannot be null.", where)
    kind = model_field.get_internal_type()
    expected = _JSON_TYPES.get(kind)
    if expected is not None and (
        not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected)
    ):
        raise InvalidBackup(f"Expected {_NOUNS[expected[-1]]}, not {json.dumps(value)[:80]}.", where)
    if isinstance(model_field, ArrayField):
        assert isinstance(value, list)
        return [_loaded(model_field.base_field, item, f"{where}[{i}]") for i, item in enumerate(value)]
    try:
        loaded = model_field.to_python(value)
    except ValidationError as error:
        raise InvalidBackup(" ".join(error.messages), where) from None
    if isinstance(loaded, datetime.datetime) and settings.USE_TZ and timezone.is_naive(loaded):
        raise InvalidBackup("Give the time with its offset from UTC.", where)
    return loaded


def _stamp(instance: models.Model) -> None:
    """A row the file gives no time for is stamped now (the times in the file are kept as they are)."""
    for f in instance._meta.concrete_fields:
        automatic = isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add)
        if automatic and getattr(instance, f.attname) is None:
            setattr(instance, f.attname, timezone.now())


def _check_row(instance: models.Model, where: str, exclude: list[str]) -> None:
    """Every field as the model defines it (choices, lengths, validators, blank), NUL characters and the lengths
    of long texts included; the database's constraints stay the backstop."""
    problems: dict[str, list[str]] = {}
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as error:
        problems = {name: [str(m) for m in messages] for name, messages in error.message_dict.items()}
    for f in instance._meta.concrete_fields:
        value = getattr(instance, f.attname)
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            problems.setdefault(f.name, []).append("Remove the NUL character from this text.")
        if (
            isinstance(f, models.TextField)
            and f.max_length
            and isinstance(value, str)
            and len(value) > f.max_length
        ):
            problems.setdefault(f.name, []).append(f"Keep this to {f.max_length:,} characters or fewer.")
    if problems:
        name, messages = next(iter(problems.items()))
        others = sorted(set(problems) - {name})
        more = f" (and a problem with {', '.join(others)})" if others else ""
        raise InvalidBackup(" ".join(messages) + more, f"{where}.{name}")


def _check_meaning(instance: models.Model, where: str) -> None:
    """What the pages read out of JSON fields holds together: scales and matrix, the stored results' stages."""
    try:
        if isinstance(instance, ScoringSettings):
            for scale in (instance.likelihood_scale, instance.impact_scale):
                if (
                    not isinstance(scale, list)
                    or len(scale) != 5
                    or not all(isinstance(s, dict) for s in scale)
                ):
                    raise ValueError("a scale is five levels")
            inputs.Scales.of(instance)
        elif isinstance(instance, RiskResult | PortfolioResult):
            StoredFigures.of(instance, stale=False)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InvalidBackup(
            "These figures or scales do not have the shape this server keeps them in.", where
        ) from None


def _reserved_keys(model: type[models.Model], count: int) -> list[int]:
    """New primary keys for `count` rows, in ascending order, from the table's own sequence: rows keep the order
    they have in the file, and a row can name its parent before the parent is written."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _insert(model: type[models.Model], instances: list[models.Model]) -> None:
    """Write the rows as they are, primary keys and times included.

    A raw insert, as loaddata's: bulk_create would stamp created_at and updated_at with the time of the restore,
    and the dashboards read when threats were created. Foreign keys are checked when the transaction commits,
    so a row may name a parent written after it in the same statement."""
    fields = list(model._meta.concrete_fields)
    for start in range(0, len(instances), BATCH):
        query = InsertQuery(model)
        query.insert_values(fields, instances[start : start + BATCH], raw=True)
        query.get_compiler(using=connection.alias).execute_sql(None)


def _database_message(model: type[models.Model], error: DatabaseError) -> str:
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    for rule in model._meta.constraints:
        if rule.name == constraint:
            message = rule.violation_error_message
            if message and message != rule.default_violation_error_message:
                return f"The rows break the rule {constraint}: {message}"
            return f"The rows break the rule {constraint}."
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"The database refused these rows: {first_line}"
