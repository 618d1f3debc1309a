"""An edit that lost a race merges links item by item: what the user added or removed is applied to the links
as the other person left them, so saving again keeps both people's changes."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from projects import workspace_services as services
from projects.models import Asset, Component, Project, Threat
from tests.conftest import Cast
from tests.factories import AssetFactory, ComponentFactory, ProjectFactory, ThreatFactory


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


@pytest.fixture
def assets(project: Project) -> dict[str, Asset]:
    return {
        name: AssetFactory.create(project=project, name=name) for name in ("Cards", "PII", "Keys", "Logs")
    }


def url(view: str, project: Project, *args: object) -> str:
    return reverse(view, args=[project.organisation.slug, project.pk, *args])


def component_body(component: Component, assets: list[Asset], version: int) -> dict[str, object]:
    return {
        "name": component.name,
        "kind": component.kind,
        "zone": "",
        "technology": component.technology,
        "description": component.description,
        "tags": "",
        "assets": [asset.pk for asset in assets],
        "version": version,
    }


def resubmitted(data: Any) -> dict[str, list[str]]:
    """The rebased form's data as the browser sends it again: every value of every field."""
    return dict(data.lists())


def names(objects: Any) -> set[str]:
    return {obj.name for obj in objects}


def test_both_peoples_additions_and_removals_of_assets_survive(
    cast: Cast, engineer_client: Client, project: Project, assets: dict[str, Asset]
) -> None:
    api = ComponentFactory.create(project=project, name="API")
    api.assets.set([assets["Cards"], assets["PII"]])
    # They add Keys and remove PII; I, from version 1, add Logs and remove Cards.
    services.component_update(
        membership=cast.membership(cast.security_lead),
        component=api,
        version=1,
        assets=[assets["Cards"], assets["Keys"]],
    )
    mine = component_body(api, [assets["PII"], assets["Logs"]], version=1)
    conflict = engineer_client.post(url("component_detail", project, api.pk), mine)
    assert conflict.status_code == 409
    rebased = conflict.context["form"].data
    assert {int(pk) for pk in rebased.getlist("assets")} == {assets["Keys"].pk, assets["Logs"].pk}
    again = engineer_client.post(url("component_detail", project, api.pk), resubmitted(rebased))
    assert again.status_code == 302
    assert names(Component.objects.get(pk=api.pk).assets.all()) == {"Keys", "Logs"}


def test_links_the_user_did_not_touch_take_the_other_persons_value_and_are_not_listed(
    cast: Cast, engineer_client: Client, project: Project, assets: dict[str, Asset]
) -> None:
    api = ComponentFactory.create(project=project, name="API", technology="Django")
    api.assets.set([assets["Cards"]])
    services.component_update(
        membership=cast.membership(cast.security_lead),
        component=api,
        version=1,
        assets=[assets["Cards"], assets["Keys"]],
    )
    mine = component_body(api, [assets["Cards"]], version=1) | {"technology": "Django 6"}
    conflict = engineer_client.post(url("component_detail", project, api.pk), mine)
    assert conflict.status_code == 409
    assert "Assets" not in {d.label for d in conflict.context["conflict"].differences}
    again = engineer_client.post(
        url("component_detail", project, api.pk), resubmitted(conflict.context["form"].data)
    )
    assert again.status_code == 302
    api.refresh_from_db()
    assert (api.technology, names(api.assets.all())) == ("Django 6", {"Cards", "Keys"})


def test_a_conflicting_link_change_is_shown_with_the_merged_value(
    cast: Cast, engineer_client: Client, project: Project, assets: dict[str, Asset]
) -> None:
    api = ComponentFactory.create(project=project, name="API")
    services.component_update(
        membership=cast.membership(cast.security_lead), component=api, version=1, assets=[assets["Keys"]]
    )
    conflict = engineer_client.post(
        url("component_detail", project, api.pk), component_body(api, [assets["Logs"]], version=1)
    )
    differences = {d.label: (d.theirs, d.yours) for d in conflict.context["conflict"].differences}
    assert differences["Assets"] == ("Keys", "Keys, Logs")


def test_a_threats_targets_merge_after_a_conflict(
    cast: Cast, engineer_client: Client, project: Project, assets: dict[str, Asset]
) -> None:
    web, api, db = (ComponentFactory.create(project=project, name=name) for name in ("Web", "API", "DB"))
    threat = ThreatFactory.create(project=project, threat_action="replay a payment request")
    threat.target_components.set([web, api])
    services.threat_update(
        membership=cast.membership(cast.security_lead),
        threat=threat,
        version=1,
        links=services.ThreatLinks(target_components=[web, api, db], impacted_assets=[assets["Cards"]]),
    )
    mine = {
        "threat_source": threat.threat_source,
        "threat_action": threat.threat_action,
        "target_components": [api.pk],  # I remove Web
        "status": threat.status,
        "version": 1,
    }
    conflict = engineer_client.post(url("threat_detail", project, threat.number), mine)
    assert conflict.status_code == 409
    again = engineer_client.post(
        url("threat_detail", project, threat.number), resubmitted(conflict.context["form"].data)
    )
    assert again.status_code == 302
    threat = Threat.objects.get(pk=threat.pk)
    assert names(threat.target_components.all()) == {"API", "DB"}
    assert names(threat.impacted_assets.all()) == {"Cards"}
