"""The notification pages (list, open, mark read, e-mail settings), the unread count in the header, and what
waits for me on My work and on the home page (the dashboard's glance at My work)."""

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import notifications, review_services
from projects.models import Project, ThreatStatus, User
from projects.notification_models import (
    EmailMode,
    EmailStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from risks import services as risk_services
from risks.models import RiskAcceptance
from tests.conftest import Cast, signed_in
from tests.factories import ControlFactory, MembershipFactory, ProjectFactory, ThreatFactory
from tests.queries import count_queries
from tests.risk_register import add_risk

DAY = datetime.timedelta(days=1)
HTMX = {"HX-Request": "true"}


def url(name: str, *args: object) -> str:
    return reverse(name, args=["acme", *args])


def html_of(response: Any) -> str:
    return str(response.content.decode())


def tell(
    cast: Cast, user: User, subject: str = "Ann mentioned you on T-3", url: str = "/o/acme/my-work/"
) -> Notification:
    notifications.notify(
        organisation=cast.organisation,
        recipients=[user],
        kind=NotificationKind.MENTION,
        actor=cast.owner,
        subject=subject,
        url=url,
    )
    return Notification.objects.filter(recipient=user).latest("pk")


@pytest.fixture
def checkout(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


# The list -------------------------------------------------------------------------------------------------


def test_it_lists_my_notifications_unread_first_then_newest(cast: Cast, viewer_client: Client) -> None:
    first = tell(cast, cast.viewer, "First")
    second = tell(cast, cast.viewer, "Second")
    third = tell(cast, cast.viewer, "Third")
    tell(cast, cast.engineer, "Someone else's")
    notifications.notifications_mark_read(membership=cast.membership(cast.viewer), ids=[third.pk])

    response = viewer_client.get(url("notification_list"))
    assert response.status_code == 200
    assert [n.subject for n in response.context["page"].object_list] == ["Second", "First", "Third"]
    html = html_of(response)
    assert "Someone else&#x27;s" not in html
    assert "Someone else's" not in html
    assert "2 unread." in html
    assert f'href="{url("notification_open", second.pk)}"' in html
    assert html.count("Mark read<span") == 2
    assert first.pk != second.pk


def test_a_notification_that_could_not_be_emailed_says_why(cast: Cast, viewer_client: Client) -> None:
    refused, sent = tell(cast, cast.viewer, "Refused"), tell(cast, cast.viewer, "Sent")
    Notification.objects.filter(pk=refused.pk).update(
        email_status=EmailStatus.FAILED,
        email_attempts=1,
        email_error="The mail server refused the address viewer@acme.test: 550 User unknown",
    )
    Notification.objects.filter(pk=sent.pk).update(email_status=EmailStatus.SENT, emailed_at=timezone.now())

    html = html_of(viewer_client.get(url("notification_list")))

    assert html.count("Not e-mailed") == 1
    assert (
        f'<p class="list__meta" id="notification-{refused.pk}-email"><span class="badge badge--overdue">Not '
        "e-mailed</span> The mail server refused the address viewer@acme.test: 550 User unknown</p>"
    ) in html


def test_it_never_shows_another_organisations_notifications(cast: Cast) -> None:
    MembershipFactory.create(user=cast.outsider, organisation=cast.organisation, role="viewer")
    notifications.notify(
        organisation=cast.outsider_organisation,
        recipients=[cast.outsider],
        kind="mention",
        actor=None,
        subject="Globex secret",
        url="/o/globex/",
    )
    response = signed_in(cast.outsider).get(url("notification_list"))
    assert response.context["page"].paginator.count == 0
    assert "Globex secret" not in html_of(response)
    assert "No notifications yet" in html_of(response)


def test_opening_a_notification_marks_it_read_and_goes_to_its_object(
    cast: Cast, viewer_client: Client
) -> None:
    notification = tell(cast, cast.viewer, url="/o/acme/risks/")
    response = viewer_client.get(url("notification_open", notification.pk))
    assert (response.status_code, response["Location"]) == (302, "/o/acme/risks/")
    notification.refresh_from_db()
    assert notification.read_at is not None
    viewer_client.get(url("notification_open", notification.pk))
    read_at = notification.read_at
    notification.refresh_from_db()
    assert notification.read_at == read_at  # opened again: still read when first opened


def test_someone_elses_notification_is_not_found(cast: Cast, viewer_client: Client) -> None:
    theirs = tell(cast, cast.engineer)
    assert viewer_client.get(url("notification_open", theirs.pk)).status_code == 404
    assert viewer_client.post(url("notification_read", theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_answers_the_row_to_htmx_and_the_page_to_a_form(cast: Cast, viewer_client: Client) -> None:
    one, two = tell(cast, cast.viewer, "One"), tell(cast, cast.viewer, "Two")
    response = viewer_client.post(url("notification_read", one.pk), headers=HTMX)
    assert response.status_code == 200
    assert f'id="notification-{one.pk}"' in html_of(response)
    assert "Mark read" not in html_of(response)
    assert "<html" not in html_of(response)
    response = viewer_client.post(url("notification_read", two.pk))
    assert (response.status_code, response["Location"]) == (302, url("notification_list"))
    assert not Notification.objects.filter(recipient=cast.viewer, read_at__isnull=True).exists()


def test_mark_all_read_touches_only_mine(cast: Cast, viewer_client: Client) -> None:
    tell(cast, cast.viewer)
    tell(cast, cast.viewer)
    theirs = tell(cast, cast.engineer)
    response = viewer_client.post(url("notification_read_all"), follow=True)
    assert "2 notifications marked read." in html_of(response)
    assert not Notification.objects.filter(recipient=cast.viewer, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize(
    ("name", "wrong"),
    [("notification_list", "post"), ("notification_read_all", "get"), ("notification_open", "post")],
)
def test_each_page_answers_only_its_methods(cast: Cast, viewer_client: Client, name: str, wrong: str) -> None:
    args = [tell(cast, cast.viewer).pk] if name == "notification_open" else []
    assert getattr(viewer_client, wrong)(url(name, *args)).status_code == 405


def test_an_outsider_finds_none_of_it(cast: Cast, outsider_client: Client) -> None:
    mine = tell(cast, cast.viewer)
    for name, args in [
        ("notification_list", []),
        ("notification_preferences", []),
        ("notification_open", [mine.pk]),
        ("my_work_summary", []),
    ]:
        assert outsider_client.get(url(name, *args)).status_code == 404
    assert outsider_client.post(url("notification_read_all")).status_code == 404
    mine.refresh_from_db()
    assert mine.read_at is None


def test_the_list_costs_the_same_queries_for_one_notification_or_thirty(
    cast: Cast, viewer_client: Client
) -> None:
    tell(cast, cast.viewer)
    viewer_client.get(url("notification_list"))  # the first visit stores the organisation in the session
    one = count_queries(lambda: viewer_client.get(url("notification_list")))
    for n in range(29):
        notifications.notify(
            organisation=cast.organisation,
            recipients=[cast.viewer],
            kind=NotificationKind.ASSIGNMENT,
            actor=cast.engineer if n % 2 else cast.security_lead,
            subject=f"Subject {n}",
            url="/",
        )
    response = viewer_client.get(url("notification_list"))
    assert len(response.context["page"].object_list) == 30
    assert count_queries(lambda: viewer_client.get(url("notification_list"))) == one


# The header's unread count --------------------------------------------------------------------------------


def test_the_header_shows_how_many_are_unread_on_every_organisation_page(
    cast: Cast, viewer_client: Client
) -> None:
    html = html_of(viewer_client.get(url("my_work")))
    assert 'id="notifications-link"' in html
    assert 'id="unread-count"' not in html
    tell(cast, cast.viewer)
    tell(cast, cast.viewer)
    html = html_of(viewer_client.get(url("project_list")))
    assert 'id="unread-count">2<span class="visually-hidden"> unread</span>' in html
    assert f'href="{url("notification_list")}"' in html


def test_the_unread_count_is_one_query_however_many_there_are(cast: Cast, viewer_client: Client) -> None:
    viewer_client.get(url("team_list"))
    before = count_queries(lambda: viewer_client.get(url("team_list")))
    for _ in range(30):
        tell(cast, cast.viewer)
    assert count_queries(lambda: viewer_client.get(url("team_list"))) == before


def test_pages_outside_an_organisation_have_no_count(cast: Cast, viewer_client: Client) -> None:
    tell(cast, cast.viewer)
    assert 'id="notifications-link"' not in html_of(viewer_client.get(reverse("token_list")))


# E-mail settings ------------------------------------------------------------------------------------------


def test_the_settings_show_the_defaults_and_save_a_choice(cast: Cast, viewer_client: Client) -> None:
    response = viewer_client.get(url("notification_preferences"))
    assert response.status_code == 200
    assert response.context["form"].initial == {"email": EmailMode.IMMEDIATE, "muted_kinds": []}
    response = viewer_client.post(
        url("notification_preferences"),
        {"email": "digest", "muted_kinds": ["mention", "comment"]},
        follow=True,
    )
    assert "Notification settings saved." in html_of(response)
    preference = NotificationPreference.objects.get(membership=cast.membership(cast.viewer))
    assert (preference.email, preference.muted_kinds) == ("digest", ["comment", "mention"])
    assert viewer_client.get(url("notification_preferences")).context["form"].initial["email"] == "digest"


def test_bad_settings_are_refused_by_field_and_write_nothing(cast: Cast, viewer_client: Client) -> None:
    response = viewer_client.post(
        url("notification_preferences"), {"email": "hourly", "muted_kinds": ["gossip"]}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"email", "muted_kinds"}
    assert "Select a valid choice. hourly is not one of the available choices." in html_of(response)
    assert not NotificationPreference.objects.exists()


# My work: waiting for me, due soon -------------------------------------------------------------------------


def _request(cast: Cast, owner: User, days: int = 90, title: str = "Card data exposed") -> RiskAcceptance:
    risk = add_risk(cast, owner=owner, title=title)
    return risk_services.acceptance_request(
        membership=cast.membership(cast.security_lead),
        risk=risk,
        rationale="Fixed in the Q3 rewrite.",
        expires_on=timezone.localdate() + days * DAY,
    )


def test_a_security_lead_sees_the_threats_in_review(cast: Cast, checkout: Project) -> None:
    in_review = ThreatFactory.create(project=checkout, status=ThreatStatus.IN_REVIEW)
    ThreatFactory.create(project=checkout, status=ThreatStatus.IDENTIFIED)
    response = signed_in(cast.security_lead).get(url("my_work"))
    section = response.context["to_review"]
    assert ([t.pk for t in section.rows], section.count) == ([in_review.pk], 1)
    html = html_of(response)
    assert f'id="review-threat-{in_review.pk}"' in html
    assert "1 threat in review" in html
    assert signed_in(cast.security_lead).get(section.url.replace("&amp;", "&")).status_code == 200


def test_a_security_lead_sees_the_threat_models_waiting_for_sign_off(cast: Cast, checkout: Project) -> None:
    review = review_services.model_review_submit(
        membership=cast.membership(cast.engineer), project=checkout, note="Refunds are new"
    )
    response = signed_in(cast.security_lead).get(url("my_work"))
    section = response.context["models_to_review"]
    assert ([r.pk for r in section.rows], section.count) == ([review.pk], 1)
    html = html_of(response)
    assert f'id="review-model-{review.pk}"' in html
    assert f'href="{url("project_review", checkout.pk)}">Sign off the threat model of Checkout</a>' in html
    assert "1 threat model to sign off" in html
    glance = signed_in(cast.security_lead).get(url("my_work_summary"), headers=HTMX)
    assert glance.context["summary"].waiting == 1
    assert "1 threat model to sign off, 0 threats in review" in html_of(glance)
    assert signed_in(cast.engineer).get(url("my_work")).context["models_to_review"].count == 0


def test_an_engineer_is_not_asked_to_review_threats(
    cast: Cast, engineer_client: Client, checkout: Project
) -> None:
    ThreatFactory.create(project=checkout, status=ThreatStatus.IN_REVIEW)
    response = engineer_client.get(url("my_work"))
    assert response.context["to_review"].count == 0
    assert "threat in review" not in html_of(response)
    assert "Nothing waits for you" in html_of(response)


def test_the_owner_of_a_risk_sees_the_acceptances_waiting_for_their_decision(
    cast: Cast, viewer_client: Client
) -> None:
    acceptance = _request(cast, cast.viewer)
    _request(cast, cast.owner, title="Someone else's")
    response = viewer_client.get(url("my_work"))
    section = response.context["to_decide"]
    assert ([a.pk for a in section.rows], section.count) == ([acceptance.pk], 1)
    html = html_of(response)
    assert f"Accept R-{acceptance.risk.number} “Card data exposed” until" in html
    assert f'href="{url("risk_detail", acceptance.risk.number)}#acceptance"' in html
    assert "1 risk acceptance waiting for my decision" in html


def test_acceptances_of_my_risks_running_out_are_due_soon(cast: Cast, viewer_client: Client) -> None:
    soon = _request(cast, cast.viewer, days=10, title="Soon")
    later = _request(cast, cast.viewer, days=60, title="Later")
    for acceptance in (soon, later):
        risk_services.acceptance_decide(
            membership=cast.membership(cast.viewer),
            acceptance=acceptance,
            version=acceptance.version,
            approve=True,
        )
    response = viewer_client.get(url("my_work"))
    section = response.context["running_out"]
    assert [a.risk.title for a in section.rows] == ["Soon"]
    assert f'id="running-out-{soon.pk}"' in html_of(response)
    lead = signed_in(cast.security_lead).get(url("my_work"))  # who asked for it sees it too
    assert [a.pk for a in lead.context["running_out"].rows] == [soon.pk]
    assert signed_in(cast.engineer).get(url("my_work")).context["running_out"].count == 0


def test_my_work_costs_the_same_queries_with_one_thing_waiting_or_many(cast: Cast, checkout: Project) -> None:
    client = signed_in(cast.owner)

    def fill(n: int) -> None:
        for i in range(n):
            ThreatFactory.create(project=checkout, status=ThreatStatus.IN_REVIEW)
            _request(cast, cast.owner, title=f"Risk {n}-{i}")

    fill(1)
    client.get(url("my_work"))
    few = count_queries(lambda: client.get(url("my_work")))
    fill(8)
    response = client.get(url("my_work"))
    assert (response.context["to_review"].count, response.context["to_decide"].count) == (9, 9)
    assert count_queries(lambda: client.get(url("my_work"))) == few


# The home page's glance at My work ------------------------------------------------------------------------


def test_the_dashboard_loads_the_glance_at_my_work(cast: Cast, viewer_client: Client) -> None:
    html = html_of(viewer_client.get(url("organisation_dashboard")))
    assert f'hx-get="{url("my_work_summary")}" hx-trigger="load"' in html
    assert f'<a href="{url("my_work")}">My work</a>' in html  # without JavaScript, the link stays


def test_the_glance_counts_what_waits_and_what_is_due(cast: Cast, checkout: Project) -> None:
    today = timezone.localdate()
    ThreatFactory.create(project=checkout, status=ThreatStatus.IN_REVIEW)
    _request(cast, cast.security_lead)
    ControlFactory.create(project=checkout, owner=cast.security_lead, due_on=today - DAY)
    ControlFactory.create(project=checkout, owner=cast.security_lead, due_on=today + 3 * DAY)
    ControlFactory.create(project=checkout, owner=cast.engineer, due_on=today - DAY)
    tell(cast, cast.security_lead)
    response = signed_in(cast.security_lead).get(url("my_work_summary"), headers=HTMX)
    summary = response.context["summary"]
    assert (summary.to_review, summary.to_decide, summary.controls_due, summary.controls_overdue) == (
        1,
        1,
        2,
        1,
    )
    html = html_of(response)
    assert 'id="summary-waiting"' in html
    assert '#waiting-for-me">2<span' in html
    assert "1 threat in review, 1 acceptance to decide" in html
    assert "2 controls (1 overdue), 0 acceptances running out" in html
    assert 'id="summary-unread"' in html
    assert "<html" not in html


def test_the_glance_costs_a_fixed_few_queries(cast: Cast, checkout: Project) -> None:
    client = signed_in(cast.security_lead)
    client.get(url("my_work_summary"))
    few = count_queries(lambda: client.get(url("my_work_summary")))
    for i in range(5):
        ThreatFactory.create(project=checkout, status=ThreatStatus.IN_REVIEW)
        ControlFactory.create(project=checkout, owner=cast.security_lead, due_on=timezone.localdate())
        review_services.model_review_submit(
            membership=cast.membership(cast.engineer),
            project=ProjectFactory.create(team=cast.team, name=f"Project {i}"),
        )
    # The user and their membership (the session comes from the cache), the unread count, and five counts: models
    # and threats waiting, acceptances to decide and running out, controls due.
    assert count_queries(lambda: client.get(url("my_work_summary"))) == few <= 8


def test_the_header_asks_for_the_count_again_so_a_mention_shows_without_a_reload(
    cast: Cast, viewer_client: Client
) -> None:
    page = html_of(viewer_client.get(url("my_work")))
    assert f'hx-get="{url("notification_badge")}"' in page
    assert "every 15s" in page

    tell(cast, cast.viewer)
    badge = viewer_client.get(url("notification_badge"), headers={"HX-Request": "true"})

    assert badge.status_code == 200
    assert html_of(badge).strip().startswith('<a class="btn btn--on-dark btn--small topbar__notifications"')
    assert 'id="unread-count">1<span class="visually-hidden"> unread</span>' in html_of(badge)
    assert "aria-current" not in html_of(badge)
    current = viewer_client.get(url("notification_badge") + "?current=notification_list")
    assert 'aria-current="page"' in html_of(current)


def test_the_count_is_asked_for_in_one_query_after_the_session(cast: Cast, viewer_client: Client) -> None:
    viewer_client.get(url("notification_badge"))
    few = count_queries(lambda: viewer_client.get(url("notification_badge")))
    for _ in range(30):
        tell(cast, cast.viewer)
    assert count_queries(lambda: viewer_client.get(url("notification_badge"))) == few


def test_signed_out_the_count_stops_polling_and_an_outsider_finds_nothing(
    cast: Cast, client: Client, outsider_client: Client
) -> None:
    assert client.get(url("notification_badge"), headers={"HX-Request": "true"}).status_code == 286
    assert client.get(url("notification_badge")).status_code == 302
    assert outsider_client.get(url("notification_badge")).status_code == 404
