"""The review pages: the organisation's review queue (filters, deciding ticked threats, refusals that change
nothing), a project's Review tab (submit, state, approve or ask for changes, withdraw) and the changes since approval; the
wrong method, the outsider and the read-only member on each; query budgets of the queue and the diff."""

import pytest
from django.test import Client
from django.urls import reverse

from projects import review_services as services
from projects import review_views, workspace_services
from projects.models import (
    Component,
    Notification,
    NotificationKind,
    Project,
    ProjectStatus,
    Threat,
    ThreatStatus,
)
from projects.review_content import digest_of, model_snapshot
from projects.review_models import ModelReview, ReviewDecision, ThreatReview, ThreatReviewDecision
from tests.conftest import Cast, signed_in
from tests.factories import ComponentFactory, ProjectFactory, ThreatFactory
from tests.queries import count_queries
from tests.reviews import fill_queue, in_review

HTMX = {"HX-Request": "true"}
RESULTS = HTMX | {"HX-Target": "review-queue-results"}


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout", status=ProjectStatus.ACTIVE)


@pytest.fixture
def platform(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.other_team, name="Platform")


@pytest.fixture
def lead_client(cast: Cast) -> Client:
    return signed_in(cast.security_lead)


def queue_url(cast: Cast) -> str:
    return reverse("review_queue", args=[cast.organisation.slug])


def decide_url(cast: Cast) -> str:
    return reverse("review_queue_decide", args=[cast.organisation.slug])


def url(name: str, project: Project) -> str:
    return reverse(name, args=[project.organisation.slug, project.pk])


def ticked(*threats: Threat) -> list[str]:
    return [f"{threat.pk}:{threat.version}" for threat in threats]


# The review queue -----------------------------------------------------------------------------------------------


def test_the_queue_lists_threats_in_review_and_models_waiting_across_the_organisation(
    cast: Cast, lead_client: Client, project: Project, platform: Project
) -> None:
    mine = in_review(project, threat_action="replay a refund")
    theirs = in_review(platform, threat_action="read the build secrets")
    ThreatFactory.create(project=project, threat_action="not in review yet")
    ThreatFactory.create(
        project=ProjectFactory.create(), status=ThreatStatus.IN_REVIEW, threat_action="elsewhere"
    )
    services.model_review_submit(
        membership=cast.membership(cast.engineer), project=project, note="First model"
    )
    response = lead_client.get(queue_url(cast))
    assert response.status_code == 200
    body = response.content.decode()
    assert "replay a refund" in body
    assert "read the build secrets" in body
    assert "not in review yet" not in body
    assert "elsewhere" not in body
    assert "First model" in body
    assert f'value="{mine[0].pk}:1"' in body
    assert f'value="{theirs[0].pk}:1"' in body
    assert 'id="review-decide"' in body


def test_the_queue_narrows_to_a_team_or_a_project(
    cast: Cast, lead_client: Client, project: Project, platform: Project
) -> None:
    in_review(project, threat_action="replay a refund")
    in_review(platform, threat_action="read the build secrets")
    by_team = lead_client.get(queue_url(cast), {"team": cast.other_team.slug}).content.decode()
    assert "read the build secrets" in by_team
    assert "replay a refund" not in by_team
    by_project = lead_client.get(queue_url(cast), {"project": project.pk}, headers=RESULTS)
    assert "<html" not in by_project.content.decode()
    assert "replay a refund" in by_project.content.decode()
    assert "read the build secrets" not in by_project.content.decode()


def test_members_who_do_not_decide_read_the_queue_without_the_decision_bar(
    engineer_client: Client, cast: Cast, project: Project
) -> None:
    in_review(project, threat_action="replay a refund")
    body = engineer_client.get(queue_url(cast)).content.decode()
    assert "replay a refund" in body
    assert 'id="review-decide"' not in body
    assert 'name="threats"' not in body


def test_the_queue_is_read_by_get_and_hidden_from_outsiders(
    cast: Cast, lead_client: Client, outsider_client: Client
) -> None:
    assert lead_client.post(queue_url(cast)).status_code == 405
    assert outsider_client.get(queue_url(cast)).status_code == 404
    assert lead_client.get(decide_url(cast)).status_code == 405


def test_a_lead_confirms_ticked_threats_of_several_projects(
    cast: Cast, lead_client: Client, project: Project, platform: Project
) -> None:
    threats = in_review(project, 2, created_by=cast.engineer) + in_review(platform)
    response = lead_client.post(
        decide_url(cast),
        {"threats": ticked(*threats), "decision": "confirmed", "query": f"team={cast.team.slug}"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{queue_url(cast)}?team={cast.team.slug}"
    assert set(Threat.objects.values_list("status", flat=True)) == {ThreatStatus.CONFIRMED}
    assert ThreatReview.objects.count() == 3
    page = lead_client.get(response["Location"]).content.decode()
    assert "3 threats confirmed: Checkout T-1, Checkout T-2 and Platform T-1." in page
    assert (
        Notification.objects.filter(kind=NotificationKind.REVIEW_DECIDED, recipient=cast.engineer).count()
        == 1
    )


def test_a_rejection_without_a_reason_is_shown_again_and_changes_nothing(
    cast: Cast, lead_client: Client, project: Project
) -> None:
    threats = in_review(project, 2)
    response = lead_client.post(
        decide_url(cast), {"threats": ticked(*threats), "decision": "rejected", "comment": ""}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Say why these threats are rejected." in body
    assert "Nothing was changed." in body
    assert set(Threat.objects.values_list("status", flat=True)) == {ThreatStatus.IN_REVIEW}
    assert not ThreatReview.objects.exists()


def test_a_threat_decided_meanwhile_refuses_the_whole_decision(
    cast: Cast, lead_client: Client, project: Project
) -> None:
    threats = in_review(project, 2)
    Threat.objects.filter(pk=threats[1].pk).update(status=ThreatStatus.CONFIRMED)
    response = lead_client.post(
        decide_url(cast),
        {"threats": ticked(*threats), "decision": "changes_requested", "comment": "Name the asset"},
    )
    assert response.status_code == 400
    assert "Checkout T-2 is not waiting for review" in response.content.decode()
    assert Threat.objects.get(pk=threats[0].pk).status == ThreatStatus.IN_REVIEW


def test_a_threat_changed_since_the_queue_showed_it_refuses_the_whole_decision(
    cast: Cast, lead_client: Client, project: Project
) -> None:
    threats = in_review(project, 2)
    Threat.objects.filter(pk=threats[1].pk).update(version=2, threat_action="edited meanwhile")
    response = lead_client.post(decide_url(cast), {"threats": ticked(*threats), "decision": "confirmed"})
    assert response.status_code == 302
    page = lead_client.get(response["Location"]).content.decode()
    assert "T-2 was changed or deleted by someone else" in page
    assert set(Threat.objects.values_list("status", flat=True)) == {ThreatStatus.IN_REVIEW}


def test_a_threat_of_another_organisation_is_not_found_and_nothing_changes(
    cast: Cast, lead_client: Client, project: Project
) -> None:
    mine = in_review(project)
    theirs = in_review(ProjectFactory.create(team__organisation=cast.outsider_organisation))
    response = lead_client.post(
        decide_url(cast), {"threats": ticked(*mine, *theirs), "decision": "confirmed"}
    )
    assert response.status_code == 400
    assert set(Threat.objects.values_list("status", flat=True)) == {ThreatStatus.IN_REVIEW}


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_members_who_do_not_decide_cannot_post_a_decision(cast: Cast, project: Project, role: str) -> None:
    threats = in_review(project)
    response = signed_in(getattr(cast, role)).post(
        decide_url(cast), {"threats": ticked(*threats), "decision": "confirmed"}
    )
    assert response.status_code == 403
    assert Threat.objects.get().status == ThreatStatus.IN_REVIEW


def test_an_outsider_cannot_post_a_decision(cast: Cast, outsider_client: Client, project: Project) -> None:
    threats = in_review(project)
    response = outsider_client.post(decide_url(cast), {"threats": ticked(*threats), "decision": "confirmed"})
    assert response.status_code == 404
    assert Threat.objects.get().status == ThreatStatus.IN_REVIEW


def test_the_queue_reads_a_fixed_number_of_queries_whatever_it_holds(cast: Cast, lead_client: Client) -> None:
    fill_queue(cast, 1)
    lead_client.get(queue_url(cast))  # the first visit stores the organisation in the session
    page = count_queries(lambda: lead_client.get(queue_url(cast)))
    results = count_queries(lambda: lead_client.get(queue_url(cast), headers=RESULTS))
    fill_queue(cast, 29)
    response = lead_client.get(queue_url(cast))
    assert len(response.context["page"].object_list) == 30
    assert count_queries(lambda: lead_client.get(queue_url(cast))) == page
    assert count_queries(lambda: lead_client.get(queue_url(cast), headers=RESULTS)) == results


def test_the_queue_lists_the_models_waiting_longest_and_says_when_more_wait(
    cast: Cast, lead_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review_views, "QUEUE_MODELS_SHOWN", 2)
    projects = ProjectFactory.create_batch(3, team=cast.team)
    for project in projects:
        services.model_review_submit(membership=cast.membership(cast.engineer), project=project)

    page = lead_client.get(queue_url(cast)).content.decode()

    assert [url("project_review", project) in page for project in projects] == [True, True, False]
    assert 'id="review-models-more"' in page
    narrowed = lead_client.get(queue_url(cast), {"project": projects[2].pk}).content.decode()
    assert url("project_review", projects[2]) in narrowed
    assert 'id="review-models-more"' not in narrowed


# A project's Review tab -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "security_lead", "engineer", "other_engineer", "viewer"])
def test_every_member_reads_the_review_tab(cast: Cast, project: Project, role: str) -> None:
    response = signed_in(getattr(cast, role)).get(url("project_review", project))
    assert response.status_code == 200
    body = response.content.decode()
    assert "has not been approved yet" in body
    assert ('id="review-submit"' in body) == (role in {"owner", "security_lead", "engineer"})


def test_the_review_tab_is_hidden_from_outsiders_and_read_by_get(
    outsider_client: Client, engineer_client: Client, project: Project
) -> None:
    assert outsider_client.get(url("project_review", project)).status_code == 404
    assert outsider_client.get(url("project_review_changes", project)).status_code == 404
    assert outsider_client.post(url("project_review_submit", project)).status_code == 404
    assert engineer_client.post(url("project_review", project)).status_code == 405
    assert engineer_client.get(url("project_review_submit", project)).status_code == 405
    assert engineer_client.get(url("project_review_decide", project)).status_code == 405
    assert engineer_client.post(url("project_review_changes", project)).status_code == 405


def test_an_engineer_submits_the_model_and_the_leads_are_told(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    response = engineer_client.post(url("project_review_submit", project), {"note": "Ready for a look"})
    assert response.status_code == 302
    review = ModelReview.objects.get()
    assert review.note == "Ready for a look"
    assert review.submitted_by == cast.engineer
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.IN_REVIEW
    page = engineer_client.get(response["Location"]).content.decode()
    assert "Waiting for review" in page
    assert "Ready for a look" in page
    assert 'id="review-decide"' not in page
    assert {n.recipient for n in Notification.objects.filter(kind=NotificationKind.REVIEW_REQUESTED)} == {
        cast.owner,
        cast.security_lead,
    }


@pytest.mark.parametrize("role", ["viewer", "other_engineer"])
def test_members_who_cannot_edit_the_project_cannot_submit_it(
    cast: Cast, project: Project, role: str
) -> None:
    response = signed_in(getattr(cast, role)).post(url("project_review_submit", project), {"note": ""})
    assert response.status_code == 403
    assert not ModelReview.objects.exists()


def test_a_second_submission_is_refused_on_the_page(
    cast: Cast, lead_client: Client, project: Project
) -> None:
    services.model_review_submit(membership=cast.membership(cast.engineer), project=project)
    response = lead_client.post(url("project_review_submit", project), {"note": ""})
    assert response.status_code == 400
    assert "has been waiting for review since" in response.content.decode()
    assert ModelReview.objects.count() == 1


def submit(cast: Cast, project: Project) -> None:
    services.model_review_submit(membership=cast.membership(cast.engineer), project=project, note="Ready")


def test_a_lead_approves_the_model_they_looked_at(cast: Cast, lead_client: Client, project: Project) -> None:
    ComponentFactory.create(project=project, name="API")
    submit(cast, project)
    page = lead_client.get(url("project_review", project))
    assert page.context["may_approve"]
    digest = page.context["state"].digest
    response = lead_client.post(
        url("project_review_decide", project), {"decision": "approved", "digest": digest}
    )
    assert response.status_code == 302
    review = ModelReview.objects.get()
    assert review.decision == ReviewDecision.APPROVED
    assert review.digest == digest
    body = lead_client.get(url("project_review", project)).content.decode()
    assert "Approved" in body
    assert cast.security_lead.display_name in body
    assert "Unchanged since approval." in body
    Component.objects.filter(project=project).update(technology="Go")
    body = lead_client.get(url("project_review", project)).content.decode()
    assert "Changed since approval." in body
    assert url("project_review_changes", project) in body


def test_a_lead_who_changed_the_model_since_submission_is_told_why_they_cannot_approve(
    cast: Cast, lead_client: Client, project: Project
) -> None:
    component = ComponentFactory.create(project=project, name="API")
    submit(cast, project)
    workspace_services.component_update(
        membership=cast.membership(cast.security_lead),
        component=component,
        version=component.version,
        name="Public API",
    )
    page = lead_client.get(url("project_review", project))
    assert not page.context["may_approve"]
    body = page.content.decode()
    assert 'value="approved"' not in body
    assert 'value="changes_requested"' in body
    assert (
        "You changed component “Public API” after this model was submitted, so someone else signs it off. "
        "You can still ask for changes." in body
    )


def test_an_approval_of_a_model_changed_meanwhile_is_refused_with_a_message(
    cast: Cast, lead_client: Client, project: Project
) -> None:
    submit(cast, project)
    digest = digest_of(model_snapshot(project))
    ComponentFactory.create(project=project, name="Added meanwhile")
    response = lead_client.post(
        url("project_review_decide", project), {"decision": "approved", "digest": digest}
    )
    assert response.status_code == 302
    page = lead_client.get(response["Location"]).content.decode()
    assert "The model changed since you opened this page" in page
    assert "The model has changed since it was submitted" in page
    assert ModelReview.objects.get().is_open


def test_asking_for_changes_needs_a_comment(cast: Cast, lead_client: Client, project: Project) -> None:
    submit(cast, project)
    digest = digest_of(model_snapshot(project))
    response = lead_client.post(
        url("project_review_decide", project),
        {"decision": "changes_requested", "comment": "", "digest": digest},
    )
    assert response.status_code == 400
    assert "Say what should change" in response.content.decode()
    response = lead_client.post(
        url("project_review_decide", project),
        {"decision": "changes_requested", "comment": "Add the admin flows", "digest": digest},
    )
    assert response.status_code == 302
    assert ModelReview.objects.get().comment == "Add the admin flows"
    assert "Add the admin flows" in lead_client.get(url("project_review", project)).content.decode()


def test_a_submitter_who_leads_is_not_offered_the_approval(
    cast: Cast, lead_client: Client, project: Project
) -> None:
    services.model_review_submit(membership=cast.membership(cast.security_lead), project=project)
    body = lead_client.get(url("project_review", project)).content.decode()
    assert 'value="approved"' not in body
    assert 'value="changes_requested"' in body
    digest = digest_of(model_snapshot(project))
    response = lead_client.post(
        url("project_review_decide", project), {"decision": "approved", "digest": digest}
    )
    assert response.status_code == 403
    assert ModelReview.objects.get().is_open


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_members_who_do_not_decide_cannot_approve(cast: Cast, project: Project, role: str) -> None:
    submit(cast, project)
    digest = digest_of(model_snapshot(project))
    response = signed_in(getattr(cast, role)).post(
        url("project_review_decide", project), {"decision": "approved", "digest": digest}
    )
    assert response.status_code == 403
    assert ModelReview.objects.get().is_open


def test_deciding_a_model_not_waiting_says_so(cast: Cast, lead_client: Client, project: Project) -> None:
    digest = digest_of(model_snapshot(project))
    response = lead_client.post(
        url("project_review_decide", project), {"decision": "approved", "digest": digest}
    )
    assert response.status_code == 302
    assert "is not waiting for review" in lead_client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("role", ["owner", "security_lead", "engineer", "other_engineer", "viewer"])
def test_withdrawing_is_offered_to_those_who_may_edit_the_project_while_a_model_waits(
    cast: Cast, project: Project, role: str
) -> None:
    client = signed_in(getattr(cast, role))
    assert 'id="review-withdraw"' not in client.get(url("project_review", project)).content.decode()
    submit(cast, project)
    body = client.get(url("project_review", project)).content.decode()
    offered = role in {"owner", "security_lead", "engineer"}
    assert ('id="review-withdraw"' in body) == offered
    assert ("Withdraw the submission</button>" in body) == offered
    if offered:
        assert f'action="{url("project_review_withdraw", project)}"' in body
        assert 'data-confirm="Withdraw the threat model of Checkout from review?' in body


def test_the_engineer_withdraws_their_submission_and_the_leads_are_told(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    submit(cast, project)
    response = engineer_client.post(url("project_review_withdraw", project), {"note": "Missing refunds"})
    assert response.status_code == 302
    review = ModelReview.objects.get()
    assert (review.decision, review.comment, review.decided_by) == (
        ReviewDecision.WITHDRAWN,
        "Missing refunds",
        cast.engineer,
    )
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.ACTIVE
    page = engineer_client.get(response["Location"]).content.decode()
    assert "you withdrew it" in page
    assert 'id="review-submit"' in page  # it may be submitted again
    assert 'id="review-withdraw"' not in page
    assert '<span class="badge badge--neutral">Withdrawn</span>' in page
    assert {n.recipient for n in Notification.objects.filter(kind=NotificationKind.REVIEW_DECIDED)} == {
        cast.owner,
        cast.security_lead,
    }


@pytest.mark.parametrize("role", ["viewer", "other_engineer"])
def test_members_who_cannot_edit_the_project_cannot_withdraw(cast: Cast, project: Project, role: str) -> None:
    submit(cast, project)
    response = signed_in(getattr(cast, role)).post(url("project_review_withdraw", project), {"note": ""})
    assert response.status_code == 403
    assert ModelReview.objects.get().is_open


def test_withdrawing_is_posted_and_hidden_from_outsiders(
    cast: Cast, outsider_client: Client, engineer_client: Client, project: Project
) -> None:
    submit(cast, project)
    assert engineer_client.get(url("project_review_withdraw", project)).status_code == 405
    assert outsider_client.post(url("project_review_withdraw", project), {"note": ""}).status_code == 404
    assert ModelReview.objects.get().is_open


def test_withdrawing_with_nothing_waiting_says_so(engineer_client: Client, project: Project) -> None:
    response = engineer_client.post(url("project_review_withdraw", project), {"note": ""})
    assert response.status_code == 302
    assert "nothing to withdraw" in engineer_client.get(response["Location"]).content.decode()


def test_a_withdrawal_note_too_long_is_shown_again_on_its_field(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    submit(cast, project)
    response = engineer_client.post(url("project_review_withdraw", project), {"note": "x" * 2_001})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert ModelReview.objects.get().is_open


# The changes since approval -------------------------------------------------------------------------------------


def approve(cast: Cast, project: Project) -> None:
    submit(cast, project)
    services.model_review_decide(
        membership=cast.membership(cast.security_lead), project=project, decision=ReviewDecision.APPROVED
    )


def test_the_changes_page_says_when_there_is_nothing_to_compare(
    viewer_client: Client, project: Project
) -> None:
    response = viewer_client.get(url("project_review_changes", project))
    assert response.status_code == 200
    assert "has not been approved yet" in response.content.decode()
    response = viewer_client.get(url("project_review_changes", project), {"since": "submission"})
    assert "is not waiting for review" in response.content.decode()


def test_the_changes_page_shows_each_part_and_field_that_changed(
    cast: Cast, viewer_client: Client, project: Project
) -> None:
    threat = ThreatFactory.create(project=project, threat_action="replay a refund")
    gone = ComponentFactory.create(project=project, name="Legacy batch")
    approve(cast, project)
    response = viewer_client.get(url("project_review_changes", project))
    assert "Nothing has changed" in response.content.decode()
    Threat.objects.filter(pk=threat.pk).update(
        status=ThreatStatus.CONFIRMED, threat_action="replay two refunds"
    )
    gone.delete()
    ComponentFactory.create(project=project, name="Refund worker")
    body = viewer_client.get(url("project_review_changes", project)).content.decode()
    assert "1 added, 1 removed, 1 edited" in body
    assert f"Approved by {cast.security_lead.display_name}" in body
    assert "Legacy batch" in body
    assert "Refund worker" in body
    assert reverse("threat_detail", args=[cast.organisation.slug, project.pk, threat.number]) in body
    assert "<del>replay a refund</del>" in body
    assert "<ins>replay two refunds</ins>" in body
    assert "<del>Identified</del>" in body
    assert "<ins>Confirmed</ins>" in body


def _change_threats(project: Project, count: int) -> None:
    for threat in ThreatFactory.create_batch(count, project=project):
        component = ComponentFactory.create(project=project)
        threat.target_components.set([component])


def test_the_changes_page_and_the_review_tab_read_a_fixed_number_of_queries_whatever_changed(
    cast: Cast, viewer_client: Client, project: Project
) -> None:
    approve(cast, project)
    changes, tab = url("project_review_changes", project), url("project_review", project)
    viewer_client.get(changes)
    _change_threats(project, 1)
    few = count_queries(lambda: viewer_client.get(changes))
    few_on_tab = count_queries(lambda: viewer_client.get(tab))
    _change_threats(project, 29)
    response = viewer_client.get(changes)
    assert response.context["changes"].diff.count("added") == 60
    assert count_queries(lambda: viewer_client.get(changes)) == few
    assert count_queries(lambda: viewer_client.get(tab)) == few_on_tab


def test_the_organisations_tabs_offer_the_queue_to_those_who_decide(
    cast: Cast, lead_client: Client, engineer_client: Client
) -> None:
    home = reverse("estate_threat_list", args=[cast.organisation.slug])
    assert f'href="{queue_url(cast)}"' in lead_client.get(home).content.decode()
    assert f'href="{queue_url(cast)}"' not in engineer_client.get(home).content.decode()


# A threat's page and the changes page lead on ----------------------------------------------------------------


def test_a_threats_page_shows_its_review_decisions_and_leads_a_lead_to_the_queue(
    cast: Cast, lead_client: Client, engineer_client: Client, project: Project
) -> None:
    (threat,) = in_review(project)
    page = reverse("threat_detail", args=[cast.organisation.slug, project.pk, threat.number])
    to_queue = f'href="{queue_url(cast)}?project={project.pk}">Decide in the review queue</a>'
    assert to_queue in lead_client.get(page).content.decode()
    body = engineer_client.get(page).content.decode()
    assert to_queue not in body
    assert 'id="threat-decisions-none"' in body
    services.threat_review(
        membership=cast.membership(cast.security_lead),
        threat=threat,
        version=threat.version,
        decision=ThreatReviewDecision.REJECTED,
        comment="Handled by the payment provider",
    )
    body = engineer_client.get(page).content.decode()
    assert f"Rejected</span> by <strong>{cast.security_lead.display_name}</strong>" in body
    assert "“Handled by the payment provider”" in body
    assert "Decide in the review queue" not in lead_client.get(page).content.decode()


def test_the_changes_since_approval_lead_to_a_new_review(
    cast: Cast, engineer_client: Client, viewer_client: Client, project: Project
) -> None:
    approve(cast, project)
    ThreatFactory.create(project=project)
    changes = url("project_review_changes", project)
    ask = (
        f'href="{url("project_review", project)}#review-submit-heading">Ask for a review of these changes</a>'
    )
    assert ask in engineer_client.get(changes).content.decode()
    assert ask not in viewer_client.get(changes).content.decode()
    services.model_review_submit(membership=cast.membership(cast.engineer), project=project)
    assert "These changes wait for review" in engineer_client.get(changes).content.decode()
