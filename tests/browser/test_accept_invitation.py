import re

import pytest
from playwright.sync_api import Page, expect

from projects.models import Membership
from projects.roles import Role
from tests.conftest import Cast
from tests.factories import InvitationFactory

pytestmark = pytest.mark.browser


def test_a_newcomer_creates_an_account_from_the_invitation(cast: Cast, page: Page) -> None:
    invitation = InvitationFactory.create(
        organisation=cast.organisation,
        email="newcomer@example.com",
        role=Role.ENGINEER,
        invited_by=cast.owner,
    )
    page.goto(f"/invitations/{invitation.token}/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Join Acme Payments")
    expect(page.get_by_label("Email")).to_have_value("newcomer@example.com")
    expect(page.get_by_label("Your name")).to_be_focused()
    page.get_by_label("Your name").fill("Nia Newcomer")
    page.get_by_label("Password", exact=True).fill("a long and unusual passphrase")
    page.get_by_label("Password again").fill("a long and unusual passphrase")
    page.get_by_role("button", name="Create account and join").click()

    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    expect(page.get_by_role("status")).to_contain_text("Welcome to Acme Payments")
    expect(page.locator(".user-menu summary")).to_contain_text("Nia Newcomer")
    membership = Membership.objects.get(user__email="newcomer@example.com", organisation=cast.organisation)
    assert membership.role == Role.ENGINEER


def test_mismatched_passwords_are_explained_next_to_the_field(cast: Cast, page: Page) -> None:
    invitation = InvitationFactory.create(organisation=cast.organisation, email="newcomer@example.com")
    page.goto(f"/invitations/{invitation.token}/")

    page.get_by_label("Password", exact=True).fill("a long and unusual passphrase")
    page.get_by_label("Password again").fill("something else entirely")
    page.get_by_role("button", name="Create account and join").click()

    again = page.get_by_label("Password again")
    expect(again).to_have_attribute("aria-invalid", "true")
    expect(again).to_be_focused()
    expect(again).to_have_accessible_description(re.compile("The two passwords differ"))
