"""The register import in a real browser, as a security lead would use it: from the register to the upload, the
columns as guessed, the preview with a bad row named, the bad row skipped on purpose, and the new risks listed."""

import pytest
from django.core.cache import cache
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from risks.models import BusinessRisk
from tests.browser.conftest import sign_in
from tests.conftest import Cast

pytestmark = pytest.mark.browser

REGISTER = (
    "Risk;Owner email;Impact;Loss low;Loss high;Category\r\n"
    "Card data exposed;owner@acme.test;High;€250.000;€4.000.000;Financial, Regulatory\r\n"
    "Checkout down on a sales day;;Moderate;;;Operational\r\n"
    "Supplier breach;nobody@elsewhere.test;Severe;;;Reputational\r\n"
).encode("cp1252")


def test_a_lead_imports_a_register_skipping_the_row_with_errors(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    cache.clear()
    sign_in(context, live_server, cast.security_lead)
    page.goto(f"/o/{cast.organisation.slug}/risks/")
    page.get_by_role("link", name="Import from a spreadsheet").click()
    expect(page.get_by_role("heading", name="Import business risks from a spreadsheet")).to_be_visible()

    page.get_by_label("Spreadsheet").set_input_files(
        {"name": "register.csv", "mimeType": "text/csv", "buffer": REGISTER}
    )
    page.get_by_role("button", name="Read the file").click()
    expect(page.get_by_role("heading", name="Match the columns to the register")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("0")
    expect(page.get_by_label("Owner (e-mail)")).to_have_value("1")
    expect(page.get_by_label("Loss per event, high")).to_have_value("4")

    page.get_by_role("button", name="Preview the import").click()
    expect(page.locator("#import-good")).to_have_text("2")
    expect(page.locator("#import-bad")).to_have_text("1")
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("No member of Acme Payments has the e-mail nobody@elsewhere.test.")
    expect(errors).to_contain_text("“Severe” is not an impact level")

    page.get_by_role("button", name="Import 2 business risks").click()
    expect(page.locator("#import-refused")).to_contain_text("1 row has errors, so nothing was imported")
    assert not BusinessRisk.objects.filter(organisation=cast.organisation).exists()

    page.get_by_label("Skip the 1 row with errors and import the other 2").check()
    page.get_by_role("button", name="Import 2 business risks").click()
    expect(
        page.get_by_text("2 business risks imported (R-1 to R-2); 1 with errors left out.")
    ).to_be_visible()
    expect(page.locator("#risk-1")).to_contain_text("Card data exposed")
    expect(page.locator("#risk-2")).to_contain_text("Checkout down on a sales day")
    card = BusinessRisk.objects.get(organisation=cast.organisation, number=1)
    assert (card.owner, card.loss_low, card.categories) == (cast.owner, 250_000, ["financial", "regulatory"])
