"""The risk dashboard in a real browser, as a security lead reads it: the charts are SVG images with a title and
text a screen reader and a search can find, a heat-map cell opens the register narrowed to the risks in it (and
says so), and the team filter narrows the figures and stays in the address, so the view can be shared."""

import datetime
import re
from collections import defaultdict

import pytest
from django.core.cache import cache
from playwright.sync_api import BrowserContext, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from risks import inputs
from risks.appetite import Standing
from risks.models import BusinessRisk, RiskResult
from risks.money import Money
from risks.snapshots import take_snapshot
from tests.browser.conftest import sign_in
from tests.conftest import Cast
from tests.test_dashboard import build_estate, independent_positions, settings_with_tolerance

pytestmark = pytest.mark.browser

SVG = "http://www.w3.org/2000/svg"
LEVEL_NAMES = ["Very low", "Low", "Moderate", "High", "Very high"]


@pytest.fixture
def estate(cast: Cast, today: datetime.date) -> list[BusinessRisk]:
    """Two projects, one per team, with scored threats linked to business risks, and a snapshot for the trend.

    The cache holds each organisation's change counter and outlives the test database, whose ids start again at
    each run, so a counter left by an earlier run would mark these fresh results as out of date.
    """
    cache.clear()
    settings_with_tolerance(cast)
    risks = build_estate(cast, 2, today)
    take_snapshot(cast.organisation, today)
    return risks


def residual_cells(cast: Cast) -> dict[tuple[str, str], list[str]]:
    """The business risks (R-1, ...) in each residual (likelihood, impact) cell, from the stored results."""
    cells: dict[tuple[str, str], list[str]] = defaultdict(list)
    results = RiskResult.objects.filter(risk__organisation=cast.organisation).select_related("risk")
    for result in results.order_by("risk__number"):
        residual = result.figures["residual"]
        if residual.get("likelihood"):
            cells[(residual["likelihood"], residual["impact"])].append(result.risk.reference)
    return dict(cells)


def chart(page: Page, title: str) -> Locator:
    """The chart whose accessible name starts with its title, after checking it is a real SVG with that <title>."""
    found = page.get_by_role("img", name=re.compile("^" + re.escape(title)))
    expect(found).to_be_visible()
    expect(found.locator(":scope > title")).to_have_text(title)
    assert found.evaluate("svg => [svg.namespaceURI, svg.localName]") == [SVG, "svg"]
    return found


def test_the_charts_are_svg_images_whose_labels_are_text(
    cast: Cast,
    estate: list[BusinessRisk],
    today: datetime.date,
    context: BrowserContext,
    page: Page,
    live_server: LiveServer,
) -> None:
    sign_in(context, live_server, cast.security_lead)
    page.goto("/o/acme/")

    for stage in ("Inherent", "Residual"):
        heat = chart(page, f"{stage} risk: business risks by likelihood and impact")
        expect(heat.locator(":scope > text")).to_have_text(
            [*reversed(LEVEL_NAMES), *LEVEL_NAMES, "Impact", "Likelihood"]
        )
    residual = page.locator("#heat-residual")
    cells = residual_cells(cast)
    assert cells
    for (likelihood, impact), risks in cells.items():
        cell = residual.locator(f'g.chart__cell[data-likelihood="{likelihood}"][data-impact="{impact}"]')
        expect(cell.locator("text")).to_have_text(str(len(risks)))
    expect(residual.locator("a g.chart__cell")).to_have_count(len(cells))

    scales = inputs.Scales.of(inputs.settings_of(cast.organisation))
    tolerance = Money(scales.currency)(scales.tolerance_amount)
    bars = chart(page, f"Top risks: chance of losing more than {tolerance} in a year, against the tolerance")
    expect(bars.locator(".chart__appetite text")).to_have_text("Tolerance: 10 %")
    expect(bars.locator(".chart__bar > text").first).to_contain_text("Business risk")

    lec = chart(page, "Portfolio loss exceedance: the chance that a year's loss is above each amount")
    expect(lec.locator(".lec__marker text")).to_have_text("Tolerance")
    expect(lec.locator(".lec__legend-item text")).to_have_text(["Inherent", "Residual"])
    expect(lec.get_by_text("Annual loss (log scale)")).to_be_visible()

    above_now = sum(standing == Standing.ABOVE for standing, _ in independent_positions(cast, today).values())
    above = chart(page, "Business risks above appetite, day by day")
    expect(above.locator(".chart__series > text")).to_have_text(
        re.compile(rf"above appetite: {above_now}$", re.I)
    )
    loss = chart(page, "Expected annual loss, day by day")
    expect(loss.locator(".chart__series > text")).to_have_text(
        [re.compile(r"^Residual expected loss: \S+"), re.compile(r"above appetite: \S+", re.I)]
    )
    expect(loss.locator(":scope > text", has_text=today.isoformat()).first).to_be_visible()


def test_a_heat_map_cell_opens_the_register_narrowed_to_its_risks(
    cast: Cast, estate: list[BusinessRisk], context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    cells = residual_cells(cast)
    (likelihood, impact), in_cell = min(cells.items(), key=lambda item: len(item[1]))
    assert len(in_cell) < sum(len(risks) for risks in cells.values())  # the cell narrows the register
    sign_in(context, live_server, cast.security_lead)
    page.goto("/o/acme/")

    cell = page.locator("#heat-residual a").filter(
        has=page.locator(f'g[data-likelihood="{likelihood}"][data-impact="{impact}"]')
    )
    cell.focus()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/o/acme/risks/\?"))
    query = page.url.split("?", 1)[1].split("&")
    assert {"stage=residual", f"likelihood={likelihood}", f"impact={impact}"} <= set(query)
    rows = page.locator("#risk-results tbody tr")
    expect(rows).to_have_count(len(in_cell))
    assert sorted(rows.locator(".risk-ref").all_inner_texts()) == sorted(in_cell)
    clear = page.get_by_role("link", name="Show every business risk")
    scope = page.get_by_role("status").filter(has=clear)
    words = f"{likelihood} likelihood by {impact} impact".replace("_", " ")
    expect(scope).to_contain_text(re.compile(rf"\bresidual\b.*\bcell of {words}\b"))

    clear.click()
    expect(page).to_have_url(re.compile(r"/o/acme/risks/$"))
    expect(rows).to_have_count(BusinessRisk.objects.filter(organisation=cast.organisation).count())
    expect(scope).to_have_count(0)


def test_the_team_filter_stays_in_the_address_and_narrows_the_figures(
    cast: Cast, estate: list[BusinessRisk], context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    platform_risks = (
        BusinessRisk.objects.filter(scenarios__threat__project__team=cast.other_team).distinct().count()
    )
    assert 0 < platform_risks < len(estate)  # the team narrows the register
    sign_in(context, live_server, cast.security_lead)
    page.goto("/o/acme/")
    summary = page.locator("#dashboard-summary")
    expect(summary).to_contain_text(f"of {len(estate)} business risks")
    expect(page.locator("#risk-by-project tbody tr")).to_have_count(2)

    filters = page.get_by_role("form", name="Narrow the dashboard")
    filters.get_by_label("Team").select_option(label="Platform")
    filters.get_by_role("button", name="Show").click()

    expect(page).to_have_url(re.compile(r"/o/acme/\?(.*&)?team=platform(&|$)"))
    expect(filters.get_by_label("Team")).to_have_value("platform")
    expect(summary).to_contain_text(f"of {platform_risks} business risk")
    expect(summary).to_contain_text("in this view")
    expect(page.locator("#risk-by-team tbody th a")).to_have_text(["Platform"])
    expect(page.locator("#risk-by-project tbody th a")).to_have_text(["System 1"])
    residual_counts = page.locator("#heat-residual g.chart__cell text").all_text_contents()
    assert sum(int(count) for count in residual_counts) == platform_risks
    for link in page.locator("#heat-residual a").all():
        expect(link).to_have_attribute("href", re.compile(r"[?&]team=platform(&|$)"))
