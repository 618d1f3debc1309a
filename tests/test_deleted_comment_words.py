"""A deleted comment's words are gone for everyone: no page, history, feed, notification, API answer, export,
backup or PDF shows them again, though the comment's own history keeps every text it had (for the database's
audit, read by no page)."""

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from projects.comment_models import Comment
from projects.comment_services import comment_create, comment_delete, comment_edit
from projects.models import Control, Project, Threat
from projects.workspace_selectors import history_of
from risks.models import BusinessRisk
from tests.api.conftest import session_client
from tests.conftest import Cast, signed_in
from tests.factories import ControlFactory, ProjectFactory, ThreatFactory
from tests.risk_register import add_risk
from tests.test_comments import bodies_in_history
from tests.test_report_project import printed, report_of

WORDS = "SECRET-WORDS"


@dataclass
class Targets:
    project: Project
    threat: Threat
    control: Control
    risk: BusinessRisk
    comments: list[Comment]


@pytest.fixture
def forgotten(cast: Cast) -> Targets:
    """An engineer comments on a threat, a control, a business risk and a project, mentioning the viewer, edits
    each comment once and deletes it."""
    project = ProjectFactory.create(team=cast.team, name="Checkout")
    on = Targets(
        project=project,
        threat=ThreatFactory.create(project=project, owner=cast.security_lead),
        control=ControlFactory.create(project=project, title="Rate limiting", owner=cast.security_lead),
        risk=add_risk(cast, owner=cast.security_lead),
        comments=[],
    )
    engineer = cast.membership(cast.engineer)
    for target in (on.threat, on.control, on.risk, on.project):
        comment = comment_create(membership=engineer, target=target, body=f"{WORDS} @viewer, have a look")
        comment_edit(membership=engineer, comment=comment, version=1, body=f"{WORDS} again, @viewer")
        comment_delete(membership=engineer, comment=comment, version=2)
        on.comments.append(comment)
    return on


def pages(cast: Cast, on: Targets) -> list[str]:
    slug, project = cast.organisation.slug, on.project.pk
    return [
        reverse("threat_detail", args=[slug, project, on.threat.number]),
        reverse("control_detail", args=[slug, project, on.control.pk]),
        reverse("risk_detail", args=[slug, on.risk.number]),
        reverse("project_detail", args=[slug, project]),
        reverse("project_history", args=[slug, project]),
        reverse("project_activity", args=[slug, project]),
        reverse("organisation_activity", args=[slug]),
        reverse("notification_list", args=[slug]),
        *(f"{reverse(name, args=[slug])}?format=csv" for name in LISTS),
        *(f"{reverse('model_export', args=[slug, project])}?format={fmt}" for fmt in EXPORTS),
    ]


def api_answers(cast: Cast, on: Targets) -> list[str]:
    slug, project = cast.organisation.slug, on.project.pk
    return [
        reverse("api_project_detail", args=[slug, project]),
        reverse("api_threat_detail", args=[slug, project, on.threat.number]),
        reverse("api_control_detail", args=[slug, project, on.control.pk]),
        reverse("api_risk_detail", args=[slug, on.risk.number]),
        reverse("api_project_comment_list", args=[slug, project]),
        reverse("api_threat_comment_list", args=[slug, project, on.threat.number]),
        reverse("api_control_comment_list", args=[slug, project, on.control.pk]),
        reverse("api_risk_comment_list", args=[slug, on.risk.number]),
        *(reverse("api_comment_detail", args=[slug, comment.pk]) for comment in on.comments),
        reverse("api_notification_list", args=[slug]),
        f"{reverse('api_model_export', args=[slug, project])}?format=otm",
    ]


LISTS = ["estate_threat_list", "estate_control_list", "risk_list"]
EXPORTS = ["otm", "threat-dragon", "threat-composer"]


def test_the_comments_history_still_keeps_every_text(forgotten: Targets) -> None:
    for comment in forgotten.comments:
        assert bodies_in_history(comment) == [f"{WORDS} @viewer, have a look", f"{WORDS} again, @viewer", ""]


@pytest.mark.parametrize("role", ["viewer", "security_lead", "engineer"])
def test_no_page_shows_the_words(cast: Cast, forgotten: Targets, role: str) -> None:
    client = signed_in(getattr(cast, role))
    for url in pages(cast, forgotten):
        response = client.get(url)
        assert response.status_code == 200, url
        assert WORDS not in response.content.decode(), url


def test_the_project_history_page_shows_its_changes_without_the_comments(
    cast: Cast, forgotten: Targets, viewer_client: Client
) -> None:
    page = viewer_client.get(reverse("project_history", args=[cast.organisation.slug, forgotten.project.pk]))
    changes = page.context["changes"]
    assert {change.model for change in changes} >= {"project", "threat", "control"}
    assert "comment" not in {change.model for change in changes}


def test_no_history_lists_the_comments(forgotten: Targets) -> None:
    for target in (forgotten.threat, forgotten.control, forgotten.risk, forgotten.project):
        changes = history_of(target)
        assert changes, target
        assert "comment" not in {change.model for change in changes}


@pytest.mark.parametrize("role", ["viewer", "security_lead"])
def test_no_api_answer_carries_the_words(cast: Cast, forgotten: Targets, role: str) -> None:
    client = session_client(getattr(cast, role))
    for url in api_answers(cast, forgotten):
        response = client.get(url)
        assert response.status_code == 200, url
        assert WORDS not in response.content.decode(), url


def test_the_notifications_that_quoted_the_words_say_the_comment_was_deleted(
    cast: Cast, forgotten: Targets, viewer_client: Client
) -> None:
    page = viewer_client.get(reverse("notification_list", args=[cast.organisation.slug])).content.decode()
    for on in (f"T-{forgotten.threat.number}", "the control “Rate limiting”", forgotten.risk.reference):
        assert f"{cast.engineer.display_name} mentioned you on {on}: the comment was deleted" in page
    lead = signed_in(cast.security_lead).get(reverse("notification_list", args=[cast.organisation.slug]))
    assert (
        f"{cast.engineer.display_name} commented on T-{forgotten.threat.number}: the comment was deleted"
        in lead.content.decode()
    )


def test_the_organisation_backup_carries_the_comments_without_the_words(
    cast: Cast, forgotten: Targets, owner_client: Client
) -> None:
    response = owner_client.get(reverse("organisation_backup_download", args=[cast.organisation.slug]))
    assert response.status_code == 200
    backup = response.content.decode()
    assert WORDS not in backup
    assert backup.count('"deleted_at"') >= len(forgotten.comments)


def test_the_project_report_pdf_does_not_print_the_words(forgotten: Targets) -> None:
    text, _, html = printed(report_of(forgotten.project))
    assert "Latest changes" in text
    assert WORDS not in text
    assert WORDS not in html
