"""Threats sent for review tell the members who decide reviews (security leads and owners), never the member who
sent them: a threat logged or edited into review, on its page or through the API, a bulk change into review, and a
model import that brings threats in review. One notification per person, project and change, whatever the number
of threats; written in the change's transaction and e-mailed as each member chose, under a kind of its own
(threat_review_requested), so a member can mute it and keep model sign-off requests (review_requested)."""

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from projects import notifications, review_services, workspace_services
from projects.interop import document as doc
from projects.interop.document import ModelDocument
from projects.interop.services import model_import, model_preview
from projects.models import Project, Threat, ThreatStatus, User
from projects.notification_models import EmailMode, Notification, NotificationKind
from projects.review_models import ThreatReviewDecision
from projects.workspace_selectors import Seen
from tests.api.conftest import session_client
from tests.api.workspace import if_match
from tests.conftest import Cast, signed_in
from tests.factories import MembershipFactory, ProjectFactory, ThreatFactory
from tests.queries import count_queries

type Capture = Any

KIND = NotificationKind.THREAT_REVIEW_REQUESTED
# What telling the deciders costs a change: who they are, their memberships and preferences, one insert.
TELLING_DECIDERS = 3


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


@pytest.fixture
def engineer_api(cast: Cast) -> APIClient:
    return session_client(cast.engineer)


@pytest.fixture
def owner_api(cast: Cast) -> APIClient:
    return session_client(cast.owner)


def requests() -> list[tuple[str, str, str]]:
    """Each review request written: to whom, saying what, leading where."""
    return sorted(
        Notification.objects.filter(kind=KIND).values_list("recipient__email", "subject", "url").order_by()
    )


def told(*people: User, subject: str, url: str) -> list[tuple[str, str, str]]:
    return sorted((person.email, subject, url) for person in people)


def threat_url(project: Project, number: int) -> str:
    return reverse("threat_detail", args=["acme", project.pk, number])


def queue_url(project: Project) -> str:
    return reverse("review_queue", args=["acme"]) + f"?project={project.pk}"


def page(name: str, project: Project, *args: object) -> str:
    return reverse(name, args=["acme", project.pk, *args])


def api(name: str, project: Project, *args: object) -> str:
    return reverse(name, args=["acme", project.pk, *args])


def to_review(project: Project, *threats: Threat) -> list[Seen[Threat]]:
    return [Seen(threat, threat.version) for threat in threats]


def set_status(cast: Cast, user: User, project: Project, threats: list[Threat], status: str) -> None:
    workspace_services.threats_set_status(
        membership=cast.membership(user), project=project, seen=to_review(project, *threats), status=status
    )


# One threat, on its pages ----------------------------------------------------------------------------------


def test_a_threat_logged_in_review_tells_the_leads_and_owners_with_a_link_to_it(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    body = {"threat_source": "external attacker", "threat_action": "replay a payment", "status": "in_review"}
    response = engineer_client.post(page("threat_create", project), body)
    assert response.status_code == 302
    subject = f"{cast.engineer} asks for a review of T-1 in Checkout"
    assert requests() == told(cast.owner, cast.security_lead, subject=subject, url=threat_url(project, 1))
    notification = Notification.objects.filter(kind=KIND).first()
    assert notification is not None
    threat = project.threats.get()
    assert (notification.actor, notification.target_type, notification.target_id) == (
        cast.engineer,
        "projects.threat",
        threat.pk,
    )


def test_a_threat_logged_as_identified_tells_nobody(engineer_client: Client, project: Project) -> None:
    body = {"threat_source": "external attacker", "threat_action": "replay a payment", "status": "identified"}
    assert engineer_client.post(page("threat_create", project), body).status_code == 302
    assert requests() == []


def test_editing_a_threat_into_review_tells_them_once(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    threat = ThreatFactory.create(project=project, threat_action="steal cards")
    body = {
        "threat_source": threat.threat_source,
        "threat_action": threat.threat_action,
        "status": "in_review",
        "version": threat.version,
        "owner": "",
    }
    assert engineer_client.post(page("threat_detail", project, threat.number), body).status_code == 302
    subject = f"{cast.engineer} asks for a review of T-{threat.number} in Checkout"
    expected = told(cast.owner, cast.security_lead, subject=subject, url=threat_url(project, threat.number))
    assert requests() == expected

    # Still in review: an edit of something else tells nobody again.
    again = body | {"threat_action": "steal card numbers", "version": threat.version + 1}
    assert engineer_client.post(page("threat_detail", project, threat.number), again).status_code == 302
    assert Threat.objects.get(pk=threat.pk).threat_action == "steal card numbers"
    assert requests() == expected


def test_setting_a_row_to_in_review_from_the_list_tells_them(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    threat = ThreatFactory.create(project=project, status=ThreatStatus.CONFIRMED)
    fields = {"version": threat.version, "status": "in_review", "owner": ""}
    body = {f"threat-{threat.number}-{name}": value for name, value in fields.items()}
    response = engineer_client.post(
        page("threat_inline", project, threat.number), body, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert [email for email, _, _ in requests()] == sorted([cast.owner.email, cast.security_lead.email])


# One threat, through the API -------------------------------------------------------------------------------


def test_a_threat_logged_in_review_through_the_api_tells_them(
    cast: Cast, engineer_api: APIClient, project: Project
) -> None:
    body = {"threat_source": "bot", "threat_action": "scrape prices", "status": "in_review"}
    response = engineer_api.post(api("api_threat_list", project), body)
    assert response.status_code == 201, response.content
    subject = f"{cast.engineer} asks for a review of T-1 in Checkout"
    assert requests() == told(cast.owner, cast.security_lead, subject=subject, url=threat_url(project, 1))


def test_a_threat_patched_into_review_through_the_api_tells_them_and_a_patch_in_review_does_not(
    cast: Cast, engineer_api: APIClient, project: Project
) -> None:
    threat = ThreatFactory.create(project=project)
    detail = api("api_threat_detail", project, threat.number)
    response = engineer_api.patch(detail, {"status": "in_review"}, headers=if_match(threat))
    assert response.status_code == 200, response.content
    assert len(requests()) == 2

    response = engineer_api.patch(detail, {"stride": ["S"]}, headers=if_match(threat))
    assert response.status_code == 200, response.content
    assert len(requests()) == 2


# Many threats at once --------------------------------------------------------------------------------------


def test_forty_threats_sent_for_review_in_bulk_are_one_notification_each_leading_to_the_projects_queue(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    threats = ThreatFactory.create_batch(40, project=project)
    Threat.objects.filter(pk__in=[threats[0].pk, threats[1].pk]).update(status=ThreatStatus.IN_REVIEW)
    ticked = [f"{t.number}:{t.version}" for t in threats]
    response = engineer_client.post(page("threat_bulk", project), {"threats": ticked, "status": "in_review"})
    assert response.status_code == 302
    assert project.threats.filter(status=ThreatStatus.IN_REVIEW).count() == 40
    # The two already in review did not go into review now.
    subject = f"{cast.engineer} asks for a review of 38 threats in Checkout"
    assert requests() == told(cast.owner, cast.security_lead, subject=subject, url=queue_url(project))
    assert set(Notification.objects.values_list("target_type", "target_id")) == {
        ("projects.project", project.pk)
    }
    # The link leads a lead to the queue, narrowed to the project.
    queue = signed_in(cast.security_lead).get(queue_url(project))
    assert queue.status_code == 200
    assert len(queue.context["page"].object_list) == 40


def test_one_threat_sent_for_review_through_the_bulk_api_leads_to_its_page(
    cast: Cast, engineer_api: APIClient, project: Project
) -> None:
    threat = ThreatFactory.create(project=project)
    body = {"items": [{"number": threat.number, "version": threat.version}], "status": "in_review"}
    response = engineer_api.post(api("api_threat_bulk_status", project), body, format="json")
    assert response.status_code == 200, response.content
    subject = f"{cast.engineer} asks for a review of T-{threat.number} in Checkout"
    assert requests() == told(
        cast.owner, cast.security_lead, subject=subject, url=threat_url(project, threat.number)
    )


def test_a_bulk_change_to_another_status_or_of_threats_already_in_review_tells_nobody(
    cast: Cast, project: Project
) -> None:
    identified = ThreatFactory.create_batch(2, project=project)
    in_review = ThreatFactory.create_batch(2, project=project, status=ThreatStatus.IN_REVIEW)
    set_status(cast, cast.engineer, project, identified, ThreatStatus.CONFIRMED)
    set_status(cast, cast.engineer, project, in_review, ThreatStatus.IN_REVIEW)
    assert requests() == []


def test_a_bulk_change_that_fails_tells_nobody(cast: Cast, project: Project) -> None:
    threats = ThreatFactory.create_batch(3, project=project)
    Threat.objects.filter(pk=threats[2].pk).update(version=5)  # someone else saved it meanwhile
    with pytest.raises(workspace_services.StaleObjects):
        workspace_services.threats_set_status(
            membership=cast.membership(cast.engineer),
            project=project,
            seen=[Seen(threat, 1) for threat in threats],
            status=ThreatStatus.IN_REVIEW,
        )
    assert requests() == []


def test_a_leads_decision_is_not_a_review_request(cast: Cast, project: Project) -> None:
    threat = ThreatFactory.create(project=project, status=ThreatStatus.IN_REVIEW)
    review_services.threat_review(
        membership=cast.membership(cast.security_lead),
        threat=threat,
        version=threat.version,
        decision=ThreatReviewDecision.CHANGES_REQUESTED,
        comment="Name the asset",
    )
    assert requests() == []


# Who is told -----------------------------------------------------------------------------------------------


def test_nobody_is_told_of_their_own_change_and_only_deciders_of_the_organisation_are_told(
    cast: Cast, project: Project
) -> None:
    # The outsider owns another organisation; a member of both is told only where they decide.
    both = MembershipFactory.create(organisation=cast.outsider_organisation, role="owner").user
    MembershipFactory.create(user=both, organisation=cast.organisation, role="engineer")
    first, second = ThreatFactory.create_batch(2, project=project)

    set_status(cast, cast.security_lead, project, [first], ThreatStatus.IN_REVIEW)
    assert [email for email, _, _ in requests()] == [cast.owner.email]

    Notification.objects.all().delete()
    set_status(cast, cast.owner, project, [second], ThreatStatus.IN_REVIEW)
    assert [email for email, _, _ in requests()] == [cast.security_lead.email]


def test_an_organisation_whose_only_decider_sends_tells_nobody(cast: Cast) -> None:
    solo = MembershipFactory.create(role="owner")
    project = ProjectFactory.create(team__organisation=solo.organisation)
    threat = ThreatFactory.create(project=project)
    workspace_services.threats_set_status(
        membership=solo, project=project, seen=[Seen(threat, 1)], status=ThreatStatus.IN_REVIEW
    )
    assert not Notification.objects.exists()


# Importing a model -----------------------------------------------------------------------------------------


def model(*statuses: str, name: str = "Shop") -> ModelDocument:
    return ModelDocument(
        format="otm",
        name=name,
        components=[doc.Component("web", "Web app", "process")],
        threats=[
            doc.Threat(f"t{i}", "attacker", f"steal session {i}", status=status, targets=["web"])
            for i, status in enumerate(statuses)
        ],
    )


def test_an_import_bringing_threats_in_review_tells_the_deciders_once(cast: Cast) -> None:
    # An engineer's file that decides a threat has it imported in review: a lead decides it.
    document = model("in_review", "identified", "accepted", "in_review")
    result = model_import(membership=cast.membership(cast.engineer), team=cast.team, document=document)
    project = result.project
    assert project.threats.filter(status=ThreatStatus.IN_REVIEW).count() == 3
    subject = f"{cast.engineer} asks for a review of 3 threats in Shop"
    assert requests() == told(cast.owner, cast.security_lead, subject=subject, url=queue_url(project))


def test_an_import_with_one_threat_in_review_leads_to_it_and_one_with_none_tells_nobody(cast: Cast) -> None:
    lead = cast.membership(cast.security_lead)
    nothing = model_import(membership=lead, team=cast.team, document=model("identified", name="Quiet"))
    assert requests() == []
    project = model_import(
        membership=lead, team=cast.team, document=model("identified", "in_review"), replace=nothing.project
    ).project
    subject = f"{cast.security_lead} asks for a review of T-3 in Quiet"
    assert requests() == told(cast.owner, subject=subject, url=threat_url(project, 3))


def test_a_preview_tells_nobody(cast: Cast) -> None:
    model_preview(membership=cast.membership(cast.engineer), team=cast.team, document=model("in_review"))
    assert requests() == []


# Preferences ---------------------------------------------------------------------------------------------


def test_each_decider_is_emailed_as_they_chose_and_may_mute_threats_but_not_models(
    cast: Cast, project: Project, django_capture_on_commit_callbacks: Capture
) -> None:
    notifications.preference_update(
        membership=cast.membership(cast.owner), email=EmailMode.IMMEDIATE, muted_kinds=[KIND]
    )
    notifications.preference_update(membership=cast.membership(cast.security_lead), email=EmailMode.DIGEST)
    threat = ThreatFactory.create(project=project)
    with django_capture_on_commit_callbacks(execute=True):
        set_status(cast, cast.engineer, project, [threat], ThreatStatus.IN_REVIEW)
    # Both are told in the app; nobody e-mailed at once: muted for one, a digest for the other.
    assert len(requests()) == 2
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        review_services.model_review_submit(membership=cast.membership(cast.engineer), project=project)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (
            [cast.owner.email],
            f"[Acme Payments] {cast.engineer} asks for a review of the threat model of Checkout",
        )
    ]


def test_a_decider_who_wants_email_at_once_gets_it_on_commit(
    cast: Cast, project: Project, django_capture_on_commit_callbacks: Capture
) -> None:
    notifications.preference_update(membership=cast.membership(cast.owner), email=EmailMode.OFF)
    threat = ThreatFactory.create(project=project)
    with django_capture_on_commit_callbacks(execute=True):
        set_status(cast, cast.engineer, project, [threat], ThreatStatus.IN_REVIEW)
        assert mail.outbox == []
    [message] = mail.outbox
    assert message.to == [cast.security_lead.email]
    assert (
        message.subject
        == f"[Acme Payments] {cast.engineer} asks for a review of T-{threat.number} in Checkout"
    )


def test_the_settings_offer_threats_sent_for_review_apart_from_model_sign_off(
    cast: Cast, owner_client: Client
) -> None:
    settings_url = reverse("notification_preferences", args=["acme"])
    html = owner_client.get(settings_url).content.decode()
    assert 'value="threat_review_requested"' in html
    assert "Threats sent for review" in html
    assert "Threat models waiting for my sign-off" in html
    response = owner_client.post(settings_url, {"email": "immediate", "muted_kinds": [KIND]})
    assert response.status_code == 302
    assert notifications.preference_of(cast.membership(cast.owner)).muted_kinds == [KIND]


def test_the_api_takes_the_kind_in_the_preferences(cast: Cast, owner_api: APIClient) -> None:
    preferences = reverse("api_notification_preferences", args=["acme"])
    response = owner_api.put(preferences, {"email": "digest", "muted_kinds": [KIND]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["muted_kinds"] == [KIND]


# Query budgets -------------------------------------------------------------------------------------------


def test_sending_threats_for_review_costs_the_same_queries_for_one_as_for_forty(
    cast: Cast, project: Project
) -> None:
    engineer = cast.membership(cast.engineer)
    threats = ThreatFactory.create_batch(83, project=project)

    def change(chosen: list[Threat], status: str) -> int:
        return count_queries(
            lambda: workspace_services.threats_set_status(
                membership=engineer, project=project, seen=to_review(project, *chosen), status=status
            )
        )

    change(threats[:1], ThreatStatus.IN_REVIEW)  # loads the membership's own, as a request has them
    quiet = change(threats[1:2], ThreatStatus.CONFIRMED)
    one = change(threats[2:3], ThreatStatus.IN_REVIEW)
    forty = change(threats[3:43], ThreatStatus.IN_REVIEW)
    assert one == forty == quiet + TELLING_DECIDERS
    assert change(threats[43:83], ThreatStatus.CONFIRMED) == quiet
    assert len(requests()) == 6


def test_an_import_in_review_costs_the_same_queries_for_two_threats_as_for_two_hundred(cast: Cast) -> None:
    membership = cast.membership(cast.engineer)
    model_import(membership=membership, team=cast.team, document=model("in_review", name="Warm-up"))
    quiet = count_queries(
        lambda: model_import(membership=membership, team=cast.team, document=model("identified", name="Q"))
    )
    small = count_queries(
        lambda: model_import(
            membership=membership, team=cast.team, document=model(*["in_review"] * 2, name="A")
        )
    )
    large = count_queries(
        lambda: model_import(
            membership=membership, team=cast.team, document=model(*["in_review"] * 200, name="B")
        )
    )
    assert small == large == quiet + TELLING_DECIDERS
