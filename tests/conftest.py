"""The cast every test draws on: one organisation with a member of each role, and an outsider elsewhere."""

import datetime
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from projects.models import Membership, Organisation, Team, User
from projects.roles import Role
from tests.factories import MembershipFactory, OrganisationFactory, TeamFactory, UserFactory
from tests.webhook_receiver import Receiver, serving
from threatmodel.celery import app as celery_app


@pytest.fixture(autouse=True, scope="session")
def _celery_runs_tasks_in_process() -> None:
    """Tasks enqueued by views run in the test's process; tests of the real worker switch this off."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True, scope="session")
def _a_cache_of_each_workers_own() -> Iterator[None]:
    """Under pytest-xdist (`pytest -n 2`), each worker keeps its cache in a Redis database of its own: a test that
    clears the cache (cache.clear() flushes its database) must not empty another worker's sessions while that one
    counts a page's queries. One process (`make test`) keeps the configured cache."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        yield
        return
    parts = urlsplit(settings.CACHE_URL)
    broker = urlsplit(settings.CELERY_BROKER_URL).path.strip("/")
    number = int(parts.path.strip("/") or 0) + int(worker.removeprefix("gw"))
    if str(number % 16) == broker:
        number += 1
    location = urlunsplit(parts._replace(path=f"/{number % 16}"))
    with override_settings(CACHES={"default": {**settings.CACHES["default"], "LOCATION": location}}):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    """Real hashing costs a third of a second per user; tests make many users and check no hash strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _files_in_a_temporary_folder(settings: object, tmp_path: Path) -> None:
    """Report PDFs and other stored files go to the test's own folder, never the developer's .data/media."""
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]


@dataclass
class Cast:
    organisation: Organisation
    team: Team
    other_team: Team
    owner: User
    security_lead: User
    engineer: User
    other_engineer: User
    viewer: User
    outsider: User
    outsider_organisation: Organisation

    def membership(self, user: User) -> Membership:
        return Membership.objects.get(user=user, organisation=self.organisation)


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def cast(db: None) -> Cast:
    organisation = OrganisationFactory.create(name="Acme Payments", slug="acme")
    team, other_team = (
        TeamFactory.create(organisation=organisation, name="Payments", slug="payments"),
        TeamFactory.create(organisation=organisation, name="Platform", slug="platform"),
    )
    outsider_organisation = OrganisationFactory.create(name="Globex Secret Division", slug="globex")

    def member(email: str, role: Role, teams: list[Team] | None = None) -> User:
        user = UserFactory.create(email=email)
        MembershipFactory.create(user=user, organisation=organisation, role=role, teams=teams or [])
        return user

    outsider = UserFactory.create(email="outsider@globex.test")
    MembershipFactory.create(user=outsider, organisation=outsider_organisation, role=Role.OWNER)
    return Cast(
        organisation=organisation,
        team=team,
        other_team=other_team,
        owner=member("owner@acme.test", Role.OWNER),
        security_lead=member("lead@acme.test", Role.SECURITY_LEAD),
        engineer=member("engineer@acme.test", Role.ENGINEER, [team]),
        other_engineer=member("platform@acme.test", Role.ENGINEER, [other_team]),
        viewer=member("viewer@acme.test", Role.VIEWER),
        outsider=outsider,
        outsider_organisation=outsider_organisation,
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(cast: Cast) -> Client:
    return signed_in(cast.owner)


@pytest.fixture
def engineer_client(cast: Cast) -> Client:
    return signed_in(cast.engineer)


@pytest.fixture
def viewer_client(cast: Cast) -> Client:
    return signed_in(cast.viewer)


@pytest.fixture
def outsider_client(cast: Cast) -> Client:
    return signed_in(cast.outsider)


@pytest.fixture
def local(settings: Any) -> None:
    """Webhooks may go to the test receiver, on 127.0.0.1 over plain HTTP."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_ALLOW_HTTP = True


@pytest.fixture
def receiver(local: None) -> Iterator[Receiver]:
    yield from serving(Receiver())


@pytest.fixture
def broken(local: None) -> Iterator[Receiver]:
    yield from serving(Receiver(statuses=[500]))
