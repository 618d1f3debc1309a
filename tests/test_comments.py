"""Comments: who may write, edit and delete them, what they notify, the history they keep, and the panel on
the project, threat, control and business-risk pages."""

import re
from collections.abc import Callable
from typing import Any

import pghistory.models
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.urls import reverse

from projects.comment_models import Comment
from projects.comment_services import (
    EditConflict,
    comment_create,
    comment_delete,
    comment_edit,
    comment_url,
)
from projects.models import Project, Threat, User
from projects.notification_models import Notification, NotificationKind
from projects.roles import Role
from risks.models import BusinessRisk
from tests.conftest import Cast, signed_in
from tests.factories import (
    ControlFactory,
    MembershipFactory,
    ProjectFactory,
    TeamFactory,
    ThreatFactory,
    UserFactory,
)
from tests.queries import count_queries
from tests.risk_register import add_risk

HTMX = {"HX-Request": "true"}


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


@pytest.fixture
def threat(project: Project, cast: Cast) -> Threat:
    return ThreatFactory.create(project=project, owner=cast.security_lead)


def say(cast: Cast, user: User, target: models.Model, body: str) -> Comment:
    return comment_create(membership=cast.membership(user), target=target, body=body)  # type: ignore[arg-type]


def told(kind: str = NotificationKind.MENTION) -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__email", "url"))


def bodies_in_history(comment: Comment) -> list[str]:
    events = pghistory.models.Events.objects.tracks(comment).order_by("pgh_id")
    return [event.pgh_data["body"] for event in events]


# Writing --------------------------------------------------------------------------------------------------


def test_an_engineer_comments_on_a_threat_of_another_team(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.other_engineer, threat, "  Is this reachable from the **internet**?  ")
    assert comment.body == "Is this reachable from the **internet**?"
    assert (comment.organisation, comment.project, comment.threat) == (
        cast.organisation,
        threat.project,
        threat,
    )
    assert comment.author == cast.other_engineer
    assert comment.version == 1


def test_a_comment_is_recorded_with_who_wrote_it(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "First look")
    event = pghistory.models.Events.objects.tracks(comment).get()
    assert event.pgh_label == "created"
    assert event.pgh_context["user"] == cast.engineer.pk
    assert event.pgh_context["organisation"] == cast.organisation.pk


def test_a_viewer_cannot_comment(cast: Cast, threat: Threat) -> None:
    with pytest.raises(PermissionDenied):
        say(cast, cast.viewer, threat, "Looks fine")
    assert not Comment.objects.exists()


@pytest.mark.parametrize("body", ["", "   \n\t "])
def test_an_empty_comment_is_refused_and_nothing_is_written(cast: Cast, threat: Threat, body: str) -> None:
    with pytest.raises(ValidationError) as refused:
        say(cast, cast.engineer, threat, body)
    assert refused.value.message_dict == {"body": ["Write something first."]}
    assert not Comment.objects.exists()


def test_a_comment_too_long_is_refused_naming_its_length(cast: Cast, threat: Threat) -> None:
    with pytest.raises(ValidationError) as refused:
        say(cast, cast.engineer, threat, "x" * 10_001)
    assert refused.value.message_dict == {
        "body": ["Keep this to 10,000 characters or fewer (it has 10,001)."]
    }
    assert not Comment.objects.exists()


def test_a_nul_character_is_refused(cast: Cast, threat: Threat) -> None:
    with pytest.raises(ValidationError) as refused:
        say(cast, cast.engineer, threat, "a\x00b")
    assert "body" in refused.value.message_dict


def test_a_comment_on_another_organisations_threat_is_refused(cast: Cast) -> None:
    elsewhere = ThreatFactory.create(
        project=ProjectFactory.create(team=TeamFactory.create(organisation=cast.outsider_organisation))
    )
    with pytest.raises(ValidationError):
        say(cast, cast.engineer, elsewhere, "Hello")
    assert not Comment.objects.exists()


def test_every_kind_of_target_takes_comments(cast: Cast, project: Project, threat: Threat) -> None:
    control = ControlFactory.create(project=project)
    risk = add_risk(cast)
    on = {
        kind: say(cast, cast.engineer, target, f"On the {kind}")
        for kind, target in {"project": project, "threat": threat, "control": control, "risk": risk}.items()
    }
    assert (on["project"].project, on["project"].threat, on["project"].control) == (project, None, None)
    assert (on["control"].project, on["control"].control) == (project, control)
    assert (on["risk"].risk, on["risk"].project) == (risk, None)
    assert on["threat"].target == threat


# Mentions -------------------------------------------------------------------------------------------------


def test_a_mention_notifies_the_member_with_a_link_to_the_comment(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "@lead can you confirm this one?")
    url = f"/o/acme/projects/{threat.project_id}/threats/{threat.number}/#comment-{comment.pk}"
    assert told() == [("lead@acme.test", url)]
    notification = Notification.objects.get(kind=NotificationKind.MENTION)
    assert notification.actor == cast.engineer
    assert notification.subject.startswith(
        f"{cast.engineer.display_name} mentioned you on T-{threat.number}: "
    )
    assert "can you confirm this one?" in notification.subject


def test_mentions_reach_members_of_this_organisation_only(cast: Cast, threat: Threat) -> None:
    say(cast, cast.engineer, threat, "@outsider and @outsider@globex.test, have a look")
    assert told() == []


def test_a_member_mentioned_by_their_whole_address_is_notified(cast: Cast, threat: Threat) -> None:
    say(cast, cast.engineer, threat, "cc @Viewer@ACME.test")
    assert [email for email, _ in told()] == ["viewer@acme.test"]


def test_a_local_part_two_members_share_names_neither_but_whole_addresses_do(
    cast: Cast, threat: Threat
) -> None:
    twin = UserFactory.create(email="lead@partner.test")
    MembershipFactory.create(user=twin, organisation=cast.organisation, role=Role.ENGINEER)
    say(cast, cast.engineer, threat, "@lead?")
    assert told() == []
    say(cast, cast.engineer, threat, "@lead@partner.test and @lead@acme.test")
    assert [email for email, _ in told()] == ["lead@acme.test", "lead@partner.test"]


def test_mentions_in_code_are_not_mentions(cast: Cast, threat: Threat) -> None:
    say(cast, cast.engineer, threat, "Set `@lead` as the owner:\n\n```\n@viewer\n```")
    assert told() == []


def test_nobody_is_notified_of_mentioning_themself(cast: Cast, threat: Threat) -> None:
    say(cast, cast.engineer, threat, "note to self, @engineer")
    assert told() == []


def test_the_owner_of_the_threat_is_told_of_a_comment_on_it(cast: Cast, threat: Threat) -> None:
    say(cast, cast.engineer, threat, "Needs a control")
    assert [email for email, _ in told(NotificationKind.COMMENT)] == ["lead@acme.test"]


def test_an_owner_mentioned_is_told_once_as_a_mention(cast: Cast, threat: Threat) -> None:
    say(cast, cast.engineer, threat, "@lead needs a control")
    assert told(NotificationKind.COMMENT) == []
    assert [email for email, _ in told()] == ["lead@acme.test"]


def test_editing_notifies_only_the_members_it_first_mentions(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "@lead please look")
    comment_edit(
        membership=cast.membership(cast.engineer),
        comment=comment,
        version=comment.version,
        body="@lead please look, and @viewer too",
    )
    assert [email for email, _ in told()] == ["lead@acme.test", "viewer@acme.test"]


def test_removing_a_mention_and_adding_it_back_does_not_notify_again(
    cast: Cast, threat: Threat, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    membership = cast.membership(cast.engineer)
    with django_capture_on_commit_callbacks(execute=True):
        comment = say(cast, cast.engineer, threat, "@viewer please look")
    for _ in range(3):
        for body in ("please look", "@viewer please look"):
            with django_capture_on_commit_callbacks(execute=True):
                comment_edit(membership=membership, comment=comment, version=comment.version, body=body)
    assert comment.version == 7
    assert [email for email, _ in told()] == ["viewer@acme.test"]
    # The viewer is e-mailed once of the mention, and the threat's owner once of the new comment.
    assert sorted(message.to for message in mail.outbox) == [["lead@acme.test"], ["viewer@acme.test"]]


def test_an_edit_asks_once_who_was_told_already_however_many_it_mentions_again(
    cast: Cast, threat: Threat
) -> None:
    for name in ("ana", "ben", "cy"):
        MembershipFactory.create(
            user=UserFactory.create(email=f"{name}@acme.test"), organisation=cast.organisation
        )
    membership = cast.membership(cast.engineer)
    comment = say(cast, cast.engineer, threat, "@ana @ben @cy please look")

    def edit(body: str) -> Callable[[], object]:
        return lambda: comment_edit(
            membership=membership, comment=comment, version=comment.version, body=body
        )

    edit("please look")()
    one = count_queries(edit("@ana please look"))
    edit("please look")()
    three = count_queries(edit("@ana @ben @cy please look"))
    assert one == three
    assert told() == sorted((f"{name}@acme.test", comment_url(comment)) for name in ("ana", "ben", "cy"))


# Editing and deleting -------------------------------------------------------------------------------------


def test_the_author_edits_their_comment_and_the_history_keeps_the_old_text(
    cast: Cast, threat: Threat
) -> None:
    comment = say(cast, cast.engineer, threat, "Frist")
    edited = comment_edit(membership=cast.membership(cast.engineer), comment=comment, version=1, body="First")
    edited.refresh_from_db()
    assert (edited.body, edited.version) == ("First", 2)
    assert edited.edited_at is not None
    assert bodies_in_history(edited) == ["Frist", "First"]


def test_an_edit_from_an_old_version_conflicts_and_writes_nothing(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "One")
    membership = cast.membership(cast.engineer)
    comment_edit(membership=membership, comment=Comment.objects.get(), version=1, body="Two")
    with pytest.raises(EditConflict) as conflict:
        comment_edit(membership=membership, comment=comment, version=1, body="Three")
    assert conflict.value.current is not None
    assert Comment.objects.get().body == "Two"


@pytest.mark.parametrize("who", ["owner", "security_lead", "other_engineer"])
def test_only_the_author_edits_a_comment(cast: Cast, threat: Threat, who: str) -> None:
    comment = say(cast, cast.engineer, threat, "Mine")
    with pytest.raises(PermissionDenied):
        comment_edit(
            membership=cast.membership(getattr(cast, who)), comment=comment, version=1, body="Theirs"
        )
    assert Comment.objects.get().body == "Mine"


def test_deleting_empties_the_comment_and_the_history_keeps_its_text(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "Oops, a secret: hunter2")
    comment_delete(membership=cast.membership(cast.engineer), comment=comment, version=1)
    comment.refresh_from_db()
    assert comment.is_deleted
    assert (comment.body, comment.deleted_by, comment.version) == ("", cast.engineer, 2)
    assert bodies_in_history(comment) == ["Oops, a secret: hunter2", ""]


def test_an_owner_of_the_organisation_deletes_anyones_comment(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "Off topic")
    comment_delete(membership=cast.membership(cast.owner), comment=comment, version=1)
    comment.refresh_from_db()
    assert comment.deleted_by == cast.owner


@pytest.mark.parametrize("who", ["security_lead", "other_engineer", "viewer"])
def test_others_cannot_delete_a_comment(cast: Cast, threat: Threat, who: str) -> None:
    comment = say(cast, cast.engineer, threat, "Stays")
    with pytest.raises(PermissionDenied):
        comment_delete(membership=cast.membership(getattr(cast, who)), comment=comment, version=1)
    assert not Comment.objects.get().is_deleted


def test_a_delete_from_an_old_version_conflicts(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "One")
    membership = cast.membership(cast.engineer)
    comment_edit(membership=membership, comment=Comment.objects.get(), version=1, body="Two")
    with pytest.raises(EditConflict):
        comment_delete(membership=membership, comment=comment, version=1)
    assert Comment.objects.get().body == "Two"


def test_a_deleted_comment_cannot_be_edited(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "Gone soon")
    membership = cast.membership(cast.engineer)
    comment_delete(membership=membership, comment=comment, version=1)
    with pytest.raises(EditConflict):
        comment_edit(membership=membership, comment=comment, version=comment.version, body="Back")
    assert Comment.objects.get().body == ""


# The panel ------------------------------------------------------------------------------------------------


def panel_url(target: models.Model) -> str:
    if isinstance(target, Threat):
        return reverse("threat_comments", args=["acme", target.project_id, target.number])
    if isinstance(target, BusinessRisk):
        return reverse("risk_comments", args=["acme", target.number])
    if isinstance(target, Project):
        return reverse("project_comments", args=["acme", target.pk])
    return reverse("control_comments", args=["acme", target.project_id, target.pk])  # type: ignore[attr-defined]


TARGETS: dict[str, Callable[[Cast, Project], Any]] = {
    "project": lambda cast, project: project,
    "threat": lambda cast, project: ThreatFactory.create(project=project),
    "control": lambda cast, project: ControlFactory.create(project=project),
    "risk": lambda cast, project: add_risk(cast),
}


@pytest.mark.parametrize("kind", TARGETS)
def test_the_panel_shows_the_comments_rendered_and_safe(cast: Cast, project: Project, kind: str) -> None:
    target = TARGETS[kind](cast, project)
    say(cast, cast.engineer, target, "**Bold** <script>alert(1)</script> for @lead")
    response = signed_in(cast.viewer).get(panel_url(target), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Bold</strong>" in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert (
        f'<a href="/o/acme/activity/?user={cast.security_lead.pk}" class="mention" rel="noopener nofollow">@lead</a>'
        in html
    )
    assert "<!doctype" not in html.lower()  # the partial alone
    assert "You can read the conversation" in html  # a viewer reads, does not write


@pytest.mark.parametrize("kind", TARGETS)
def test_the_target_page_includes_the_panel(cast: Cast, project: Project, kind: str) -> None:
    target = TARGETS[kind](cast, project)
    page = {
        "project": lambda: reverse("project_detail", args=["acme", project.pk]),
        "threat": lambda: reverse("threat_detail", args=["acme", project.pk, target.number]),
        "control": lambda: reverse("control_detail", args=["acme", project.pk, target.pk]),
        "risk": lambda: reverse("risk_detail", args=["acme", target.number]),
    }[kind]()
    html = signed_in(cast.engineer).get(page).content.decode()
    assert f'hx-get="{panel_url(target)}" hx-trigger="load"' in html
    assert f'<a href="{panel_url(target)}">Read the comments and write one</a>' in html


def test_without_htmx_the_panel_is_a_page(cast: Cast, threat: Threat) -> None:
    say(cast, cast.engineer, threat, "Hello")
    response = signed_in(cast.engineer).get(panel_url(threat))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Comments on T-{threat.number}" in html
    assert "<!doctype html>" in html


def test_posting_adds_a_comment_and_answers_with_the_panel(cast: Cast, threat: Threat) -> None:
    response = signed_in(cast.other_engineer).post(panel_url(threat), {"body": "Added by htmx"}, headers=HTMX)
    assert response.status_code == 200
    comment = Comment.objects.get()
    assert (comment.body, comment.author) == ("Added by htmx", cast.other_engineer)
    html = response.content.decode()
    assert f'id="comment-{comment.pk}"' in html
    assert "Your comment was added." in html


def test_posting_without_javascript_redirects_to_the_comment(cast: Cast, threat: Threat) -> None:
    response = signed_in(cast.engineer).post(panel_url(threat), {"body": "Plain form"})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"/o/acme/projects/{threat.project_id}/threats/{threat.number}/#comment-{comment.pk}"
    )


def test_an_empty_post_answers_400_with_the_error_and_writes_nothing(cast: Cast, threat: Threat) -> None:
    client = signed_in(cast.engineer)
    for headers in (HTMX, {}):
        response = client.post(panel_url(threat), {"body": "  "}, headers=headers)
        assert response.status_code == 400
        assert "This field is required." in response.content.decode()
    assert not Comment.objects.exists()


def test_a_viewer_may_not_post(cast: Cast, threat: Threat) -> None:
    response = signed_in(cast.viewer).post(panel_url(threat), {"body": "Hi"})
    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_an_outsider_finds_no_panel(cast: Cast, threat: Threat) -> None:
    client = signed_in(cast.outsider)
    assert client.get(panel_url(threat)).status_code == 404
    assert client.post(panel_url(threat), {"body": "Hi"}).status_code == 404
    assert not Comment.objects.exists()


def test_the_panel_refuses_other_methods(cast: Cast, threat: Threat) -> None:
    client = signed_in(cast.engineer)
    assert client.put(panel_url(threat)).status_code == 405
    assert client.delete(panel_url(threat)).status_code == 405


def test_a_threats_panel_does_not_show_its_projects_comments(
    cast: Cast, project: Project, threat: Threat
) -> None:
    say(cast, cast.engineer, project, "About the project")
    say(cast, cast.engineer, threat, "About the threat")
    threat_html = signed_in(cast.engineer).get(panel_url(threat), headers=HTMX).content.decode()
    project_html = signed_in(cast.engineer).get(panel_url(project), headers=HTMX).content.decode()
    assert "About the threat" in threat_html
    assert "About the project" not in threat_html
    assert "About the project" in project_html
    assert "About the threat" not in project_html


def test_the_panel_shows_the_newest_page_and_links_to_earlier_ones(cast: Cast, threat: Threat) -> None:
    for number in range(52):
        say(cast, cast.engineer, threat, f"Comment number {number}.")
    html = signed_in(cast.engineer).get(panel_url(threat), headers=HTMX).content.decode()
    assert "Comment number 51." in html
    assert "Comment number 1." not in html
    assert f"{panel_url(threat)}?page=1" in html
    earlier = signed_in(cast.engineer).get(panel_url(threat) + "?page=1", headers=HTMX).content.decode()
    assert "Comment number 1." in earlier
    assert "Comment number 51." not in earlier


def test_the_panel_marks_edited_and_deleted_comments(cast: Cast, threat: Threat) -> None:
    edited = say(cast, cast.engineer, threat, "Typo")
    comment_edit(membership=cast.membership(cast.engineer), comment=edited, version=1, body="Fixed")
    deleted = say(cast, cast.engineer, threat, "Regrettable words")
    comment_delete(membership=cast.membership(cast.owner), comment=deleted, version=1)
    html = signed_in(cast.engineer).get(panel_url(threat), headers=HTMX).content.decode()
    assert "(edited)" in html
    assert "Regrettable words" not in html
    assert "Deleted by an owner of the organisation" in html


def test_edit_and_delete_are_offered_to_those_who_may(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "Hello")
    edit, delete = (reverse(name, args=["acme", comment.pk]) for name in ("comment_edit", "comment_delete"))
    author = signed_in(cast.engineer).get(panel_url(threat), headers=HTMX).content.decode()
    owner = signed_in(cast.owner).get(panel_url(threat), headers=HTMX).content.decode()
    lead = signed_in(cast.security_lead).get(panel_url(threat), headers=HTMX).content.decode()
    assert edit in author
    assert delete in author
    assert edit not in owner
    assert delete in owner
    assert edit not in lead
    assert delete not in lead


def test_the_panel_costs_the_same_queries_for_one_comment_or_thirty(cast: Cast, threat: Threat) -> None:
    client = signed_in(cast.engineer)
    say(cast, cast.engineer, threat, "Comment 0 for @lead")
    client.get(panel_url(threat), headers=HTMX)
    one = count_queries(lambda: client.get(panel_url(threat), headers=HTMX))
    for number in range(1, 30):
        say(cast, cast.security_lead, threat, f"Comment {number} for @engineer and @viewer")
    thirty = count_queries(lambda: client.get(panel_url(threat), headers=HTMX))
    assert Comment.objects.count() == 30
    assert thirty == one


# Editing and deleting in the panel ------------------------------------------------------------------------


def edit_url(comment: Comment) -> str:
    return reverse("comment_edit", args=["acme", comment.pk])


def delete_url(comment: Comment) -> str:
    return reverse("comment_delete", args=["acme", comment.pk])


def test_editing_with_htmx_answers_with_the_comment(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "Old")
    client = signed_in(cast.engineer)
    form = client.get(edit_url(comment), headers=HTMX)
    assert form.status_code == 200
    assert 'name="version" value="1"' in form.content.decode()
    response = client.post(edit_url(comment), {"body": "New *text*", "version": 1}, headers=HTMX)
    assert response.status_code == 200
    assert "New <em>text</em>" in response.content.decode()
    assert Comment.objects.get().body == "New *text*"


def test_editing_without_javascript_redirects_to_the_comment(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "Old")
    response = signed_in(cast.engineer).post(edit_url(comment), {"body": "New", "version": 1})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")


def test_an_edit_that_lost_a_race_shows_the_conflict_and_keeps_the_text_typed(
    cast: Cast, threat: Threat
) -> None:
    comment = say(cast, cast.engineer, threat, "One")
    comment_edit(membership=cast.membership(cast.engineer), comment=comment, version=1, body="Two")
    client = signed_in(cast.engineer)
    htmx = client.post(edit_url(comment), {"body": "Three", "version": 1}, headers=HTMX)
    plain = client.post(edit_url(comment), {"body": "Three", "version": 1})
    assert (htmx.status_code, plain.status_code) == (422, 409)
    html = htmx.content.decode()
    assert "while you were editing it" in html
    assert re.search(r">\s*Three</textarea>", html)
    assert 'name="version" value="2"' in html
    assert Comment.objects.get().body == "Two"


@pytest.mark.parametrize("who", ["owner", "security_lead", "viewer"])
def test_someone_elses_comment_cannot_be_edited(cast: Cast, threat: Threat, who: str) -> None:
    comment = say(cast, cast.engineer, threat, "Mine")
    client = signed_in(getattr(cast, who))
    assert client.get(edit_url(comment)).status_code == 403
    assert client.post(edit_url(comment), {"body": "Theirs", "version": 1}).status_code == 403
    assert Comment.objects.get().body == "Mine"


def test_deleting_with_htmx_answers_with_the_comment_marked_deleted(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "Bye")
    response = signed_in(cast.engineer).post(delete_url(comment), {"version": 1}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Deleted by its author" in html
    assert "Bye" not in html
    assert Comment.objects.get().is_deleted


def test_deleting_without_javascript_asks_first_then_redirects(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "Bye")
    client = signed_in(cast.engineer)
    question = client.get(delete_url(comment))
    assert question.status_code == 200
    assert "Delete this comment on T-" in question.content.decode()
    assert not Comment.objects.get().is_deleted
    response = client.post(delete_url(comment), {"version": 1})
    assert response.status_code == 302
    assert Comment.objects.get().is_deleted


def test_a_delete_without_a_version_deletes_nothing(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "Stays")
    assert signed_in(cast.engineer).post(delete_url(comment)).status_code == 400
    assert not Comment.objects.get().is_deleted


def test_someone_elses_comment_cannot_be_deleted_by_a_lead(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "Stays")
    assert signed_in(cast.security_lead).post(delete_url(comment), {"version": 1}).status_code == 403
    assert not Comment.objects.get().is_deleted


def test_an_outsider_cannot_reach_a_comment(cast: Cast, threat: Threat) -> None:
    comment = say(cast, cast.engineer, threat, "Ours")
    client = signed_in(cast.outsider)
    for url in (edit_url(comment), delete_url(comment)):
        assert client.get(url).status_code == 404
        assert client.post(url, {"body": "x", "version": 1}).status_code == 404
    outsider_slug = reverse("comment_edit", args=["globex", comment.pk])
    assert client.get(outsider_slug).status_code == 404
    assert Comment.objects.get().body == "Ours"


# Mention suggestions ---------------------------------------------------------------------------------------


def test_suggestions_offer_members_of_this_organisation_with_their_handles(cast: Cast) -> None:
    # The others' names are made up at random (one was "Leah ..."): name them so that none starts with "le".
    User.objects.filter(memberships__organisation=cast.organisation).update(name="Member")
    cast.security_lead.name = "Lena Lead"
    cast.security_lead.save(update_fields=["name"])
    client = signed_in(cast.engineer)
    url = reverse("comment_mentions", args=["acme"])
    assert client.get(url, {"q": "le"}).json() == {"members": [{"handle": "lead", "name": "Lena Lead"}]}
    assert client.get(url, {"q": "lead"}).json()["members"][0]["handle"] == "lead"
    assert client.get(url, {"q": "outsider"}).json() == {"members": []}
    assert signed_in(cast.outsider).get(url, {"q": "le"}).status_code == 404


def test_suggestions_give_the_whole_address_when_a_local_part_is_shared(cast: Cast) -> None:
    twin = UserFactory.create(email="lead@partner.test", name="Other Lead")
    MembershipFactory.create(user=twin, organisation=cast.organisation, role=Role.ENGINEER)
    answer = signed_in(cast.engineer).get(reverse("comment_mentions", args=["acme"]), {"q": "lead"}).json()
    assert sorted(member["handle"] for member in answer["members"]) == ["lead@acme.test", "lead@partner.test"]


def test_the_comment_box_says_how_to_mention(cast: Cast, threat: Threat) -> None:
    html = signed_in(cast.engineer).get(panel_url(threat), headers=HTMX).content.decode()
    assert re.search(r"Mention a member with @", html)
    assert 'data-mentions-url="/o/acme/comments/mentions/"' in html
