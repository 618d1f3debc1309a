"""The Threats section: logging a threat (one short form, suggestions, live preview), the list (filters, sort,
pages, bulk status, inline status and owner), a threat's page (edit, conflicts, controls) and deleting."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from projects.models import Asset, Project, Threat, ThreatControl, ThreatStatus
from tests.conftest import Cast, signed_in
from tests.factories import (
    AssetFactory,
    ComponentFactory,
    ControlFactory,
    DataFlowFactory,
    ProjectFactory,
    ThreatControlFactory,
    ThreatFactory,
)
from tests.queries import count_queries

HTMX = {"HX-Request": "true"}
RESULTS = HTMX | {"HX-Target": "threat-results"}


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


@pytest.fixture
def parts(project: Project) -> dict[str, Any]:
    api = ComponentFactory.create(project=project, name="Payments API", technology="Django")
    shopper = ComponentFactory.create(project=project, name="Shopper", kind="actor")
    flow = DataFlowFactory.create(project=project, source=shopper, destination=api, name="Place order")
    asset = AssetFactory.create(project=project, name="Card data")
    return {"api": api, "shopper": shopper, "flow": flow, "asset": asset}


def url(name: str, project: Project, *args: object) -> str:
    return reverse(name, args=[project.organisation.slug, project.pk, *args])


def threat_body(parts: dict[str, Any], **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "threat_source": "external attacker",
        "prerequisites": "with a stolen session cookie",
        "threat_action": "replay a payment request",
        "threat_impact": "customers charged twice",
        "impacted_goals": ["integrity"],
        "impacted_assets": [parts["asset"].pk],
        "impacted_asset_names": "refund ledger, Card data",
        "stride": ["T", "S"],
        "target_components": [parts["api"].pk],
        "target_flows": [parts["flow"].pk],
        "owner": "",
        "status": "identified",
    }
    return body | changes


def edit_body(threat: Threat, **changes: object) -> dict[str, object]:
    """The threat's edit form as it was loaded, with some fields changed."""
    names = ("threat_source", "prerequisites", "threat_action", "threat_impact", "status")
    body: dict[str, object] = {name: getattr(threat, name) for name in names}
    body |= {
        "version": threat.version,
        "impacted_goals": threat.impacted_goals,
        "stride": threat.stride,
        "impacted_assets": [a.pk for a in threat.impacted_assets.all()],
        "target_components": [c.pk for c in threat.target_components.all()],
        "target_flows": [f.pk for f in threat.target_flows.all()],
        "owner": threat.owner_id or "",
    }
    return body | changes


def html_of(response: Any) -> str:
    return str(response.content.decode())


# Logging a threat -------------------------------------------------------------------------------------------


def test_an_engineer_logs_a_threat_with_one_short_form(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    response = engineer_client.post(url("threat_create", project), threat_body(parts, owner=cast.engineer.pk))
    assert response.status_code == 302
    assert response["Location"] == url("threat_list", project)
    threat = project.threats.get()
    assert (threat.number, threat.stride, threat.impacted_goals) == (1, ["S", "T"], ["integrity"])
    assert (threat.owner, threat.created_by, threat.status) == (cast.engineer, cast.engineer, "identified")
    assert sorted(a.name for a in threat.impacted_assets.all()) == ["Card data", "refund ledger"]
    assert list(threat.target_components.all()) == [parts["api"]]
    assert list(threat.target_flows.all()) == [parts["flow"]]
    assert project.assets.filter(name="refund ledger").exists()  # a typed-in name became an asset
    page = html_of(engineer_client.get(response["Location"]))
    assert (
        "T-1 logged: An external attacker with a stolen session cookie can replay a payment request" in page
    )


def test_save_and_add_another_comes_back_to_the_form_with_the_targets_kept(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    response = engineer_client.post(url("threat_create", project), threat_body(parts, add_another="1"))
    assert response.status_code == 302
    assert response["Location"] == (
        url("threat_create", project) + f"?component={parts['api'].pk}&flow={parts['flow'].pk}"
    )
    again = engineer_client.get(response["Location"])
    form = again.context["form"]
    assert form["target_components"].value() == [parts["api"].pk]
    assert form["target_flows"].value() == [parts["flow"].pk]
    assert "T-1 logged. Log the next one" in html_of(again)


def test_the_form_has_stable_labels_suggestions_a_live_preview_and_a_keyboard_save(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    html = html_of(engineer_client.get(url("threat_create", project)))
    for label in ("Threat source", "Prerequisites", "Threat action", "Threat impact", "Impacted goals"):
        assert label in html
    for label in ("Impacted assets", "Other assets, comma separated", "STRIDE categories", "Owner"):
        assert label in html
    assert "S · Spoofing" in html
    assert "E · Elevation of privilege" in html
    assert ">Save threat</button>" in html
    assert "Save and add another" in html
    assert 'list="suggest-threat_source"' in html
    assert '<datalist id="suggest-threat_source">' in html
    assert f'hx-get="{url("threat_suggestions", project)}"' in html
    assert f'hx-post="{url("threat_preview", project)}"' in html
    assert "data-submit-shortcut" in html
    assert "js/threats.js" in html
    assert "A threat source can …<" in html  # the preview before anything is typed


def test_engineers_are_not_offered_accepted_or_rejected_but_security_leads_are(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    engineer_form = html_of(engineer_client.get(url("threat_create", project)))
    assert 'value="confirmed"' in engineer_form
    assert 'value="accepted"' not in engineer_form
    assert 'value="rejected"' not in engineer_form
    lead_form = html_of(signed_in(cast.security_lead).get(url("threat_create", project)))
    assert 'value="accepted"' in lead_form
    assert 'value="rejected"' in lead_form
    assert 'name="status_reason"' in lead_form
    assert 'name="status_reason"' not in engineer_form


@pytest.mark.parametrize("status", ["accepted", "rejected"])
def test_an_engineer_who_posts_a_decision_anyway_is_refused(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any], status: str
) -> None:
    body = threat_body(parts, status=status, status_reason="fine")
    assert engineer_client.post(url("threat_create", project), body).status_code == 403
    assert not project.threats.exists()


def test_a_security_lead_logs_a_rejected_threat_only_with_a_reason(
    cast: Cast, project: Project, parts: dict[str, Any]
) -> None:
    lead = signed_in(cast.security_lead)
    response = lead.post(url("threat_create", project), threat_body(parts, status="rejected"))
    assert response.status_code == 400
    assert "status_reason" in response.context["form"].errors
    assert not project.threats.exists()
    body = threat_body(parts, status="rejected", status_reason="No card data here.")
    assert lead.post(url("threat_create", project), body).status_code == 302
    assert project.threats.get().status == ThreatStatus.REJECTED


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stride", ["S", "X"]),
        ("impacted_goals", ["happiness"]),
        ("threat_source", "attacker\x00"),
        ("threat_action", "a" * 501),
        ("threat_source", ""),
        ("status", "closed"),
        ("impacted_asset_names", ", ".join(f"asset {n}" for n in range(21))),
        ("impacted_asset_names", "n" * 201),
        ("impacted_asset_names", "ok, bad\x00name"),
        ("owner", 999_999),
    ],
)
def test_bad_input_is_refused_field_by_field_and_nothing_is_written(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any], field: str, value: object
) -> None:
    assets_before = Asset.objects.count()
    response = engineer_client.post(url("threat_create", project), threat_body(parts, **{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Threat.objects.exists()
    assert Asset.objects.count() == assets_before
    project.refresh_from_db()
    assert project.threat_counter == 0


@pytest.mark.parametrize("field", ["target_components", "target_flows", "impacted_assets"])
def test_a_part_of_another_project_is_not_a_choice(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any], field: str
) -> None:
    other = ProjectFactory.create(team=cast.team, name="Other")
    foreign = {
        "target_components": ComponentFactory.create(project=other),
        "target_flows": DataFlowFactory.create(project=other),
        "impacted_assets": AssetFactory.create(project=other),
    }[field]
    response = engineer_client.post(
        url("threat_create", project), threat_body(parts, **{field: [foreign.pk]})
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Threat.objects.exists()


def test_the_form_keeps_what_was_typed_and_previews_it_after_an_error(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    response = engineer_client.post(url("threat_create", project), threat_body(parts, stride=["Q"]))
    html = html_of(response)
    assert 'value="replay a payment request"' in html
    assert "can replay a payment request, which leads to customers charged twice" in html
    assert 'aria-invalid="true"' in html


def test_logging_a_threat_is_for_the_owning_team_and_security_leads(
    cast: Cast, viewer_client: Client, outsider_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    body = threat_body(parts)
    assert viewer_client.get(url("threat_create", project)).status_code == 403
    assert viewer_client.post(url("threat_create", project), body).status_code == 403
    assert signed_in(cast.other_engineer).post(url("threat_create", project), body).status_code == 403
    assert outsider_client.post(url("threat_create", project), body).status_code == 404
    assert not Threat.objects.exists()
    assert signed_in(cast.security_lead).post(url("threat_create", project), body).status_code == 302


def test_logging_a_threat_rejects_other_methods(engineer_client: Client, project: Project) -> None:
    assert engineer_client.put(url("threat_create", project)).status_code == 405
    assert engineer_client.delete(url("threat_create", project)).status_code == 405


# Live preview and suggestions --------------------------------------------------------------------------------


def test_the_preview_renders_the_sentence_as_it_is_typed(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    body = {
        "threat_source": "insider",
        "threat_action": "export the ledger",
        "impacted_goals": ["confidentiality", "integrity"],
        "impacted_assets": [parts["asset"].pk],
        "impacted_asset_names": "API keys",
    }
    response = engineer_client.post(url("threat_preview", project), body, headers=HTMX)
    assert response.status_code == 200
    assert html_of(response).strip() == (
        "An insider can export the ledger, resulting in reduced confidentiality and integrity of Card data "
        "and API keys."
    )
    assert not Threat.objects.exists()
    assert not project.assets.filter(name="API keys").exists()


@pytest.mark.parametrize(
    ("source", "sentence"),
    [
        ("external attacker", "An external attacker can replay a refund."),
        ("botnet", "A botnet can replay a refund."),
        ("an external attacker", "An external attacker can replay a refund."),
        ("A botnet", "A botnet can replay a refund."),
        ("the payment processor", "The payment processor can replay a refund."),
        ("another tenant", "Another tenant can replay a refund."),
    ],
)
def test_the_preview_adds_an_article_only_when_the_source_has_none(
    engineer_client: Client, project: Project, source: str, sentence: str
) -> None:
    body = {"threat_source": source, "threat_action": "replay a refund"}
    response = engineer_client.post(url("threat_preview", project), body, headers=HTMX)
    assert html_of(response).strip() == sentence


def test_the_preview_names_only_this_projects_assets(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    foreign = AssetFactory.create(project=ProjectFactory.create(team=cast.team), name="Their secrets")
    body = {"threat_source": "insider", "threat_action": "read", "impacted_assets": [foreign.pk, "x"]}
    assert "Their secrets" not in html_of(engineer_client.post(url("threat_preview", project), body))


def test_the_preview_is_posted_by_those_who_may_log_threats(
    cast: Cast, viewer_client: Client, outsider_client: Client, engineer_client: Client, project: Project
) -> None:
    assert engineer_client.get(url("threat_preview", project)).status_code == 405
    assert viewer_client.post(url("threat_preview", project), {}).status_code == 403
    assert signed_in(cast.other_engineer).post(url("threat_preview", project), {}).status_code == 403
    assert outsider_client.post(url("threat_preview", project), {}).status_code == 404


def test_suggestions_offer_values_typed_earlier_in_the_organisation_only(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    ThreatFactory.create(project=ProjectFactory.create(team=cast.other_team), threat_source="rogue admin")
    ThreatFactory.create(project=project, threat_source="rogue contractor")
    elsewhere = ProjectFactory.create(team__organisation=cast.outsider_organisation)
    ThreatFactory.create(project=elsewhere, threat_source="rogue competitor")
    query = {"field": "threat_source", "threat_source": "rogue"}
    response = engineer_client.get(url("threat_suggestions", project), query, headers=HTMX)
    assert response.status_code == 200
    html = html_of(response)
    assert '<option value="rogue admin"></option>' in html
    assert '<option value="rogue contractor"></option>' in html
    assert "competitor" not in html


def test_suggestions_take_q_and_ignore_unknown_fields(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    ThreatFactory.create(project=project, threat_source="rogue admin")
    by_q = engineer_client.get(url("threat_suggestions", project), {"field": "threat_source", "q": "adm"})
    assert "rogue admin" in html_of(by_q)
    unknown = engineer_client.get(url("threat_suggestions", project), {"field": "status", "q": "a"})
    assert "<option" not in html_of(unknown)


def test_suggestions_are_read_by_members_only(
    viewer_client: Client, outsider_client: Client, project: Project
) -> None:
    assert (
        viewer_client.get(url("threat_suggestions", project), {"field": "threat_source"}).status_code == 200
    )
    assert viewer_client.post(url("threat_suggestions", project)).status_code == 405
    assert outsider_client.get(url("threat_suggestions", project)).status_code == 404


# The list -------------------------------------------------------------------------------------------------


@pytest.fixture
def listed(cast: Cast, project: Project, parts: dict[str, Any]) -> list[Threat]:
    """Three threats: T-1 owned and with a control, T-2 unowned on the flow, T-3 mitigated."""
    first = ThreatFactory.create(
        project=project, threat_action="forge a refund", stride=["S", "I"], owner=cast.engineer
    )
    first.target_components.set([parts["api"]])
    first.impacted_assets.set([parts["asset"]])
    ThreatControlFactory.create(
        threat=first, control=ControlFactory.create(project=project, title="Sign refunds")
    )
    second = ThreatFactory.create(project=project, threat_action="flood the checkout", stride=["D"])
    second.target_flows.set([parts["flow"]])
    third = ThreatFactory.create(project=project, threat_action="read card numbers", status="mitigated")
    return [first, second, third]


def test_the_list_shows_each_threat_with_what_matters(
    cast: Cast, viewer_client: Client, project: Project, listed: list[Threat]
) -> None:
    response = viewer_client.get(url("threat_list", project))
    assert response.status_code == 200
    html = html_of(response)
    row = html.split('id="threat-1"')[1].split("</tr>")[0]
    assert "T-1" in row
    assert "can forge a refund" in row
    assert "Card data" in row
    assert 'title="Spoofing">S</abbr>' in row
    assert 'title="Information disclosure">I</abbr>' in row
    assert "Payments API" in row
    assert cast.engineer.display_name in row
    assert ">Identified<" in row
    assert '<td data-label="Controls" class="table__number">1</td>' in row
    assert "Place order" in html.split('id="threat-2"')[1].split("</tr>")[0]
    assert "Unowned" in html.split('id="threat-2"')[1].split("</tr>")[0]
    assert 'name="threats"' not in html
    assert "threat-bulk" not in html


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ({"status": "mitigated"}, [3]),
        ({"stride": "D"}, [2]),
        ({"component": "api"}, [1]),
        ({"flow": "flow"}, [2]),
        ({"owner": "engineer"}, [1]),
        ({"owner": "none"}, [2, 3]),
        ({"control": "none"}, [2, 3]),
        ({"q": "refund"}, [1]),
        ({"q": "T-2"}, [2]),
        ({"order": "-number"}, [3, 2, 1]),
        ({"order": "status", "stride": ""}, [1, 2, 3]),
    ],
)
def test_the_list_filters_and_sorts(
    cast: Cast,
    engineer_client: Client,
    project: Project,
    parts: dict[str, Any],
    listed: list[Threat],
    query: dict[str, str],
    numbers: list[int],
) -> None:
    values = {"api": parts["api"].pk, "flow": parts["flow"].pk, "engineer": cast.engineer.pk}
    params = {key: values.get(value, value) for key, value in query.items()}
    response = engineer_client.get(url("threat_list", project), params)
    assert [threat.number for threat in response.context["threats"]] == numbers


@pytest.mark.parametrize(
    ("order", "numbers"),
    [("-status", [3, 1, 2]), ("owner", [1, 2, 3]), ("-owner", [1, 2, 3]), ("-number", [3, 2, 1])],
)
def test_the_list_sorts_both_ways_with_unowned_threats_last(
    engineer_client: Client, project: Project, listed: list[Threat], order: str, numbers: list[int]
) -> None:
    response = engineer_client.get(url("threat_list", project), {"order": order})
    assert [threat.number for threat in response.context["threats"]] == numbers


def test_the_id_status_and_owner_headers_sort_the_list(
    engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    html = html_of(engineer_client.get(url("threat_list", project), {"stride": "S", "order": "status"}))
    sorted_by = html.split('aria-sort="ascending"')[1].split("</th>")[0]
    assert 'href="?stride=S&amp;order=-status"' in sorted_by
    assert 'hx-target="#threat-results"' in sorted_by
    assert 'href="?stride=S&amp;order=number"' in html
    assert 'href="?stride=S&amp;order=owner"' in html
    assert '<input type="hidden" name="order" value="status" form="threat-filters">' in html
    reversed_html = html_of(engineer_client.get(url("threat_list", project), {"order": "-status"}))
    assert 'aria-sort="descending"' in reversed_html


def test_the_filters_fetch_only_the_results_with_htmx(
    engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    response = engineer_client.get(url("threat_list", project), {"status": "mitigated"}, headers=RESULTS)
    html = html_of(response)
    assert html.lstrip().startswith('<div id="threat-results">')
    assert "<html" not in html
    assert 'id="threat-3"' in html
    assert 'id="threat-1"' not in html
    assert response["Vary"].count("HX-Target") == 1


def test_the_filter_form_works_without_javascript(
    engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    html = html_of(engineer_client.get(url("threat_list", project)))
    form = html.split('id="threat-filters"')[1].split("</form>")[0]
    assert f'method="get" action="{url("threat_list", project)}"' in form
    assert 'hx-get="' in form
    assert 'hx-push-url="true"' in form
    assert 'hx-target="#threat-results"' in form
    assert 'type="submit">Filter</button>' in form


def test_pages_of_25_keep_the_filters_in_their_links(engineer_client: Client, project: Project) -> None:
    for _ in range(27):
        ThreatFactory.create(project=project, status="confirmed")
    ThreatFactory.create(project=project)
    response = engineer_client.get(url("threat_list", project), {"status": "confirmed"})
    assert len(response.context["threats"]) == 25
    assert "?status=confirmed&amp;page=2" in html_of(response)
    second = engineer_client.get(url("threat_list", project), {"status": "confirmed", "page": "2"})
    assert len(second.context["threats"]) == 2


def test_an_empty_list_says_how_to_start(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    html = html_of(engineer_client.get(url("threat_list", project)))
    assert "No threats yet" in html
    assert "Log a threat" in html
    assert "Suggest threats from the library" in html
    assert url("library_component", project, parts["api"].pk) in html
    assert url("library_flow", project, parts["flow"].pk) in html


def test_a_list_with_threats_still_offers_library_suggestions_to_editors(
    cast: Cast, engineer_client: Client, viewer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    ThreatFactory.create(project=project)
    html = html_of(engineer_client.get(url("threat_list", project)))
    menu = html.split('class="menu suggest-menu"')[1].split("</details>")[0]
    assert "Suggest threats" in menu
    for name, part in (("library_component", parts["api"]), ("library_component", parts["shopper"])):
        assert url(name, project, part.pk) in menu
    assert url("library_flow", project, parts["flow"].pk) in menu
    assert "suggest-menu" not in html_of(viewer_client.get(url("threat_list", project)))


def test_a_list_with_no_matches_offers_to_clear_the_filters(
    engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    html = html_of(engineer_client.get(url("threat_list", project), {"q": "nothing like this"}))
    assert "No threats match these filters" in html
    assert f'id="clear-filters" href="{url("threat_list", project)}"' in html


def test_the_list_is_read_only_by_get_and_hidden_from_outsiders(
    engineer_client: Client, outsider_client: Client, project: Project
) -> None:
    assert engineer_client.post(url("threat_list", project)).status_code == 405
    assert outsider_client.get(url("threat_list", project)).status_code == 404


def test_the_list_and_its_partial_cost_the_same_queries_for_one_threat_or_a_full_page(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    def fill(n: int) -> None:
        for _ in range(n):
            threat = ThreatFactory.create(project=project, owner=cast.engineer, stride=["S"])
            threat.target_components.set([parts["api"]])
            threat.target_flows.set([parts["flow"]])
            threat.impacted_assets.set([parts["asset"]])
            ThreatControlFactory.create(threat=threat)

    fill(1)
    engineer_client.get(url("threat_list", project))  # the first visit stores the organisation in the session
    page = count_queries(lambda: engineer_client.get(url("threat_list", project)))
    partial = count_queries(lambda: engineer_client.get(url("threat_list", project), headers=RESULTS))
    fill(29)
    assert count_queries(lambda: engineer_client.get(url("threat_list", project))) == page
    assert count_queries(lambda: engineer_client.get(url("threat_list", project), headers=RESULTS)) == partial


# Bulk status ----------------------------------------------------------------------------------------------


def statuses(project: Project) -> dict[int, str]:
    return dict(project.threats.values_list("number", "status"))


def ticked(project: Project, *numbers: int) -> list[str]:
    """The bulk form's values for these threats as the list shows them now: "<number>:<version>"."""
    versions = dict(project.threats.values_list("number", "version"))
    return [f"{number}:{versions.get(number, 1)}" for number in numbers]


def test_each_row_carries_the_version_the_list_shows(
    engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    Threat.objects.filter(pk=listed[1].pk).update(version=4)
    html = html_of(engineer_client.get(url("threat_list", project)))
    assert 'name="threats" value="1:1" form="threat-bulk"' in html
    assert 'name="threats" value="2:4" form="threat-bulk"' in html


def test_an_engineer_changes_the_status_of_several_threats_at_once(
    engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    body = {"threats": ticked(project, 1, 2), "status": "confirmed", "query": "status=identified&q=x"}
    response = engineer_client.post(url("threat_bulk", project), body)
    assert response.status_code == 302
    assert response["Location"] == url("threat_list", project) + "?status=identified&q=x"
    assert statuses(project) == {1: "confirmed", 2: "confirmed", 3: "mitigated"}
    assert "2 threats set to confirmed: T-1, T-2." in html_of(engineer_client.get(response["Location"]))


def test_threats_changed_since_the_list_was_shown_change_nothing_and_are_named(
    engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    body = {"threats": ticked(project, 1, 2, 3), "status": "in_review", "query": "q=x"}
    for threat in (listed[0], listed[2]):  # someone else saved T-1 and T-3 meanwhile
        Threat.objects.filter(pk=threat.pk).update(version=2)
    response = engineer_client.post(url("threat_bulk", project), body)
    assert response.status_code == 302
    assert response["Location"] == url("threat_list", project) + "?q=x"
    assert statuses(project) == {1: "identified", 2: "identified", 3: "mitigated"}
    reloaded = engineer_client.get(response["Location"])
    assert "T-1 and T-3 were changed or deleted by someone else" in html_of(reloaded)
    assert 'value="1:2"' in html_of(reloaded)  # the list as it is now, to tick again


def test_an_engineer_who_ticks_decided_threats_gets_the_list_back_with_their_names(
    engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    ThreatFactory.create(project=project, status="accepted")
    ThreatFactory.create(project=project, status="rejected", status_reason="Out of scope")
    body = {"threats": ticked(project, 1, 2, 3, 4, 5), "status": "confirmed", "query": "status=identified"}
    response = engineer_client.post(url("threat_bulk", project), body)
    assert response.status_code == 302
    assert response["Location"] == url("threat_list", project) + "?status=identified"
    assert statuses(project) == {
        1: "identified",
        2: "identified",
        3: "mitigated",
        4: "accepted",
        5: "rejected",
    }
    message = (
        "T-4 and T-5 are accepted or rejected; only a security lead can change them. Nothing was changed."
    )
    assert message in html_of(engineer_client.get(response["Location"]))


def test_the_bulk_bar_offers_decisions_to_security_leads_only(
    cast: Cast, engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    engineer_bar = html_of(engineer_client.get(url("threat_list", project))).split('id="threat-bulk"')[1]
    engineer_bar = engineer_bar.split("</form>")[0]
    assert 'value="accepted"' not in engineer_bar
    assert "Accepting or rejecting threats is a security lead" in engineer_bar
    lead_bar = html_of(signed_in(cast.security_lead).get(url("threat_list", project))).split(
        'id="threat-bulk"'
    )[1]
    assert 'value="rejected"' in lead_bar.split("</form>")[0]
    assert 'name="status_reason"' in lead_bar


@pytest.mark.parametrize("status", ["accepted", "rejected"])
def test_an_engineer_cannot_accept_or_reject_in_bulk(
    engineer_client: Client, project: Project, listed: list[Threat], status: str
) -> None:
    body = {"threats": ticked(project, 1, 2), "status": status, "status_reason": "because"}
    assert engineer_client.post(url("threat_bulk", project), body).status_code == 403
    assert statuses(project) == {1: "identified", 2: "identified", 3: "mitigated"}


def test_a_security_lead_rejects_in_bulk_with_a_reason(
    cast: Cast, project: Project, listed: list[Threat]
) -> None:
    lead = signed_in(cast.security_lead)
    body = {"threats": ticked(project, 1, 3), "status": "rejected", "status_reason": "Not in scope."}
    assert lead.post(url("threat_bulk", project), body).status_code == 302
    assert statuses(project) == {1: "rejected", 2: "identified", 3: "rejected"}
    assert set(project.threats.filter(status="rejected").values_list("status_reason", flat=True)) == {
        "Not in scope."
    }


def test_reopening_in_bulk_clears_the_rejection_reason(cast: Cast, project: Project) -> None:
    ThreatFactory.create(project=project, status="rejected", status_reason="Not in scope.")
    body = {"threats": ticked(project, 1), "status": "in_review", "status_reason": ""}
    assert signed_in(cast.security_lead).post(url("threat_bulk", project), body).status_code == 302
    assert list(project.threats.values_list("status", "status_reason")) == [("in_review", "")]


def test_rejecting_in_bulk_without_a_reason_changes_nothing(
    cast: Cast, project: Project, listed: list[Threat]
) -> None:
    response = signed_in(cast.security_lead).post(
        url("threat_bulk", project),
        {"threats": ticked(project, 1, 2), "status": "rejected", "query": "status=identified"},
    )
    assert response.status_code == 400
    assert "status_reason" in response.context["form"].errors
    html = html_of(response)
    assert f'href="{url("threat_list", project)}?status=identified"' in html
    for value in ("1:1", "2:1"):  # still ticked, with the versions seen
        assert re.search(rf'<input type="checkbox" name="threats" value="{value}"[^>]* checked>', html)
    assert statuses(project) == {1: "identified", 2: "identified", 3: "mitigated"}


@pytest.mark.parametrize(
    "threats",
    [["1:1", "999:1"], [], ["1"], ["1:x"], ["1:0"], ["T-1:1"], ["99999999999999999999:1"]],
    ids=["unknown", "none", "no-version", "bad-version", "version-0", "reference", "huge"],
)
def test_a_bulk_change_with_any_bad_row_changes_none(
    engineer_client: Client, project: Project, listed: list[Threat], threats: list[str]
) -> None:
    response = engineer_client.post(url("threat_bulk", project), {"threats": threats, "status": "confirmed"})
    assert response.status_code == 400
    assert "threats" in response.context["form"].errors
    assert statuses(project) == {1: "identified", 2: "identified", 3: "mitigated"}


@pytest.mark.parametrize(
    "body",
    [
        {"status": "closed"},
        {"status": "rejected", "status_reason": "x" * 2001},
        {"status": "rejected", "status_reason": "a\x00b"},
    ],
)
def test_a_bulk_change_with_a_bad_status_or_reason_changes_none(
    cast: Cast, project: Project, listed: list[Threat], body: dict[str, object]
) -> None:
    response = signed_in(cast.security_lead).post(url("threat_bulk", project), body | {"threats": ["1:1"]})
    assert response.status_code == 400
    assert statuses(project) == {1: "identified", 2: "identified", 3: "mitigated"}


def test_bulk_changes_are_for_the_owning_team_and_security_leads(
    cast: Cast,
    engineer_client: Client,
    viewer_client: Client,
    outsider_client: Client,
    project: Project,
    listed: list[Threat],
) -> None:
    body = {"threats": ["1:1"], "status": "confirmed"}
    assert engineer_client.get(url("threat_bulk", project)).status_code == 405
    assert viewer_client.post(url("threat_bulk", project), body).status_code == 403
    assert signed_in(cast.other_engineer).post(url("threat_bulk", project), body).status_code == 403
    assert outsider_client.post(url("threat_bulk", project), body).status_code == 404
    assert statuses(project)[1] == "identified"


def test_a_single_save_clears_the_rejection_reason_too(cast: Cast, project: Project) -> None:
    threat = ThreatFactory.create(project=project, status="rejected", status_reason="Not in scope.")
    lead = signed_in(cast.security_lead)
    body = inline_body(threat, status="confirmed", status_reason="Not in scope.")
    assert lead.post(url("threat_inline", project, 1), body).status_code == 302
    threat.refresh_from_db()
    assert (threat.status, threat.status_reason) == ("confirmed", "")


# Inline status and owner ----------------------------------------------------------------------------------


def inline_body(threat: Threat, **changes: object) -> dict[str, object]:
    fields = {"version": threat.version, "status": threat.status, "owner": threat.owner_id or ""} | changes
    return {f"threat-{threat.number}-{name}": value for name, value in fields.items()}


def test_the_row_turns_into_a_small_form_and_back(
    engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    edit = engineer_client.get(url("threat_inline", project, 1), headers=HTMX)
    html = html_of(edit)
    assert edit.status_code == 200
    assert html.lstrip().startswith('<tr id="threat-1" class="row-edit">')
    assert 'name="threat-1-status"' in html
    assert 'name="threat-1-owner"' in html
    assert 'value="accepted"' not in html
    assert 'value="rejected"' not in html
    cancel = engineer_client.get(url("threat_inline", project, 1), {"cancel": 1}, headers=HTMX)
    assert html_of(cancel).lstrip().startswith('<tr id="threat-1">')


def test_an_engineer_sets_status_and_owner_from_the_list(
    cast: Cast, engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    second = listed[1]
    body = inline_body(second, status="confirmed", owner=cast.other_engineer.pk)
    response = engineer_client.post(url("threat_inline", project, 2), body, headers=HTMX)
    assert response.status_code == 200
    html = html_of(response)
    assert '<tr id="threat-2" class="is-saved">' in html
    assert ">Confirmed<" in html
    assert 'id="toasts" hx-swap-oob="innerHTML"' in html
    assert "T-2 saved" in html
    second.refresh_from_db()
    assert (second.status, second.owner, second.version) == ("confirmed", cast.other_engineer, 2)


@pytest.mark.parametrize("status", ["accepted", "rejected"])
def test_an_engineer_cannot_accept_or_reject_inline(
    engineer_client: Client, project: Project, listed: list[Threat], status: str
) -> None:
    body = inline_body(listed[0], status=status)
    assert engineer_client.post(url("threat_inline", project, 1), body, headers=HTMX).status_code == 403
    listed[0].refresh_from_db()
    assert listed[0].status == "identified"


def test_a_security_lead_accepts_inline_and_rejects_only_with_a_reason(
    cast: Cast, project: Project, listed: list[Threat]
) -> None:
    lead = signed_in(cast.security_lead)
    form = html_of(lead.get(url("threat_inline", project, 1), headers=HTMX))
    assert 'value="accepted"' in form
    assert 'name="threat-1-status_reason"' in form
    assert (
        lead.post(
            url("threat_inline", project, 1), inline_body(listed[0], status="accepted"), headers=HTMX
        ).status_code
        == 200
    )
    rejected = lead.post(
        url("threat_inline", project, 2), inline_body(listed[1], status="rejected"), headers=HTMX
    )
    assert rejected.status_code == 400
    assert "Say why" in html_of(rejected)
    assert statuses(project) == {1: "accepted", 2: "identified", 3: "mitigated"}


def test_an_engineer_keeps_a_decision_already_taken_while_changing_the_owner(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    accepted = ThreatFactory.create(project=project, status="accepted")
    form = html_of(engineer_client.get(url("threat_inline", project, accepted.number), headers=HTMX))
    assert 'value="accepted" selected' in form
    assert 'value="rejected"' not in form
    body = inline_body(accepted, owner=cast.engineer.pk)
    assert (
        engineer_client.post(url("threat_inline", project, accepted.number), body, headers=HTMX).status_code
        == 200
    )


def test_a_stale_inline_edit_shows_the_other_change(
    cast: Cast, engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    body = inline_body(listed[1], status="confirmed")
    Threat.objects.filter(pk=listed[1].pk).update(status="in_review", version=2)
    response = engineer_client.post(url("threat_inline", project, 2), body, headers=HTMX)
    assert response.status_code == 422
    html = html_of(response)
    assert 'id="edit-conflict"' in html
    assert "In review" in html
    assert 'name="threat-2-version" value="2"' in html
    assert Threat.objects.get(pk=listed[1].pk).status == "in_review"


def test_without_javascript_the_inline_edit_falls_back_to_pages(
    engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    assert engineer_client.get(url("threat_inline", project, 1))["Location"] == url(
        "threat_detail", project, 1
    )
    saved = engineer_client.post(url("threat_inline", project, 1), inline_body(listed[0], status="confirmed"))
    assert saved["Location"] == url("threat_list", project)
    refused = engineer_client.post(url("threat_inline", project, 2), inline_body(listed[1], status="closed"))
    assert refused.status_code == 400
    assert "<html" in html_of(refused)


def test_inline_edits_are_for_the_owning_team_and_security_leads(
    cast: Cast,
    engineer_client: Client,
    viewer_client: Client,
    outsider_client: Client,
    project: Project,
    listed: list[Threat],
) -> None:
    body = inline_body(listed[0], status="confirmed")
    assert engineer_client.put(url("threat_inline", project, 1), body).status_code == 405
    assert viewer_client.get(url("threat_inline", project, 1), headers=HTMX).status_code == 403
    assert viewer_client.post(url("threat_inline", project, 1), body, headers=HTMX).status_code == 403
    assert signed_in(cast.other_engineer).post(url("threat_inline", project, 1), body).status_code == 403
    assert outsider_client.post(url("threat_inline", project, 1), body).status_code == 404
    assert engineer_client.get(url("threat_inline", project, 99), headers=HTMX).status_code == 404
    assert statuses(project)[1] == "identified"


# A threat's page ------------------------------------------------------------------------------------------


def test_the_threat_page_has_its_form_controls_and_history(
    cast: Cast, engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    response = engineer_client.get(url("threat_detail", project, 1))
    assert response.status_code == 200
    html = html_of(response)
    assert "Edit threat" in html
    assert ">Save threat</button>" in html
    assert f'name="version" value="{listed[0].version}"' in html
    assert "Sign refunds" in html
    assert 'name="effectiveness"' in html
    assert "Unlink" in html
    assert "Link an existing control" in html
    assert "Add a new control" in html
    assert response.context["changes"] is not None
    assert "History" in html


def test_a_viewer_reads_the_threat_without_forms(
    viewer_client: Client, project: Project, listed: list[Threat]
) -> None:
    html = html_of(viewer_client.get(url("threat_detail", project, 1)))
    assert "About this threat" in html
    assert "Sign refunds" in html
    assert "50 %" in html
    assert 'id="threat-form"' not in html
    assert 'name="version"' not in html
    assert "Link an existing control" not in html
    assert "Delete…" not in html


def test_an_engineer_edits_a_threat(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any], listed: list[Threat]
) -> None:
    threat = listed[1]
    body = edit_body(threat, threat_action="flood checkout with carts", stride=["D", "T"])
    body |= {"target_components": [parts["shopper"].pk], "target_flows": [], "impacted_asset_names": "Orders"}
    response = engineer_client.post(url("threat_detail", project, 2), body)
    assert response.status_code == 302
    assert response["Location"] == url("threat_detail", project, 2)
    threat.refresh_from_db()
    assert (threat.threat_action, threat.stride, threat.version) == (
        "flood checkout with carts",
        ["T", "D"],
        2,
    )
    assert list(threat.target_components.all()) == [parts["shopper"]]
    assert not threat.target_flows.exists()
    assert [a.name for a in threat.impacted_assets.all()] == ["Orders"]


def test_a_stale_save_shows_the_other_change_and_keeps_the_users_values(
    cast: Cast, engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    threat = listed[1]
    body = edit_body(threat, threat_action="mine")
    Threat.objects.filter(pk=threat.pk).update(threat_action="theirs", version=threat.version + 1)
    response = engineer_client.post(url("threat_detail", project, 2), body)
    assert response.status_code == 409
    html = html_of(response)
    assert 'id="edit-conflict"' in html
    differences = {d.label: (d.theirs, d.yours) for d in response.context["conflict"].differences}
    assert differences["Threat action"] == ("theirs", "mine")
    assert 'value="mine"' in html
    assert f'name="version" value="{threat.version + 1}"' in html
    assert Threat.objects.get(pk=threat.pk).threat_action == "theirs"
    again = engineer_client.post(url("threat_detail", project, 2), body | {"version": threat.version + 1})
    assert again.status_code == 302
    assert Threat.objects.get(pk=threat.pk).threat_action == "mine"


def test_saving_again_after_a_conflict_keeps_what_the_other_person_changed(
    cast: Cast, engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    threat = listed[1]
    stale = edit_body(threat, prerequisites="with a leaked API key")
    theirs = edit_body(threat, threat_impact="refunds paid to the attacker")
    assert engineer_client.post(url("threat_detail", project, 2), theirs).status_code == 302
    conflict = engineer_client.post(url("threat_detail", project, 2), stale)
    assert conflict.status_code == 409
    labels = {d.label for d in conflict.context["conflict"].differences}
    assert "Threat impact" not in labels  # untouched by this user: not presented as theirs to overwrite
    rebased = conflict.context["form"].data
    again = engineer_client.post(url("threat_detail", project, 2), rebased)
    assert again.status_code == 302
    threat.refresh_from_db()
    assert threat.prerequisites == "with a leaked API key"
    assert threat.threat_impact == "refunds paid to the attacker"


def test_an_edit_naming_another_projects_target_leaves_the_threat_as_it_was(
    cast: Cast, engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    foreign = ComponentFactory.create(project=ProjectFactory.create(team=cast.team, name="Other"))
    body = edit_body(listed[0], threat_action="changed", target_components=[foreign.pk])
    assert engineer_client.post(url("threat_detail", project, 1), body).status_code == 400
    listed[0].refresh_from_db()
    assert (listed[0].threat_action, listed[0].version) == ("forge a refund", 1)


def test_an_engineer_cannot_accept_on_the_threat_page(
    engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    body = edit_body(listed[0], status="accepted")
    assert engineer_client.post(url("threat_detail", project, 1), body).status_code == 403
    listed[0].refresh_from_db()
    assert listed[0].status == "identified"


def test_editing_a_threat_is_for_the_owning_team_and_security_leads(
    cast: Cast,
    engineer_client: Client,
    viewer_client: Client,
    outsider_client: Client,
    project: Project,
    listed: list[Threat],
) -> None:
    body = edit_body(listed[0], threat_action="changed")
    assert engineer_client.put(url("threat_detail", project, 1), body).status_code == 405
    assert viewer_client.post(url("threat_detail", project, 1), body).status_code == 403
    assert signed_in(cast.other_engineer).post(url("threat_detail", project, 1), body).status_code == 403
    assert outsider_client.get(url("threat_detail", project, 1)).status_code == 404
    assert engineer_client.get(url("threat_detail", project, 42)).status_code == 404
    listed[0].refresh_from_db()
    assert listed[0].threat_action == "forge a refund"


# Deleting -------------------------------------------------------------------------------------------------


def test_an_engineer_deletes_a_threat_after_confirming(
    engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    ask = engineer_client.get(url("threat_delete", project, 1))
    assert ask.status_code == 200
    assert "Delete T-1?" in html_of(ask)
    assert "1 link to controls is removed" in html_of(ask)
    response = engineer_client.post(url("threat_delete", project, 1), {"version": 1})
    assert response["Location"] == url("threat_list", project)
    assert not project.threats.filter(number=1).exists()
    assert ThreatControl.objects.count() == 0


def test_a_stale_delete_is_refused(engineer_client: Client, project: Project, listed: list[Threat]) -> None:
    Threat.objects.filter(pk=listed[0].pk).update(version=2)
    response = engineer_client.post(url("threat_delete", project, 1), {"version": 1})
    assert response["Location"] == url("threat_detail", project, 1)
    assert project.threats.filter(number=1).exists()


def test_deleting_is_for_the_owning_team_and_security_leads(
    cast: Cast,
    engineer_client: Client,
    viewer_client: Client,
    outsider_client: Client,
    project: Project,
    listed: list[Threat],
) -> None:
    assert engineer_client.put(url("threat_delete", project, 1)).status_code == 405
    assert viewer_client.post(url("threat_delete", project, 1), {"version": 1}).status_code == 403
    assert (
        signed_in(cast.other_engineer).post(url("threat_delete", project, 1), {"version": 1}).status_code
        == 403
    )
    assert outsider_client.post(url("threat_delete", project, 1), {"version": 1}).status_code == 404
    assert engineer_client.post(url("threat_delete", project, 1), {}).status_code == 400
    assert project.threats.filter(number=1).exists()


# Linking controls from a threat's page ----------------------------------------------------------------------


def test_an_engineer_links_an_existing_control_with_its_effectiveness(
    engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    control = ControlFactory.create(project=project, title="WAF rule")
    response = engineer_client.post(
        url("threat_link_control", project, 2), {"control": control.pk, "effectiveness": 70}
    )
    assert response["Location"] == url("threat_detail", project, 2) + "#controls"
    link = ThreatControl.objects.get(threat=listed[1])
    assert (link.control, link.effectiveness) == (control, 70)


def test_an_engineer_creates_a_control_and_links_it_in_one_step(
    engineer_client: Client, project: Project, listed: list[Threat]
) -> None:
    body = {"title": "Idempotency keys", "kind": "preventive", "status": "planned", "effectiveness": 90}
    response = engineer_client.post(url("threat_link_control", project, 2), body)
    assert response.status_code == 302
    link = ThreatControl.objects.get(threat=listed[1])
    assert (link.control.title, link.control.status, link.effectiveness) == (
        "Idempotency keys",
        "planned",
        90,
    )
    assert "“Idempotency keys” linked to T-2 (90 %)." in html_of(engineer_client.get(response["Location"]))


@pytest.mark.parametrize(
    "body",
    [
        {"title": "Idempotency keys", "kind": "preventive", "status": "planned", "effectiveness": 150},
        {"title": "Idempotency keys\x00", "kind": "preventive", "status": "planned", "effectiveness": 50},
        {"title": "t" * 201, "kind": "preventive", "status": "planned", "effectiveness": 50},
        {"title": "Idempotency keys", "kind": "magic", "status": "planned", "effectiveness": 50},
        {"control": "existing", "effectiveness": 150},
        {"control": "existing", "effectiveness": -1},
        {"control": "foreign", "effectiveness": 50},
        {"control": "", "effectiveness": 50},
    ],
)
def test_a_bad_link_writes_nothing(
    cast: Cast, engineer_client: Client, project: Project, listed: list[Threat], body: dict[str, object]
) -> None:
    existing = ControlFactory.create(project=project, title="WAF rule")
    foreign = ControlFactory.create(project=ProjectFactory.create(team=cast.team, name="Other"))
    if "control" in body:
        body = body | {
            "control": {"existing": existing.pk, "foreign": foreign.pk}.get(str(body["control"]), "")
        }
    controls_before = project.controls.count()
    response = engineer_client.post(url("threat_link_control", project, 2), body)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in html_of(response)
    assert not ThreatControl.objects.filter(threat=listed[1]).exists()
    assert project.controls.count() == controls_before


def test_linking_controls_is_for_the_owning_team_and_security_leads(
    cast: Cast,
    engineer_client: Client,
    viewer_client: Client,
    outsider_client: Client,
    project: Project,
    listed: list[Threat],
) -> None:
    control = ControlFactory.create(project=project)
    body = {"control": control.pk, "effectiveness": 50}
    assert engineer_client.get(url("threat_link_control", project, 2)).status_code == 405
    assert viewer_client.post(url("threat_link_control", project, 2), body).status_code == 403
    assert (
        signed_in(cast.other_engineer).post(url("threat_link_control", project, 2), body).status_code == 403
    )
    assert outsider_client.post(url("threat_link_control", project, 2), body).status_code == 404
    assert not ThreatControl.objects.filter(threat=listed[1]).exists()
