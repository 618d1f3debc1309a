import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests.conftest import Cast

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a brand new passphrase 2026"


def test_a_member_resets_a_forgotten_password_by_email(cast: Cast, page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(cast.engineer.email)
    page.get_by_role("button", name="Send reset link").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert [message.to for message in mail.outbox] == [[cast.engineer.email]]
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+", str(mail.outbox[0].body))
    assert link is not None
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New Password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()

    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(cast.engineer.email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password", exact=True).press("Enter")
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
