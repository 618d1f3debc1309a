"""The Controls section: the list (filters, pages, overdue), adding, a control's page (edit, conflicts, linking
threats, history), deleting, and the effectiveness of each link, edited in place or removed."""

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.models import Control, Project, Threat, ThreatControl
from tests.conftest import Cast, signed_in
from tests.factories import ControlFactory, ProjectFactory, ThreatControlFactory, ThreatFactory
from tests.queries import count_queries

HTMX = {"HX-Request": "true"}


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


@pytest.fixture
def control(cast: Cast, project: Project) -> Control:
    """A control on T-1 (60 %), owned by the engineer, overdue."""
    control = ControlFactory.create(
        project=project,
        title="Sign refund requests",
        owner=cast.engineer,
        cost_per_year=Decimal("1200.00"),
        effort_days=Decimal("3.5"),
        due_on=timezone.localdate() - timedelta(days=1),
    )
    ThreatControlFactory.create(
        threat=ThreatFactory.create(project=project), control=control, effectiveness=60
    )
    return control


def url(name: str, project: Project, *args: object) -> str:
    return reverse(name, args=[project.organisation.slug, project.pk, *args])


def html_of(response: Any) -> str:
    return str(response.content.decode())


def control_body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "title": "Rate-limit refunds",
        "kind": "preventive",
        "status": "planned",
        "owner": "",
        "due_on": "2031-03-31",
        "cost_per_year": "2500.00",
        "effort_days": "4",
        "ticket_url": "https://tickets.example.com/SEC-12",
        "description": "At most three refunds per hour per merchant.",
    }
    return body | changes


def edit_body(control: Control, **changes: object) -> dict[str, object]:
    names = ("title", "kind", "status", "description", "ticket_url")
    body: dict[str, object] = {name: getattr(control, name) for name in names}
    body |= {
        "version": control.version,
        "owner": control.owner_id or "",
        "due_on": control.due_on.isoformat() if control.due_on else "",
        "cost_per_year": control.cost_per_year if control.cost_per_year is not None else "",
        "effort_days": control.effort_days if control.effort_days is not None else "",
    }
    return body | changes


# The list -------------------------------------------------------------------------------------------------


def test_the_list_shows_each_control_with_its_threats_cost_effort_and_due_date(
    cast: Cast, viewer_client: Client, project: Project, control: Control
) -> None:
    response = viewer_client.get(url("control_list", project))
    assert response.status_code == 200
    row = html_of(response).split(f'id="control-{control.pk}"')[1].split("</tr>")[0]
    assert 'class="is-overdue"' in html_of(response)
    assert "Sign refund requests" in row
    assert ">T-1</a>" in row
    assert "1,200.00" in row
    assert "3.5 d" in row
    assert "Overdue" in row
    assert cast.engineer.display_name in row


def test_a_row_names_its_first_eight_threats_and_counts_the_rest(
    viewer_client: Client, project: Project, control: Control
) -> None:
    threats = [ThreatFactory.create(project=project) for _ in range(10)]  # T-2 to T-11, with T-1 eleven
    for threat in reversed(threats):  # linked from the last: the row still goes by number
        ThreatControlFactory.create(threat=threat, control=control)
    eight = ControlFactory.create(project=project, title="Eight")
    for threat in threats[:8]:
        ThreatControlFactory.create(threat=threat, control=eight)
    html = html_of(viewer_client.get(url("control_list", project)))
    row = html.split(f'id="control-{control.pk}"')[1].split("</tr>")[0]
    assert re.findall(r">(T-\d+)</a>", row) == [f"T-{n}" for n in range(1, 9)]
    assert f'<a href="{url("control_detail", project, control.pk)}#threats">+3 more<' in row
    assert "threats of Sign refund requests" in row  # what the link counts, for screen readers
    row = html.split(f'id="control-{eight.pk}"')[1].split("</tr>")[0]
    assert len(re.findall(r">T-\d+</a>", row)) == 8
    assert "more" not in row


def test_a_control_in_force_or_due_later_is_not_overdue(
    viewer_client: Client, project: Project, control: Control
) -> None:
    ControlFactory.create(project=project, title="Done", status="implemented", due_on=control.due_on)
    ControlFactory.create(project=project, title="Later", due_on=timezone.localdate() + timedelta(days=3))
    html = html_of(viewer_client.get(url("control_list", project)))
    assert html.count('<span class="badge badge--overdue">Overdue</span>') == 1


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ({"status": "verified"}, ["Verified one"]),
        ({"owner": "engineer"}, ["Sign refund requests"]),
        ({"q": "refund"}, ["Sign refund requests"]),
        ({"q": "audit trail"}, ["Verified one"]),
        ({}, ["Sign refund requests", "Verified one"]),
    ],
)
def test_the_list_filters(
    cast: Cast,
    viewer_client: Client,
    project: Project,
    control: Control,
    query: dict[str, str],
    titles: list[str],
) -> None:
    ControlFactory.create(
        project=project, title="Verified one", status="verified", description="An audit trail"
    )
    params = {key: cast.engineer.pk if value == "engineer" else value for key, value in query.items()}
    response = viewer_client.get(url("control_list", project), params)
    assert [c.title for c, _ in response.context["controls"]] == titles


def test_the_filters_fetch_only_the_results_with_htmx(
    viewer_client: Client, project: Project, control: Control
) -> None:
    headers = HTMX | {"HX-Target": "control-results"}
    html = html_of(viewer_client.get(url("control_list", project), {"status": "verified"}, headers=headers))
    assert html.lstrip().startswith('<div id="control-results">')
    assert "No controls match these filters" in html
    assert "Clear filters" in html


def test_pages_of_25_keep_the_filters(viewer_client: Client, project: Project) -> None:
    for n in range(26):
        ControlFactory.create(project=project, title=f"Control {n:02}", status="planned")
    response = viewer_client.get(url("control_list", project), {"status": "planned"})
    assert len(response.context["controls"]) == 25
    assert "?status=planned&amp;page=2" in html_of(response)


def test_an_empty_list_says_what_to_do(
    engineer_client: Client, viewer_client: Client, project: Project
) -> None:
    html = html_of(engineer_client.get(url("control_list", project)))
    assert "No controls yet" in html
    assert url("control_create", project) in html
    assert "Threats without a control" in html
    assert url("control_create", project) not in html_of(viewer_client.get(url("control_list", project)))


def test_the_list_costs_the_same_queries_for_one_control_or_a_full_page(
    cast: Cast, viewer_client: Client, project: Project, control: Control
) -> None:
    viewer_client.get(url("control_list", project))  # the first visit stores the organisation in the session
    headers = HTMX | {"HX-Target": "control-results"}
    page = count_queries(lambda: viewer_client.get(url("control_list", project)))
    partial = count_queries(lambda: viewer_client.get(url("control_list", project), headers=headers))
    threats = [ThreatFactory.create(project=project) for _ in range(12)]
    for n in range(30):
        more = ControlFactory.create(project=project, owner=cast.engineer)
        for threat in threats[: n % 13]:  # up to 12 threats a control, more than a row names
            ThreatControlFactory.create(threat=threat, control=more)
    assert count_queries(lambda: viewer_client.get(url("control_list", project))) == page
    assert count_queries(lambda: viewer_client.get(url("control_list", project), headers=headers)) == partial


def test_the_list_is_read_by_get_and_hidden_from_outsiders(
    viewer_client: Client, outsider_client: Client, project: Project
) -> None:
    assert viewer_client.post(url("control_list", project)).status_code == 405
    assert outsider_client.get(url("control_list", project)).status_code == 404


@pytest.fixture
def sortable(project: Project) -> dict[str, Control]:
    """Four controls that sort differently by every column; "Blank" has no cost, effort or due date."""
    threats = ThreatFactory.create_batch(3, project=project)
    rows = {
        "alpha": ("alpha", "implemented", "2031-05-01", "900.00", "1.0", 1),
        "Bravo": ("Bravo", "proposed", "2031-01-01", "100.00", "9.0", 3),
        "charlie": ("charlie", "verified", "2031-03-01", "5000.00", "4.5", 0),
        "Blank": ("Blank", "planned", None, None, None, 2),
    }
    controls = {}
    for key, (title, status, due_on, cost, effort, linked) in rows.items():
        controls[key] = ControlFactory.create(
            project=project,
            title=title,
            status=status,
            due_on=due_on,
            cost_per_year=Decimal(cost) if cost else None,
            effort_days=Decimal(effort) if effort else None,
        )
        for threat in threats[:linked]:
            ThreatControlFactory.create(threat=threat, control=controls[key])
    return controls


@pytest.mark.parametrize(
    ("order", "titles"),
    [
        ("", ["alpha", "Blank", "Bravo", "charlie"]),  # by title, whatever the case
        ("-title", ["charlie", "Bravo", "Blank", "alpha"]),
        ("status", ["Bravo", "Blank", "alpha", "charlie"]),  # in the workflow's order
        ("-status", ["charlie", "alpha", "Blank", "Bravo"]),
        ("due", ["Bravo", "charlie", "alpha", "Blank"]),  # no due date last, either way
        ("-due", ["alpha", "charlie", "Bravo", "Blank"]),
        ("cost", ["Bravo", "alpha", "charlie", "Blank"]),
        ("-cost", ["charlie", "alpha", "Bravo", "Blank"]),
        ("effort", ["alpha", "charlie", "Bravo", "Blank"]),
        ("threats", ["charlie", "alpha", "Blank", "Bravo"]),
        ("-threats", ["Bravo", "Blank", "alpha", "charlie"]),
        ("sideways", ["alpha", "Blank", "Bravo", "charlie"]),  # an unknown order is the default
    ],
)
def test_the_list_sorts_by_each_column_both_ways(
    viewer_client: Client, project: Project, sortable: dict[str, Control], order: str, titles: list[str]
) -> None:
    response = viewer_client.get(url("control_list", project), {"order": order} if order else {})
    assert [control.title for control, _ in response.context["controls"]] == titles


def test_the_column_headers_sort_and_a_second_click_reverses(
    viewer_client: Client, project: Project, sortable: dict[str, Control]
) -> None:
    html = html_of(viewer_client.get(url("control_list", project), {"status": "planned", "order": "cost"}))
    header = html.split('aria-sort="ascending"')[1].split("</th>")[0]
    assert 'href="?status=planned&amp;order=-cost"' in header
    assert 'hx-get="?status=planned&amp;order=-cost" hx-target="#control-results"' in header
    assert 'hx-push-url="true"' in header
    assert "Cost per year" in header
    assert 'href="?status=planned&amp;order=due"' in html  # another column sorts ascending first
    assert html.count("aria-sort=") == 1
    # The order stays when the filters change: the filter form carries it.
    assert '<input type="hidden" name="order" value="cost" form="control-filters">' in html


def test_sorting_goes_back_to_the_first_page(viewer_client: Client, project: Project) -> None:
    ControlFactory.create_batch(26, project=project)
    html = html_of(viewer_client.get(url("control_list", project), {"page": "2"}))
    assert 'href="?order=-title"' in html
    assert 'href="?page=1"' in html
    assert 'hx-get="?page=1" hx-target="#control-results"' in html  # page links swap the results only


def test_the_list_finds_controls_that_address_no_threat(
    viewer_client: Client, project: Project, sortable: dict[str, Control]
) -> None:
    response = viewer_client.get(url("control_list", project), {"threat": "none"})
    assert [control.title for control, _ in response.context["controls"]] == ["charlie"]
    assert 'name="threat" value="none" checked' in html_of(response)
    empty = viewer_client.get(url("control_list", project), {"threat": "none", "q": "alpha"})
    assert "No controls match these filters" in html_of(empty)


def test_the_sorted_and_filtered_list_with_its_bulk_bar_costs_the_same_queries_for_one_control_or_a_page(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    query = {"order": "-threats", "status": "proposed", "q": "Control"}
    headers = HTMX | {"HX-Target": "control-results"}
    threats = ThreatFactory.create_batch(10, project=project)

    def add(n: int) -> None:
        for _ in range(n):
            control = ControlFactory.create(project=project, owner=cast.engineer, title="Control")
            for threat in threats[: n % 11]:
                ThreatControlFactory.create(threat=threat, control=control)

    add(1)
    engineer_client.get(
        url("control_list", project)
    )  # the first visit stores the organisation in the session
    page = count_queries(lambda: engineer_client.get(url("control_list", project), query))
    partial = count_queries(lambda: engineer_client.get(url("control_list", project), query, headers=headers))
    assert 'id="control-bulk"' in html_of(engineer_client.get(url("control_list", project), query))
    add(24)
    full = engineer_client.get(url("control_list", project), query)
    assert len(full.context["controls"]) == 25
    assert count_queries(lambda: engineer_client.get(url("control_list", project), query)) == page
    assert count_queries(
        lambda: engineer_client.get(url("control_list", project), query, headers=headers)
    ) == (partial)


# Bulk status ----------------------------------------------------------------------------------------------


def ticked(*controls: Control) -> list[str]:
    return [f"{control.pk}:{control.version}" for control in controls]


def control_statuses(project: Project) -> dict[str, str]:
    return dict(project.controls.values_list("title", "status"))


def test_editors_get_a_bulk_bar_and_a_checkbox_per_row_with_its_version(
    engineer_client: Client, viewer_client: Client, project: Project, sortable: dict[str, Control]
) -> None:
    Control.objects.filter(pk=sortable["alpha"].pk).update(version=3)
    html = html_of(engineer_client.get(url("control_list", project)))
    bar = html.split('id="control-bulk"')[1].split("</form>")[0]
    assert f'action="{url("control_bulk", project)}"' in bar
    assert 'value="verified">Verified</option>' in bar
    assert f'name="controls" value="{sortable["alpha"].pk}:3" form="control-bulk"' in html
    assert 'data-select-all="controls"' in html
    viewer_html = html_of(viewer_client.get(url("control_list", project)))
    assert "control-bulk" not in viewer_html
    assert 'name="controls"' not in viewer_html


def test_an_engineer_changes_the_status_of_several_controls_at_once(
    engineer_client: Client, project: Project, sortable: dict[str, Control]
) -> None:
    body = {"controls": ticked(sortable["alpha"], sortable["Bravo"]), "status": "in_progress", "query": "q=a"}
    response = engineer_client.post(url("control_bulk", project), body)
    assert response.status_code == 302
    assert response["Location"] == url("control_list", project) + "?q=a"
    assert control_statuses(project) == {
        "alpha": "in_progress",
        "Bravo": "in_progress",
        "charlie": "verified",
        "Blank": "planned",
    }
    message = "2 controls set to in progress: “alpha”, “Bravo”."
    assert message in html_of(engineer_client.get(response["Location"]))


def test_controls_changed_since_the_list_was_shown_change_nothing_and_are_named(
    engineer_client: Client, project: Project, sortable: dict[str, Control]
) -> None:
    body = {"controls": ticked(*sortable.values()), "status": "verified"}
    Control.objects.filter(pk=sortable["Blank"].pk).update(version=2)
    response = engineer_client.post(url("control_bulk", project), body)
    assert response.status_code == 302
    assert control_statuses(project)["alpha"] == "implemented"
    html = html_of(engineer_client.get(response["Location"]))
    assert "“Blank” was changed or deleted by someone else since you read it, so nothing was changed." in html


@pytest.mark.parametrize(
    "body",
    [
        {"controls": [], "status": "planned"},
        {"controls": ["999999:1"], "status": "planned"},
        {"controls": ["alpha:"], "status": "planned"},
        {"controls": ["alpha"], "status": "done"},
    ],
    ids=["none", "unknown", "garbled", "bad-status"],
)
def test_a_bad_bulk_change_shows_the_form_again_and_changes_nothing(
    engineer_client: Client, project: Project, sortable: dict[str, Control], body: dict[str, Any]
) -> None:
    body["controls"] = [ticked(sortable["alpha"])[0] if c == "alpha" else c for c in body["controls"]]
    before = control_statuses(project)
    response = engineer_client.post(url("control_bulk", project), body | {"query": "status=planned"})
    assert response.status_code == 400
    html = html_of(response)
    assert "Change the status of several controls" in html
    assert f'href="{url("control_list", project)}?status=planned"' in html
    assert control_statuses(project) == before


def test_bulk_control_changes_are_for_the_owning_team_and_security_leads(
    cast: Cast,
    engineer_client: Client,
    viewer_client: Client,
    outsider_client: Client,
    project: Project,
    control: Control,
) -> None:
    body = {"controls": ticked(control), "status": "verified"}
    assert engineer_client.get(url("control_bulk", project)).status_code == 405
    assert viewer_client.post(url("control_bulk", project), body).status_code == 403
    assert signed_in(cast.other_engineer).post(url("control_bulk", project), body).status_code == 403
    assert outsider_client.post(url("control_bulk", project), body).status_code == 404
    assert Control.objects.get(pk=control.pk).status == "proposed"
    assert signed_in(cast.security_lead).post(url("control_bulk", project), body).status_code == 302
    assert Control.objects.get(pk=control.pk).status == "verified"


# Adding ---------------------------------------------------------------------------------------------------


def test_an_engineer_adds_a_control(cast: Cast, engineer_client: Client, project: Project) -> None:
    form = html_of(engineer_client.get(url("control_create", project)))
    assert ">Save control</button>" in form
    assert "Cost per year" in form
    assert "Effort (days)" in form
    response = engineer_client.post(url("control_create", project), control_body(owner=cast.engineer.pk))
    control = project.controls.get()
    assert response["Location"] == url("control_detail", project, control.pk)
    assert (control.status, control.owner, control.cost_per_year) == (
        "planned",
        cast.engineer,
        Decimal("2500"),
    )
    assert (str(control.due_on), control.effort_days) == ("2031-03-31", Decimal("4"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "t" * 201),
        ("title", "Rate\x00limit"),
        ("description", "d" * 5001),
        ("kind", "magic"),
        ("status", "done"),
        ("cost_per_year", "-1"),
        ("effort_days", "-0.5"),
        ("cost_per_year", "a lot"),
        ("due_on", "31/31/2031"),
        ("ticket_url", "javascript:alert(1)"),
        ("owner", 999_999),
    ],
)
def test_bad_input_is_refused_field_by_field(
    engineer_client: Client, project: Project, field: str, value: object
) -> None:
    response = engineer_client.post(url("control_create", project), control_body(**{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Control.objects.exists()


def test_an_owner_from_another_organisation_is_not_a_choice(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    response = engineer_client.post(url("control_create", project), control_body(owner=cast.outsider.pk))
    assert response.status_code == 400
    assert not Control.objects.exists()


def test_adding_controls_is_for_the_owning_team_and_security_leads(
    cast: Cast, engineer_client: Client, viewer_client: Client, outsider_client: Client, project: Project
) -> None:
    assert engineer_client.put(url("control_create", project)).status_code == 405
    assert viewer_client.get(url("control_create", project)).status_code == 403
    assert viewer_client.post(url("control_create", project), control_body()).status_code == 403
    assert (
        signed_in(cast.other_engineer).post(url("control_create", project), control_body()).status_code == 403
    )
    assert outsider_client.post(url("control_create", project), control_body()).status_code == 404
    assert not Control.objects.exists()


# A control's page -----------------------------------------------------------------------------------------


def test_the_control_page_has_its_form_threats_and_history(
    engineer_client: Client, project: Project, control: Control
) -> None:
    html = html_of(engineer_client.get(url("control_detail", project, control.pk)))
    assert "Edit control" in html
    assert f'name="version" value="{control.version}"' in html
    assert ">T-1</a>" in html
    assert 'name="effectiveness" min="0" max="100"' in html
    assert 'value="60"' in html
    assert "Link to a threat" in html
    assert "History" in html
    assert "Overdue" in html


def test_a_viewer_reads_the_control_without_forms(
    viewer_client: Client, project: Project, control: Control
) -> None:
    html = html_of(viewer_client.get(url("control_detail", project, control.pk)))
    assert "Sign refund requests" in html
    assert "60 %" in html
    assert 'id="control-form"' not in html
    assert "Link to a threat" not in html


def test_an_engineer_edits_a_control(engineer_client: Client, project: Project, control: Control) -> None:
    body = edit_body(control, status="implemented", cost_per_year="900")
    response = engineer_client.post(url("control_detail", project, control.pk), body)
    assert response["Location"] == url("control_detail", project, control.pk)
    control.refresh_from_db()
    assert (control.status, control.cost_per_year, control.version) == ("implemented", Decimal("900"), 2)


def test_a_stale_save_shows_the_other_change_and_keeps_the_users_values(
    engineer_client: Client, project: Project, control: Control
) -> None:
    body = edit_body(control, title="Mine")
    Control.objects.filter(pk=control.pk).update(title="Theirs", version=2)
    response = engineer_client.post(url("control_detail", project, control.pk), body)
    assert response.status_code == 409
    html = html_of(response)
    assert 'id="edit-conflict"' in html
    assert 'value="Mine"' in html
    assert 'name="version" value="2"' in html
    assert {d.label: (d.theirs, d.yours) for d in response.context["conflict"].differences}["Title"] == (
        "Theirs",
        "Mine",
    )
    assert Control.objects.get(pk=control.pk).title == "Theirs"


def test_a_control_is_linked_to_one_more_threat_from_its_page(
    engineer_client: Client, project: Project, control: Control
) -> None:
    second = ThreatFactory.create(project=project)
    body = {"form": "link", "threat": second.number, "effectiveness": 25}
    response = engineer_client.post(url("control_detail", project, control.pk), body)
    assert response["Location"] == url("control_detail", project, control.pk) + "#threats"
    assert ThreatControl.objects.get(threat=second, control=control).effectiveness == 25


@pytest.mark.parametrize(
    "case", ["effectiveness 150", "another project's threat", "already linked", "no threat"]
)
def test_a_bad_link_from_the_control_page_writes_nothing(
    cast: Cast, engineer_client: Client, project: Project, control: Control, case: str
) -> None:
    second = ThreatFactory.create(project=project)
    foreign = ThreatFactory.create(project=ProjectFactory.create(team=cast.team), number=9)
    bodies: dict[str, dict[str, object]] = {
        "effectiveness 150": {"threat": second.number, "effectiveness": 150},
        "another project's threat": {"threat": foreign.number, "effectiveness": 50},
        "already linked": {"threat": 1, "effectiveness": 50},
        "no threat": {"threat": "", "effectiveness": 50},
    }
    response = engineer_client.post(
        url("control_detail", project, control.pk), {"form": "link", **bodies[case]}
    )
    assert response.status_code == 400
    assert ThreatControl.objects.count() == 1


def test_editing_a_control_is_for_the_owning_team_and_security_leads(
    cast: Cast,
    engineer_client: Client,
    viewer_client: Client,
    outsider_client: Client,
    project: Project,
    control: Control,
) -> None:
    body = edit_body(control, title="Changed")
    assert engineer_client.put(url("control_detail", project, control.pk), body).status_code == 405
    assert viewer_client.post(url("control_detail", project, control.pk), body).status_code == 403
    assert (
        signed_in(cast.other_engineer).post(url("control_detail", project, control.pk), body).status_code
        == 403
    )
    assert outsider_client.get(url("control_detail", project, control.pk)).status_code == 404
    assert (
        signed_in(cast.security_lead).post(url("control_detail", project, control.pk), body).status_code
        == 302
    )
    assert Control.objects.get(pk=control.pk).title == "Changed"


# Deleting -------------------------------------------------------------------------------------------------


def test_an_engineer_deletes_a_control_after_confirming(
    engineer_client: Client, project: Project, control: Control
) -> None:
    ask = html_of(engineer_client.get(url("control_delete", project, control.pk)))
    assert "It is removed from the 1 threat it addresses" in ask
    response = engineer_client.post(url("control_delete", project, control.pk), {"version": 1})
    assert response["Location"] == url("control_list", project)
    assert not Control.objects.exists()
    assert Threat.objects.count() == 1


def test_a_stale_control_delete_is_refused(
    engineer_client: Client, project: Project, control: Control
) -> None:
    Control.objects.filter(pk=control.pk).update(version=2)
    response = engineer_client.post(url("control_delete", project, control.pk), {"version": 1})
    assert response["Location"] == url("control_detail", project, control.pk)
    assert Control.objects.exists()


def test_deleting_a_control_is_for_the_owning_team_and_security_leads(
    cast: Cast,
    engineer_client: Client,
    viewer_client: Client,
    outsider_client: Client,
    project: Project,
    control: Control,
) -> None:
    delete = url("control_delete", project, control.pk)
    assert engineer_client.put(delete).status_code == 405
    assert viewer_client.post(delete, {"version": 1}).status_code == 403
    assert signed_in(cast.other_engineer).post(delete, {"version": 1}).status_code == 403
    assert outsider_client.post(delete, {"version": 1}).status_code == 404
    assert Control.objects.exists()


# The links: effectiveness in place, unlinking -----------------------------------------------------------------


@pytest.fixture
def link(control: Control) -> ThreatControl:
    return ThreatControl.objects.get(control=control)


@pytest.mark.parametrize("side", ["threat", "control"])
def test_the_effectiveness_is_edited_in_place(
    engineer_client: Client, project: Project, link: ThreatControl, side: str
) -> None:
    body = {"version": link.version, "effectiveness": 85, "side": side}
    response = engineer_client.post(url("link_update", project, link.pk), body, headers=HTMX)
    assert response.status_code == 200
    html = html_of(response)
    assert html.lstrip().startswith(f'<tr id="link-{link.pk}">')
    assert 'value="85"' in html
    assert ("Sign refund requests" if side == "threat" else ">T-1</a>") in html
    assert 'id="toasts" hx-swap-oob="innerHTML"' in html
    link.refresh_from_db()
    assert (link.effectiveness, link.version) == (85, 2)


@pytest.mark.parametrize("value", [150, -5, "", "lots"])
def test_an_effectiveness_outside_0_to_100_is_refused(
    engineer_client: Client, project: Project, link: ThreatControl, value: object
) -> None:
    body = {"version": link.version, "effectiveness": value}
    response = engineer_client.post(url("link_update", project, link.pk), body, headers=HTMX)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in html_of(response)
    link.refresh_from_db()
    assert link.effectiveness == 60


def test_a_stale_effectiveness_shows_the_current_value(
    engineer_client: Client, project: Project, link: ThreatControl
) -> None:
    ThreatControl.objects.filter(pk=link.pk).update(effectiveness=40, version=2)
    body = {"version": 1, "effectiveness": 90}
    response = engineer_client.post(url("link_update", project, link.pk), body, headers=HTMX)
    assert response.status_code == 422
    assert 'value="40"' in html_of(response)
    assert "Someone else changed this link" in html_of(response)
    assert ThreatControl.objects.get(pk=link.pk).effectiveness == 40


def test_without_javascript_link_changes_go_back_to_the_page(
    engineer_client: Client, project: Project, link: ThreatControl
) -> None:
    saved = engineer_client.post(url("link_update", project, link.pk), {"version": 1, "effectiveness": 70})
    assert saved["Location"] == url("threat_detail", project, 1) + "#controls"
    body = {"version": 2, "side": "control"}
    removed = engineer_client.post(url("link_delete", project, link.pk), body)
    assert removed["Location"] == url("control_detail", project, link.control_id) + "#threats"
    assert not ThreatControl.objects.exists()


def test_unlinking_with_htmx_removes_the_row(
    engineer_client: Client, project: Project, link: ThreatControl
) -> None:
    response = engineer_client.post(url("link_delete", project, link.pk), {"version": 1}, headers=HTMX)
    assert response.status_code == 200
    assert "<tr" not in html_of(response)
    assert "no longer linked to T-1" in html_of(response)
    assert not ThreatControl.objects.exists()
    assert Control.objects.exists()


def test_a_stale_unlink_is_refused(engineer_client: Client, project: Project, link: ThreatControl) -> None:
    ThreatControl.objects.filter(pk=link.pk).update(version=2)
    engineer_client.post(url("link_delete", project, link.pk), {"version": 1}, headers=HTMX)
    assert ThreatControl.objects.exists()


@pytest.mark.parametrize("route", ["link_update", "link_delete"])
def test_links_are_changed_by_the_owning_team_and_security_leads(
    cast: Cast,
    engineer_client: Client,
    viewer_client: Client,
    outsider_client: Client,
    project: Project,
    link: ThreatControl,
    route: str,
) -> None:
    body = {"version": 1, "effectiveness": 10}
    assert engineer_client.get(url(route, project, link.pk)).status_code == 405
    assert viewer_client.post(url(route, project, link.pk), body, headers=HTMX).status_code == 403
    assert signed_in(cast.other_engineer).post(url(route, project, link.pk), body).status_code == 403
    assert outsider_client.post(url(route, project, link.pk), body).status_code == 404
    other = ProjectFactory.create(team=cast.team)
    assert engineer_client.post(url(route, other, link.pk), body).status_code == 404
    link.refresh_from_db()
    assert (link.effectiveness, link.version) == (60, 1)
