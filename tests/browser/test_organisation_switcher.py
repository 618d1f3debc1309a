import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from projects.roles import Role
from tests.browser.conftest import sign_in
from tests.conftest import Cast
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.browser


def test_it_switches_to_another_organisation_of_the_user(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    northwind = OrganisationFactory.create(name="Northwind Health", slug="northwind")
    MembershipFactory.create(user=cast.owner, organisation=northwind, role=Role.VIEWER)
    sign_in(context, live_server, cast.owner)
    page.goto("/o/acme/")
    tabs = page.get_by_role("navigation", name="Acme Payments")
    expect(tabs.get_by_role("link", name="Settings")).to_be_visible()

    page.locator(".org-switcher summary").click()
    page.get_by_role("link", name="Northwind Health").click()

    expect(page).to_have_url(re.compile(r"/o/northwind/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind Health")
    expect(page.locator(".org-switcher summary")).to_contain_text("Northwind Health")
    tabs = page.get_by_role("navigation", name="Northwind Health")
    expect(tabs.get_by_role("link", name="Members")).to_be_visible()
    expect(tabs.get_by_role("link", name="Settings")).to_have_count(0)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/o/northwind/$"))


def test_the_switcher_lists_only_the_users_organisations(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    sign_in(context, live_server, cast.owner)
    page.goto("/o/acme/")

    page.locator(".org-switcher summary").click()

    menu = page.locator(".org-switcher .menu__list")
    expect(menu.get_by_role("link")).to_have_count(1)
    expect(menu).not_to_contain_text(cast.outsider_organisation.name)
