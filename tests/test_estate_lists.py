"""The estate's lists: every threat and every control of the organisation, across its teams and projects, with
filters in the query string (team, project, status, owner, new since review, due, search), sorting and pages."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import attention
from projects.models import (
    Control,
    ControlStatus,
    LikelihoodLevel,
    Project,
    Team,
    Threat,
    ThreatStatus,
)
from tests.conftest import Cast
from tests.factories import (
    AssetFactory,
    ControlFactory,
    ProjectFactory,
    TeamFactory,
    ThreatFactory,
    UserFactory,
)
from tests.queries import count_queries

HTMX = {"HX-Request": "true"}
LISTS = ["estate_threat_list", "estate_control_list"]
TODAY = timezone.localdate


class Estate:
    """Two projects of two teams in the cast's organisation, and one of the outsider's organisation whose rows
    must never show."""

    def __init__(self, cast: Cast) -> None:
        self.checkout = ProjectFactory.create(team=cast.team, name="Checkout")
        self.build = ProjectFactory.create(team=cast.other_team, name="Build farm")
        elsewhere = TeamFactory.create(organisation=cast.outsider_organisation, name="Secret", slug="secret")
        self.hidden = ProjectFactory.create(team=elsewhere, name="Hidden project")
        self.outsider_team = elsewhere


@pytest.fixture
def estate(cast: Cast) -> Estate:
    return Estate(cast)


def url(cast: Cast, name: str) -> str:
    return reverse(name, args=[cast.organisation.slug])


def html_of(response: Any) -> str:
    return str(response.content.decode())


def shown_threats(client: Client, cast: Cast, **query: Any) -> list[tuple[str, int]]:
    response = client.get(url(cast, "estate_threat_list"), query)
    assert response.status_code == 200
    return [(threat.project.name, threat.number) for threat in response.context["page"].object_list]


def shown_controls(client: Client, cast: Cast, **query: Any) -> list[str]:
    response = client.get(url(cast, "estate_control_list"), query)
    assert response.status_code == 200
    return [control.title for control in response.context["page"].object_list]


# The threat list ------------------------------------------------------------------------------------------


def test_the_threat_list_shows_every_threat_of_the_organisation_and_no_other(
    cast: Cast, viewer_client: Client, estate: Estate
) -> None:
    threat = ThreatFactory.create(
        project=estate.checkout,
        threat_source="fraudster",
        threat_action="replay a refund",
        owner=cast.engineer,
        likelihood=LikelihoodLevel.HIGH,
        status=ThreatStatus.IN_REVIEW,
    )
    threat.impacted_assets.add(AssetFactory.create(project=estate.checkout, name="Refund ledger"))
    ThreatFactory.create(project=estate.build, owner=None)
    ThreatFactory.create(project=estate.build, status=ThreatStatus.MITIGATED)
    ThreatFactory.create(project=estate.hidden, threat_source="Globex spy")
    response = viewer_client.get(url(cast, "estate_threat_list"))
    html = html_of(response)
    expected = Threat.objects.filter(project__organisation=cast.organisation).count()
    assert response.context["page"].paginator.count == expected == 3
    assert shown_threats(viewer_client, cast) == [("Build farm", 1), ("Build farm", 2), ("Checkout", 1)]
    assert reverse("threat_detail", args=["acme", estate.checkout.pk, 1]) in html
    assert reverse("project_detail", args=["acme", estate.checkout.pk]) in html
    assert "T-1</span> A fraudster can replay a refund, affecting Refund ledger." in html
    assert all(word in html for word in ("Payments", "Platform", "In review", "High", "Not rated", "Unowned"))
    assert cast.engineer.display_name in html
    assert "Globex" not in html
    assert "Hidden project" not in html
    assert "Threats of Acme Payments, 3 in all" in html


def test_the_threat_list_filters_by_team_project_status_owner_and_search(
    cast: Cast, viewer_client: Client, estate: Estate
) -> None:
    ThreatFactory.create(project=estate.checkout, owner=cast.engineer, threat_action="replay a refund")
    ThreatFactory.create(project=estate.checkout, owner=None, status=ThreatStatus.IN_REVIEW)
    ThreatFactory.create(project=estate.build, owner=cast.engineer, status=ThreatStatus.MITIGATED)
    ThreatFactory.create(project=estate.build, owner=cast.viewer, status=ThreatStatus.CONFIRMED)

    def shown(**query: Any) -> list[tuple[str, int]]:
        return shown_threats(viewer_client, cast, **query)

    assert shown(team="payments") == [("Checkout", 1), ("Checkout", 2)]
    assert shown(project=estate.build.pk) == [("Build farm", 1), ("Build farm", 2)]
    assert shown(status="in_review") == [("Checkout", 2)]
    assert shown(status=["in_review", "confirmed"]) == [("Build farm", 2), ("Checkout", 2)]
    assert shown(owner=cast.engineer.pk) == [("Build farm", 1), ("Checkout", 1)]
    assert shown(owner="none") == [("Checkout", 2)]
    assert shown(q="refund") == [("Checkout", 1)]
    assert shown(q="T-2") == [("Build farm", 2), ("Checkout", 2)]
    assert shown(team="platform", owner=cast.engineer.pk) == [("Build farm", 1)]
    assert shown(team="payments", project=estate.build.pk) == []


def test_the_threat_list_shows_the_threats_logged_since_their_models_last_review(
    cast: Cast, viewer_client: Client, estate: Estate
) -> None:
    reviewed = TODAY() - datetime.timedelta(days=10)
    Project.objects.filter(pk=estate.checkout.pk).update(last_reviewed_on=reviewed)
    before, after, _today = ThreatFactory.create_batch(3, project=estate.checkout)
    at = timezone.now().replace(hour=12)
    Threat.objects.filter(pk=before.pk).update(created_at=at - datetime.timedelta(days=20))
    Threat.objects.filter(pk=after.pk).update(created_at=at - datetime.timedelta(days=5))
    ThreatFactory.create(project=estate.build)  # a model never reviewed: all its threats are new
    expected = Threat.objects.filter(
        attention.threat_new_since_review(), project__organisation=cast.organisation
    ).count()
    shown = shown_threats(viewer_client, cast, new="since_review")
    assert shown == [("Build farm", 1), ("Checkout", 2), ("Checkout", 3)]
    assert len(shown) == expected
    html = html_of(viewer_client.get(url(cast, "estate_threat_list"), {"new": "since_review"}))
    assert 'name="new" value="since_review" checked' in html


def test_the_threat_list_ignores_filter_values_it_does_not_know(
    cast: Cast, viewer_client: Client, estate: Estate
) -> None:
    ThreatFactory.create(project=estate.checkout)
    ThreatFactory.create(project=estate.build)
    unknown = {
        "status": "lost",
        "owner": "someone",
        "project": "²",
        "new": "ever",
        "order": "random",
        "team": "",
    }
    assert shown_threats(viewer_client, cast, **unknown) == [("Build farm", 1), ("Checkout", 1)]
    assert shown_threats(viewer_client, cast, q="nul\x00byte") == []


def test_the_threat_list_sorts_by_its_columns(cast: Cast, viewer_client: Client, estate: Estate) -> None:
    ThreatFactory.create(
        project=estate.checkout, likelihood=LikelihoodLevel.LOW, status=ThreatStatus.CONFIRMED
    )
    ThreatFactory.create(project=estate.checkout, likelihood="", status=ThreatStatus.IDENTIFIED)
    ThreatFactory.create(
        project=estate.build, likelihood=LikelihoodLevel.VERY_HIGH, status=ThreatStatus.IN_REVIEW
    )

    def order(by: str) -> list[tuple[str, int]]:
        return shown_threats(viewer_client, cast, order=by)

    assert order("project") == order("nonsense") == [("Build farm", 1), ("Checkout", 1), ("Checkout", 2)]
    assert order("-project") == [("Checkout", 1), ("Checkout", 2), ("Build farm", 1)]
    assert order("status") == [("Checkout", 2), ("Build farm", 1), ("Checkout", 1)]
    # A threat whose likelihood is not rated comes last either way.
    assert order("likelihood") == [("Checkout", 1), ("Build farm", 1), ("Checkout", 2)]
    assert order("-likelihood") == [("Build farm", 1), ("Checkout", 1), ("Checkout", 2)]
    assert order("-team") == [("Build farm", 1), ("Checkout", 1), ("Checkout", 2)]
    html = html_of(viewer_client.get(url(cast, "estate_threat_list"), {"order": "likelihood"}))
    assert 'aria-sort="ascending"' in html
    assert "?order=-likelihood" in html


def test_the_threat_list_shows_50_threats_a_page(cast: Cast, viewer_client: Client, estate: Estate) -> None:
    ThreatFactory.create_batch(51, project=estate.checkout)
    first = viewer_client.get(url(cast, "estate_threat_list"))
    assert len(first.context["page"].object_list) == 50
    assert "Showing 1\N{EN DASH}50 of 51" in html_of(first)
    assert shown_threats(viewer_client, cast, page=2) == [("Checkout", 51)]


def test_an_empty_estate_and_an_empty_filter_say_what_to_do(
    cast: Cast, viewer_client: Client, estate: Estate
) -> None:
    html = html_of(viewer_client.get(url(cast, "estate_threat_list")))
    assert "No threats yet" in html
    assert reverse("project_list", args=["acme"]) in html
    ThreatFactory.create(project=estate.checkout)
    html = html_of(viewer_client.get(url(cast, "estate_threat_list"), {"q": "nothing like it"}))
    assert "No threats match these filters" in html
    assert 'id="clear-filters"' in html
    html = html_of(viewer_client.get(url(cast, "estate_control_list")))
    assert "No controls yet" in html
    ControlFactory.create(project=estate.checkout)
    html = html_of(viewer_client.get(url(cast, "estate_control_list"), {"status": "verified"}))
    assert "No controls match these filters" in html


# The control list -----------------------------------------------------------------------------------------


def test_the_control_list_shows_every_control_of_the_organisation_and_no_other(
    cast: Cast, viewer_client: Client, estate: Estate
) -> None:
    ControlFactory.create(
        project=estate.checkout,
        title="Sign refunds",
        owner=cast.engineer,
        status=ControlStatus.PLANNED,
        due_on=TODAY() - datetime.timedelta(days=1),
        cost_per_year=Decimal("1200.00"),
    )
    ControlFactory.create(project=estate.build, title="Pin base images", due_on=None)
    ControlFactory.create(project=estate.hidden, title="Globex vault")
    response = viewer_client.get(url(cast, "estate_control_list"))
    html = html_of(response)
    expected = Control.objects.filter(project__organisation=cast.organisation).count()
    assert response.context["page"].paginator.count == expected == 2
    assert shown_controls(viewer_client, cast) == ["Pin base images", "Sign refunds"]
    control = Control.objects.get(title="Sign refunds")
    assert reverse("control_detail", args=["acme", estate.checkout.pk, control.pk]) in html
    assert reverse("project_detail", args=["acme", estate.build.pk]) in html
    assert all(word in html for word in ("Payments", "Platform", "Planned", "1,200.00", "Not set", "Unowned"))
    assert 'class="is-overdue"' in html
    assert '<span class="badge badge--overdue">Overdue</span>' in html
    assert "Globex" not in html
    assert "Controls of Acme Payments, 2 in all" in html


def test_the_control_list_filters_by_team_project_status_owner_due_and_search(
    cast: Cast, viewer_client: Client, estate: Estate
) -> None:
    today = TODAY()
    ControlFactory.create(
        project=estate.checkout, title="A late", owner=cast.engineer, due_on=today - datetime.timedelta(1)
    )
    ControlFactory.create(
        project=estate.checkout, title="B soon", owner=None, due_on=today + datetime.timedelta(14)
    )
    ControlFactory.create(
        project=estate.build, title="C later", owner=cast.engineer, due_on=today + datetime.timedelta(15)
    )
    ControlFactory.create(
        project=estate.build,
        title="D done late",
        owner=cast.viewer,
        status=ControlStatus.IMPLEMENTED,
        due_on=today - datetime.timedelta(30),
        description="rotate the keys",
    )

    def shown(**query: Any) -> list[str]:
        return shown_controls(viewer_client, cast, **query)

    def independent(due: str) -> list[str]:
        q = attention.control_overdue(today) if due == "overdue" else attention.control_due(today)
        rows = Control.objects.filter(q, project__organisation=cast.organisation)
        return sorted(rows.values_list("title", flat=True))

    assert shown(team="payments") == ["A late", "B soon"]
    assert shown(project=estate.build.pk) == ["C later", "D done late"]
    assert shown(status="implemented") == ["D done late"]
    assert shown(status=["implemented", "proposed"], project=estate.build.pk) == ["C later", "D done late"]
    assert shown(owner=cast.engineer.pk) == ["C later", "A late"]  # Build farm's first
    assert shown(owner="none") == ["B soon"]
    assert shown(due="overdue") == independent("overdue") == ["A late"]
    assert shown(due="soon") == independent("soon") == ["A late", "B soon"]
    assert shown(q="keys") == ["D done late"]
    every = ["C later", "D done late", "A late", "B soon"]
    assert shown(due="whenever", owner="nobody", status="lost") == every
    html = html_of(viewer_client.get(url(cast, "estate_control_list"), {"due": "soon"}))
    assert '<option value="soon" selected>Overdue or due within 14 days</option>' in html


def test_the_control_list_sorts_by_its_columns(cast: Cast, viewer_client: Client, estate: Estate) -> None:
    today = TODAY()
    ControlFactory.create(project=estate.checkout, title="b", due_on=today, cost_per_year=Decimal(5))
    ControlFactory.create(project=estate.checkout, title="A", due_on=None, cost_per_year=Decimal(50))
    ControlFactory.create(project=estate.build, title="c", due_on=today - datetime.timedelta(1))

    def order(by: str) -> list[str]:
        return shown_controls(viewer_client, cast, order=by)

    assert order("project") == order("") == ["c", "A", "b"]
    assert order("title") == ["A", "b", "c"]
    assert order("due") == ["c", "b", "A"]
    assert order("-cost") == ["A", "b", "c"]
    assert order("-team") == ["c", "A", "b"]


# Both lists -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LISTS)
def test_filters_naming_another_organisations_team_project_or_person_show_nothing_of_it(
    cast: Cast, owner_client: Client, estate: Estate, name: str
) -> None:
    ThreatFactory.create(project=estate.hidden, threat_source="Globex spy", owner=cast.outsider)
    ControlFactory.create(project=estate.hidden, title="Globex vault", owner=cast.outsider)
    ThreatFactory.create(project=estate.checkout)
    ControlFactory.create(project=estate.checkout)
    for query in ({"team": "secret"}, {"project": estate.hidden.pk}, {"owner": cast.outsider.pk}):
        response = owner_client.get(url(cast, name), query)
        assert response.status_code == 200
        assert list(response.context["page"].object_list) == []
        assert "Globex" not in html_of(response)
        assert "Secret" not in html_of(response)


@pytest.mark.parametrize("name", LISTS)
def test_a_list_answers_htmx_with_its_results_and_what_the_status_filter_now_says(
    cast: Cast, viewer_client: Client, estate: Estate, name: str
) -> None:
    ThreatFactory.create(project=estate.checkout)
    ControlFactory.create(project=estate.checkout)
    prefix = name.removesuffix("_list").replace("_", "-")
    headers = HTMX | {"HX-Target": f"{prefix}-results"}
    html = html_of(
        viewer_client.get(url(cast, name), {"status": ["identified", "proposed"]}, headers=headers)
    )
    assert html.lstrip().startswith(f'<div id="{prefix}-results">')
    assert "<html" not in html
    assert "Checkout" in html
    assert f'<span id="{prefix}-status-summary" hx-swap-oob="true">' in html
    page = html_of(viewer_client.get(url(cast, name), {"status": ["identified", "proposed"]}))
    assert 'value="identified" checked' in page or 'value="proposed" checked' in page
    assert f'hx-get="{url(cast, name)}"' in page
    assert f'action="{url(cast, name)}"' in page


@pytest.mark.parametrize("name", LISTS)
def test_a_list_is_read_by_any_member_and_only_with_get(
    cast: Cast, viewer_client: Client, owner_client: Client, name: str
) -> None:
    assert viewer_client.get(url(cast, name)).status_code == 200
    for method in ("post", "put", "patch", "delete"):
        assert getattr(owner_client, method)(url(cast, name)).status_code == 405


@pytest.mark.parametrize("name", LISTS)
def test_an_outsider_cannot_see_a_list(cast: Cast, outsider_client: Client, name: str) -> None:
    assert outsider_client.get(url(cast, name)).status_code == 404


@pytest.mark.parametrize("name", LISTS)
def test_the_header_has_a_tab_for_each_list(cast: Cast, viewer_client: Client, name: str) -> None:
    html = html_of(viewer_client.get(url(cast, name)))
    assert f'href="{url(cast, name)}" aria-current="page"' in html
    nav = html[html.index('<nav class="tabs"') :]
    tabs = [nav.index(f'href="{url(cast, tab)}"') for tab in ("project_list", *LISTS)]
    assert tabs == sorted(tabs)


def _fill(cast: Cast, projects: int, rows: int) -> None:
    """`projects` more projects, each in a team of its own, with `rows` owned threats naming an asset and `rows`
    owned controls, so the budget below covers every relation a row shows."""
    for _ in range(projects):
        team: Team = TeamFactory.create(organisation=cast.organisation)
        project = ProjectFactory.create(team=team)
        asset = AssetFactory.create(project=project)
        for _ in range(rows):
            owner = UserFactory.create()
            threat = ThreatFactory.create(project=project, owner=owner, likelihood=LikelihoodLevel.LOW)
            threat.impacted_assets.add(asset)
            ControlFactory.create(project=project, owner=owner, due_on=TODAY(), cost_per_year=Decimal(1))


@pytest.mark.parametrize("name", LISTS)
def test_a_list_costs_the_same_queries_for_one_row_or_a_full_page(
    cast: Cast, viewer_client: Client, name: str
) -> None:
    prefix = name.removesuffix("_list").replace("_", "-")
    partial = HTMX | {"HX-Target": f"{prefix}-results"}
    filters = {"status": ["identified", "proposed"], "order": "-owner" if "threat" in name else "-due"}
    _fill(cast, projects=1, rows=1)
    viewer_client.get(url(cast, name))  # the first visit stores the organisation in the session
    page = count_queries(lambda: viewer_client.get(url(cast, name), filters))
    results = count_queries(lambda: viewer_client.get(url(cast, name), filters, headers=partial))
    _fill(cast, projects=6, rows=10)
    response = viewer_client.get(url(cast, name), filters)
    assert len(response.context["page"].object_list) == 50
    assert count_queries(lambda: viewer_client.get(url(cast, name), filters)) == page
    assert count_queries(lambda: viewer_client.get(url(cast, name), filters, headers=partial)) == results
