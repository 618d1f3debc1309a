"""Live pages: the endpoint a page polls answers 204 while nothing changed and nobody came or left, else the
page's bar again, naming who else is viewing and who changed what since the page was drawn."""

import html
import re
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from projects import live, review_services
from projects import workspace_services as services
from projects.live import PageKind
from projects.models import ControlStatus, Project, Threat
from projects.review_models import ReviewDecision
from tests.conftest import Cast, signed_in
from tests.factories import (
    ComponentFactory,
    ControlFactory,
    ProjectFactory,
    ThreatControlFactory,
    ThreatFactory,
)
from tests.queries import count_queries


@pytest.fixture(autouse=True)
def _nobody_viewing() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


@pytest.fixture
def threat(project: Project) -> Threat:
    return ThreatFactory.create(project=project, number=12, threat_action="replay a payment request")


def endpoint(kind: str, project: Project, *number: int) -> str:
    return reverse(f"live_{kind}", args=[project.organisation.slug, project.pk, *number])


def poll_url(answer: Any) -> str:
    """Where the bar in an answer polls next (its hx-get)."""
    found = re.search(r'hx-get="([^"]*/live/[^"]*)"', answer.content.decode())
    assert found, "the bar has stopped polling"
    return html.unescape(found.group(1))


def opened(client: Client, kind: str, project: Project, *number: int) -> str:
    """Open the page's bar as a fresh page would draw it, and return where it polls."""
    answer = client.get(endpoint(kind, project, *number), headers={"HX-Request": "true"})
    assert answer.status_code == 200
    return poll_url(answer)


def notice(answer: Any) -> str:
    text = re.sub(r"<[^>]+>", " ", answer.content.decode())
    return " ".join(text.split())


def rename_threat(cast: Cast, threat: Threat, action: str) -> None:
    threat = Threat.objects.get(pk=threat.pk)
    services.threat_update(
        membership=cast.membership(cast.security_lead),
        threat=threat,
        version=threat.version,
        threat_action=action,
    )


# Nothing changed ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["model", "threats", "threat", "review"])
def test_an_unchanged_page_answers_204(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat, kind: str
) -> None:
    number = (threat.number,) if kind == "threat" else ()
    url = opened(engineer_client, kind, project, *number)
    assert engineer_client.get(url).status_code == 204
    assert engineer_client.get(url).status_code == 204


def test_an_unchanged_poll_is_one_query_after_the_user(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    big = ProjectFactory.create(team=cast.team, name="Big")
    for number in range(1, 31):
        ThreatFactory.create(project=big, number=number)
        ComponentFactory.create(project=big, name=f"Service {number}")
    for kind in ("model", "threats", "review"):
        small_url, big_url = opened(engineer_client, kind, project), opened(engineer_client, kind, big)
        # The signed-in user is read by Django's middleware (the session comes from the cache); the page and its
        # token are one.
        for url in (small_url, big_url):
            assert count_queries(partial(engineer_client.get, url)) == 2
    url = opened(engineer_client, "threat", project, threat.number)
    assert count_queries(lambda: engineer_client.get(url)) == 2


# Someone else's change ---------------------------------------------------------------------------------------


def test_a_change_by_another_member_shows_who_changed_what(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    urls = {
        kind: opened(engineer_client, kind, project, *number)
        for kind, number in (("threats", ()), ("threat", (12,)), ("review", ()))
    }
    rename_threat(cast, threat, "forge a refund")
    for url in urls.values():
        answer = engineer_client.get(url)
        assert answer.status_code == 200
        assert f"{cast.security_lead.name} changed T-12" in notice(answer)
        assert "Reload" in notice(answer)
        assert "Show changes" in notice(answer)
        # The bar now knows the change: the next poll has nothing new to say.
        assert engineer_client.get(poll_url(answer)).status_code == 204


def test_the_review_tab_hears_of_a_submission_and_a_decision(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    """Each step of a review reads as what it was, not as a change to the project's row it moves."""
    url = opened(engineer_client, "review", project)
    review_services.model_review_submit(membership=cast.membership(cast.security_lead), project=project)
    answer = engineer_client.get(url)
    assert answer.status_code == 200
    assert f"{cast.security_lead.name} submitted the model for review" in notice(answer)
    assert "project details" not in notice(answer)
    url = poll_url(answer)
    assert engineer_client.get(url).status_code == 204

    review_services.model_review_decide(
        membership=cast.membership(cast.owner),
        project=project,
        decision=ReviewDecision.CHANGES_REQUESTED,
        comment="Add the refund flow.",
    )
    answer = engineer_client.get(url)
    assert answer.status_code == 200
    assert f"{cast.owner.name} asked for changes to the model" in notice(answer)
    url = poll_url(answer)

    review_services.model_review_submit(membership=cast.membership(cast.engineer), project=project)
    review_services.model_review_withdraw(membership=cast.membership(cast.security_lead), project=project)
    answer = engineer_client.get(url)
    assert f"{cast.security_lead.name} withdrew the model from review" in notice(answer)
    url = poll_url(answer)

    project = Project.objects.get(pk=project.pk)
    services.project_update(
        membership=cast.membership(cast.owner),
        project=project,
        version=project.version,
        description="Refunds too",
    )
    assert f"{cast.owner.name} changed the project details" in notice(engineer_client.get(url))


@pytest.mark.parametrize("kind", ["model", "review"])
def test_a_changed_link_between_parts_moves_the_model_and_review_tokens(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat, kind: str
) -> None:
    """Which assets a component holds is on the Model page and in the model a review signs off; a link is only
    added or removed, never versioned, so the token counts the links themselves."""
    component = ComponentFactory.create(project=project, name="Ledger")
    asset = project.assets.create(name="Card data")
    url = opened(engineer_client, kind, project)
    component.assets.add(asset)
    assert engineer_client.get(url).status_code == 200
    url = opened(engineer_client, kind, project)
    component.assets.remove(asset)
    assert engineer_client.get(url).status_code == 200


def test_the_review_tab_hears_of_a_changed_control_link(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    link = ThreatControlFactory.create(threat=threat, control=ControlFactory.create(project=project))
    url = opened(engineer_client, "review", project)
    services.control_link_update(
        membership=cast.membership(cast.security_lead), link=link, version=link.version, effectiveness=10
    )
    assert engineer_client.get(url).status_code == 200
    url = opened(engineer_client, "review", project)
    threat.target_components.add(ComponentFactory.create(project=project, name="Refunds"))
    assert engineer_client.get(url).status_code == 200


def test_the_model_page_names_the_part_that_changed(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    url = opened(engineer_client, "model", project)
    services.component_create(
        membership=cast.membership(cast.security_lead), project=project, name="Payments API", kind="process"
    )
    answer = engineer_client.get(url)
    assert f"{cast.security_lead.name} added component “Payments API”" in notice(answer)


def test_the_notice_stays_and_counts_every_change_since_the_page_was_drawn(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    url = opened(engineer_client, "model", project)
    lead = cast.membership(cast.security_lead)
    for name in ("Internet", "DMZ", "Core", "Vault"):
        services.zone_create(membership=lead, project=project, name=name, trust_level=1)
    answer = engineer_client.get(url)
    assert "added trust zone “Vault”" in notice(answer)  # the newest first
    assert "and 1 more change" in notice(answer)
    services.asset_create(membership=lead, project=project, name="Cards")
    again = engineer_client.get(poll_url(answer))
    assert "added asset “Cards”" in notice(again)
    assert "and 2 more changes" in notice(again)


def test_a_page_with_another_kind_of_change_stays_quiet(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    """The threat list does not show components: a new one does not make it out of date."""
    url = opened(engineer_client, "threats", project)
    services.component_create(
        membership=cast.membership(cast.security_lead), project=project, name="Payments API", kind="process"
    )
    assert engineer_client.get(url).status_code == 204


def test_my_own_change_moves_the_token_without_a_notice(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    url = opened(engineer_client, "threat", project, threat.number)
    services.threat_update(
        membership=cast.membership(cast.engineer), threat=threat, version=threat.version, threat_action="x"
    )
    answer = engineer_client.get(url)
    assert answer.status_code == 200
    assert "changed" not in notice(answer)
    assert "Reload" not in notice(answer)
    assert engineer_client.get(poll_url(answer)).status_code == 204


def test_a_threat_page_hears_of_its_controls(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    control = ControlFactory.create(project=project, title="Signed requests")
    ThreatControlFactory.create(threat=threat, control=control)
    url = opened(engineer_client, "threat", project, threat.number)
    services.control_update(
        membership=cast.membership(cast.security_lead),
        control=control,
        version=control.version,
        status=ControlStatus.IMPLEMENTED,
    )
    assert "changed control “Signed requests”" in notice(engineer_client.get(url))


def test_a_deleted_threat_says_who_deleted_it_and_stops_polling(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    url = opened(engineer_client, "threat", project, threat.number)
    services.threat_delete(
        membership=cast.membership(cast.security_lead), threat=threat, version=threat.version
    )
    answer = engineer_client.get(url)
    assert answer.status_code == 200
    assert f"{cast.security_lead.name} deleted T-12" in notice(answer)
    assert "hx-get" not in answer.content.decode()


def test_a_changed_poll_reads_as_many_queries_for_many_changes_as_for_one(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    lead = cast.membership(cast.security_lead)
    url = opened(engineer_client, "model", project)
    services.zone_create(membership=lead, project=project, name="Internet", trust_level=1)
    one = count_queries(lambda: engineer_client.get(url))
    for number in range(20):
        services.component_create(membership=lead, project=project, name=f"Service {number}", kind="process")
    many = count_queries(lambda: engineer_client.get(url))
    assert one == many == 4  # user, token; then the history and the names of who changed it


# Who else is viewing -----------------------------------------------------------------------------------------


def test_presence_appears_to_the_others_and_a_204_turns_into_a_bar_when_someone_comes(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    url = opened(engineer_client, "threat", project, threat.number)
    lead = signed_in(cast.security_lead)
    arrival = opened(lead, "threat", project, threat.number)
    answer = engineer_client.get(url)
    assert answer.status_code == 200
    assert f"{cast.security_lead.name} is also viewing this page" in notice(answer)
    assert lead.get(arrival).status_code in {200, 204}
    assert engineer_client.get(poll_url(answer)).status_code == 204  # nobody new since


def test_a_viewer_of_another_page_is_not_shown(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    url = opened(engineer_client, "threat", project, threat.number)
    opened(signed_in(cast.security_lead), "threats", project)
    assert engineer_client.get(url).status_code == 204


def test_presence_expires_when_the_others_stop_polling(cast: Cast, project: Project) -> None:
    page = live.live_page(cast.engineer, "acme", PageKind.MODEL, project.pk)
    now = time.time()
    live.present(page, cast.security_lead, now=now)
    live.present(page, cast.viewer, now=now + 5)
    seen = live.present(page, cast.engineer, now=now + 6)
    assert [viewer.name for viewer in seen] == sorted(
        [cast.security_lead.name, cast.viewer.name], key=str.casefold
    )
    later = live.present(page, cast.engineer, now=now + live.PRESENCE_SECONDS + 1)
    assert [viewer.name for viewer in later] == [cast.viewer.name]
    assert live.present(page, cast.engineer, now=now + live.PRESENCE_SECONDS + 6) == []


def test_presence_is_kept_apart_per_page_and_organisation(cast: Cast, project: Project) -> None:
    other = ProjectFactory.create(team=cast.team, name="Other")
    live.present(live.live_page(cast.security_lead, "acme", PageKind.MODEL, other.pk), cast.security_lead)
    live.present(live.live_page(cast.security_lead, "acme", PageKind.THREATS, project.pk), cast.security_lead)
    page = live.live_page(cast.engineer, "acme", PageKind.MODEL, project.pk)
    assert live.present(page, cast.engineer) == []


def test_the_bar_names_many_viewers_briefly() -> None:
    viewers = [live.Viewer(number, name) for number, name in enumerate(["Ann", "Bob", "Cy", "Di", "Ed"])]
    page = live.LivePage(PageKind.MODEL, 1, "acme", 1, None, "t")
    assert live.Bar(page, "", viewers[:1]).viewing == "Ann is"
    assert live.Bar(page, "", viewers[:2]).viewing == "Ann and Bob are"
    assert live.Bar(page, "", viewers[:3]).viewing == "Ann, Bob and Cy are"
    assert live.Bar(page, "", viewers).viewing == "Ann, Bob and 3 others are"


# Access ------------------------------------------------------------------------------------------------------


def test_another_organisations_page_answers_404(
    cast: Cast, outsider_client: Client, engineer_client: Client, project: Project, threat: Threat
) -> None:
    for url in (endpoint("model", project), endpoint("threats", project), endpoint("threat", project, 12)):
        assert outsider_client.get(url).status_code == 404
    theirs = ProjectFactory.create(team__organisation=cast.outsider_organisation, name="Secret")
    for kind in ("model", "threats"):
        assert engineer_client.get(reverse(f"live_{kind}", args=["acme", theirs.pk])).status_code == 404
        assert engineer_client.get(reverse(f"live_{kind}", args=["globex", theirs.pk])).status_code == 404
    assert engineer_client.get(endpoint("threat", project, 99)).status_code == 404  # no such threat, ever


def test_a_viewer_polls_too(cast: Cast, viewer_client: Client, project: Project, threat: Threat) -> None:
    url = opened(viewer_client, "threat", project, threat.number)
    assert viewer_client.get(url).status_code == 204


def test_it_rejects_writes(engineer_client: Client, project: Project) -> None:
    assert engineer_client.post(endpoint("model", project)).status_code == 405


def test_a_signed_out_poll_stops_polling_and_a_signed_out_browser_signs_in(project: Project) -> None:
    anonymous = Client()
    assert anonymous.get(endpoint("model", project), headers={"HX-Request": "true"}).status_code == 286
    answer = anonymous.get(endpoint("model", project))
    assert answer.status_code == 302
    assert "login" in answer["Location"]


def test_a_bad_opened_time_is_refused_by_name(engineer_client: Client, project: Project) -> None:
    answer = engineer_client.get(endpoint("model", project), {"opened": "yesterday"})
    assert answer.status_code == 400
    assert "opened" in answer.content.decode()
    assert engineer_client.get(endpoint("model", project), {"opened": "inf"}).status_code == 400


# The pages ---------------------------------------------------------------------------------------------------


PAGES = {
    "model": lambda project, threat: reverse("project_detail", args=["acme", project.pk]),
    "threats": lambda project, threat: reverse("threat_list", args=["acme", project.pk]),
    "threat": lambda project, threat: reverse("threat_detail", args=["acme", project.pk, threat.number]),
    "review": lambda project, threat: reverse("project_review", args=["acme", project.pk]),
}


@pytest.mark.parametrize("kind", PAGES)
def test_the_pages_draw_the_bar_that_polls(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat, kind: str
) -> None:
    answer = engineer_client.get(PAGES[kind](project, threat))
    assert answer.status_code == 200
    assert f'id="live-{kind}"' in answer.content.decode()
    assert engineer_client.get(poll_url(answer)).status_code == 204


def test_a_page_shows_who_else_is_viewing_it_when_drawn(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    opened(signed_in(cast.security_lead), "threats", project)
    page = engineer_client.get(reverse("threat_list", args=["acme", project.pk]))
    assert f"{cast.security_lead.name} is also viewing this page" in notice(page)
