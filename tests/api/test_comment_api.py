"""Comments through the API: reading them with their Markdown source, their sanitised HTML and the members they
mention; adding one to a project, a threat, a control or a business risk; editing and deleting one's own from
the version read, the history keeping every text; for every role, by session and by token."""

from collections.abc import Callable
from dataclasses import dataclass

import pghistory.models
import pytest
from django.db import models
from django.urls import reverse
from rest_framework.test import APIClient

from projects.comment_models import Comment
from projects.comment_services import comment_create, comment_delete
from projects.models import Control, Membership, Project, Threat, User
from projects.notification_models import Notification, NotificationKind
from projects.services import api_token_create
from risks.models import BusinessRisk
from tests.api.conftest import session_client, token_client
from tests.api.errors import error_of, field_errors
from tests.conftest import Cast
from tests.factories import ControlFactory, ProjectFactory, ThreatFactory
from tests.queries import count_queries
from tests.risk_register import add_risk

FULL_PAGE = 50


@dataclass
class Targets:
    project: Project
    threat: Threat
    control: Control
    risk: BusinessRisk


@pytest.fixture
def on(cast: Cast) -> Targets:
    project = ProjectFactory.create(team=cast.team, name="Checkout")
    return Targets(
        project=project,
        threat=ThreatFactory.create(project=project, owner=cast.security_lead),
        control=ControlFactory.create(project=project, title="Rate limiting"),
        risk=add_risk(cast, owner=cast.viewer),
    )


def list_url(kind: str, on: Targets) -> str:
    project = on.project.pk
    return {
        "project": reverse("api_project_comment_list", args=["acme", project]),
        "threat": reverse("api_threat_comment_list", args=["acme", project, on.threat.number]),
        "control": reverse("api_control_comment_list", args=["acme", project, on.control.pk]),
        "risk": reverse("api_risk_comment_list", args=["acme", on.risk.number]),
    }[kind]


def target(kind: str, on: Targets) -> models.Model:
    found: models.Model = getattr(on, kind)
    return found


def detail_url(comment: Comment) -> str:
    return reverse("api_comment_detail", args=["acme", comment.pk])


def client_of(cast: Cast, role: str) -> APIClient:
    user: User = getattr(cast, role)
    return session_client(user)


def say(cast: Cast, role: str, on: models.Model, body: str) -> Comment:
    return comment_create(membership=cast.membership(getattr(cast, role)), target=on, body=body)  # type: ignore[arg-type]


def if_match(comment: Comment) -> dict[str, str]:
    comment.refresh_from_db(fields=["version"])
    return {"If-Match": f'"comment-{comment.pk}-v{comment.version}"'}


KINDS = ["project", "threat", "control", "risk"]


# Reading --------------------------------------------------------------------------------------------------


def test_every_member_reads_the_source_the_safe_html_and_who_is_mentioned(cast: Cast, on: Targets) -> None:
    comment = say(cast, "engineer", on.threat, "@lead is this **reachable**? <script>alert(1)</script>")
    response = client_of(cast, "viewer").get(list_url("threat", on))
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["body"] == "@lead is this **reachable**? <script>alert(1)</script>"
    activity = reverse("organisation_activity", args=["acme"])
    assert row["html"] == (
        f'<p><a href="{activity}?user={cast.security_lead.pk}" class="mention" rel="noopener nofollow">@lead</a>'
        " is this <strong>reachable</strong>? &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )
    assert row["mentions"] == [
        {
            "handle": "lead",
            "user": {"id": cast.security_lead.pk, "email": "lead@acme.test", "name": cast.security_lead.name},
        }
    ]
    assert (row["id"], row["target"], row["project"], row["threat"]) == (
        comment.pk,
        "threat",
        on.project.pk,
        on.threat.number,
    )
    assert (row["control"], row["risk"], row["author"]["email"]) == (None, None, "engineer@acme.test")
    assert (row["deleted"], row["can_edit"], row["can_delete"], row["version"]) == (False, False, False, 1)


def test_hostile_markdown_comes_out_harmless(cast: Cast, on: Targets) -> None:
    say(
        cast,
        "engineer",
        on.control,
        '[click](javascript:alert(1)) <img src=x onerror="alert(1)"> [ok](https://example.com)',
    )
    (row,) = client_of(cast, "viewer").get(list_url("control", on)).json()["results"]
    assert 'href="javascript' not in row["html"]
    assert "<img" not in row["html"]
    assert row["body"].startswith("[click](javascript:alert(1))")
    assert '<a href="https://example.com" rel="noopener nofollow">ok</a>' in row["html"]


def test_a_list_answers_304_while_it_has_not_changed(cast: Cast, on: Targets) -> None:
    say(cast, "engineer", on.project, "First")
    client = client_of(cast, "viewer")
    tag = client.get(list_url("project", on))["ETag"]
    assert client.get(list_url("project", on), headers={"If-None-Match": tag}).status_code == 304
    say(cast, "engineer", on.project, "Second")
    assert client.get(list_url("project", on), headers={"If-None-Match": tag}).status_code == 200


def test_a_projects_list_holds_the_comments_on_the_project_itself(cast: Cast, on: Targets) -> None:
    say(cast, "engineer", on.project, "On the project")
    say(cast, "engineer", on.threat, "On a threat of it")
    rows = client_of(cast, "viewer").get(list_url("project", on)).json()["results"]
    assert [(row["body"], row["target"]) for row in rows] == [("On the project", "project")]


# Adding ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ["owner", "security_lead", "engineer", "other_engineer"])
def test_members_who_may_comment_comment_on_every_kind_of_target(
    cast: Cast, on: Targets, kind: str, role: str
) -> None:
    response = client_of(cast, role).post(list_url(kind, on), {"body": "  Is this *reachable*?  "})
    assert response.status_code == 201, response.content
    body = response.json()
    comment = Comment.objects.get()
    assert response["ETag"] == f'"comment-{comment.pk}-v1"'
    assert (body["target"], body["body"], body["html"]) == (
        kind,
        "Is this *reachable*?",
        "<p>Is this <em>reachable</em>?</p>\n",
    )
    assert (body["can_edit"], body["can_delete"]) == (True, True)
    assert comment.target == target(kind, on)


@pytest.mark.parametrize("kind", KINDS)
def test_viewers_cannot_comment(cast: Cast, on: Targets, kind: str) -> None:
    response = client_of(cast, "viewer").post(list_url(kind, on), {"body": "Looks fine"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("   ", "Write something first."),
        ("x" * 10_001, "Ensure this field has no more than 10000 characters."),
        ("a\x00b", "Null characters are not allowed."),
    ],
)
def test_a_comment_empty_or_too_long_is_refused_by_field(
    cast: Cast, on: Targets, body: str, message: str
) -> None:
    response = client_of(cast, "engineer").post(list_url("threat", on), {"body": body})
    assert field_errors(response) == {"body": [message]}
    assert not Comment.objects.exists()


def test_a_comment_tells_the_members_it_mentions_and_the_owner_of_what_it_is_on(
    cast: Cast, on: Targets
) -> None:
    token = api_token_create(user=cast.engineer, name="chat bridge").plaintext
    response = token_client(token).post(list_url("risk", on), {"body": "@owner please look, @outsider too"})
    assert response.status_code == 201
    assert [m["user"]["email"] for m in response.json()["mentions"]] == ["owner@acme.test"]
    told = sorted(
        Notification.objects.exclude(kind=NotificationKind.ASSIGNMENT).values_list("kind", "recipient__email")
    )
    assert told == [
        (NotificationKind.COMMENT, "viewer@acme.test"),
        (NotificationKind.MENTION, "owner@acme.test"),
    ]


# Editing and deleting -------------------------------------------------------------------------------------


def bodies_in_history(comment: Comment) -> list[str]:
    events = pghistory.models.Events.objects.tracks(comment).order_by("pgh_id")
    return [event.pgh_data["body"] for event in events]


def test_the_author_edits_from_the_version_read_and_the_history_keeps_each_text(
    cast: Cast, on: Targets
) -> None:
    comment = say(cast, "engineer", on.threat, "First take")
    client = client_of(cast, "engineer")
    response = client.patch(detail_url(comment), {"body": "Second take, @viewer"}, headers=if_match(comment))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["body"], body["version"]) == ("Second take, @viewer", 2)
    assert body["edited_at"] is not None
    assert response["ETag"] == f'"comment-{comment.pk}-v2"'
    assert bodies_in_history(comment) == ["First take", "Second take, @viewer"]
    assert Notification.objects.get(kind=NotificationKind.MENTION).recipient == cast.viewer


def test_an_edit_without_if_match_is_428_before_its_body_is_read(cast: Cast, on: Targets) -> None:
    comment = say(cast, "engineer", on.threat, "First take")
    response = client_of(cast, "engineer").patch(detail_url(comment), {"body": ""})
    assert response.status_code == 428
    assert error_of(response)["code"] == "precondition_required"


def test_an_edit_of_a_version_no_longer_current_is_412_with_the_comment_now(cast: Cast, on: Targets) -> None:
    comment = say(cast, "engineer", on.threat, "First take")
    stale = if_match(comment)
    client = client_of(cast, "engineer")
    assert client.patch(detail_url(comment), {"body": "Mine"}, headers=if_match(comment)).status_code == 200
    response = client.patch(detail_url(comment), {"body": "Theirs"}, headers=stale)
    assert response.status_code == 412
    assert response.json()["current"]["body"] == "Mine"
    assert response.json()["current"]["html"] == "<p>Mine</p>\n"
    assert response["ETag"] == f'"comment-{comment.pk}-v2"'
    assert Comment.objects.get().body == "Mine"


def test_an_edit_is_checked_by_field(cast: Cast, on: Targets) -> None:
    comment = say(cast, "engineer", on.threat, "First take")
    response = client_of(cast, "engineer").patch(
        detail_url(comment), {"body": " "}, headers=if_match(comment)
    )
    assert field_errors(response) == {"body": ["Write something first."]}


@pytest.mark.parametrize("role", ["owner", "security_lead", "other_engineer", "viewer"])
def test_only_the_author_edits_a_comment(cast: Cast, on: Targets, role: str) -> None:
    comment = say(cast, "engineer", on.threat, "First take")
    response = client_of(cast, role).patch(
        detail_url(comment), {"body": "Not yours"}, headers=if_match(comment)
    )
    assert response.status_code == 403
    assert Comment.objects.get().body == "First take"


@pytest.mark.parametrize(
    ("role", "allowed"), [("engineer", True), ("owner", True), ("security_lead", False), ("viewer", False)]
)
def test_the_author_or_an_owner_deletes_a_comment_and_its_place_and_history_stay(
    cast: Cast, on: Targets, role: str, allowed: bool
) -> None:
    comment = say(cast, "engineer", on.control, "Rate limit per card")
    client = client_of(cast, role)
    response = client.delete(detail_url(comment), headers=if_match(comment))
    if not allowed:
        assert response.status_code == 403
        assert Comment.objects.get().body == "Rate limit per card"
        return
    assert response.status_code == 204
    shown = client.get(detail_url(comment)).json()
    assert (shown["deleted"], shown["body"], shown["html"], shown["can_edit"]) == (True, "", "", False)
    assert shown["deleted_by"]["email"] == getattr(cast, role).email
    assert bodies_in_history(comment) == ["Rate limit per card", ""]
    again = client.delete(detail_url(comment), headers=if_match(comment))
    assert again.status_code == 404
    assert error_of(again)["message"] == "This comment is deleted already."
    edit = client_of(cast, "engineer").patch(detail_url(comment), {"body": "Back"}, headers=if_match(comment))
    assert edit.status_code == 403


def test_a_delete_needs_the_version_read(cast: Cast, on: Targets) -> None:
    comment = say(cast, "engineer", on.threat, "First take")
    stale = if_match(comment)
    client = client_of(cast, "engineer")
    assert client.delete(detail_url(comment)).status_code == 428
    client.patch(detail_url(comment), {"body": "Edited"}, headers=if_match(comment))
    response = client.delete(detail_url(comment), headers=stale)
    assert response.status_code == 412
    assert response.json()["current"]["body"] == "Edited"
    assert not Comment.objects.get().is_deleted


def test_a_comment_reads_with_its_etag_and_answers_304(cast: Cast, on: Targets) -> None:
    comment = say(cast, "engineer", on.risk, "Insurance covers part of it")
    client = client_of(cast, "viewer")
    response = client.get(detail_url(comment))
    assert (response.status_code, response.json()["target"], response.json()["risk"]) == (
        200,
        "risk",
        on.risk.number,
    )
    assert client.get(detail_url(comment), headers={"If-None-Match": response["ETag"]}).status_code == 304


def test_outsiders_get_404_for_everything(cast: Cast, on: Targets, outsider_api: APIClient) -> None:
    comment = say(cast, "engineer", on.threat, "First take")
    answers = [outsider_api.get(list_url(kind, on)) for kind in KINDS]
    answers += [outsider_api.post(list_url(kind, on), {"body": "Hello"}) for kind in KINDS]
    answers += [
        outsider_api.get(detail_url(comment)),
        outsider_api.patch(detail_url(comment), {"body": "Mine"}, headers=if_match(comment)),
        outsider_api.delete(detail_url(comment), headers=if_match(comment)),
    ]
    for response in answers:
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    assert list(Comment.objects.values_list("body", flat=True)) == ["First take"]


def test_a_comment_of_another_organisation_is_not_found(cast: Cast, on: Targets) -> None:
    elsewhere = ThreatFactory.create(
        project=ProjectFactory.create(team__organisation=cast.outsider_organisation)
    )
    outsider = Membership.objects.get(user=cast.outsider)
    theirs = comment_create(membership=outsider, target=elsewhere, body="Globex only")
    url = reverse("api_comment_detail", args=["acme", theirs.pk])
    client = client_of(cast, "owner")
    for response in [
        client.get(url),
        client.patch(url, {"body": "Mine"}, headers=if_match(theirs)),
        client.delete(url, headers=if_match(theirs)),
    ]:
        assert response.status_code == 404
        assert "Globex" not in response.content.decode()
    assert Comment.objects.get().body == "Globex only"


def test_comments_are_read_and_written_by_their_methods_only(cast: Cast, on: Targets) -> None:
    comment = say(cast, "engineer", on.threat, "First take")
    client = client_of(cast, "engineer")
    assert client.put(list_url("threat", on), {"body": "x"}).status_code == 405
    assert client.post(detail_url(comment), {"body": "x"}).status_code == 405


# Query budgets --------------------------------------------------------------------------------------------


def _add(cast: Cast, on: Targets, kind: str) -> Callable[[int], None]:
    def add(n: int) -> None:
        author = "engineer" if n % 2 else "owner"
        comment = say(cast, author, target(kind, on), f"@lead and @viewer, note {n}")
        if n % 3 == 0:
            membership = cast.membership(getattr(cast, author))
            comment_delete(membership=membership, comment=comment, version=comment.version)

    return add


@pytest.mark.parametrize("kind", KINDS)
def test_a_list_costs_the_same_queries_for_one_comment_as_for_a_full_page(
    cast: Cast, on: Targets, kind: str
) -> None:
    client = client_of(cast, "engineer")
    add = _add(cast, on, kind)
    add(1)

    def queries(rows: int) -> int:
        def fetch() -> None:
            response = client.get(list_url(kind, on))
            assert response.status_code == 200
            assert len(response.json()["results"]) == rows

        return count_queries(fetch)

    one = queries(1)
    for n in range(2, FULL_PAGE + 1):
        add(n)
    assert queries(FULL_PAGE) == one
