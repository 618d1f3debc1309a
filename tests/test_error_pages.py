"""Pages a view did not render itself: a refusal keeps the organisation's header, and is logged once."""

import logging

from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from tests.factories import ProjectFactory


def test_a_refusal_keeps_the_organisations_header_and_tabs(cast: Cast, viewer_client: Client) -> None:
    project = ProjectFactory.create(team=cast.team, name="Checkout")
    response = viewer_client.post(reverse("zone_create", args=[cast.organisation.slug, project.pk]), {})
    assert response.status_code == 403
    html = response.content.decode()
    assert "You cannot do that" in html
    assert f'<nav class="tabs" aria-label="{cast.organisation.name}">' in html
    assert f'<span class="org-switcher__name">{cast.organisation.name}</span>' in html


def test_a_refusal_outside_an_organisation_still_renders(cast: Cast, viewer_client: Client) -> None:
    response = viewer_client.get(reverse("organisation_dashboard", args=["no-such-organisation"]))
    assert response.status_code == 404
    assert '<nav class="tabs"' not in response.content.decode()


def _handlers_reached(name: str) -> list[logging.Handler]:
    """Every handler a record logged on `name` reaches, walking up the loggers as logging does (less pytest's
    own capturing handlers)."""
    reached: list[logging.Handler] = []
    logger: logging.Logger | None = logging.getLogger(name)
    while logger is not None:
        reached += [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]
        logger = logger.parent if logger.propagate else None
    return reached


def test_a_request_warning_is_written_once_as_json() -> None:
    handlers = _handlers_reached("django.request")
    assert len(handlers) == 1
    assert type(handlers[0].formatter).__name__ == "JsonFormatter"
