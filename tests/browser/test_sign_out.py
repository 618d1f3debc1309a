import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import sign_in
from tests.conftest import Cast

pytestmark = pytest.mark.browser


def test_it_signs_out_from_the_user_menu(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    sign_in(context, live_server, cast.viewer)
    page.goto("/o/acme/")

    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("status")).to_contain_text("You have signed out")
    page.goto("/o/acme/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/o/acme/"))
