import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from projects.roles import Role
from tests.browser.conftest import LAPTOP, sign_in
from tests.conftest import Cast

pytestmark = pytest.mark.browser


def test_an_owner_changes_a_role_in_place_without_reloading(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    sign_in(context, live_server, cast.owner)
    page.goto("/o/acme/members/")
    page.evaluate("window.stillTheSamePage = true")
    engineer = cast.membership(cast.engineer)
    row = page.locator(f"#member-{engineer.pk}")

    row.get_by_role("combobox").select_option(label="Security lead")
    with page.expect_response(re.compile(rf"/members/{engineer.pk}/$")) as answer:
        row.get_by_role("button", name=re.compile("^Save")).click()

    assert answer.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#toasts")).to_contain_text("is now security lead")
    expect(page.locator(f"#member-{engineer.pk}").get_by_role("combobox")).to_have_value(Role.SECURITY_LEAD)
    assert page.evaluate("window.stillTheSamePage") is True
    engineer.refresh_from_db()
    assert engineer.role == Role.SECURITY_LEAD


def test_the_row_explains_why_the_last_owner_cannot_step_down(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    sign_in(context, live_server, cast.owner)
    page.goto("/o/acme/members/")
    owner = cast.membership(cast.owner)
    row = page.locator(f"#member-{owner.pk}")

    row.get_by_role("combobox").select_option(label="Viewer")
    row.get_by_role("button", name=re.compile("^Save")).click()

    row = page.locator(f"#member-{owner.pk}")
    expect(row.get_by_role("alert")).to_contain_text("at least one owner")
    expect(row.get_by_role("combobox")).to_have_attribute("aria-invalid", "true")
    expect(row.get_by_role("combobox")).to_have_value(Role.OWNER)


def test_the_role_form_works_without_javascript(
    cast: Cast, browser: Browser, live_server: LiveServer
) -> None:
    context = browser.new_context(base_url=live_server.url, viewport=LAPTOP, java_script_enabled=False)
    sign_in(context, live_server, cast.owner)
    page = context.new_page()
    page.goto("/o/acme/members/")
    viewer = cast.membership(cast.viewer)
    row = page.locator(f"#member-{viewer.pk}")

    row.get_by_role("combobox").select_option(label="Engineer")
    row.get_by_label(cast.team.name).check()
    row.get_by_role("button", name=re.compile("^Save")).click()

    expect(page.get_by_role("status")).to_contain_text("is now engineer")
    viewer.refresh_from_db()
    assert viewer.role == Role.ENGINEER
    assert list(viewer.teams.all()) == [cast.team]
    context.close()
