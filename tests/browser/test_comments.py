"""Comments in a real browser: an engineer discusses a threat and mentions the security lead, who is told; the
author edits and deletes their comment in place."""

import re
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from projects.comment_models import Comment
from projects.models import Project, Threat
from tests.browser.conftest import LAPTOP, sign_in
from tests.conftest import Cast
from tests.factories import ProjectFactory, ThreatFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def threat(cast: Cast) -> Threat:
    cache.clear()
    project: Project = ProjectFactory.create(team=cast.team, name="Checkout")
    names = {
        cast.owner: "Olga Owner",
        cast.security_lead: "Lena Lead",
        cast.engineer: "Eve Engineer",
        cast.other_engineer: "Paul Platform",
        cast.viewer: "Victor Viewer",
    }
    for user, name in names.items():
        user.name = name
        user.save(update_fields=["name"])
    return ThreatFactory.create(project=project, threat_action="replay a captured payment request")


@pytest.fixture
def second_context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A second person's browser, beside the first."""
    context = browser.new_context(base_url=live_server.url, viewport=LAPTOP)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def threat_page(threat: Threat) -> str:
    return f"/o/acme/projects/{threat.project_id}/threats/{threat.number}/"


def test_a_member_mentions_another_who_sees_the_notification(
    cast: Cast,
    context: BrowserContext,
    second_context: BrowserContext,
    page: Page,
    live_server: LiveServer,
    threat: Threat,
) -> None:
    # The lead has a page open before anything is said to them.
    lead = second_context.new_page()
    sign_in(second_context, live_server, cast.security_lead)
    lead.goto("/o/acme/my-work/")
    expect(lead.locator("#unread-count")).to_have_count(0)

    sign_in(context, live_server, cast.engineer)
    page.goto(threat_page(threat))
    box = page.get_by_label("Comment", exact=True)
    expect(box).to_be_visible()

    # @ and the start of a name offers the member; Enter takes the suggestion.
    box.click()
    box.press_sequentially("Can @le")
    suggestions = page.get_by_role("listbox", name="Members to mention").get_by_role("option")
    expect(suggestions).to_have_count(1)
    expect(suggestions.first).to_have_accessible_name("Lena Lead @lead")
    box.press("Enter")
    expect(box).to_have_value("Can @lead ")
    box.press_sequentially("confirm this is **reachable** from the internet?")
    box.press("Control+Enter")

    comment = page.locator(".comment").filter(has_text="from the internet?")
    expect(comment).to_be_visible()
    expect(comment.locator("strong", has_text="reachable")).to_be_visible()
    expect(comment.get_by_role("link", name="@lead")).to_have_attribute("class", "mention")
    expect(box).to_have_value("")
    saved = Comment.objects.get()
    assert saved.body == "Can @lead confirm this is **reachable** from the internet?"

    # The lead, in their own browser, is told without reloading: the header asks for the count every 15 s, so
    # it appears on the page they have open; then the notification, and it leads to the comment.
    expect(lead.locator("#unread-count")).to_contain_text("1", timeout=30_000)
    lead.locator("#notifications-link").click()
    notification = lead.get_by_role("link", name=re.compile(f"mentioned you on T-{threat.number}"))
    expect(notification).to_be_visible()
    notification.click()
    expect(lead).to_have_url(re.compile(rf"{threat_page(threat)}#comment-{saved.pk}$"))
    expect(lead.locator(f"#comment-{saved.pk}")).to_contain_text("from the internet?")
    expect(lead.locator("#unread-count")).to_have_count(0)


def test_the_author_edits_and_deletes_their_comment_in_place(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer, threat: Threat
) -> None:
    sign_in(context, live_server, cast.engineer)
    page.goto(threat_page(threat))
    box = page.get_by_label("Comment", exact=True)
    box.fill("Frist!")
    page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.locator(".comment").filter(has_text="Frist!")
    expect(comment).to_be_visible()

    comment.get_by_role("link", name="Edit this comment").click()
    editor = page.locator(".comment--editing textarea")
    expect(editor).to_have_value("Frist!")
    editor.fill("First!")
    editor.press("Control+Enter")
    edited = page.locator(".comment").filter(has_text="First!")
    expect(edited).to_contain_text("(edited)")
    assert Comment.objects.get().body == "First!"

    page.once("dialog", lambda dialog: dialog.accept())
    edited.get_by_role("button", name="Delete this comment").click()
    expect(page.locator(".comment").filter(has_text="Deleted by its author")).to_be_visible()
    expect(page.locator(".comment").filter(has_text="First!")).to_have_count(0)
    assert Comment.objects.get().is_deleted
