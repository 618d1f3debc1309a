"""A business risk in a real browser, as a security lead and the risk's owner would use it: the lead links a threat
to the risk and sees it go above appetite, toggles a proposed control in the what-if view and sees the figures
change and come back, and requests an acceptance; the owner, a viewer, approves it in another browser."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from projects.models import ControlStatus
from risks import inputs
from risks.models import AcceptanceStatus, BusinessRisk, RiskAcceptance, ScoringSettings
from tests.browser.conftest import LAPTOP, sign_in
from tests.conftest import Cast
from tests.factories import ControlFactory, ProjectFactory, ThreatControlFactory, ThreatFactory

pytestmark = pytest.mark.browser


def test_a_lead_links_a_threat_tries_a_control_and_the_owner_accepts_the_risk(
    cast: Cast, browser: Browser, context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    cache.clear()
    ScoringSettings.objects.create(
        organisation=cast.organisation,
        likelihood_scale=inputs.DEFAULT_LIKELIHOOD_SCALE,
        impact_scale=inputs.DEFAULT_IMPACT_SCALE,
        matrix=inputs.DEFAULT_MATRIX,
        appetite_level="moderate",
        tolerance_amount=Decimal("1000000"),
        tolerance_probability=Decimal("10"),
    )
    project = ProjectFactory.create(team=cast.team, name="Checkout")
    threat = ThreatFactory.create(project=project, likelihood="high", threat_action="steal card data")
    firewall = ControlFactory.create(
        project=project,
        title="Web application firewall",
        status=ControlStatus.IMPLEMENTED,
        cost_per_year=20_000,
    )
    tokenise = ControlFactory.create(
        project=project, title="Tokenise card numbers", status=ControlStatus.PROPOSED, cost_per_year=50_000
    )
    ThreatControlFactory.create(threat=threat, control=firewall, effectiveness=50)
    ThreatControlFactory.create(threat=threat, control=tokenise, effectiveness=90)
    risk = BusinessRisk.objects.create(
        organisation=cast.organisation,
        number=1,
        title="Card data exposed",
        impact="very_high",
        owner=cast.viewer,
    )

    # The lead links the threat: the risk goes above appetite.
    sign_in(context, live_server, cast.security_lead)
    page.goto("/o/acme/risks/1/")
    expect(page.locator(".page-header .position")).to_have_text("Not scored yet")
    page.get_by_label("Threat", exact=True).select_option(str(threat.pk))
    page.get_by_role("button", name="Link threat").click()
    expect(page.get_by_text("T-1 of Checkout linked to R-1.")).to_be_visible()
    expect(page.locator(".page-header .position")).to_have_text("Above appetite")
    expect(page.locator("#scenarios")).to_contain_text("steal card data")

    # What if tokenisation were done? The figures fall; untick it and they come back exactly.
    residual = page.locator("#what-if-ale").inner_text()
    page.get_by_label("Tokenise card numbers").check()
    expect(page.locator("#what-if-ale")).not_to_have_text(residual)
    with_tokens = page.locator("#what-if-ale").inner_text()
    assert _amount(with_tokens) < _amount(residual)
    page.get_by_label("Tokenise card numbers").uncheck()
    expect(page.locator("#what-if-ale")).to_have_text(residual)
    expect(page.locator("#what-if-results svg title").first).to_have_text("Loss exceedance of R-1")

    # The lead asks the owner to accept it as it stands.
    until = timezone.localdate() + datetime.timedelta(days=90)
    page.get_by_label("Why it can be accepted as it stands").fill("Tokenisation ships next quarter.")
    page.get_by_label("Accept until").fill(until.isoformat())
    page.get_by_role("button", name=re.compile(r"^Ask .* to accept it$")).click()
    expect(page.locator("#acceptance-waiting-state")).to_contain_text("Waiting for")

    # The owner, a viewer, approves it in another browser.
    owner_context = browser.new_context(base_url=live_server.url, viewport=LAPTOP)
    try:
        sign_in(owner_context, live_server, cast.viewer)
        owner_page = owner_context.new_page()
        owner_page.goto("/o/acme/risks/1/#acceptance")
        owner_page.get_by_label("Note").fill("Agreed until tokenisation ships.")
        owner_page.get_by_role("button", name="Approve").click()
        expect(owner_page.get_by_text("R-1 accepted until")).to_be_visible()
        expect(owner_page.locator("#acceptance-state")).to_contain_text("Accepted until")
    finally:
        owner_context.close()

    page.reload()
    expect(page.locator(".page-header .position")).to_have_text("Accepted")
    expect(page.locator(".acceptance-log")).to_contain_text("Agreed until tokenisation ships.")
    acceptance = RiskAcceptance.objects.get(risk=risk)
    assert acceptance.status == AcceptanceStatus.APPROVED
    assert acceptance.decided_by == cast.viewer


def _amount(text: str) -> float:
    return float(re.sub(r"[^\d.]", "", text))
