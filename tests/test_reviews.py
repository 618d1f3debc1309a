"""Reviews (projects.review_services, review_content, review_selectors): every transition of a model's review
and of a threat's for every role, all-or-nothing bulk decisions, the digest (stable on unchanged content, moved by
any change, independent of ids) and the diff since approval, part by part and field by field."""

import datetime
from collections.abc import Callable
from functools import partial
from typing import Any

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from projects import attention, workspace_services
from projects import review_services as services
from projects.interop.backup import export_org_document, import_org_document
from projects.models import (
    Component,
    ComponentKind,
    Control,
    ControlStatus,
    DataFlow,
    Notification,
    NotificationKind,
    Project,
    ProjectStatus,
    Rating,
    Threat,
    ThreatControl,
    ThreatStatus,
    TrustZone,
    User,
)
from projects.review_content import digest_of, model_diff, model_snapshot
from projects.review_models import VERDICTS, ModelReview, ReviewDecision, ThreatReview, ThreatReviewDecision
from projects.review_selectors import changes_since, decidable_threats, review_state
from projects.roles import Role
from projects.workspace_selectors import Seen
from projects.workspace_services import StaleObjects
from reports.dashboard import DashboardFilters, dashboard
from tests.conftest import Cast
from tests.factories import (
    AssetFactory,
    ComponentFactory,
    ControlFactory,
    DataFlowFactory,
    MembershipFactory,
    OrganisationFactory,
    ProjectFactory,
    TeamFactory,
    ThreatControlFactory,
    ThreatFactory,
    TrustZoneFactory,
    UserFactory,
)
from tests.queries import count_queries

ROLES = ["owner", "security_lead", "engineer", "other_engineer", "viewer"]
DECIDERS = {"owner", "security_lead"}
EDITORS = {"owner", "security_lead", "engineer"}  # of the cast's team's project


def person(cast: Cast, role: str) -> User:
    user: User = getattr(cast, role)
    return user


def build_model(project: Project, author: User | None = None) -> dict[str, Any]:
    """A small model: two zones, an asset, three components, two flows, two threats, two controls and links."""
    internet = TrustZoneFactory.create(project=project, name="Internet", trust_level=0)
    internal = TrustZoneFactory.create(project=project, name="Internal", trust_level=3)
    cards = AssetFactory.create(project=project, name="Card data")
    browser = ComponentFactory.create(
        project=project, name="Browser", kind=ComponentKind.ACTOR, zone=internet
    )
    api = ComponentFactory.create(project=project, name="API", zone=internal, tags=["python"])
    store = ComponentFactory.create(
        project=project, name="Store", kind=ComponentKind.DATA_STORE, zone=internal
    )
    store.assets.set([cards])
    login = DataFlowFactory.create(
        project=project, source=browser, destination=api, name="Login", protocol="HTTPS"
    )
    query = DataFlowFactory.create(project=project, source=api, destination=store, name="Query")
    replay = ThreatFactory.create(
        project=project,
        threat_source="external attacker",
        threat_action="replay a session",
        created_by=author,
    )
    replay.target_flows.set([login])
    replay.impacted_assets.set([cards])
    injection = ThreatFactory.create(
        project=project, threat_action="inject SQL", stride=["T"], created_by=author
    )
    injection.target_components.set([api])
    tokens = ControlFactory.create(project=project, title="Short-lived tokens")
    params = ControlFactory.create(
        project=project, title="Parameterised queries", status=ControlStatus.PLANNED
    )
    ThreatControlFactory.create(threat=replay, control=tokens, effectiveness=60)
    link = ThreatControlFactory.create(threat=injection, control=params, effectiveness=90)
    return {
        "internet": internet,
        "internal": internal,
        "cards": cards,
        "browser": browser,
        "api": api,
        "store": store,
        "login": login,
        "query": query,
        "replay": replay,
        "injection": injection,
        "tokens": tokens,
        "params": params,
        "link": link,
    }


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout", status=ProjectStatus.ACTIVE)


@pytest.fixture
def model(cast: Cast, project: Project) -> dict[str, Any]:
    return build_model(project, author=cast.engineer)


def submitted(cast: Cast, project: Project, by: User | None = None) -> ModelReview:
    return services.model_review_submit(
        membership=cast.membership(by or cast.engineer), project=project, note="Ready"
    )


def notified(kind: str) -> set[tuple[str, str]]:
    return {
        (n.recipient.email, n.subject)
        for n in Notification.objects.filter(kind=kind).select_related("recipient")
    }


def recipients(kind: str) -> set[str]:
    return {email for email, _ in notified(kind)}


# Submitting a model ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_team_and_the_leads_submit_a_model_and_nobody_else(
    cast: Cast, project: Project, model: dict[str, Any], role: str
) -> None:
    def submit() -> ModelReview:
        return services.model_review_submit(membership=cast.membership(person(cast, role)), project=project)

    if role not in EDITORS:
        with pytest.raises(PermissionDenied):
            submit()
        assert not ModelReview.objects.exists()
        assert Project.objects.get(pk=project.pk).status == ProjectStatus.ACTIVE
        return
    review = submit()
    assert review.is_open
    assert review.submitted_by == person(cast, role)
    assert review.status_before == ProjectStatus.ACTIVE
    assert review.digest == digest_of(model_snapshot(project))
    assert review.snapshot["threats"]
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.IN_REVIEW


def test_submitting_tells_the_members_who_decide_and_not_the_submitter(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    submitted(cast, project, by=cast.security_lead)
    assert recipients(NotificationKind.REVIEW_REQUESTED) == {cast.owner.email}
    Notification.objects.all().delete()
    services.model_review_decide(
        membership=cast.membership(cast.owner),
        project=project,
        decision=ReviewDecision.CHANGES_REQUESTED,
        comment="x",
    )
    submitted(cast, project)
    assert recipients(NotificationKind.REVIEW_REQUESTED) == {cast.owner.email, cast.security_lead.email}
    ((_, subject),) = {n for n in notified(NotificationKind.REVIEW_REQUESTED) if n[0] == cast.owner.email}
    assert "Checkout" in subject


def test_a_model_waiting_for_review_is_not_submitted_twice(cast: Cast, project: Project) -> None:
    submitted(cast, project)
    with pytest.raises(ValidationError) as error:
        submitted(cast, project, by=cast.security_lead)
    assert "waiting for review since" in str(error.value.message_dict["project"])
    assert ModelReview.objects.count() == 1


def test_an_archived_project_is_not_submitted(cast: Cast) -> None:
    archived = ProjectFactory.create(team=cast.team, status=ProjectStatus.ARCHIVED)
    with pytest.raises(ValidationError) as error:
        submitted(cast, archived)
    assert "archived" in str(error.value.message_dict["project"])
    assert not ModelReview.objects.exists()


def test_a_note_with_a_nul_byte_is_refused(cast: Cast, project: Project) -> None:
    with pytest.raises(ValidationError) as error:
        services.model_review_submit(
            membership=cast.membership(cast.engineer), project=project, note="a\x00b"
        )
    assert "note" in error.value.message_dict
    assert not ModelReview.objects.exists()


# Deciding a model -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("decision", VERDICTS)
@pytest.mark.parametrize("role", ROLES)
def test_only_a_security_lead_or_an_owner_decides_a_model(
    cast: Cast, project: Project, model: dict[str, Any], role: str, decision: str
) -> None:
    review = submitted(cast, project)

    def decide() -> ModelReview:
        return services.model_review_decide(
            membership=cast.membership(person(cast, role)),
            project=project,
            decision=decision,
            comment="Add T-3",
        )

    if role not in DECIDERS:
        with pytest.raises(PermissionDenied):
            decide()
        review.refresh_from_db()
        assert review.is_open
        assert Project.objects.get(pk=project.pk).status == ProjectStatus.IN_REVIEW
        return
    decided = decide()
    assert decided.decision == decision
    assert decided.decided_by == person(cast, role)
    project.refresh_from_db()
    if decision == ReviewDecision.APPROVED:
        assert project.status == ProjectStatus.ACTIVE
        assert project.last_reviewed_on == timezone.localdate()
    else:
        assert project.status == ProjectStatus.ACTIVE  # the status it had before its submission
        assert project.last_reviewed_on is None
    assert recipients(NotificationKind.REVIEW_DECIDED) == {cast.engineer.email}


def test_an_approval_records_who_when_and_the_digest_of_what_was_approved(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    review = submitted(cast, project)
    at_submission = review.digest
    Component.objects.filter(pk=model["api"].pk).update(technology="Django")  # changed after the submission
    approved = services.model_review_decide(
        membership=cast.membership(cast.security_lead), project=project, decision=ReviewDecision.APPROVED
    )
    assert approved.pk == review.pk
    assert approved.decided_at is not None
    assert approved.decided_by == cast.security_lead
    assert approved.digest == digest_of(model_snapshot(project)) != at_submission
    assert approved.snapshot["components"][f"component-{model['api'].pk}"]["technology"] == "Django"
    ((_, subject),) = notified(NotificationKind.REVIEW_DECIDED)
    assert "approved" in subject
    assert "Checkout" in subject


def test_an_approval_of_a_model_changed_since_it_was_looked_at_is_refused(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    submitted(cast, project)
    seen = digest_of(model_snapshot(project))
    Threat.objects.filter(pk=model["replay"].pk).update(threat_impact="account takeover")
    with pytest.raises(services.ModelChanged):
        services.model_review_decide(
            membership=cast.membership(cast.security_lead),
            project=project,
            decision=ReviewDecision.APPROVED,
            digest=seen,
        )
    assert ModelReview.objects.get().is_open
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.IN_REVIEW
    assert not Notification.objects.filter(kind=NotificationKind.REVIEW_DECIDED).exists()


def test_nobody_approves_a_model_they_submitted_but_they_may_send_it_back(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    submitted(cast, project, by=cast.security_lead)
    lead = cast.membership(cast.security_lead)
    with pytest.raises(PermissionDenied, match="someone else"):
        services.model_review_decide(membership=lead, project=project, decision=ReviewDecision.APPROVED)
    assert ModelReview.objects.get().is_open
    services.model_review_decide(
        membership=lead,
        project=project,
        decision=ReviewDecision.CHANGES_REQUESTED,
        comment="Withdrawn: not ready",
    )
    assert ModelReview.objects.get().decision == ReviewDecision.CHANGES_REQUESTED


def _approve(cast: Cast, project: Project, by: User) -> ModelReview:
    return services.model_review_decide(
        membership=cast.membership(by), project=project, decision=ReviewDecision.APPROVED
    )


def _updates(cast: Cast, who: User, model: type[Any], pk: int, **fields: Any) -> None:
    """`who` changes `fields` of a part (a threat, a control, a component, the project) through its service, at
    the version it has now."""
    obj = model.objects.get(pk=pk)
    name = model.__name__.lower()  # the service's name and its argument's
    update: Callable[..., Any] = getattr(workspace_services, f"{name}_update")
    update(membership=cast.membership(who), version=obj.version, **{name: obj}, **fields)


def _lead_updates(cast: Cast, model: type[Any], pk: int, **fields: Any) -> None:
    _updates(cast, cast.security_lead, model, pk, **fields)


def _lead_rewrites_a_threat(cast: Cast, model: dict[str, Any]) -> str:
    _lead_updates(cast, Threat, model["replay"].pk, threat_action="replay a stolen session")
    return model["replay"].reference


def _lead_changes_a_control_link(cast: Cast, model: dict[str, Any]) -> str:
    workspace_services.control_link_update(
        membership=cast.membership(cast.security_lead),
        link=model["link"],
        version=ThreatControl.objects.get(pk=model["link"].pk).version,
        effectiveness=20,
    )
    return "control “Parameterised queries”"


def _lead_adds_a_component(cast: Cast, model: dict[str, Any]) -> str:
    workspace_services.component_create(
        membership=cast.membership(cast.security_lead),
        project=model["api"].project,
        name="Cache",
        kind=ComponentKind.DATA_STORE,
    )
    return "component “Cache”"


# Each edit the lead makes, and how the refusal names what it changed.
EDITS_BY_THE_LEAD: dict[str, Callable[[Cast, dict[str, Any]], str]] = {
    "a threat's statement": _lead_rewrites_a_threat,
    "a control's effectiveness on a threat": _lead_changes_a_control_link,
    "a new component": _lead_adds_a_component,
}


@pytest.mark.parametrize("edit", EDITS_BY_THE_LEAD)
def test_a_lead_who_changed_the_model_after_it_was_submitted_does_not_approve_it(
    cast: Cast, project: Project, model: dict[str, Any], edit: str
) -> None:
    """Four eyes: what the lead changed since the submission was seen by nobody else, so another decider signs
    it off (or the lead asks for changes, and the engineer submits again)."""
    submitted(cast, project)
    part = EDITS_BY_THE_LEAD[edit](cast, model)
    with pytest.raises(PermissionDenied) as refused:
        _approve(cast, project, cast.security_lead)
    assert (
        str(refused.value)
        == f"You changed {part} after this model was submitted, so someone else signs it off."
    )
    assert ModelReview.objects.get().is_open
    state = review_state(project)
    assert state.open_review is not None
    assert services.approval_refused(cast.membership(cast.owner), state.open_review, state.snapshot) == ""
    assert _approve(cast, project, cast.owner).decision == ReviewDecision.APPROVED


def test_deciding_threats_planning_work_and_others_edits_leave_the_lead_free_to_approve(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    """Confirming or rejecting threats is the reviewer's part, an owner or a due date is the plan rather than
    the model, and what the engineer changed since submitting is for the lead to look at: none of it stops the
    lead's sign-off."""
    submitted(cast, project)
    lead = cast.membership(cast.security_lead)
    threats = list(
        decidable_threats(lead).filter(pk__in=[model["replay"].pk, model["injection"].pk]).order_by("number")
    )
    services.threats_review(
        membership=lead,
        seen=seen(threats[:1]),
        decision=ThreatReviewDecision.REJECTED,
        comment="Not our risk",
    )
    services.threats_review(membership=lead, seen=seen(threats[1:]), decision=ThreatReviewDecision.CONFIRMED)
    _lead_updates(cast, Threat, model["injection"].pk, owner=cast.other_engineer)
    _updates(cast, cast.engineer, Component, model["api"].pk, name="Public API")
    state = review_state(project)
    assert state.changed_since_submission  # the statuses, the reason and the engineer's rename
    assert state.open_review is not None
    assert services.approval_refused(lead, state.open_review, state.snapshot) == ""
    assert _approve(cast, project, cast.security_lead).decision == ReviewDecision.APPROVED


def test_the_lead_changing_what_is_not_the_model_of_a_part_others_edited_may_still_approve(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    """A threat's owner, a control's owner and due date, the project's criticality are the plan, not the model: the
    lead changing them on parts the engineer edited since the submission signs off only the engineer's edits."""
    submitted(cast, project)
    _lead_updates(cast, Threat, model["replay"].pk, owner=cast.other_engineer)
    _lead_updates(cast, Control, model["params"].pk, owner=cast.engineer, due_on=datetime.date(2027, 1, 31))
    _lead_updates(cast, Project, project.pk, criticality="high")
    _updates(cast, cast.engineer, Threat, model["replay"].pk, threat_action="replay a stolen session")
    _updates(cast, cast.engineer, Control, model["params"].pk, description="Bind every value")
    _updates(cast, cast.engineer, Project, project.pk, description="Card payments")
    assert _approve(cast, project, cast.security_lead).decision == ReviewDecision.APPROVED


def test_a_link_the_lead_changed_names_the_part_that_holds_it_not_the_threat_the_engineer_edited(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    submitted(cast, project)
    _lead_changes_a_control_link(cast, model)
    _updates(
        cast, cast.engineer, Threat, model["injection"].pk, threat_action="inject SQL through the search box"
    )
    with pytest.raises(PermissionDenied) as refused:
        _approve(cast, project, cast.security_lead)
    assert str(refused.value).startswith("You changed control “Parameterised queries” after")


def test_a_long_list_of_the_leads_edits_is_cut_short(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    submitted(cast, project)
    lead = cast.membership(cast.security_lead)
    for name in ("A", "B", "C", "D", "E", "F", "G"):
        workspace_services.component_create(
            membership=lead, project=project, name=name, kind=ComponentKind.PROCESS
        )
    _lead_updates(cast, Threat, model["injection"].pk, threat_action="inject SQL twice")
    _lead_updates(cast, Threat, model["replay"].pk, threat_action="replay twice")
    with pytest.raises(PermissionDenied) as refused:
        _approve(cast, project, cast.security_lead)
    assert str(refused.value) == (
        "You changed component “A”, component “B”, component “C”, component “D” and 5 more after this model "
        "was submitted, so someone else signs it off."
    )


def test_a_lead_who_edited_another_model_may_still_approve_this_one(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    submitted(cast, project)
    elsewhere = ProjectFactory.create(team=cast.team, name="Elsewhere")
    other = build_model(elsewhere)
    _lead_updates(cast, Threat, other["replay"].pk, threat_action="replay something else")
    _lead_updates(cast, Project, elsewhere.pk, description="Changed by the lead")
    _updates(cast, cast.engineer, Component, model["api"].pk, name="Public API")
    assert _approve(cast, project, cast.security_lead).decision == ReviewDecision.APPROVED


def test_asking_for_changes_says_which_and_gives_the_project_its_status_back(cast: Cast) -> None:
    draft = ProjectFactory.create(team=cast.team, name="Draft one")
    submitted(cast, draft)
    lead = cast.membership(cast.security_lead)
    with pytest.raises(ValidationError) as error:
        services.model_review_decide(
            membership=lead, project=draft, decision=ReviewDecision.CHANGES_REQUESTED, comment=" "
        )
    assert "comment" in error.value.message_dict
    assert ModelReview.objects.get().is_open
    services.model_review_decide(
        membership=lead,
        project=draft,
        decision=ReviewDecision.CHANGES_REQUESTED,
        comment="Add the admin flows",
    )
    draft.refresh_from_db()
    assert draft.status == ProjectStatus.DRAFT
    ((_, subject),) = notified(NotificationKind.REVIEW_DECIDED)
    assert "Add the admin flows" in subject


def test_a_project_in_review_with_nothing_waiting_is_not_sent_back_into_review(
    cast: Cast, project: Project
) -> None:
    """A project put in review before only a submission could do it: its model, submitted and sent back, leaves
    it a draft, not in review with nothing waiting."""
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.IN_REVIEW)
    project.refresh_from_db()
    assert submitted(cast, project).status_before == ProjectStatus.IN_REVIEW
    services.model_review_decide(
        membership=cast.membership(cast.security_lead),
        project=project,
        decision=ReviewDecision.CHANGES_REQUESTED,
        comment="Add the admin flows",
    )
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.DRAFT


def test_a_project_not_reviewed_in_90_days_leaves_the_dashboard_only_when_approved(
    cast: Cast, project: Project, model: dict[str, Any], today: datetime.date
) -> None:
    long_ago = today - datetime.timedelta(days=200)
    Project.objects.filter(pk=project.pk).update(last_reviewed_on=long_ago)
    project.refresh_from_db()
    submitted(cast, project)
    engineer = cast.membership(cast.engineer)

    def overdue() -> tuple[list[int], list[int], int]:
        board = dashboard(cast.organisation, DashboardFilters(), today)
        listed = Project.objects.filter(attention.project_review_overdue(today))
        return [row.project_id for row in board.stale_projects], [p.pk for p in listed], board.stale_count

    assert overdue() == ([project.pk], [project.pk], 1)
    for fields in ({"status": ProjectStatus.ACTIVE}, {"last_reviewed_on": today}):
        with pytest.raises(ValidationError) as refused:
            workspace_services.project_update(
                membership=engineer,
                project=Project.objects.get(pk=project.pk),
                version=project.version,
                **fields,
            )
        assert list(refused.value.message_dict) == list(fields)
    saved = Project.objects.get(pk=project.pk)
    assert (saved.status, saved.last_reviewed_on, saved.version) == (
        ProjectStatus.IN_REVIEW,
        long_ago,
        project.version,
    )
    assert overdue() == ([project.pk], [project.pk], 1)
    services.model_review_decide(
        membership=cast.membership(cast.security_lead), project=project, decision=ReviewDecision.APPROVED
    )
    assert overdue() == ([], [], 0)
    saved = Project.objects.get(pk=project.pk)
    assert (saved.status, saved.last_reviewed_on) == (ProjectStatus.ACTIVE, today)


def test_a_model_not_waiting_for_review_cannot_be_decided(cast: Cast, project: Project) -> None:
    lead = cast.membership(cast.security_lead)
    with pytest.raises(services.NotWaiting):
        services.model_review_decide(membership=lead, project=project, decision=ReviewDecision.APPROVED)
    submitted(cast, project)
    services.model_review_decide(membership=lead, project=project, decision=ReviewDecision.APPROVED)
    with pytest.raises(services.NotWaiting):
        services.model_review_decide(
            membership=cast.membership(cast.owner), project=project, decision="approved"
        )
    assert ModelReview.objects.get().decided_by == cast.security_lead


@pytest.mark.parametrize("decision", ["maybe", ReviewDecision.WITHDRAWN])
def test_an_unknown_decision_is_a_field_error(cast: Cast, project: Project, decision: str) -> None:
    """A withdrawal is the submitter's side (model_review_withdraw), not a verdict a lead gives."""
    submitted(cast, project)
    with pytest.raises(ValidationError) as error:
        services.model_review_decide(
            membership=cast.membership(cast.security_lead), project=project, decision=decision
        )
    assert "decision" in error.value.message_dict
    assert ModelReview.objects.get().is_open


def test_another_organisations_lead_cannot_decide(cast: Cast, project: Project) -> None:
    submitted(cast, project)
    with pytest.raises(PermissionDenied):
        services.model_review_decide(
            membership=cast.outsider.memberships.get(), project=project, decision=ReviewDecision.APPROVED
        )
    assert ModelReview.objects.get().is_open


def test_a_review_cycle_is_recorded_in_the_projects_history(cast: Cast, project: Project) -> None:
    submitted(cast, project)
    services.model_review_decide(
        membership=cast.membership(cast.security_lead), project=project, decision=ReviewDecision.APPROVED
    )
    events = pghistory.models.Events.objects.filter(
        pgh_obj_model="projects.Project", pgh_obj_id=project.pk, pgh_label="updated"
    ).order_by("pgh_id")
    assert [(event.pgh_diff["status"][1], event.pgh_context["user"]) for event in events] == [
        (ProjectStatus.IN_REVIEW, cast.engineer.pk),
        (ProjectStatus.ACTIVE, cast.security_lead.pk),
    ]


# Withdrawing a model ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_whoever_may_edit_the_project_withdraws_the_model_waiting_and_nobody_else(
    cast: Cast, project: Project, role: str
) -> None:
    """The submitting engineer takes back their own submission; the team and the leads may take back the team's;
    a viewer and another team's engineer may not."""
    review = submitted(cast, project)
    withdraw = partial(
        services.model_review_withdraw,
        membership=cast.membership(person(cast, role)),
        project=project,
        note="  Not ready: the refunds flow is missing ",
    )
    if role not in EDITORS:
        with pytest.raises(PermissionDenied):
            withdraw()
        review.refresh_from_db()
        assert review.is_open
        assert Project.objects.get(pk=project.pk).status == ProjectStatus.IN_REVIEW
        return
    withdrawn = withdraw()
    assert withdrawn.pk == review.pk
    review.refresh_from_db()
    assert (review.decision, review.comment) == (
        ReviewDecision.WITHDRAWN,
        "Not ready: the refunds flow is missing",
    )
    assert review.decided_by == person(cast, role)
    assert review.decided_at is not None
    assert not review.is_open
    project.refresh_from_db()
    assert project.status == ProjectStatus.ACTIVE  # the status it had before its submission
    assert project.last_reviewed_on is None
    assert review_state(project).open_review is None


def test_withdrawing_tells_the_members_who_were_asked_to_decide(cast: Cast, project: Project) -> None:
    submitted(cast, project)
    asked = recipients(NotificationKind.REVIEW_REQUESTED)
    services.model_review_withdraw(
        membership=cast.membership(cast.engineer), project=project, note="Not ready"
    )
    told = notified(NotificationKind.REVIEW_DECIDED)
    assert {email for email, _ in told} == asked == {cast.owner.email, cast.security_lead.email}
    assert {subject for _, subject in told} == {
        f"{cast.engineer.display_name} withdrew the threat model of Checkout from review: Not ready"
    }


def test_a_lead_who_withdraws_is_not_told_of_their_own_withdrawal(cast: Cast, project: Project) -> None:
    submitted(cast, project, by=cast.security_lead)
    services.model_review_withdraw(membership=cast.membership(cast.security_lead), project=project)
    assert notified(NotificationKind.REVIEW_DECIDED) == {
        (
            cast.owner.email,
            f"{cast.security_lead.display_name} withdrew the threat model of Checkout from review",
        )
    }


def test_nothing_waiting_is_nothing_to_withdraw(cast: Cast, project: Project) -> None:
    engineer = cast.membership(cast.engineer)
    with pytest.raises(services.NotWaiting) as error:
        services.model_review_withdraw(membership=engineer, project=project)
    assert "nothing to withdraw" in error.value.message_dict["project"][0]
    submitted(cast, project)
    services.model_review_decide(
        membership=cast.membership(cast.security_lead), project=project, decision=ReviewDecision.APPROVED
    )
    with pytest.raises(services.NotWaiting):
        services.model_review_withdraw(membership=engineer, project=project)
    assert ModelReview.objects.get().decision == ReviewDecision.APPROVED
    assert (
        not Notification.objects.filter(kind=NotificationKind.REVIEW_DECIDED)
        .exclude(subject__contains="approved")
        .exists()
    )


def test_a_withdrawn_draft_is_a_draft_again_and_is_submitted_anew(cast: Cast) -> None:
    draft = ProjectFactory.create(team=cast.team, name="Draft one")
    first = submitted(cast, draft)
    engineer = cast.membership(cast.engineer)
    services.model_review_withdraw(membership=engineer, project=draft)
    draft.refresh_from_db()
    assert draft.status == ProjectStatus.DRAFT
    second = services.model_review_submit(membership=engineer, project=draft, note="Now with refunds")
    draft.refresh_from_db()
    assert draft.status == ProjectStatus.IN_REVIEW
    assert second.pk != first.pk
    assert [review.decision for review in ModelReview.objects.order_by("pk")] == [
        ReviewDecision.WITHDRAWN,
        "",
    ]
    # and the new one is decided as any other
    services.model_review_decide(
        membership=cast.membership(cast.security_lead), project=draft, decision=ReviewDecision.APPROVED
    )
    assert Project.objects.get(pk=draft.pk).status == ProjectStatus.ACTIVE


def test_a_project_in_review_with_nothing_waiting_is_a_draft_once_withdrawn(
    cast: Cast, project: Project
) -> None:
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.IN_REVIEW)
    project.refresh_from_db()
    assert submitted(cast, project).status_before == ProjectStatus.IN_REVIEW
    services.model_review_withdraw(membership=cast.membership(cast.engineer), project=project)
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.DRAFT


def test_a_note_too_long_is_a_field_error_and_nothing_is_withdrawn(cast: Cast, project: Project) -> None:
    submitted(cast, project)
    with pytest.raises(ValidationError) as error:
        services.model_review_withdraw(
            membership=cast.membership(cast.engineer), project=project, note="x" * 2_001
        )
    assert "note" in error.value.message_dict
    assert ModelReview.objects.get().is_open


def test_another_organisations_member_cannot_withdraw(cast: Cast, project: Project) -> None:
    submitted(cast, project)
    with pytest.raises(PermissionDenied):
        services.model_review_withdraw(membership=cast.outsider.memberships.get(), project=project)
    assert ModelReview.objects.get().is_open


def test_a_withdrawal_is_recorded_in_the_projects_history(cast: Cast, project: Project) -> None:
    submitted(cast, project)
    services.model_review_withdraw(membership=cast.membership(cast.engineer), project=project)
    events = pghistory.models.Events.objects.filter(
        pgh_obj_model="projects.Project", pgh_obj_id=project.pk, pgh_label="updated"
    ).order_by("pgh_id")
    assert [(event.pgh_diff["status"][1], event.pgh_context["user"]) for event in events] == [
        (ProjectStatus.IN_REVIEW, cast.engineer.pk),
        (ProjectStatus.ACTIVE, cast.engineer.pk),
    ]


# Changed since approval -------------------------------------------------------------------------------------


def approve(cast: Cast, project: Project) -> ModelReview:
    submitted(cast, project)
    return services.model_review_decide(
        membership=cast.membership(cast.security_lead), project=project, decision=ReviewDecision.APPROVED
    )


def test_an_approved_model_is_changed_since_approval_until_its_content_is_back(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    approve(cast, project)
    assert not review_state(project).changed_since_approval
    Control.objects.filter(pk=model["params"].pk).update(status=ControlStatus.IMPLEMENTED)
    state = review_state(project)
    assert state.changed_since_approval
    assert state.approval is not None
    assert state.approval.decided_by == cast.security_lead
    Control.objects.filter(pk=model["params"].pk).update(status=ControlStatus.PLANNED)
    assert not review_state(project).changed_since_approval


def test_a_model_never_approved_is_not_changed_since_approval(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    submitted(cast, project)
    state = review_state(project)
    assert state.approval is None
    assert state.open_review is not None
    assert not state.changed_since_approval
    assert not state.changed_since_submission
    Threat.objects.filter(pk=model["replay"].pk).update(prerequisites="with a stolen cookie")
    assert review_state(project).changed_since_submission


# The digest ---------------------------------------------------------------------------------------------------


def test_the_digest_is_stable_on_unchanged_content(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    first = digest_of(model_snapshot(project))
    assert digest_of(model_snapshot(project)) == first
    assert len(first) == 64
    # What is not the model's content: owners, due dates, costs, the project's review status.
    Threat.objects.filter(project=project).update(owner=cast.engineer)
    Control.objects.filter(project=project).update(due_on=datetime.date(2030, 1, 1), cost_per_year=1000)
    Project.objects.filter(pk=project.pk).update(
        status=ProjectStatus.IN_REVIEW, last_reviewed_on=timezone.localdate()
    )
    assert digest_of(model_snapshot(project)) == first


def test_the_digest_does_not_depend_on_ids(cast: Cast, project: Project, model: dict[str, Any]) -> None:
    """The same model built again elsewhere (as a backup restores it, with new ids) has the same digest."""
    elsewhere = OrganisationFactory.create()
    copy = ProjectFactory.create(
        team=TeamFactory.create(organisation=elsewhere), name="Checkout", status="draft"
    )
    ProjectFactory.create(team=cast.team)  # shifts the ids
    build_model(copy)
    assert model_snapshot(copy) != model_snapshot(project)
    assert digest_of(model_snapshot(copy)) == digest_of(model_snapshot(project))
    assert not model_diff(model_snapshot(project), model_snapshot(copy))


CHANGES: dict[str, Callable[[dict[str, Any]], object]] = {
    "project renamed": lambda m: Project.objects.filter(pk=m["api"].project_id).update(name="Checkout 2"),
    "zone trust level": lambda m: TrustZone.objects.filter(pk=m["internal"].pk).update(trust_level=2),
    "zone nested": lambda m: TrustZone.objects.filter(pk=m["internal"].pk).update(parent=m["internet"]),
    "asset rating": lambda m: (
        type(m["cards"]).objects.filter(pk=m["cards"].pk).update(confidentiality=Rating.CRITICAL)
    ),
    "component tag": lambda m: Component.objects.filter(pk=m["api"].pk).update(tags=["python", "public"]),
    "component zone": lambda m: Component.objects.filter(pk=m["api"].pk).update(zone=m["internet"]),
    "component asset unlinked": lambda m: m["store"].assets.set([]),
    "flow encrypted": lambda m: DataFlow.objects.filter(pk=m["query"].pk).update(is_encrypted=True),
    "flow reversed": lambda m: DataFlow.objects.filter(pk=m["query"].pk).update(
        source=m["store"], destination=m["api"]
    ),
    "flow deleted": lambda m: m["query"].delete(),
    "threat statement": lambda m: Threat.objects.filter(pk=m["replay"].pk).update(
        threat_action="replay a token"
    ),
    "threat status": lambda m: Threat.objects.filter(pk=m["replay"].pk).update(status=ThreatStatus.CONFIRMED),
    "threat stride": lambda m: Threat.objects.filter(pk=m["injection"].pk).update(stride=["T", "I"]),
    "threat likelihood": lambda m: Threat.objects.filter(pk=m["injection"].pk).update(likelihood="high"),
    "threat frequency": lambda m: Threat.objects.filter(pk=m["injection"].pk).update(
        frequency_min=0.1, frequency_mode=0.5, frequency_max=2
    ),
    "threat target removed": lambda m: m["injection"].target_components.set([]),
    "threat added": lambda m: ThreatFactory.create(project=m["api"].project),
    "control status": lambda m: Control.objects.filter(pk=m["tokens"].pk).update(
        status=ControlStatus.VERIFIED
    ),
    "control ticket": lambda m: Control.objects.filter(pk=m["tokens"].pk).update(
        ticket_url="https://jira.test/1"
    ),
    "link effectiveness": lambda m: ThreatControl.objects.filter(pk=m["link"].pk).update(effectiveness=40),
    "link removed": lambda m: ThreatControl.objects.filter(pk=m["link"].pk).delete(),
    "control linked to a second threat": lambda m: ThreatControlFactory.create(
        threat=m["replay"], control=m["params"], effectiveness=10
    ),
}


@pytest.mark.parametrize("name", CHANGES)
def test_any_change_to_the_content_moves_the_digest(
    cast: Cast, project: Project, model: dict[str, Any], name: str
) -> None:
    before = model_snapshot(project)
    CHANGES[name](model)
    project.refresh_from_db()
    after = model_snapshot(project)
    assert digest_of(after) != digest_of(before)
    assert model_diff(before, after), f"{name} shows in the diff"


# The diff -------------------------------------------------------------------------------------------------------


def fields_of(change: Any) -> dict[str, tuple[str, str]]:
    return {item.name: (item.before, item.after) for item in change.fields}


def test_the_diff_lists_added_removed_and_edited_parts_field_by_field(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    before = model_snapshot(project)
    Threat.objects.filter(pk=model["replay"].pk).update(
        threat_action="replay a stolen session", status="confirmed"
    )
    model["injection"].delete()
    added = ThreatFactory.create(
        project=project, threat_source="insider", threat_action="export the card data"
    )
    Control.objects.filter(pk=model["tokens"].pk).update(status=ControlStatus.IMPLEMENTED)
    ThreatControl.objects.filter(threat=model["replay"]).update(effectiveness=75)
    ComponentFactory.create(project=project, name="Worker", technology="Celery")
    Component.objects.filter(pk=model["browser"].pk).delete()  # takes its flow "Login" along
    DataFlow.objects.filter(pk=model["query"].pk).update(protocol="TLS", is_encrypted=True)

    diff = model_diff(before, model_snapshot(project))
    found = {(item.kind, item.change, item.label.split(":")[0]): item for item in diff.changes}
    assert set(found) == {
        ("threats", "edited", "T-1"),
        ("threats", "removed", "T-2"),
        ("threats", "added", "T-3"),
        ("controls", "edited", "Short-lived tokens"),
        ("controls", "edited", "Parameterised queries"),  # its link to T-2 went with T-2
        ("components", "added", "Worker"),
        ("components", "removed", "Browser"),
        ("flows", "removed", "Login (Browser → API)"),
        ("flows", "edited", "Query (API → Store)"),
    }
    assert fields_of(found["threats", "edited", "T-1"]) == {
        "Threat action": ("replay a session", "replay a stolen session"),
        "Status": ("Identified", "Confirmed"),
        "Targets": ("Login (Browser → API)", ""),
    }
    assert found["threats", "added", "T-3"].key == added.number == 3
    assert ("Threat source", ("", "insider")) in fields_of(found["threats", "added", "T-3"]).items()
    assert fields_of(found["threats", "removed", "T-2"])["STRIDE"] == ("Tampering", "")
    assert found["threats", "removed", "T-2"].key is None
    assert fields_of(found["controls", "edited", "Short-lived tokens"]) == {
        "Status": ("Proposed", "Implemented"),
        "Linked threats (effectiveness)": ("T-1 (60 %)", "T-1 (75 %)"),
    }
    assert fields_of(found["controls", "edited", "Parameterised queries"]) == {
        "Linked threats (effectiveness)": ("T-2 (90 %)", "")
    }
    assert fields_of(found["flows", "edited", "Query (API → Store)"]) == {
        "Protocol": ("", "TLS"),
        "Encrypted": ("No", "Yes"),
    }
    assert fields_of(found["components", "added", "Worker"]) == {
        "Name": ("", "Worker"),
        "Kind": ("", "Process"),
        "Technology": ("", "Celery"),
    }
    assert diff.summary == "2 added, 3 removed, 4 edited"
    assert [kind for kind, _ in diff.by_kind] == ["components", "flows", "threats", "controls"]


def test_a_renamed_part_is_edited_once_not_in_everything_that_points_at_it(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    before = model_snapshot(project)
    Component.objects.filter(pk=model["api"].pk).update(name="Payments API")
    diff = model_diff(before, model_snapshot(project))
    assert [(item.kind, item.change, fields_of(item)) for item in diff.changes] == [
        ("components", "edited", {"Name": ("API", "Payments API")})
    ]


def test_a_part_moved_to_another_is_shown_by_name(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    before = model_snapshot(project)
    Component.objects.filter(pk=model["api"].pk).update(zone=model["internet"])
    model["injection"].target_components.set([model["store"]])
    diff = model_diff(before, model_snapshot(project))
    assert {item.label.split(":")[0]: fields_of(item) for item in diff.changes} == {
        "API": {"Trust zone": ("Internal", "Internet")},
        "T-2": {"Targets": ("API", "Store")},
    }


def test_changes_since_approval_compare_the_approved_snapshot_with_now(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    assert changes_since(project, "approval") is None
    approve(cast, project)
    changes = changes_since(project, "approval")
    assert changes is not None
    assert not changes.diff
    Threat.objects.filter(pk=model["replay"].pk).update(status=ThreatStatus.MITIGATED)
    changes = changes_since(project, "approval")
    assert changes is not None
    assert [(item.label.split(":")[0], fields_of(item)) for item in changes.diff.changes] == [
        ("T-1", {"Status": ("Identified", "Mitigated")})
    ]
    assert changes_since(project, "submission") is None


# Threat review ------------------------------------------------------------------------------------------------


@pytest.fixture
def in_review(cast: Cast, project: Project) -> list[Threat]:
    threats = ThreatFactory.create_batch(
        3, project=project, status=ThreatStatus.IN_REVIEW, created_by=cast.engineer, owner=cast.other_engineer
    )
    return list(
        Threat.objects.filter(pk__in=[t.pk for t in threats]).select_related(
            "project__organisation", "owner", "created_by"
        )
    )


def seen(threats: list[Threat]) -> list[Seen[Threat]]:
    return [Seen(threat, threat.version) for threat in threats]


def statuses(threats: list[Threat]) -> list[tuple[str, str]]:
    return list(
        Threat.objects.filter(pk__in=[t.pk for t in threats])
        .order_by("number")
        .values_list("status", "status_reason")
    )


COMMENTS: dict[str, str] = {
    ThreatReviewDecision.CONFIRMED: "",
    ThreatReviewDecision.REJECTED: "Out of scope: handled by the payment provider",
    ThreatReviewDecision.CHANGES_REQUESTED: "Name the asset it reaches",
}
AFTER: dict[str, tuple[str, str]] = {
    ThreatReviewDecision.CONFIRMED: (ThreatStatus.CONFIRMED, ""),
    ThreatReviewDecision.REJECTED: (ThreatStatus.REJECTED, COMMENTS[ThreatReviewDecision.REJECTED]),
    ThreatReviewDecision.CHANGES_REQUESTED: (ThreatStatus.IDENTIFIED, ""),
}


@pytest.mark.parametrize("decision", ThreatReviewDecision.values)
@pytest.mark.parametrize("role", ROLES)
def test_only_a_security_lead_or_an_owner_decides_threats_in_review(
    cast: Cast, in_review: list[Threat], role: str, decision: str
) -> None:
    def decide() -> services.ThreatsDecided:
        return services.threats_review(
            membership=cast.membership(person(cast, role)),
            seen=seen(in_review[:2]),
            decision=decision,
            comment=COMMENTS[decision],
        )

    if role not in DECIDERS:
        with pytest.raises(PermissionDenied):
            decide()
        assert statuses(in_review) == [(ThreatStatus.IN_REVIEW, "")] * 3
        assert not ThreatReview.objects.exists()
        return
    done = decide()
    assert statuses(in_review) == [AFTER[decision]] * 2 + [(ThreatStatus.IN_REVIEW, "")]
    records = ThreatReview.objects.order_by("threat__number")
    assert [(r.threat_id, r.decision, r.comment, r.status_before, r.decided_by_id) for r in records] == [
        (threat.pk, decision, COMMENTS[decision], ThreatStatus.IN_REVIEW, person(cast, role).pk)
        for threat in in_review[:2]
    ]
    assert done.summary.startswith(
        f"2 threats {ThreatReviewDecision(decision).label.lower()}: Checkout T-1 and Checkout T-2"
    )
    # The creator and the owner are told, once each for the two threats.
    assert recipients(NotificationKind.REVIEW_DECIDED) == {cast.engineer.email, cast.other_engineer.email}
    assert Notification.objects.filter(kind=NotificationKind.REVIEW_DECIDED).count() == 2
    events = pghistory.models.Events.objects.filter(pgh_obj_model="projects.Threat", pgh_label="updated")
    assert {(int(str(e.pgh_obj_id)), e.pgh_context["user"]) for e in events} == {
        (threat.pk, person(cast, role).pk) for threat in in_review[:2]
    }


@pytest.mark.parametrize("decision", [ThreatReviewDecision.REJECTED, ThreatReviewDecision.CHANGES_REQUESTED])
def test_a_rejection_or_a_request_for_changes_needs_its_words(
    cast: Cast, in_review: list[Threat], decision: str
) -> None:
    with pytest.raises(ValidationError) as error:
        services.threats_review(
            membership=cast.membership(cast.security_lead),
            seen=seen(in_review),
            decision=decision,
            comment="  ",
        )
    assert "comment" in error.value.message_dict
    assert statuses(in_review) == [(ThreatStatus.IN_REVIEW, "")] * 3
    assert not ThreatReview.objects.exists()
    assert not Notification.objects.exists()


def test_one_threat_is_decided_alone_and_its_people_are_told_of_it(
    cast: Cast, in_review: list[Threat]
) -> None:
    threat = in_review[1]
    services.threat_review(
        membership=cast.membership(cast.owner),
        threat=threat,
        version=threat.version,
        decision=ThreatReviewDecision.CHANGES_REQUESTED,
        comment="Which session?",
    )
    assert statuses(in_review)[1] == (ThreatStatus.IDENTIFIED, "")
    subjects = {subject for _, subject in notified(NotificationKind.REVIEW_DECIDED)}
    assert subjects == {
        f"T-2 of Checkout was sent back with changes requested by {cast.owner.display_name}: Which session?"
    }
    note = Notification.objects.filter(kind=NotificationKind.REVIEW_DECIDED).first()
    assert note is not None
    assert note.url.endswith(f"/projects/{threat.project_id}/threats/2/")


def test_a_creator_who_owns_the_threat_is_told_of_it_once(cast: Cast, project: Project) -> None:
    threat = ThreatFactory.create(
        project=project, status=ThreatStatus.IN_REVIEW, created_by=cast.engineer, owner=cast.engineer
    )
    services.threat_review(
        membership=cast.membership(cast.security_lead),
        threat=threat,
        version=threat.version,
        decision=ThreatReviewDecision.CONFIRMED,
    )
    confirmed = f"T-{threat.number} of Checkout was confirmed by {cast.security_lead.display_name}"
    assert notified(NotificationKind.REVIEW_DECIDED) == {(cast.engineer.email, confirmed)}


def test_telling_a_decisions_people_costs_the_same_queries_for_one_person_as_for_four(
    cast: Cast, project: Project
) -> None:
    lead = cast.membership(cast.security_lead)

    def decide(people: list[User]) -> int:
        threats = [
            ThreatFactory.create(project=project, status=ThreatStatus.IN_REVIEW, created_by=person)
            for person in people
        ]
        loaded = Threat.objects.filter(pk__in=[t.pk for t in threats]).select_related("project__organisation")
        return count_queries(
            lambda: services.threats_review(
                membership=lead, seen=seen(list(loaded)), decision=ThreatReviewDecision.CONFIRMED
            )
        )

    decide([cast.engineer])  # the first decision reads the deciding member's user, which later ones reuse
    one = decide([cast.engineer] * 4)
    four = decide([cast.engineer, cast.other_engineer, cast.viewer, cast.owner])

    assert four == one
    assert Notification.objects.filter(kind=NotificationKind.REVIEW_DECIDED).count() == 6


def test_identified_threats_are_decided_too(cast: Cast, project: Project) -> None:
    threat = ThreatFactory.create(project=project)
    services.threat_review(
        membership=cast.membership(cast.security_lead),
        threat=threat,
        version=threat.version,
        decision=ThreatReviewDecision.CONFIRMED,
    )
    assert Threat.objects.get(pk=threat.pk).status == ThreatStatus.CONFIRMED


def other_project_threats(cast: Cast) -> list[Threat]:
    platform = ProjectFactory.create(team=cast.other_team, name="Platform")
    made = ThreatFactory.create_batch(
        2, project=platform, status=ThreatStatus.IN_REVIEW, created_by=cast.other_engineer
    )
    return list(Threat.objects.filter(pk__in=[t.pk for t in made]).select_related("project__organisation"))


def test_threats_of_several_projects_are_decided_in_one_go(cast: Cast, in_review: list[Threat]) -> None:
    others = other_project_threats(cast)
    done = services.threats_review(
        membership=cast.membership(cast.security_lead),
        seen=seen(in_review + others),
        decision=ThreatReviewDecision.CONFIRMED,
    )
    assert len(done.threats) == 5
    assert statuses(in_review + others) == [(ThreatStatus.CONFIRMED, "")] * 5
    assert ThreatReview.objects.count() == 5


BAD_ROWS: dict[str, Callable[[Cast, list[Threat]], list[Seen[Threat]]]] = {
    "a threat already decided": lambda cast, threats: [
        *seen(threats),
        *seen([ThreatFactory.create(project=threats[0].project, status=ThreatStatus.CONFIRMED)]),
    ],
    "a threat changed since it was seen": lambda cast, threats: [*seen(threats[:2]), Seen(threats[2], 0)],
    "a threat of another organisation": lambda cast, threats: [
        *seen(threats),
        *seen([ThreatFactory.create(project=ProjectFactory.create(), status=ThreatStatus.IN_REVIEW)]),
    ],
}


@pytest.mark.parametrize("bad", BAD_ROWS)
def test_a_bulk_decision_with_one_bad_row_writes_nothing(
    cast: Cast, in_review: list[Threat], bad: str
) -> None:
    others = other_project_threats(cast)
    rows = seen(others) + BAD_ROWS[bad](cast, in_review)
    with pytest.raises((ValidationError, StaleObjects)):
        services.threats_review(
            membership=cast.membership(cast.security_lead),
            seen=rows,
            decision=ThreatReviewDecision.REJECTED,
            comment="Duplicates",
        )
    assert statuses(others + in_review) == [(ThreatStatus.IN_REVIEW, "")] * 5
    assert not ThreatReview.objects.exists()
    assert not Notification.objects.exists()
    assert set(
        Threat.objects.filter(pk__in=[t.pk for t in others + in_review]).values_list("version", flat=True)
    ) == {1}


def test_a_threat_already_decided_is_named_in_the_refusal(cast: Cast, in_review: list[Threat]) -> None:
    done = ThreatFactory.create(project=in_review[0].project, status=ThreatStatus.MITIGATED)
    with pytest.raises(ValidationError) as error:
        services.threats_review(
            membership=cast.membership(cast.security_lead),
            seen=[*seen(in_review), Seen(done, 1)],
            decision=ThreatReviewDecision.CONFIRMED,
        )
    assert error.value.message_dict["threats"] == [
        "Checkout T-4 is not waiting for review (only identified threats and threats in review are decided here), "
        "so nothing was changed."
    ]


def test_a_bulk_decision_names_at_least_one_threat(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        services.threats_review(membership=cast.membership(cast.security_lead), seen=[], decision="confirmed")
    assert "threats" in error.value.message_dict


def test_members_who_left_are_not_told(cast: Cast, project: Project) -> None:
    gone = UserFactory.create()
    MembershipFactory.create(user=gone, organisation=cast.organisation, role=Role.ENGINEER)
    threat = ThreatFactory.create(project=project, status=ThreatStatus.IN_REVIEW, created_by=gone)
    gone.memberships.all().delete()
    services.threat_review(
        membership=cast.membership(cast.security_lead),
        threat=threat,
        version=1,
        decision=ThreatReviewDecision.CONFIRMED,
    )
    assert not Notification.objects.exists()


# Backup ---------------------------------------------------------------------------------------------------------


def test_a_restored_organisation_keeps_its_reviews_and_an_approved_model_is_unchanged_since_approval(
    cast: Cast, project: Project, model: dict[str, Any]
) -> None:
    approve(cast, project)
    threat = model["replay"]
    Threat.objects.filter(pk=threat.pk).update(status=ThreatStatus.IN_REVIEW)
    threat.refresh_from_db()
    services.threat_review(
        membership=cast.membership(cast.owner),
        threat=threat,
        version=threat.version,
        decision=ThreatReviewDecision.CHANGES_REQUESTED,
        comment="Which session?",
    )
    assert not review_state(project).changed_since_approval

    restored = import_org_document(export_org_document(cast.organisation), slug="acme-restored")

    copy = Project.objects.get(organisation=restored, name="Checkout")
    assert copy.pk != project.pk
    state = review_state(copy)
    assert state.approval is not None
    assert state.approval.decided_by == cast.security_lead
    assert not state.changed_since_approval
    changes = changes_since(copy, "approval")
    assert changes is not None
    assert not changes.diff
    review = ThreatReview.objects.get(threat__project=copy)
    assert (review.decision, review.comment, review.threat.number) == (
        "changes_requested",
        "Which session?",
        1,
    )
