"""The activity feeds: who did what and when in an organisation and in a project, read from the recorded history,
filtered, paged, in a fixed number of queries, and never anything of another organisation."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import activity
from projects import review_services as reviews
from projects import workspace_services as services
from projects.comment_services import comment_create, comment_delete, comment_edit
from projects.models import Control, Membership, Project, Threat, User
from projects.review_models import ModelReview, ThreatReview
from projects.roles import Role
from projects.workspace_selectors import Seen
from risks import services as risk_services
from tests.conftest import Cast, signed_in
from tests.factories import (
    MembershipFactory,
    ProjectFactory,
    TeamFactory,
    ThreatControlFactory,
    ThreatFactory,
    UserFactory,
)
from tests.queries import count_queries
from tests.risk_register import add_risk, link

HTMX_RESULTS = {"HX-Request": "true", "HX-Target": "activity-results"}


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


def log_threat(
    cast: Cast, project: Project, user: User | None = None, action: str = "steal card data"
) -> Threat:
    membership = cast.membership(user or cast.engineer)
    return services.threat_create(
        membership=membership, project=project, threat_source="attacker", threat_action=action
    )


def add_control(cast: Cast, project: Project, title: str = "Rate limiting") -> Control:
    return services.control_create(
        membership=cast.membership(cast.security_lead), project=project, title=title
    )


def feed_url(project: Project | None = None) -> str:
    if project is None:
        return reverse("organisation_activity", args=["acme"])
    return reverse("project_activity", args=["acme", project.pk])


def text(html: str) -> str:
    """The page's words, without tags, on one line each."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def read(client: Client, url: str, **query: str | int) -> str:
    response = client.get(url, query)
    assert response.status_code == 200
    return text(response.content.decode())


def sentences(feed: activity.Feed) -> list[str]:
    return [
        " ".join(part for part in (item.who, item.verb, item.noun, item.subject) if part)
        for item in feed.activities
    ]


def test_the_project_feed_says_who_did_what_newest_first(cast: Cast, project: Project) -> None:
    threat = log_threat(cast, project)
    control = add_control(cast, project)
    services.control_update(
        membership=cast.membership(cast.security_lead),
        control=control,
        version=control.version,
        status="planned",
    )
    services.control_link(
        membership=cast.membership(cast.engineer), control=control, threat=threat, effectiveness=60
    )
    feed = activity.project_feed(project, activity.Filters())
    lead, engineer = cast.security_lead.display_name, cast.engineer.display_name
    assert sentences(feed) == [
        f"{engineer} linked control of a threat “Rate limiting” to T-1",
        f"{lead} changed control “Rate limiting”",
        f"{lead} added control “Rate limiting”",
        f"{engineer} added threat T-1",
        "the system added project “Checkout”",  # made by a factory, outside any member's request
    ]
    changed = feed.activities[1]
    assert [(f.label, f.before, f.after) for f in changed.fields] == [("Status", "Proposed", "Planned")]
    assert feed.activities[0].url == f"/o/acme/projects/{project.pk}/threats/1/"
    assert changed.url == f"/o/acme/projects/{project.pk}/controls/{control.pk}/"


def test_the_page_shows_the_feed_with_links_and_changes(cast: Cast, project: Project) -> None:
    control = add_control(cast, project)
    services.control_update(
        membership=cast.membership(cast.security_lead),
        control=control,
        version=control.version,
        status="planned",
    )
    html = signed_in(cast.viewer).get(feed_url(project)).content.decode()
    assert f'<a href="/o/acme/projects/{project.pk}/controls/{control.pk}/">“Rate limiting”</a>' in html
    words = text(html)
    assert f"{cast.security_lead.display_name} changed control “Rate limiting”" in words
    assert "Status from Proposed → to Planned" in words


def test_a_deleted_object_is_named_but_not_linked(cast: Cast, project: Project) -> None:
    threat = log_threat(cast, project)
    services.threat_delete(membership=cast.membership(cast.engineer), threat=threat, version=threat.version)
    feed = activity.project_feed(project, activity.Filters())
    assert sentences(feed)[0] == f"{cast.engineer.display_name} deleted threat T-1"
    assert [item.url for item in feed.activities][:2] == [None, None]


def test_the_organisation_feed_covers_every_project_and_the_register(cast: Cast, project: Project) -> None:
    other = ProjectFactory.create(team=cast.other_team, name="Platform API")
    log_threat(cast, project)
    log_threat(cast, other, cast.other_engineer, "flood the API")
    risk = add_risk(cast, "Card data exposed")
    feed = activity.organisation_feed(cast.organisation, activity.Filters())
    assert sentences(feed) == [
        f"{cast.security_lead.display_name} added business risk R-{risk.number} “Card data exposed”",
        f"{cast.other_engineer.display_name} added threat T-1",
        f"{cast.engineer.display_name} added threat T-1",
        "the system added project “Platform API”",
        "the system added project “Checkout”",
    ]
    assert [item.project for item in feed.activities] == ["", "Platform API", "Checkout", "", ""]
    words = read(signed_in(cast.engineer), feed_url())
    assert "added threat T-1 in Platform API" in words
    assert "added threat T-1 in Checkout" in words


def test_threats_linked_to_business_risks_show_in_both_feeds(cast: Cast, project: Project) -> None:
    threat = log_threat(cast, project)
    risk = add_risk(cast, "Card data exposed", owner=cast.owner)
    link(cast, risk, threat)
    risk_services.acceptance_request(
        membership=cast.membership(cast.security_lead),
        risk=risk,
        rationale="Fix planned next quarter",
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    lead = cast.security_lead.display_name
    in_organisation = activity.organisation_feed(cast.organisation, activity.Filters(kind="risk"))
    assert sentences(in_organisation) == [
        f"{lead} added risk acceptance of R-{risk.number} Card data exposed",
        f"{lead} linked threat of a business risk T-1 to R-{risk.number} Card data exposed",
        f"{lead} added business risk R-{risk.number} “Card data exposed”",
    ]
    risk_page = f"/o/acme/risks/{risk.number}/"
    assert [item.url for item in in_organisation.activities] == [risk_page, risk_page, risk_page]
    assert [item.project for item in in_organisation.activities] == ["", "Checkout", ""]
    in_project = activity.project_feed(project, activity.Filters(kind="risk"))
    assert sentences(in_project) == [
        f"{lead} linked threat of a business risk T-1 to R-{risk.number} Card data exposed"
    ]


def test_a_project_feed_leaves_out_other_projects_and_the_register(cast: Cast, project: Project) -> None:
    other = ProjectFactory.create(team=cast.other_team, name="Platform API")
    log_threat(cast, other, cast.other_engineer)
    add_risk(cast)
    assert sentences(activity.project_feed(project, activity.Filters())) == [
        "the system added project “Checkout”"
    ]
    assert "Nothing matches these filters" in read(signed_in(cast.engineer), feed_url(project), kind="threat")


def test_another_organisations_activity_never_shows(cast: Cast, project: Project) -> None:
    elsewhere = ProjectFactory.create(
        team=TeamFactory.create(organisation=cast.outsider_organisation), name="Globex Secret Project"
    )
    outsider = Membership.objects.get(user=cast.outsider)
    services.threat_create(
        membership=outsider, project=elsewhere, threat_source="spy", threat_action="read Globex secrets"
    )
    comment_create(membership=outsider, target=elsewhere, body="Globex secret remark")
    log_threat(cast, project)
    client = signed_in(cast.owner)
    for url in (feed_url(), feed_url(project)):
        for query in ({}, {"user": cast.outsider.pk}, {"kind": "comment"}):
            words = read(client, url, **query)
            assert "Globex" not in words
            assert "outsider" not in words
    assert signed_in(cast.outsider).get(feed_url()).status_code == 404
    assert signed_in(cast.outsider).get(feed_url(project)).status_code == 404


def test_the_feed_filters_by_kind(cast: Cast, project: Project) -> None:
    threat = log_threat(cast, project)
    add_control(cast, project)
    comment_create(membership=cast.membership(cast.engineer), target=threat, body="Looks real")
    by_kind = {
        kind: sentences(activity.project_feed(project, activity.Filters(kind=kind)))
        for kind in ("threat", "control", "comment", "model")
    }
    assert by_kind == {
        "threat": [f"{cast.engineer.display_name} added threat T-1"],
        "control": [f"{cast.security_lead.display_name} added control “Rate limiting”"],
        "comment": [f"{cast.engineer.display_name} commented on T-1"],
        "model": [],
    }


def test_the_feed_filters_by_person(cast: Cast, project: Project) -> None:
    log_threat(cast, project)
    add_control(cast, project)
    feed = activity.organisation_feed(cast.organisation, activity.Filters(user=cast.security_lead.pk))
    assert sentences(feed) == [f"{cast.security_lead.display_name} added control “Rate limiting”"]
    words = read(signed_in(cast.engineer), feed_url(), user=cast.security_lead.pk)
    assert f"{cast.security_lead.display_name} only" in words


def test_the_feed_filters_by_dates(cast: Cast, project: Project) -> None:
    old, new = log_threat(cast, project, action="old thing"), log_threat(cast, project, action="new thing")
    today = timezone.localdate()
    last_week = timezone.now() - datetime.timedelta(days=7)
    Threat.pgh_event_model.objects.filter(pgh_obj=old).update(pgh_created_at=last_week)  # type: ignore[attr-defined]
    week_ago = timezone.localtime(last_week).date()

    def numbers(**filters: object) -> list[str]:
        chosen = activity.Filters(kind="threat", **filters)  # type: ignore[arg-type]
        return [item.subject for item in activity.project_feed(project, chosen).activities]

    assert numbers() == [f"T-{new.number}", f"T-{old.number}"]
    assert numbers(since=today) == [f"T-{new.number}"]
    assert numbers(until=week_ago) == [f"T-{old.number}"]
    assert numbers(since=week_ago, until=week_ago) == [f"T-{old.number}"]
    assert numbers(since=today + datetime.timedelta(days=1)) == []


def test_filters_the_feed_does_not_understand_are_ignored(cast: Cast, project: Project) -> None:
    log_threat(cast, project)
    client = signed_in(cast.engineer)
    for query in (
        {"kind": "nonsense"},
        {"user": "me"},
        {"since": "yesterday"},
        {"until": "2026-13-45"},
        {"page": "x"},
    ):
        assert "added threat T-1" in read(client, feed_url(project), **query), query


def test_comments_read_as_commented_edited_and_deleted_and_their_words_never_show(
    cast: Cast, project: Project
) -> None:
    threat = log_threat(cast, project)
    membership = cast.membership(cast.engineer)
    comment = comment_create(membership=membership, target=threat, body="The password is hunter2")
    comment_edit(membership=membership, comment=comment, version=1, body="The password is hunter3")
    comment_delete(membership=membership, comment=comment, version=2)
    feed = activity.project_feed(project, activity.Filters(kind="comment"))
    engineer = cast.engineer.display_name
    assert sentences(feed) == [
        f"{engineer} deleted a comment on T-1",
        f"{engineer} edited a comment on T-1",
        f"{engineer} commented on T-1",
    ]
    assert all(item.url is None and not item.fields for item in feed.activities)
    for url in (feed_url(project), feed_url()):
        assert "hunter" not in read(signed_in(cast.owner), url)


def test_a_comment_links_to_itself_on_its_page(cast: Cast, project: Project) -> None:
    comment = comment_create(membership=cast.membership(cast.engineer), target=project, body="Kick-off notes")
    feed = activity.organisation_feed(cast.organisation, activity.Filters(kind="comment"))
    assert sentences(feed) == [f"{cast.engineer.display_name} commented on “Checkout”"]
    assert feed.activities[0].url == f"/o/acme/projects/{project.pk}/#comment-{comment.pk}"


def test_changes_made_outside_a_members_request_are_the_systems(cast: Cast, project: Project) -> None:
    link = ThreatControlFactory.create(threat=ThreatFactory.create(project=project), control__title="WAF")
    feed = activity.project_feed(project, activity.Filters())
    assert sentences(feed) == [
        "the system linked control of a threat “WAF” to T-1",
        "the system added control “WAF”",
        "the system added threat T-1",
        "the system added project “Checkout”",
    ]
    assert feed.activities[0].url == f"/o/acme/projects/{project.pk}/threats/{link.threat.number}/"


def test_the_feed_comes_in_pages_of_thirty(cast: Cast, project: Project) -> None:
    for number in range(32):
        log_threat(cast, project, action=f"thing {number}")
    first = activity.project_feed(project, activity.Filters(kind="threat"))
    second = activity.project_feed(project, activity.Filters(kind="threat", page=2))
    assert (len(first.activities), first.has_older, first.has_newer) == (30, True, False)
    assert (len(second.activities), second.has_older, second.has_newer) == (2, False, True)
    assert [item.subject for item in second.activities] == ["T-2", "T-1"]
    html = signed_in(cast.engineer).get(feed_url(project), {"kind": "threat"}).content.decode()
    assert 'href="?kind=threat&amp;page=2"' in html


def test_later_pages_interleave_every_kind_in_time_order(cast: Cast, project: Project) -> None:
    made = ["“Checkout”"]
    for number in range(40):
        made.append(log_threat(cast, project, action=f"thing {number}").reference)
        if number < 20:  # more threats than controls: each kind gives a page what it holds, no more
            made.append(f"“{add_control(cast, project, title=f'Control {number}').title}”")

    pages = [activity.project_feed(project, activity.Filters(page=page)) for page in (1, 2, 3)]

    assert [item.subject for feed in pages for item in feed.activities] == list(reversed(made))
    assert [(len(feed.activities), feed.has_older) for feed in pages] == [(30, True), (30, True), (1, False)]


@pytest.mark.parametrize("scope", ["organisation", "project"])
def test_a_page_of_the_feed_costs_the_same_queries_for_one_event_or_thirty(
    cast: Cast, project: Project, scope: str
) -> None:
    client = signed_in(cast.engineer)
    url = feed_url(project if scope == "project" else None)
    log_threat(cast, project)
    client.get(url)
    one = count_queries(lambda: client.get(url))
    threat = log_threat(cast, project)
    control = add_control(cast, project)
    for number in range(9):
        services.control_update(
            membership=cast.membership(cast.security_lead),
            control=control,
            version=control.version,
            description=f"Take {number}",
        )
    services.control_link(
        membership=cast.membership(cast.engineer), control=control, threat=threat, effectiveness=60
    )
    for number in range(16):
        comment_create(membership=cast.membership(cast.owner), target=threat, body=f"c{number}")
    # With the project's own creation, 30 things happened: a page.
    assert len(activity.project_feed(project, activity.Filters()).activities) == 30
    thirty = count_queries(lambda: client.get(url))
    assert thirty == one


def test_the_filters_answer_htmx_with_the_results_alone(cast: Cast, project: Project) -> None:
    log_threat(cast, project)
    response = signed_in(cast.engineer).get(feed_url(project), {"kind": "threat"}, headers=HTMX_RESULTS)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="activity-results"')
    assert "added threat T-1" in text(html)


def test_the_feed_is_read_only_and_for_members(cast: Cast, project: Project) -> None:
    for url in (feed_url(), feed_url(project)):
        assert signed_in(cast.viewer).get(url).status_code == 200
        assert signed_in(cast.owner).post(url).status_code == 405
        assert Client().get(url).status_code == 302


def test_the_person_filter_lists_members_only(cast: Cast) -> None:
    stranger = UserFactory.create(email="stranger@elsewhere.test", name="Strange Person")
    MembershipFactory.create(user=stranger, organisation=cast.outsider_organisation, role=Role.VIEWER)
    html = signed_in(cast.engineer).get(feed_url()).content.decode()
    assert "Strange Person" not in html
    assert f'<option value="{cast.viewer.pk}"' in html


def test_every_organisation_page_leads_to_the_organisation_feed(cast: Cast) -> None:
    client = signed_in(cast.viewer)
    html = client.get(reverse("my_work", args=[cast.organisation.slug])).content.decode()
    assert f'href="{feed_url()}"' in html
    feed = client.get(feed_url()).content.decode()
    assert f'href="{feed_url()}" aria-current="page">Activity</a>' in feed


# Review decisions ------------------------------------------------------------------------------------------


def decide(cast: Cast, threat: Threat, decision: str, comment: str = "", user: User | None = None) -> None:
    threat.refresh_from_db()
    reviews.threat_review(
        membership=cast.membership(user or cast.security_lead),
        threat=threat,
        version=threat.version,
        decision=decision,
        comment=comment,
    )


def review_everything(cast: Cast, project: Project) -> list[Threat]:
    """Two submissions of the model (sent back once, then approved) and one threat of each decision."""
    threats = [log_threat(cast, project, action=f"thing {number}") for number in range(3)]
    engineer, lead = cast.membership(cast.engineer), cast.membership(cast.security_lead)
    services.threat_update(
        membership=engineer, threat=threats[2], version=threats[2].version, status="in_review"
    )
    reviews.model_review_submit(membership=engineer, project=project, note="Ready for a first look")
    reviews.model_review_decide(
        membership=lead, project=project, decision="changes_requested", comment="Add the admin flow"
    )
    reviews.model_review_submit(membership=engineer, project=project)
    reviews.model_review_decide(membership=lead, project=project, decision="approved", comment="Good to go")
    decide(cast, threats[0], "confirmed")
    decide(cast, threats[1], "rejected", "Duplicate of T-1")
    decide(cast, threats[2], "changes_requested", "Name the endpoint\nand the data")
    return threats


def told(feed: activity.Feed) -> list[str]:
    """Each activity as one line: who, what, the tail of its sentence and the words given."""
    return [
        " ".join(part for part in (item.who, item.verb, item.noun, item.subject, item.tail) if part)
        + (f": {item.words}" if item.words else "")
        for item in feed.activities
    ]


def test_review_decisions_read_as_what_they_are_with_their_words(cast: Cast, project: Project) -> None:
    started = timezone.now()
    review_everything(cast, project)
    lead, engineer = cast.security_lead.display_name, cast.engineer.display_name
    feed = activity.project_feed(project, activity.Filters(kind="review"))
    assert told(feed) == [
        f"{lead} sent back threat T-3 for changes: Name the endpoint\nand the data",
        f"{lead} rejected threat T-2: Duplicate of T-1",
        f"{lead} confirmed threat T-1",
        f"{lead} approved the threat model of “Checkout”: Good to go",
        f"{engineer} submitted the threat model of “Checkout” for review",
        f"{lead} asked for changes to the threat model of “Checkout”: Add the admin flow",
        f"{engineer} submitted the threat model of “Checkout” for review: Ready for a first look",
    ]
    review_tab = f"/o/acme/projects/{project.pk}/review/#review-history"
    threat_page = f"/o/acme/projects/{project.pk}/threats/{{}}/#threat-review"
    assert [item.url for item in feed.activities] == [
        threat_page.format(3),
        threat_page.format(2),
        threat_page.format(1),
        *[review_tab] * 4,
    ]
    records = sorted(
        [review.decided_at for review in ThreatReview.objects.all()]
        + [
            at
            for review in ModelReview.objects.all()
            for at in (review.submitted_at, review.decided_at)
            if at
        ],
        reverse=True,
    )
    assert [item.at for item in feed.activities] == records
    assert all(started < item.at < timezone.now() for item in feed.activities)
    assert {item.who_id for item in feed.activities} == {cast.security_lead.pk, cast.engineer.pk}
    assert all(item.project == "" for item in feed.activities)  # the project's own feed names no project


def test_the_organisation_feed_tells_the_decisions_in_their_projects(cast: Cast, project: Project) -> None:
    review_everything(cast, project)
    feed = activity.organisation_feed(cast.organisation, activity.Filters(kind="review"))
    assert [item.project for item in feed.activities] == ["Checkout"] * 3 + [""] * 4  # a model's names it
    assert feed.activities[0].project_url == f"/o/acme/projects/{project.pk}/"
    html = signed_in(cast.viewer).get(feed_url(), {"kind": "review"}).content.decode()
    lead = cast.security_lead.display_name
    assert f'<a href="/o/acme/projects/{project.pk}/threats/2/#threat-review">T-2</a>' in html
    assert '<blockquote class="activity__words"><p>Name the endpoint<br>and the data</p></blockquote>' in html
    words = text(html)
    assert f"{lead} rejected threat T-2 in Checkout" in words
    assert f"{cast.engineer.display_name} submitted the threat model of “Checkout” for review" in words
    assert "Ready for a first look" in words


def test_a_decision_stands_for_the_status_change_it_caused(cast: Cast, project: Project) -> None:
    threats = review_everything(cast, project)
    services.threat_update(
        membership=cast.membership(cast.engineer),
        threat=threats[2],
        version=Threat.objects.get(pk=threats[2].pk).version,
        status="in_review",
    )
    lead, engineer = cast.security_lead.display_name, cast.engineer.display_name
    everything = told(activity.project_feed(project, activity.Filters()))
    assert everything[:9] == [
        f"{engineer} changed threat T-3",  # by hand, not a decision: it stays
        f"{lead} sent back threat T-3 for changes: Name the endpoint\nand the data",
        f"{lead} rejected threat T-2: Duplicate of T-1",
        f"{lead} confirmed threat T-1",
        f"{lead} approved the threat model of “Checkout”: Good to go",
        f"{engineer} submitted the threat model of “Checkout” for review",
        f"{lead} asked for changes to the threat model of “Checkout”: Add the admin flow",
        f"{engineer} submitted the threat model of “Checkout” for review: Ready for a first look",
        f"{engineer} changed threat T-3",
    ]
    assert f"{lead} changed project “Checkout”" not in everything
    assert f"{engineer} changed project “Checkout”" not in everything
    # Without the decisions, the status changes they caused are all there.
    changes = activity.project_feed(project, activity.Filters(kind="threat")).activities[:5]
    assert [(item.who, item.subject, item.fields[0].before, item.fields[0].after) for item in changes] == [
        (engineer, "T-3", "Identified", "In review"),
        (lead, "T-3", "In review", "Identified"),
        (lead, "T-2", "Identified", "Rejected / not applicable"),
        (lead, "T-1", "Identified", "Confirmed"),
        (engineer, "T-3", "Identified", "In review"),
    ]
    project_changes = activity.project_feed(project, activity.Filters(kind="project")).activities
    assert [(item.who, item.fields[0].after) for item in project_changes[:4]] == [
        (lead, "Active"),
        (engineer, "In review"),
        (lead, "Draft"),
        (engineer, "In review"),
    ]


def test_a_withdrawal_reads_as_one_and_stands_for_the_status_change_it_caused(
    cast: Cast, project: Project
) -> None:
    engineer = cast.membership(cast.engineer)
    reviews.model_review_submit(membership=engineer, project=project, note="Ready")
    reviews.model_review_withdraw(membership=engineer, project=project, note="Forgot the refunds")
    who = cast.engineer.display_name
    withdrew = f"{who} withdrew the threat model of “Checkout” from review: Forgot the refunds"
    assert told(activity.project_feed(project, activity.Filters(kind="review"))) == [
        withdrew,
        f"{who} submitted the threat model of “Checkout” for review: Ready",
    ]
    everything = told(activity.project_feed(project, activity.Filters()))
    assert everything[:2] == [withdrew, f"{who} submitted the threat model of “Checkout” for review: Ready"]
    assert f"{who} changed project “Checkout”" not in everything
    project_changes = activity.project_feed(project, activity.Filters(kind="project")).activities
    assert [(item.who, item.fields[0].before, item.fields[0].after) for item in project_changes[:2]] == [
        (who, "In review", "Draft"),  # back to the status it had before
        (who, "Draft", "In review"),
    ]
    words = read(signed_in(cast.viewer), feed_url(), kind="review")
    assert f"{who} withdrew the threat model of “Checkout” from review" in words
    assert "Forgot the refunds" in words


def test_the_reviews_kind_is_offered_in_both_feeds(cast: Cast, project: Project) -> None:
    for url in (feed_url(), feed_url(project)):
        assert '<option value="review">Reviews</option>' in signed_in(cast.engineer).get(url).content.decode()
    assert "Nothing matches these filters" in read(signed_in(cast.engineer), feed_url(project), kind="review")


def test_the_person_and_date_filters_find_who_submitted_and_who_decided(cast: Cast, project: Project) -> None:
    review_everything(cast, project)

    def reviews_by(user: User, **filters: object) -> list[str]:
        chosen = activity.Filters(kind="review", user=user.pk, **filters)  # type: ignore[arg-type]
        return [item.verb for item in activity.organisation_feed(cast.organisation, chosen).activities]

    assert reviews_by(cast.engineer) == ["submitted", "submitted"]
    assert reviews_by(cast.security_lead) == [
        "sent back",
        "rejected",
        "confirmed",
        "approved",
        "asked for changes to",
    ]
    assert reviews_by(cast.viewer) == []
    today = timezone.localdate()
    assert len(reviews_by(cast.security_lead, since=today, until=today)) == 5
    assert reviews_by(cast.security_lead, since=today + datetime.timedelta(days=1)) == []
    assert reviews_by(cast.security_lead, until=today - datetime.timedelta(days=1)) == []
    words = read(signed_in(cast.viewer), feed_url(project), kind="review", user=cast.engineer.pk)
    assert f"{cast.engineer.display_name} only" in words
    assert "Ready for a first look" in words
    assert "Duplicate of T-1" not in words


def test_a_decision_by_someone_no_longer_here_is_a_former_members(cast: Cast, project: Project) -> None:
    decide(cast, log_threat(cast, project), "confirmed")
    ThreatReview.objects.update(decided_by=None)
    feed = activity.project_feed(project, activity.Filters(kind="review"))
    assert told(feed) == ["a former member confirmed threat T-1"]
    assert feed.activities[0].who_id is None


@pytest.mark.parametrize("scope", ["organisation", "project"])
def test_a_page_of_review_decisions_costs_the_same_queries_as_one_event(
    cast: Cast, project: Project, scope: str
) -> None:
    client = signed_in(cast.engineer)
    url = feed_url(project if scope == "project" else None)
    client.get(url)
    one = count_queries(lambda: client.get(url))
    review_everything(cast, project)
    more = [log_threat(cast, project, action=f"more {number}") for number in range(8)]
    reviews.threats_review(
        membership=cast.membership(cast.security_lead),
        seen=[Seen(threat, threat.version) for threat in more],
        decision="rejected",
        comment="Out of scope",
    )
    page = activity.project_feed(project, activity.Filters()).activities
    assert sum(item.verb == "rejected" for item in page) == 9
    assert count_queries(lambda: client.get(url)) == one


def test_another_organisations_reviews_never_show(cast: Cast, project: Project) -> None:
    elsewhere = ProjectFactory.create(
        team=TeamFactory.create(organisation=cast.outsider_organisation), name="Globex Secret Project"
    )
    outsider = Membership.objects.get(user=cast.outsider)
    threat = services.threat_create(
        membership=outsider, project=elsewhere, threat_source="spy", threat_action="read secrets"
    )
    reviews.model_review_submit(membership=outsider, project=elsewhere, note="Globex plan")
    reviews.model_review_decide(
        membership=outsider, project=elsewhere, decision="changes_requested", comment="Globex changes"
    )
    reviews.threat_review(
        membership=outsider,
        threat=threat,
        version=threat.version,
        decision="rejected",
        comment="Globex reason",
    )
    reviews.model_review_submit(membership=cast.membership(cast.engineer), project=project, note="Ours")
    assert told(activity.organisation_feed(cast.organisation, activity.Filters(kind="review"))) == [
        f"{cast.engineer.display_name} submitted the threat model of “Checkout” for review: Ours"
    ]
    client = signed_in(cast.owner)
    for url in (feed_url(), feed_url(project)):
        for query in ({}, {"kind": "review"}, {"user": cast.outsider.pk}):
            words = read(client, url, **query)
            assert "Globex" not in words
            assert "outsider" not in words
