"""The lists in a real browser: sorting by a column header, ticking every row and changing their status at once,
and being told which rows could not change."""

import re
from datetime import date

import pytest
from django.core.cache import cache
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from projects.models import Control, Project, Threat
from tests.browser.conftest import sign_in
from tests.conftest import Cast
from tests.factories import ControlFactory, ProjectFactory, ThreatFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def project(cast: Cast) -> Project:
    cache.clear()
    return ProjectFactory.create(team=cast.team, name="Checkout")


def test_an_engineer_sorts_the_controls_and_plans_them_all_at_once(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer, project: Project
) -> None:
    for title, due in (("Rate limits", date(2031, 3, 1)), ("MFA", date(2031, 1, 1)), ("WAF", None)):
        ControlFactory.create(project=project, title=title, due_on=due)
    sign_in(context, live_server, cast.engineer)
    page.goto(f"/o/acme/projects/{project.pk}/controls/")
    titles = page.locator("#control-results tbody .table__title")
    expect(titles).to_have_text(["MFA", "Rate limits", "WAF"])

    page.get_by_role("link", name=re.compile(r"^Due")).click()
    expect(page).to_have_url(re.compile(r"order=due"))
    expect(titles).to_have_text(["MFA", "Rate limits", "WAF"])
    page.get_by_role("link", name=re.compile(r"^Due")).click()  # again: the other way round, undated last
    expect(titles).to_have_text(["Rate limits", "MFA", "WAF"])

    page.get_by_label("Select every control on this page").check()
    expect(page.locator('[data-bulk-summary="controls"]')).to_have_text("3 controls ticked")
    page.get_by_label("New status").select_option("planned")
    page.get_by_role("button", name="Apply").click()

    expect(page.get_by_text("3 controls set to planned")).to_be_visible()
    expect(page).to_have_url(re.compile(r"order=-due"))
    assert set(Control.objects.values_list("status", flat=True)) == {"planned"}


def test_an_engineer_who_ticks_an_accepted_threat_is_told_and_nothing_changes(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer, project: Project
) -> None:
    ThreatFactory.create_batch(2, project=project)
    ThreatFactory.create(project=project, status="accepted", status_reason="Low impact")
    sign_in(context, live_server, cast.engineer)
    page.goto(f"/o/acme/projects/{project.pk}/threats/")

    page.get_by_label("Select every threat on this page").check()
    expect(page.locator('[data-bulk-summary="threats"]')).to_have_text("3 threats ticked")
    page.get_by_label("New status").select_option("confirmed")
    page.get_by_role("button", name="Apply").click()

    expect(
        page.get_by_text("T-3 is accepted or rejected; only a security lead can change it.")
    ).to_be_visible()
    assert list(Threat.objects.order_by("number").values_list("status", flat=True)) == [
        "identified",
        "identified",
        "accepted",
    ]
