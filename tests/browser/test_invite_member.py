import re

import pytest
from django.core import mail
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from projects.models import Invitation
from tests.browser.conftest import sign_in
from tests.conftest import Cast

pytestmark = pytest.mark.browser


def test_an_owner_invites_a_member_and_an_email_goes_out(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    sign_in(context, live_server, cast.owner)
    page.goto("/o/acme/members/")

    invite = page.locator("#invite")
    invite.get_by_label("Email").fill("new.person@example.com")
    invite.get_by_label("Role").select_option(label="Security lead")
    invite.get_by_label("Payments").check()
    invite.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("status")).to_contain_text("Invitation sent to new.person@example.com.")
    pending = page.locator("section", has=page.get_by_role("heading", name="Pending invitations"))
    row = pending.get_by_role("row", name=re.compile("new.person@example.com"))
    expect(row).to_contain_text("Security lead")
    expect(row).to_contain_text("Payments")
    invitation = Invitation.objects.get(organisation=cast.organisation, email="new.person@example.com")
    assert [message.to for message in mail.outbox] == [["new.person@example.com"]]
    assert "Acme Payments" in mail.outbox[0].subject
    assert f"/invitations/{invitation.token}/" in mail.outbox[0].body


def test_the_invite_form_shows_its_error_next_to_the_email_field(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    sign_in(context, live_server, cast.owner)
    page.goto("/o/acme/members/")

    invite = page.locator("#invite")
    invite.get_by_label("Email").fill(cast.viewer.email)
    invite.get_by_role("button", name="Send invitation").click()

    email = page.locator("#invite").get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    expect(page.locator("#id_email_error")).to_have_text("This person is already a member.")
    assert mail.outbox == []
