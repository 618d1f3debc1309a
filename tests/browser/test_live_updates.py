"""Two members on the same threat at once, in two browsers: each sees who else is viewing, one sees the other's
change without reloading, and a save that lost the race is merged field by field."""

import pytest
from django.core.cache import cache
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from projects.models import Project, Threat
from tests.browser.conftest import sign_in
from tests.conftest import Cast
from tests.factories import ProjectFactory, ThreatFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def threat(cast: Cast) -> Threat:
    cache.clear()
    project: Project = ProjectFactory.create(team=cast.team, name="Checkout")
    return ThreatFactory.create(
        project=project, number=1, threat_source="an attacker", threat_action="replay a payment request"
    )


def threat_url(threat: Threat) -> str:
    return f"/o/acme/projects/{threat.project_id}/threats/{threat.number}/"


def test_one_member_sees_the_others_change_and_presence_without_reloading(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer, lead_page: Page, threat: Threat
) -> None:
    sign_in(context, live_server, cast.engineer)
    page.goto(threat_url(threat))
    page.evaluate("window.stillTheSamePage = true")
    lead_page.goto(threat_url(threat))

    bar = page.locator("#live-threat")
    expect(bar).to_contain_text(f"{cast.security_lead.name} is also viewing this page")
    expect(lead_page.locator("#live-threat")).to_contain_text(
        f"{cast.engineer.name} is also viewing this page"
    )

    lead_page.get_by_label("Threat action").fill("forge a refund")
    lead_page.get_by_role("button", name="Save threat").click()
    expect(lead_page.get_by_text("T-1 saved.")).to_be_visible()

    expect(bar).to_contain_text(f"{cast.security_lead.name} changed T-1")
    assert page.evaluate("window.stillTheSamePage") is True
    bar.get_by_role("link", name="Reload").click()
    expect(page.get_by_label("Threat action")).to_have_value("forge a refund")


def test_a_save_that_lost_the_race_is_merged_field_by_field(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer, lead_page: Page, threat: Threat
) -> None:
    sign_in(context, live_server, cast.engineer)
    page.goto(threat_url(threat))
    page.get_by_label("Threat action").fill("steal a card")
    page.get_by_label("Prerequisites").fill("with a stolen session")

    lead_page.goto(threat_url(threat))
    lead_page.get_by_label("Threat action").fill("forge a refund")
    lead_page.get_by_role("button", name="Save threat").click()
    expect(lead_page.get_by_text("T-1 saved.")).to_be_visible()

    page.get_by_role("button", name="Save threat").click()
    conflict = page.locator("#edit-conflict")
    expect(conflict).to_contain_text(f"{cast.security_lead.name} changed this threat")
    row = conflict.get_by_role("row", name="Threat action")
    expect(row).to_contain_text("forge a refund")
    expect(row).to_contain_text("steal a card")
    row.get_by_label("Keep theirs").check()
    expect(page.get_by_label("Threat action")).to_have_value("forge a refund")  # the form shows what it saves
    page.get_by_role("button", name="Save threat").click()

    expect(page.get_by_text("T-1 saved.")).to_be_visible()
    saved = Threat.objects.get(pk=threat.pk)
    assert (saved.threat_action, saved.prerequisites) == ("forge a refund", "with a stolen session")
