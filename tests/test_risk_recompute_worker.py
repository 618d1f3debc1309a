"""Stored risk results recomputed by a real Celery worker through the real broker: a burst of edits gives one
recomputation, figures say they are stale until it has run, and the hourly task reopens expired acceptances.

Like tests/test_worker.py, each test has a queue of its own and a transactional database (the worker sees
committed rows only). Elsewhere in the suite, recomputations need no switch and leave nothing behind: with the
`db` fixture a test's transaction never commits, so the on-commit hook that queues them never fires; with a
transactional database (browser tests) tasks run eagerly in-process (tests/conftest.py), so none reaches the
broker; and here every queued task is waited for, so none is left in the test's queue. The debounce counter's
key names the test database, so two test processes sharing the cache never supersede each other's tasks.
"""

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.result import AsyncResult
from celery.signals import after_task_publish
from django.conf import settings
from django.utils import timezone

from projects import workspace_services
from projects.models import ControlStatus, Project
from risks import services
from risks.inputs import Counted, Stage, risk_inputs
from risks.models import AcceptanceStatus, BusinessRisk, PortfolioResult, RiskAcceptance, RiskStatus
from risks.selectors import portfolio_figures, stored_figures
from risks.tasks import expire_acceptances, recompute_organisation
from tests import test_worker
from tests.conftest import Cast
from tests.factories import ControlFactory, ProjectFactory, ThreatControlFactory, ThreatFactory
from tests.test_worker import TASK_TIMEOUT_SECONDS
from threatmodel.celery import app as celery_app

pytestmark = pytest.mark.worker

own_queue, worker = test_worker.own_queue, test_worker.worker  # its fixtures, shared


@pytest.fixture
def published() -> Iterator[list[str]]:
    """The ids of the recomputations queued while the test runs."""
    ids: list[str] = []

    def record(sender: str | None = None, headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if sender == recompute_organisation.name and headers is not None:
            ids.append(headers["id"])

    after_task_publish.connect(record, weak=False)
    try:
        yield ids
    finally:
        after_task_publish.disconnect(record)


def outcomes(ids: list[str]) -> list[bool]:
    return [AsyncResult(task_id, app=celery_app).get(timeout=TASK_TIMEOUT_SECONDS) for task_id in ids]


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(organisation=cast.organisation, team=cast.team)


@pytest.fixture
def risk(cast: Cast, project: Project) -> BusinessRisk:
    """A risk with one scored scenario, made without services, so no recomputation is queued yet."""
    risk = BusinessRisk.objects.create(
        organisation=cast.organisation,
        number=1,
        title="Card data exposed",
        impact="moderate",
        owner=cast.viewer,
    )
    threat = ThreatFactory.create(project=project, likelihood="moderate")
    ThreatControlFactory.create(
        threat=threat, control=ControlFactory.create(project=project, status=ControlStatus.PLANNED)
    )
    risk.scenarios.create(threat=threat)
    return risk


def test_a_burst_of_edits_gives_one_recomputation(
    own_queue: str, published: list[str], cast: Cast, project: Project, risk: BusinessRisk
) -> None:
    lead = cast.membership(cast.security_lead)
    threat = risk.threats.get()
    other = ThreatFactory.create(project=project, frequency_min=1, frequency_mode=4, frequency_max=20)

    risk = services.risk_update(membership=lead, risk=risk, version=risk.version, impact="high")
    risk = services.risk_update(membership=lead, risk=risk, version=risk.version, title="Card data stolen")
    services.scenario_create(membership=lead, risk=risk, threat=other)
    threat = workspace_services.threat_update(
        membership=lead, threat=threat, version=threat.version, likelihood="high"
    )
    control = threat.controls.get()
    workspace_services.control_update(
        membership=lead, control=control, version=control.version, status=ControlStatus.IMPLEMENTED
    )

    # The worker starts after the burst, so however slowly the edits went, every task runs after the last one.
    assert len(published) == 5
    with start_worker(celery_app, pool="solo", queues=[own_queue], loglevel="WARNING", shutdown_timeout=30):
        assert outcomes(published) == [False, False, False, False, True]
    figures = stored_figures(cast.organisation, [risk.pk])[risk.pk]
    assert figures is not None
    assert not figures.stale
    (current,) = risk_inputs(cast.organisation, [risk.pk])
    assert figures.residual.level == current.level(Counted.stage(Stage.RESIDUAL)) == "high"
    assert not portfolio_figures(cast.organisation).stale  # type: ignore[union-attr]


def test_figures_say_they_are_stale_until_the_worker_recomputes(
    own_queue: str, published: list[str], cast: Cast, risk: BusinessRisk
) -> None:
    recompute_organisation(cast.organisation.pk)  # the figures as they stand, computed here
    computed_at = PortfolioResult.objects.get(organisation=cast.organisation).computed_at
    assert not stored_figures(cast.organisation, [risk.pk])[risk.pk].stale  # type: ignore[union-attr]

    services.risk_update(
        membership=cast.membership(cast.security_lead),
        risk=risk,
        version=risk.version,
        impact="",
        loss_low=Decimal(50_000),
        loss_high=Decimal(9_000_000),
    )

    # Queued, and no worker yet: the page shows the old figures and says they are out of date.
    assert len(published) == 1
    before = stored_figures(cast.organisation, [risk.pk])[risk.pk]
    assert before is not None
    assert before.stale
    assert before.computed_at == computed_at
    assert portfolio_figures(cast.organisation).stale  # type: ignore[union-attr]
    with start_worker(celery_app, pool="solo", queues=[own_queue], loglevel="WARNING", shutdown_timeout=30):
        assert outcomes(published) == [True]
    after = stored_figures(cast.organisation, [risk.pk])[risk.pk]
    assert after is not None
    assert not after.stale
    assert after.computed_at > computed_at


def test_the_hourly_task_reopens_risks_whose_acceptance_ran_out(
    worker: None, cast: Cast, risk: BusinessRisk
) -> None:
    today = timezone.localdate()
    BusinessRisk.objects.filter(pk=risk.pk).update(status=RiskStatus.ACCEPTED, treatment="accept")
    RiskAcceptance.objects.create(
        risk=risk,
        requested_by=cast.security_lead,
        rationale="Replacement system goes live in spring.",
        expires_on=today - datetime.timedelta(days=1),
        status=AcceptanceStatus.APPROVED,
        decided_by=cast.viewer,
        decided_at=timezone.now() - datetime.timedelta(days=90),
    )
    in_force = BusinessRisk.objects.create(
        organisation=cast.organisation,
        number=2,
        title="Ledger corrupted",
        impact="low",
        status=RiskStatus.ACCEPTED,
    )
    RiskAcceptance.objects.create(
        risk=in_force,
        requested_by=cast.security_lead,
        rationale="Low and shrinking.",
        expires_on=today + datetime.timedelta(days=30),
        status=AcceptanceStatus.APPROVED,
        decided_by=cast.viewer,
    )

    assert expire_acceptances.delay().get(timeout=TASK_TIMEOUT_SECONDS) == 1

    risk.refresh_from_db()
    in_force.refresh_from_db()
    assert risk.status == RiskStatus.OPEN
    assert in_force.status == RiskStatus.ACCEPTED
    assert expire_acceptances.delay().get(timeout=TASK_TIMEOUT_SECONDS) == 0


def test_the_expiry_runs_every_hour() -> None:
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == expire_acceptances.name)
    assert entry["schedule"] == 3600.0
