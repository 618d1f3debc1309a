"""Importing a model in a real browser: upload a file, read the preview, create the project, land on it."""

import re
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from projects.models import Project
from tests.browser.conftest import sign_in
from tests.conftest import Cast
from tests.data import INTEROP_DATA

pytestmark = pytest.mark.browser

EXAMPLE = INTEROP_DATA / "otm" / "EXAMPLE.json"


@pytest.fixture(autouse=True)
def _no_uploads_kept() -> None:
    cache.clear()


def test_an_engineer_uploads_a_model_previews_it_and_creates_the_project(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    sign_in(context, live_server, cast.engineer)
    page.goto("/o/acme/projects/")
    page.get_by_role("link", name="Import a model").click()

    expect(page.get_by_role("heading", name="Import a model")).to_be_visible()
    expect(page.get_by_label("Model file")).to_be_focused()
    page.get_by_label("Model file").set_input_files(str(EXAMPLE))
    expect(page.get_by_label("Format")).to_have_value("auto")
    expect(page.get_by_label("Team")).to_have_value(str(cast.team.pk))
    page.get_by_role("button", name="Preview the import").click()

    expect(page.get_by_role("heading", name="Create “Test project”")).to_be_visible()
    expect(page.locator("#preview-counts")).to_contain_text("Components")
    expect(page.locator("#preview-parts")).to_contain_text("Web Service")
    expect(page.locator("#preview-warnings")).to_contain_text("John Doe")
    assert not Project.objects.filter(name="Test project").exists()
    page.get_by_role("button", name="Create project").click()

    project = Project.objects.get(name="Test project")
    expect(page).to_have_url(re.compile(rf"/o/acme/projects/{project.pk}/$"))
    expect(page.get_by_role("heading", name="Test project", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Imported “Test project”: 4 components"))).to_be_visible()
    expect(page.get_by_role("heading", name="Notes from import")).to_be_visible()
    assert project.team == cast.team
    assert project.threats.count() == 1


def test_a_bad_file_is_refused_on_the_file_field(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"otmVersion": "0.2.0", "project": {')
    sign_in(context, live_server, cast.owner)
    page.goto("/o/acme/import/")

    page.get_by_label("Model file").set_input_files(str(broken))
    page.get_by_role("button", name="Preview the import").click()

    file = page.get_by_label("Model file")
    expect(file).to_have_attribute("aria-invalid", "true")
    expect(file).to_be_focused()
    expect(page.locator("#id_file_error")).to_contain_text("line 1, column")
    assert not Project.objects.exists()


def test_the_export_menu_opens_with_the_keyboard(
    cast: Cast, context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    project = Project.objects.create(organisation=cast.organisation, team=cast.team, name="Shop")
    sign_in(context, live_server, cast.viewer)
    page.goto(f"/o/acme/projects/{project.pk}/")

    page.locator("#project-export summary").focus()
    page.keyboard.press("Enter")

    link = page.get_by_role("link", name="Open Threat Model (OTM JSON)")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "shop.otm.json"
