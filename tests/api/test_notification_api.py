"""A member's own notifications through the API: the list (unread first, or only unread), the unread count,
marking one or every one read, and the e-mail preferences; nobody reaches anyone else's."""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from projects import notifications
from projects.models import Membership, Organisation, User
from projects.notification_models import (
    EmailMode,
    EmailStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from projects.roles import Role
from projects.services import api_token_create
from tests.api.conftest import session_client, token_client
from tests.api.errors import error_of, field_errors
from tests.conftest import Cast
from tests.factories import MembershipFactory
from tests.queries import count_queries

FULL_PAGE = 50


def url(name: str, *args: object) -> str:
    return reverse(name, args=["acme", *args])


def tell(
    organisation: Organisation,
    user: User,
    subject: str = "Ann mentioned you on T-3",
    actor: User | None = None,
) -> Notification:
    notifications.notify(
        organisation=organisation,
        recipients=[user],
        kind=NotificationKind.MENTION,
        actor=actor,
        subject=subject,
        url="/o/acme/my-work/",
    )
    return Notification.objects.filter(recipient=user).latest("pk")


def unread(user: User) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, read_at__isnull=True).values_list("subject", flat=True)
    )


# The list and the count -----------------------------------------------------------------------------------


def test_it_lists_my_notifications_unread_first_then_newest(cast: Cast, viewer_api: APIClient) -> None:
    first = tell(cast.organisation, cast.viewer, "First", actor=cast.owner)
    tell(cast.organisation, cast.viewer, "Second")
    tell(cast.organisation, cast.viewer, "Third")
    tell(cast.organisation, cast.engineer, "Someone else's")
    Notification.objects.filter(subject="Third").update(read_at=timezone.now())
    response = viewer_api.get(url("api_notification_list"))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["subject"], row["read"]) for row in rows] == [
        ("Second", False),
        ("First", False),
        ("Third", True),
    ]
    assert rows[1] == {
        "id": first.pk,
        "kind": "mention",
        "subject": "First",
        "url": "/o/acme/my-work/",
        "actor": {"id": cast.owner.pk, "email": "owner@acme.test", "name": cast.owner.name},
        "target_type": "",
        "target_id": None,
        "created_at": rows[1]["created_at"],
        "read": False,
        "read_at": None,
        "email_status": "not_sent",
        "email_error": "",
    }


def test_a_notification_that_could_not_be_emailed_says_why(cast: Cast, viewer_api: APIClient) -> None:
    refused = tell(cast.organisation, cast.viewer)
    Notification.objects.filter(pk=refused.pk).update(
        email_status=EmailStatus.FAILED, email_attempts=1, email_error="The mail server refused the address."
    )

    [row] = viewer_api.get(url("api_notification_list")).json()["results"]

    assert (row["email_status"], row["email_error"]) == ("failed", "The mail server refused the address.")


def test_it_lists_only_the_unread_ones_when_asked(cast: Cast, viewer_api: APIClient) -> None:
    tell(cast.organisation, cast.viewer, "Old")
    notifications.notifications_mark_read(membership=cast.membership(cast.viewer))
    tell(cast.organisation, cast.viewer, "New")
    rows = viewer_api.get(url("api_notification_list"), {"unread": "true"}).json()["results"]
    assert [row["subject"] for row in rows] == ["New"]
    everything = viewer_api.get(url("api_notification_list"), {"unread": "false"}).json()["results"]
    assert len(everything) == 2


def test_the_list_keeps_to_the_organisation_in_the_url(cast: Cast) -> None:
    elsewhere = cast.outsider_organisation
    MembershipFactory.create(user=cast.viewer, organisation=elsewhere, role=Role.VIEWER)
    tell(elsewhere, cast.viewer, "At Globex")
    tell(cast.organisation, cast.viewer, "At Acme")
    client = session_client(cast.viewer)
    rows = client.get(url("api_notification_list")).json()["results"]
    assert [row["subject"] for row in rows] == ["At Acme"]
    assert client.get(url("api_notification_unread_count")).json() == {"unread": 1}


def test_the_unread_count_counts_my_unread_ones_by_token(cast: Cast) -> None:
    tell(cast.organisation, cast.engineer)
    tell(cast.organisation, cast.engineer)
    tell(cast.organisation, cast.viewer)
    client = token_client(api_token_create(user=cast.engineer, name="menu bar").plaintext)
    assert client.get(url("api_notification_unread_count")).json() == {"unread": 2}
    notifications.notifications_mark_read(membership=cast.membership(cast.engineer))
    assert client.get(url("api_notification_unread_count")).json() == {"unread": 0}


def test_the_list_answers_304_until_something_new_arrives(cast: Cast, viewer_api: APIClient) -> None:
    tell(cast.organisation, cast.viewer)
    tag = viewer_api.get(url("api_notification_list"))["ETag"]
    assert viewer_api.get(url("api_notification_list"), headers={"If-None-Match": tag}).status_code == 304
    tell(cast.organisation, cast.viewer)
    assert viewer_api.get(url("api_notification_list"), headers={"If-None-Match": tag}).status_code == 200


# Marking read ---------------------------------------------------------------------------------------------


def test_marking_one_read_keeps_when_it_was_first_read(cast: Cast, viewer_api: APIClient) -> None:
    mine = tell(cast.organisation, cast.viewer, "Mine")
    tell(cast.organisation, cast.viewer, "Other")
    response = viewer_api.post(url("api_notification_read", mine.pk))
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["read"]) == (mine.pk, True)
    assert unread(cast.viewer) == ["Other"]
    again = viewer_api.post(url("api_notification_read", mine.pk)).json()
    assert again["read_at"] == body["read_at"]


def test_marking_every_one_read_says_how_many_were_unread(cast: Cast, viewer_api: APIClient) -> None:
    for _ in range(3):
        tell(cast.organisation, cast.viewer)
    theirs = tell(cast.organisation, cast.engineer)
    assert viewer_api.post(url("api_notification_read_all")).json() == {"marked": 3}
    assert viewer_api.post(url("api_notification_read_all")).json() == {"marked": 0}
    assert unread(cast.viewer) == []
    assert unread(cast.engineer) == [theirs.subject]


def test_anyone_elses_notification_is_not_found_and_stays_unread(cast: Cast, viewer_api: APIClient) -> None:
    theirs = tell(cast.organisation, cast.engineer, "Theirs")
    response = viewer_api.post(url("api_notification_read", theirs.pk))
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert unread(cast.engineer) == ["Theirs"]


def test_marking_read_is_a_post(cast: Cast, viewer_api: APIClient) -> None:
    mine = tell(cast.organisation, cast.viewer)
    assert viewer_api.get(url("api_notification_read", mine.pk)).status_code == 405
    assert viewer_api.get(url("api_notification_read_all")).status_code == 405
    assert viewer_api.post(url("api_notification_list")).status_code == 405
    assert viewer_api.post(url("api_notification_unread_count")).status_code == 405
    assert unread(cast.viewer) == [mine.subject]


# Preferences ----------------------------------------------------------------------------------------------


def test_the_preferences_are_the_defaults_until_saved(cast: Cast, engineer_api: APIClient) -> None:
    response = engineer_api.get(url("api_notification_preferences"))
    assert response.json() == {"email": "immediate", "muted_kinds": [], "saved": False}


@pytest.mark.parametrize("role", ["owner", "security_lead", "engineer", "viewer"])
def test_every_member_sets_their_own_preferences(cast: Cast, role: str) -> None:
    user = getattr(cast, role)
    client = session_client(user)
    body = {"email": "digest", "muted_kinds": ["comment", "mention", "comment"]}
    response = client.put(url("api_notification_preferences"), body)
    assert response.status_code == 200, response.content
    assert response.json() == {"email": "digest", "muted_kinds": ["comment", "mention"], "saved": True}
    preference = NotificationPreference.objects.get()
    assert preference.membership == Membership.objects.get(user=user, organisation=cast.organisation)
    assert (preference.email, preference.muted_kinds) == (EmailMode.DIGEST, ["comment", "mention"])
    assert client.get(url("api_notification_preferences")).json()["saved"] is True


def test_unknown_preferences_are_refused_by_field(cast: Cast, engineer_api: APIClient) -> None:
    response = engineer_api.put(
        url("api_notification_preferences"), {"email": "pigeon", "muted_kinds": ["gossip"]}
    )
    errors = field_errors(response)
    assert set(errors) == {"email", "muted_kinds"}
    assert not NotificationPreference.objects.exists()
    assert set(field_errors(engineer_api.put(url("api_notification_preferences"), {}))) == {"email"}


def test_outsiders_get_404_for_everything(cast: Cast, outsider_api: APIClient) -> None:
    mine = tell(cast.organisation, cast.viewer)
    for response in [
        outsider_api.get(url("api_notification_list")),
        outsider_api.get(url("api_notification_unread_count")),
        outsider_api.post(url("api_notification_read", mine.pk)),
        outsider_api.post(url("api_notification_read_all")),
        outsider_api.get(url("api_notification_preferences")),
        outsider_api.put(url("api_notification_preferences"), {"email": "off"}),
    ]:
        assert response.status_code == 404
    assert unread(cast.viewer) == [mine.subject]
    assert not NotificationPreference.objects.exists()


def test_the_anonymous_are_asked_to_authenticate(cast: Cast, anonymous_api: APIClient) -> None:
    response = anonymous_api.get(url("api_notification_unread_count"))
    assert response.status_code in {401, 403}
    assert error_of(response)["code"] == "not_authenticated"


# Query budget ---------------------------------------------------------------------------------------------


def test_the_list_costs_the_same_queries_for_one_notification_as_for_a_full_page(cast: Cast) -> None:
    client = session_client(cast.viewer)

    def queries(rows: int) -> int:
        def fetch() -> None:
            response = client.get(url("api_notification_list"))
            assert response.status_code == 200
            assert len(response.json()["results"]) == rows

        return count_queries(fetch)

    tell(cast.organisation, cast.viewer, actor=cast.owner)
    one = queries(1)
    for n in range(1, FULL_PAGE):
        tell(cast.organisation, cast.viewer, actor=cast.engineer if n % 2 else None)
    assert queries(FULL_PAGE) == one
