import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Cast
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_it_signs_in_with_email_and_password(cast: Cast, page: Page) -> None:
    page.goto("/")

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Email")).to_be_focused()
    page.get_by_label("Email").fill(cast.owner.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password", exact=True).press("Enter")

    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Payments")


def test_it_explains_a_wrong_password_at_the_top_of_the_form(cast: Cast, page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(cast.owner.email)
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("not correct")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_the_sign_in_page_does_not_offer_sign_up(cast: Cast, page: Page) -> None:
    page.goto("/accounts/login/")

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text(re.compile("sign up", re.IGNORECASE))).to_have_count(0)
