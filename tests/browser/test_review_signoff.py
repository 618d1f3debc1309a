"""Review and sign-off in two browsers: an engineer submits a project's threat model, the security lead confirms its
threat in the review queue and approves the model, the engineer is told without reloading and a later edit shows
as changed since approval with its diff; a risk acceptance is requested by the lead and signed by the risk's owner,
and the lead is told. Each decision is recorded with who made it and when."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from projects.models import Project, Threat, ThreatStatus
from projects.notification_models import Notification
from projects.review_models import ModelReview, ReviewDecision, ThreatReview, ThreatReviewDecision
from risks.models import AcceptanceStatus, BusinessRisk, RiskAcceptance
from tests.browser.conftest import sign_in
from tests.conftest import Cast
from tests.factories import ProjectFactory, ThreatFactory
from tests.risk_register import add_risk

pytestmark = pytest.mark.browser

# The header asks for the unread count every 15 s, so a notification shows on an open page within that.
HEADER_POLL = 30_000


@pytest.fixture
def project(cast: Cast) -> Project:
    cache.clear()
    for user, name in ((cast.security_lead, "Lena Lead"), (cast.engineer, "Eve Engineer")):
        user.name = name
        user.save(update_fields=["name"])
    return ProjectFactory.create(team=cast.team, name="Checkout")


@pytest.fixture
def threat(cast: Cast, project: Project) -> Threat:
    return ThreatFactory.create(
        project=project,
        number=1,
        threat_source="external attacker",
        threat_action="replay a captured refund request",
        status=ThreatStatus.IN_REVIEW,
        created_by=cast.engineer,
        owner=cast.engineer,
    )


def test_a_model_is_submitted_its_threat_confirmed_the_model_approved_and_a_later_change_shown(
    cast: Cast,
    context: BrowserContext,
    page: Page,
    live_server: LiveServer,
    lead_page: Page,
    project: Project,
    threat: Threat,
) -> None:
    review_url = f"/o/acme/projects/{project.pk}/review/"
    sign_in(context, live_server, cast.engineer)
    page.goto(review_url)
    expect(page.locator("#review-never")).to_have_text("This threat model has not been approved yet.")
    page.get_by_label("Note for the reviewer").fill("T-1 is new: the refund flow.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#review-waiting")).to_contain_text("Waiting for review")
    expect(page.locator("#review-waiting")).to_contain_text("submitted by Eve Engineer")

    # The lead finds both on My work and decides them in the review queue.
    lead_page.goto("/o/acme/my-work/")
    waiting = lead_page.locator("#waiting-for-me")
    expect(waiting.get_by_role("link", name="Sign off the threat model of Checkout")).to_be_visible()
    expect(waiting.locator(f"#review-threat-{threat.pk}")).to_be_visible()
    lead_page.get_by_role("navigation", name="Acme Payments").get_by_role("link", name="Reviews").click()
    expect(lead_page.get_by_role("heading", name="Review queue", level=1)).to_be_visible()
    summary = lead_page.locator("#review-decide .bulk-bar__summary")
    expect(summary).to_have_text("Tick threats to decide them together.")
    lead_page.get_by_label("Select Checkout T-1").check()
    expect(summary).to_have_text("1 threat ticked")
    lead_page.get_by_label("Select Checkout T-1").uncheck()
    expect(summary).to_have_text("Tick threats to decide them together.")
    lead_page.get_by_label("Select Checkout T-1").check()
    lead_page.get_by_label("Decision", exact=True).select_option(label="Confirm")
    lead_page.get_by_role("button", name="Apply").click()
    expect(lead_page.get_by_text("1 threat confirmed: Checkout T-1.")).to_be_visible()
    expect(lead_page.locator("#review-threats")).to_have_count(0)

    lead_page.get_by_role("link", name="Review the threat model of Checkout").click()
    expect(lead_page).to_have_url(re.compile(rf"{review_url}#review-decide-heading$"))
    lead_page.get_by_label("Comment").fill("Complete for the refund flow.")
    lead_page.get_by_role("button", name="Approve the model").click()
    expect(lead_page.get_by_text("The threat model of Checkout: approved.")).to_be_visible()
    expect(lead_page.locator("#review-approval")).to_contain_text("Approved by Lena Lead")

    # The engineer, still on the page they submitted from, is told without reloading.
    page.evaluate("window.stillTheSamePage = true")
    expect(page.locator("#unread-count")).to_contain_text("2", timeout=HEADER_POLL)
    assert page.evaluate("window.stillTheSamePage") is True
    page.locator("#notifications-link").click()
    expect(page.get_by_role("link", name="T-1 of Checkout was confirmed by Lena Lead")).to_be_visible()
    page.get_by_role("link", name="The threat model of Checkout was approved by Lena Lead").click()
    expect(page).to_have_url(re.compile(f"{review_url}$"))
    expect(page.locator("#review-approval")).to_contain_text("Approved by Lena Lead")
    expect(page.locator("#review-approval")).to_contain_text("Complete for the refund flow.")
    expect(page.locator("#review-unchanged")).to_have_text("Unchanged since approval.")

    # The threat's page says who confirmed it; an edit to it changes the approved model.
    page.goto(f"/o/acme/projects/{project.pk}/threats/1/")
    expect(page.locator("#threat-decisions")).to_contain_text("Confirmed by Lena Lead")
    page.get_by_label("Threat action").fill("replay a captured refund request twice")
    page.get_by_role("button", name="Save threat").click()
    expect(page.get_by_text("T-1 saved.")).to_be_visible()
    page.get_by_role("navigation", name="Sections of Checkout").get_by_role("link", name="Review").click()
    expect(page.locator("#review-changed")).to_contain_text("Changed since approval.")
    page.get_by_role("link", name="See what changed").click()
    expect(page.locator("#changes-since")).to_contain_text("Approved by Lena Lead")
    expect(page.locator("#changes-summary")).to_have_text("Since then: 1 edited.")
    edited = page.locator("#changes-of-threats .history__item").filter(has_text="Edited")
    expect(edited.get_by_role("link")).to_contain_text("T-1")
    field = edited.locator(".history__field").filter(has_text="Threat action")
    expect(field.locator("del")).to_have_text("replay a captured refund request")
    expect(field.locator("ins")).to_have_text("replay a captured refund request twice")
    expect(page.get_by_role("link", name="Ask for a review of these changes")).to_be_visible()

    # Every decision is recorded with who made it and when, and shows in the project's activity.
    approval = ModelReview.objects.get(project=project)
    assert (approval.decision, approval.decided_by, approval.submitted_by) == (
        ReviewDecision.APPROVED,
        cast.security_lead,
        cast.engineer,
    )
    confirmation = ThreatReview.objects.get(threat=threat)
    assert (confirmation.decision, confirmation.decided_by) == (
        ThreatReviewDecision.CONFIRMED,
        cast.security_lead,
    )
    assert approval.decided_at is not None
    assert confirmation.decided_at <= approval.decided_at
    page.goto(review_url)
    decided = page.locator("#review-history .history__summary").filter(has_text="Approved by Lena Lead")
    expect(decided.locator("time")).to_have_attribute(
        "datetime", timezone.localtime(approval.decided_at).isoformat()
    )
    page.goto(f"/o/acme/projects/{project.pk}/activity/")
    feed = page.locator("#activity-results .activity__item")
    confirmed = feed.filter(has_text="Lena Lead confirmed threat T-1")
    expect(confirmed).to_have_count(1)
    expect(confirmed.locator("time")).to_have_attribute(
        "datetime", timezone.localtime(confirmation.decided_at).isoformat()
    )
    approved = feed.filter(has_text="Lena Lead approved the threat model of “Checkout”")
    expect(approved.locator(".activity__words")).to_have_text("Complete for the refund flow.")
    expect(approved.get_by_role("link", name="“Checkout”")).to_have_attribute("href", re.compile("/review/"))
    submitted = feed.filter(has_text="Eve Engineer submitted the threat model of “Checkout” for review")
    expect(submitted.locator(".activity__words")).to_have_text("T-1 is new: the refund flow.")
    # The decisions tell the status changes they caused: those are not told twice.
    expect(feed.filter(has_text="Lena Lead changed")).to_have_count(0)


def test_a_risk_acceptance_is_requested_signed_by_its_owner_and_the_requester_told(
    cast: Cast,
    context: BrowserContext,
    page: Page,
    live_server: LiveServer,
    lead_page: Page,
    project: Project,
) -> None:
    risk: BusinessRisk = add_risk(cast, title="Refunds paid twice", owner=cast.engineer)
    risk_url = f"/o/acme/risks/{risk.number}/"
    Notification.objects.all().delete()  # the lead made the engineer its owner, which they were told of
    sign_in(context, live_server, cast.engineer)
    page.goto("/o/acme/my-work/")
    expect(page.locator("#unread-count")).to_have_count(0)

    until = timezone.localdate() + datetime.timedelta(days=120)
    lead_page.goto(risk_url)
    lead_page.get_by_label("Why it can be accepted as it stands").fill("Refunds are capped at €50 until Q3.")
    lead_page.get_by_label("Accept until").fill(until.isoformat())
    lead_page.get_by_role("button", name="Ask Eve Engineer to accept it").click()
    expect(lead_page.locator("#acceptance-waiting-state")).to_contain_text("Waiting for Eve Engineer")

    # The owner is told on the page they have open, and the notification leads to the decision.
    expect(page.locator("#unread-count")).to_contain_text("1", timeout=HEADER_POLL)
    page.locator("#notifications-link").click()
    page.get_by_role("link", name=re.compile(f"Lena Lead asks you to accept {risk.reference}")).click()
    expect(page).to_have_url(re.compile(rf"{risk_url}#acceptance$"))
    expect(page.locator("#acceptance-to-decide")).to_contain_text("Lena Lead asks you, as this risk")
    expect(page.locator("#acceptance-waiting-state")).to_contain_text("Waiting for you")
    expect(page.locator("#decide-acceptance")).to_be_in_viewport()
    page.get_by_label("Note").fill("Agreed while the cap holds.")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text(f"{risk.reference} accepted until")).to_be_attached()
    expect(page.locator("#acceptance-state")).to_contain_text("Accepted until")

    # The lead, on the risk's page since asking, is told of the decision without reloading.
    expect(lead_page.locator("#unread-count")).to_contain_text("1", timeout=HEADER_POLL)
    lead_page.locator("#notifications-link").click()
    lead_page.get_by_role(
        "link", name=re.compile(f"Eve Engineer approved your request to accept {risk.reference}")
    ).click()
    expect(lead_page).to_have_url(re.compile(rf"{risk_url}#acceptance$"))
    record = lead_page.locator(".acceptance-log__item").filter(has_text="Approved by Eve Engineer")
    expect(record).to_contain_text("Requested by Lena Lead")
    expect(record).to_contain_text("Agreed while the cap holds.")

    acceptance = RiskAcceptance.objects.get(risk=risk)
    assert (acceptance.status, acceptance.requested_by, acceptance.decided_by, acceptance.expires_on) == (
        AcceptanceStatus.APPROVED,
        cast.security_lead,
        cast.engineer,
        until,
    )
    assert acceptance.decided_at is not None
    expect(record.locator("time").last).to_have_attribute(
        "datetime", timezone.localtime(acceptance.decided_at).isoformat()
    )
    lead_page.goto("/o/acme/activity/")
    signed = lead_page.locator("#activity-results .activity__item").filter(
        has_text="Eve Engineer changed risk acceptance"
    )
    expect(signed).to_contain_text("Approved")
    expect(signed).to_contain_text("Agreed while the cap holds.")
