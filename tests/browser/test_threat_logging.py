"""Logging threats in a real browser: from the library, by hand with the keyboard, and answering one with a
control, then seeing the model drawn."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from projects.models import ComponentKind, Project, Threat, ThreatControl
from tests.browser.conftest import sign_in
from tests.conftest import Cast
from tests.factories import ComponentFactory, DataFlowFactory, ProjectFactory, ThreatFactory, TrustZoneFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def project(cast: Cast) -> Project:
    cache.clear()
    return ProjectFactory.create(team=cast.team, name="Checkout")


def test_an_engineer_logs_threats_from_the_library(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer, project: Project
) -> None:
    api = ComponentFactory.create(
        project=project, name="Payments API", kind=ComponentKind.PROCESS, technology="Django"
    )
    sign_in(context, live_server, cast.engineer)
    page.goto(f"/o/acme/projects/{project.pk}/components/{api.pk}/")
    page.get_by_role("link", name=re.compile("Suggest threats")).first.click()
    expect(page.get_by_role("heading", name="Suggest threats for Payments API")).to_be_visible()

    suggestions = page.locator('input[name="keys"]')
    offered = suggestions.count()
    assert offered >= 5
    suggestions.nth(0).check()
    suggestions.nth(1).check()
    page.get_by_role("button", name="Create selected threats").first.click()

    expect(page.get_by_text(re.compile(r"Created 2 threats"))).to_be_visible()
    created = Threat.objects.filter(project=project).exclude(library_key="")
    assert created.count() == 2
    assert all(list(threat.target_components.all()) == [api] for threat in created)
    for threat in created:
        expect(page.get_by_text(threat.reference, exact=True).first).to_be_visible()

    # Offered again, the two already logged are gone from the suggestions.
    page.goto(f"/o/acme/projects/{project.pk}/components/{api.pk}/library/")
    expect(page.locator('input[name="keys"]')).to_have_count(offered - 2)


def test_an_engineer_logs_a_threat_by_hand_with_the_keyboard(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer, project: Project
) -> None:
    ComponentFactory.create(project=project, name="Payments API")
    sign_in(context, live_server, cast.engineer)
    page.goto(f"/o/acme/projects/{project.pk}/threats/new/")

    expect(page.get_by_label("Threat source")).to_be_focused()
    page.keyboard.type("external attacker")
    page.get_by_label("Prerequisites").fill("with a stolen session cookie")
    page.get_by_label("Threat action").fill("replay a captured payment request")
    page.get_by_label("Threat impact").fill("duplicate charges")
    expect(page.locator("#threat-preview")).to_have_text(
        "An external attacker with a stolen session cookie can replay a captured payment request, which leads "
        "to duplicate charges."
    )
    page.get_by_label(re.compile("Tampering")).check()
    page.get_by_label("Payments API").check()
    page.get_by_label("Threat impact").press("Control+Enter")

    expect(page.get_by_text(re.compile(r"T-1\b")).first).to_be_visible()
    threat = Threat.objects.get(project=project)
    assert threat.stride == ["T"]
    assert threat.target_components.get().name == "Payments API"
    assert threat.created_by == cast.engineer


def test_an_engineer_answers_a_threat_with_a_new_control_and_sees_the_model_drawn(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer, project: Project
) -> None:
    internet, core = (TrustZoneFactory.create(project=project, name=name) for name in ("Internet", "Core"))
    shopper = ComponentFactory.create(
        project=project, name="Shopper", kind=ComponentKind.ACTOR, zone=internet
    )
    api = ComponentFactory.create(project=project, name="Payments API", zone=core)
    DataFlowFactory.create(project=project, source=shopper, destination=api, name="Place order")
    threat = ThreatFactory.create(project=project, threat_action="forge payment webhooks")
    threat.target_components.set([api])
    sign_in(context, live_server, cast.engineer)

    page.goto(f"/o/acme/projects/{project.pk}/threats/{threat.number}/")
    new_control = page.locator("form", has=page.get_by_role("heading", name="Add a new control"))
    new_control.get_by_label("Title").fill("Verify webhook signatures")
    new_control.get_by_label("Effectiveness (%)").fill("90")
    new_control.get_by_role("button", name="Add and link control").click()

    expect(page.locator("#controls")).to_contain_text("Verify webhook signatures")
    link = ThreatControl.objects.get(threat=threat)
    assert (link.control.title, link.effectiveness) == ("Verify webhook signatures", 90)

    page.goto(f"/o/acme/projects/{project.pk}/")
    diagram = page.locator("#diagram svg")
    expect(diagram.locator(".component")).to_have_count(2)
    expect(diagram.locator(".flow-crosses-boundary")).to_have_count(1)
    expect(diagram).to_contain_text("Payments API")
