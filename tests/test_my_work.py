"""An engineer's home, My work: the projects of my teams, the open threats assigned to me and the controls I own
that are due. Each section shows a few rows and a count that links to the estate list of all of them."""

import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import attention
from projects.models import Control, ControlStatus, Project, Threat, ThreatStatus
from projects.workspace_selectors import OPEN_THREAT_STATUSES
from tests.conftest import Cast, signed_in
from tests.factories import ControlFactory, ProjectFactory, TeamFactory, ThreatFactory
from tests.queries import count_queries

DAY = datetime.timedelta(days=1)


def url(cast: Cast) -> str:
    return reverse("my_work", args=[cast.organisation.slug])


def html_of(response: Any) -> str:
    return str(response.content.decode())


def follow(client: Client, link: str) -> Any:
    """The list a count links to, as a person following the link sees it."""
    parts = urlsplit(link.replace("&amp;", "&"))
    return client.get(parts.path, parse_qs(parts.query))


@pytest.fixture
def checkout(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


@pytest.fixture
def build(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.other_team, name="Build farm")


# My teams' projects ---------------------------------------------------------------------------------------


def test_it_shows_the_projects_of_my_teams_with_their_open_threats(
    cast: Cast, engineer_client: Client, checkout: Project, build: Project
) -> None:
    refunds = ProjectFactory.create(team=cast.team, name="Refunds")
    ThreatFactory.create(project=checkout)
    ThreatFactory.create(project=checkout, status=ThreatStatus.IN_REVIEW)
    ThreatFactory.create(project=checkout, status=ThreatStatus.MITIGATED)
    ThreatFactory.create(project=build)
    response = engineer_client.get(url(cast))
    assert response.status_code == 200
    section = response.context["projects"]
    open_counts = {
        project.name: project.threats.filter(status__in=OPEN_THREAT_STATUSES).count()
        for project in Project.objects.filter(team__memberships__user=cast.engineer)
    }
    assert [(p.name, p.open_threat_count) for p in section.rows] == [("Checkout", 2), ("Refunds", 0)]
    assert {p.name: p.open_threat_count for p in section.rows} == open_counts
    assert section.count == len(open_counts) == 2
    html = html_of(response)
    assert "Build farm" not in html
    assert f"{reverse('project_list', args=['acme'])}?team=payments" in html
    assert "Payments: 2 projects" in html
    assert reverse("project_detail", args=["acme", refunds.pk]) in html
    open_list = reverse("threat_list", args=["acme", checkout.pk])
    assert f"{open_list}?status=identified&amp;status=in_review&amp;status=confirmed" in html


def test_a_member_in_no_team_is_told_how_to_join_one(
    cast: Cast, viewer_client: Client, owner_client: Client
) -> None:
    html = html_of(viewer_client.get(url(cast)))
    assert "You are not in a team yet" in html
    assert "Ask an owner of Acme Payments to add you to your team" in html
    assert reverse("team_list", args=["acme"]) in html
    html = html_of(owner_client.get(url(cast)))
    assert "Add yourself to a team on the Members page" in html
    assert reverse("member_list", args=["acme"]) in html


def test_a_team_without_projects_is_offered_its_first(cast: Cast, engineer_client: Client) -> None:
    html = html_of(engineer_client.get(url(cast)))
    assert "Your team has no projects yet" in html
    assert f"{reverse('project_create', args=['acme'])}?team=payments" in html


# Threats assigned to me -----------------------------------------------------------------------------------


def test_it_shows_the_open_threats_assigned_to_me_and_links_their_count_to_the_list(
    cast: Cast, engineer_client: Client, checkout: Project, build: Project
) -> None:
    for status in ThreatStatus.values:
        reason = "Not applicable here" if status == ThreatStatus.REJECTED else ""
        ThreatFactory.create(project=checkout, owner=cast.engineer, status=status, status_reason=reason)
    ThreatFactory.create(project=build, owner=cast.engineer)  # not my team's project: mine all the same
    ThreatFactory.create(project=checkout, owner=cast.other_engineer)
    ThreatFactory.create(project=checkout, owner=None)
    response = engineer_client.get(url(cast))
    section = response.context["threats"]
    expected = Threat.objects.filter(owner=cast.engineer, status__in=OPEN_THREAT_STATUSES).count()
    assert section.count == expected == 4
    assert [(t.project.name, t.number) for t in section.rows] == [
        ("Build farm", 1),
        ("Checkout", 1),
        ("Checkout", 2),
        ("Checkout", 3),
    ]
    html = html_of(response)
    assert "4 open threats" in html
    listed = follow(engineer_client, section.url)
    assert listed.context["page"].paginator.count == section.count
    assert list(listed.context["page"].object_list)[: len(section.rows)] == section.rows
    assert reverse("threat_detail", args=["acme", checkout.pk, 1]) in html


def test_it_shows_a_handful_of_rows_and_counts_them_all(
    cast: Cast, engineer_client: Client, checkout: Project
) -> None:
    ThreatFactory.create_batch(7, project=checkout, owner=cast.engineer)
    section = engineer_client.get(url(cast)).context["threats"]
    assert (len(section.rows), section.count) == (5, 7)
    assert "See all 7 open threats assigned to you" in html_of(engineer_client.get(url(cast)))


def test_no_threat_assigned_points_to_the_threats_nobody_owns(
    cast: Cast, engineer_client: Client, checkout: Project
) -> None:
    ThreatFactory.create(project=checkout, owner=None)
    ThreatFactory.create(project=checkout, owner=cast.engineer, status=ThreatStatus.MITIGATED)
    response = engineer_client.get(url(cast))
    assert response.context["threats"].count == 0
    assert "No open threats are assigned to you" in html_of(response)
    unowned = follow(engineer_client, response.context["unowned_url"])
    assert [t.number for t in unowned.context["page"].object_list] == [1]


# Controls I own that are due ------------------------------------------------------------------------------


def test_it_shows_my_controls_that_are_due_overdue_first_and_says_so(
    cast: Cast, engineer_client: Client, checkout: Project, build: Project
) -> None:
    today = timezone.localdate()
    mine = {"owner": cast.engineer}
    ControlFactory.create(project=checkout, title="Due soon", due_on=today + 3 * DAY, **mine)
    ControlFactory.create(project=build, title="Long overdue", due_on=today - 30 * DAY, **mine)
    ControlFactory.create(project=checkout, title="Overdue", due_on=today - DAY, **mine)
    ControlFactory.create(project=checkout, title="Due today", due_on=today, **mine)
    ControlFactory.create(project=checkout, title="Due later", due_on=today + 15 * DAY, **mine)
    ControlFactory.create(project=checkout, title="No date", due_on=None, **mine)
    ControlFactory.create(
        project=checkout, title="Done", due_on=today - DAY, status=ControlStatus.IMPLEMENTED, **mine
    )
    ControlFactory.create(
        project=checkout, title="Someone else's", due_on=today - DAY, owner=cast.other_engineer
    )
    response = engineer_client.get(url(cast))
    section = response.context["controls"]
    mine_due = Control.objects.filter(attention.control_due(today), owner=cast.engineer)
    overdue = Control.objects.filter(attention.control_overdue(today), owner=cast.engineer)
    assert [c.title for c in section.rows] == ["Long overdue", "Overdue", "Due today", "Due soon"]
    assert section.count == mine_due.count() == 4
    assert response.context["overdue"] == overdue.count() == 2
    html = html_of(response)
    assert html.count('<span class="badge badge--overdue">Overdue</span>') == 2
    assert "4 due within 14 days or overdue" in html
    assert "2 overdue" in html
    listed = follow(engineer_client, section.url)
    assert [c.title for c in listed.context["page"].object_list] == [c.title for c in section.rows]
    overdue_list = follow(engineer_client, response.context["overdue_url"])
    assert overdue_list.context["page"].paginator.count == 2


def test_nothing_due_says_so_and_links_to_all_my_controls(
    cast: Cast, engineer_client: Client, checkout: Project
) -> None:
    ControlFactory.create(project=checkout, owner=cast.engineer, due_on=None, title="Undated")
    response = engineer_client.get(url(cast))
    assert "Nothing you own is due" in html_of(response)
    mine = follow(engineer_client, response.context["my_controls_url"])
    assert [c.title for c in mine.context["page"].object_list] == ["Undated"]


# The page -------------------------------------------------------------------------------------------------


def test_it_shows_nothing_of_another_organisation(cast: Cast, checkout: Project) -> None:
    """The outsider is a member of both organisations here: their Globex work stays out of Acme's page."""
    elsewhere = ProjectFactory.create(team=TeamFactory.create(organisation=cast.outsider_organisation))
    ThreatFactory.create(project=elsewhere, owner=cast.outsider, threat_source="Globex spy")
    ControlFactory.create(
        project=elsewhere, owner=cast.outsider, title="Globex vault", due_on=timezone.localdate()
    )
    cast.organisation.memberships.create(user=cast.outsider, role="engineer")
    response = signed_in(cast.outsider).get(url(cast))
    assert response.status_code == 200
    assert (response.context["threats"].count, response.context["controls"].count) == (0, 0)
    assert "Globex spy" not in html_of(response)
    assert "Globex vault" not in html_of(response)


def test_an_outsider_cannot_see_it(cast: Cast, outsider_client: Client) -> None:
    assert outsider_client.get(url(cast)).status_code == 404


def test_it_answers_only_get(cast: Cast, engineer_client: Client) -> None:
    for method in ("post", "put", "patch", "delete"):
        assert getattr(engineer_client, method)(url(cast)).status_code == 405


def test_my_work_is_the_first_tab_of_the_header(cast: Cast, viewer_client: Client) -> None:
    html = html_of(viewer_client.get(url(cast)))
    assert f'href="{url(cast)}" aria-current="page">My work</a>' in html
    names = ["my_work", "organisation_dashboard", "project_list", "estate_threat_list", "estate_control_list"]
    nav = html[html.index('<nav class="tabs"') :]
    tabs = [nav.index(f'href="{reverse(name, args=["acme"])}"') for name in names]
    assert tabs == sorted(tabs)


def test_home_still_leads_to_the_dashboard(cast: Cast, engineer_client: Client) -> None:
    response = engineer_client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("organisation_dashboard", args=["acme"])


def _fill(cast: Cast, size: int) -> None:
    """`size` projects of my team, each with an open threat and a due control of mine."""
    for _ in range(size):
        project = ProjectFactory.create(team=cast.team)
        ThreatFactory.create(project=project, owner=cast.engineer)
        ControlFactory.create(project=project, owner=cast.engineer, due_on=timezone.localdate() - DAY)


def test_it_costs_the_same_queries_for_one_row_or_many(cast: Cast, engineer_client: Client) -> None:
    _fill(cast, 1)
    engineer_client.get(url(cast))  # the first visit stores the organisation in the session
    few = count_queries(lambda: engineer_client.get(url(cast)))
    _fill(cast, 12)
    response = engineer_client.get(url(cast))
    assert (response.context["projects"].count, response.context["controls"].count) == (13, 13)
    assert count_queries(lambda: engineer_client.get(url(cast))) == few
