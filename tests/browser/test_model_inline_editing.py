"""The Model page in a real browser: a system is modelled, edited and trimmed in place, without a reload."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from projects.models import Component, DataFlow, Project
from tests.browser.conftest import sign_in
from tests.conftest import Cast
from tests.factories import ComponentFactory, DataFlowFactory, ProjectFactory, TrustZoneFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def project(cast: Cast) -> Project:
    cache.clear()
    return ProjectFactory.create(team=cast.team, name="Checkout")


def add(page: Page, kind: str, button: str, **fields: str) -> None:
    """Fill the add form of a list (text by label, selects by option label) and submit it."""
    form = page.locator(f"#{kind}-add")
    for label, value in fields.items():
        field = form.get_by_label(label.replace("_", " "))
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    form.get_by_role("button", name=button).click()


def added(page: Page, kind: str, name: str) -> None:
    """The new row is listed and the emptied add form has focus again, ready for the next one (which also
    means htmx has settled the swapped-in forms)."""
    expect(page.locator(f"#{kind}-list tr", has_text=name)).to_be_visible()
    expect(page.locator(f"#{kind}-add").get_by_label("Name")).to_be_focused()
    expect(page.locator(f"#{kind}-add").get_by_label("Name")).to_have_value("")


def test_an_engineer_models_a_small_system_without_reloading(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer, project: Project
) -> None:
    sign_in(context, live_server, cast.engineer)
    page.goto(f"/o/acme/projects/{project.pk}/")
    page.evaluate("window.stillTheSamePage = true")
    expect(page.locator("#diagram")).to_contain_text("Nothing to draw yet")

    add(page, "zone", "Add trust zone", Name="Public web", Trust_level="Untrusted")
    added(page, "zone", "Public web")
    add(page, "zone", "Add trust zone", Name="Core network", Trust_level="High")
    added(page, "zone", "Core network")
    add(page, "component", "Add component", Name="Shopper", Kind="Actor", Trust_zone="Public web")
    added(page, "component", "Shopper")
    add(page, "component", "Add component", Name="Payments API", Trust_zone="Core network")
    added(page, "component", "Payments API")
    add(page, "flow", "Add data flow", Name="Place order", Source="Shopper", Destination="Payments API")
    added(page, "flow", "Place order")

    expect(page.locator("#flow-list tr", has_text="Place order")).to_contain_text("Crosses boundary")
    expect(page.locator("#diagram svg .flow-crosses-boundary")).to_have_count(1)
    expect(page.locator("#diagram svg .component")).to_have_count(2)
    assert page.evaluate("window.stillTheSamePage") is True
    assert DataFlow.objects.get(project=project).source.name == "Shopper"


def test_a_bad_flow_shows_its_error_in_the_form(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer, project: Project
) -> None:
    ComponentFactory.create(project=project, name="Payments API")
    sign_in(context, live_server, cast.engineer)
    page.goto(f"/o/acme/projects/{project.pk}/")
    add(page, "flow", "Add data flow", Name="Loop", Source="Payments API", Destination="Payments API")
    expect(page.locator("#flow-add")).to_contain_text("A flow goes between two different components.")
    expect(page.locator("#flow-add").get_by_label("Destination")).to_be_focused()
    assert not DataFlow.objects.exists()


def test_a_row_turns_into_its_form_and_back(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer, project: Project
) -> None:
    zone = TrustZoneFactory.create(project=project, name="Core network")
    api = ComponentFactory.create(project=project, name="API", zone=zone)
    DataFlowFactory.create(project=project, destination=api, name="Place order")
    sign_in(context, live_server, cast.engineer)
    page.goto(f"/o/acme/projects/{project.pk}/")
    page.evaluate("window.stillTheSamePage = true")

    page.locator(f"#component-row-{api.pk}").get_by_role("link", name=re.compile("^Edit")).click()
    name = page.locator(f"#component-{api.pk}-name")
    expect(name).to_be_focused()
    name.fill("Payments API")
    name.press("Enter")
    expect(page.locator(f"#component-row-{api.pk}")).to_contain_text("Payments API")
    expect(page.locator("#flow-list")).to_contain_text("Payments API")  # the flows name it at once
    expect(page.locator("#diagram")).to_contain_text("Payments API")

    page.locator(f"#zone-row-{zone.pk}").get_by_role("link", name=re.compile("^Edit")).click()
    expect(page.locator(f"#zone-{zone.pk}-name")).to_be_focused()
    page.locator(f"#zone-{zone.pk}-name").press("Escape")
    expect(page.locator(f"#zone-{zone.pk}-name")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True


def test_deleting_a_component_asks_and_takes_its_flows_along(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer, project: Project
) -> None:
    api = ComponentFactory.create(project=project, name="API")
    DataFlowFactory.create(project=project, destination=api, name="Place order")
    sign_in(context, live_server, cast.engineer)
    page.goto(f"/o/acme/projects/{project.pk}/")
    questions: list[str] = []

    def answer(dialog: object) -> None:
        questions.append(dialog.message)  # type: ignore[attr-defined]
        dialog.accept()  # type: ignore[attr-defined]

    page.on("dialog", answer)
    page.locator(f"#component-row-{api.pk}").get_by_role("button", name=re.compile("^Delete")).click()
    expect(page.locator(f"#component-row-{api.pk}")).to_have_count(0)
    expect(page.locator("#flow-list")).to_contain_text("No data flows yet")
    assert "data flows to and from other components are deleted too" in questions[0]
    assert not Component.objects.filter(pk=api.pk).exists()
