"""The services every workspace write goes through: permissions, validation, versions and history."""

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects import workspace_services as services
from projects.models import (
    Asset,
    ComponentKind,
    DataFlow,
    Project,
    Stride,
    Threat,
    ThreatControl,
    ThreatStatus,
)
from projects.threat_library import LIBRARY, Target, applicable
from projects.workspace_selectors import history_of
from tests.conftest import Cast
from tests.factories import (
    AssetFactory,
    ComponentFactory,
    ControlFactory,
    DataFlowFactory,
    ProjectFactory,
    ThreatFactory,
    TrustZoneFactory,
)


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


def test_an_engineer_creates_a_project_for_their_own_team(cast: Cast) -> None:
    project = services.project_create(
        membership=cast.membership(cast.engineer), team=cast.team, name="  Checkout  "
    )
    assert project.name == "Checkout"
    assert project.organisation == cast.organisation
    assert project.version == 1


def test_an_engineer_cannot_create_a_project_for_another_team(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        services.project_create(membership=cast.membership(cast.engineer), team=cast.other_team, name="X")
    assert "team" in error.value.message_dict
    assert not Project.objects.exists()


def test_a_viewer_cannot_create_a_project(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        services.project_create(membership=cast.membership(cast.viewer), team=cast.team, name="X")


def test_a_duplicate_project_name_is_a_field_error(cast: Cast, project: Project) -> None:
    with pytest.raises(ValidationError) as error:
        services.project_create(membership=cast.membership(cast.owner), team=cast.team, name="Checkout")
    assert "name" in error.value.message_dict


def test_engineers_of_other_teams_cannot_edit(cast: Cast, project: Project) -> None:
    assert services.can_edit_project(cast.membership(cast.engineer), project)
    assert services.can_edit_project(cast.membership(cast.security_lead), project)
    assert not services.can_edit_project(cast.membership(cast.other_engineer), project)
    assert not services.can_edit_project(cast.membership(cast.viewer), project)
    with pytest.raises(PermissionDenied):
        services.zone_create(membership=cast.membership(cast.other_engineer), project=project, name="DMZ")


def test_a_stale_version_is_refused_and_changes_nothing(cast: Cast, project: Project) -> None:
    lead = cast.membership(cast.security_lead)
    services.project_update(membership=lead, project=project, version=1, name="Checkout v2")
    stale = Project.objects.get(pk=project.pk)
    stale.version = 1
    with pytest.raises(services.EditConflict) as error:
        services.project_update(membership=lead, project=stale, version=1, name="Checkout v3")
    assert isinstance(error.value.current, Project)
    assert error.value.current.name == "Checkout v2"
    assert Project.objects.get(pk=project.pk).name == "Checkout v2"
    assert Project.objects.get(pk=project.pk).version == 2


def test_deleting_a_deleted_object_is_a_conflict_without_current(cast: Cast, project: Project) -> None:
    zone = TrustZoneFactory.create(project=project)
    lead = cast.membership(cast.security_lead)
    services.zone_delete(membership=lead, zone=zone, version=1)
    with pytest.raises(services.EditConflict) as error:
        services.zone_delete(membership=lead, zone=zone, version=1)
    assert error.value.current is None


def test_nul_bytes_and_oversized_text_are_field_errors(cast: Cast, project: Project) -> None:
    engineer = cast.membership(cast.engineer)
    with pytest.raises(ValidationError) as error:
        services.component_create(
            membership=engineer,
            project=project,
            name="API\x00",
            kind=ComponentKind.PROCESS,
            technology="x" * 201,
        )
    assert set(error.value.message_dict) >= {"name", "technology"}
    assert not project.components.exists()


def test_an_unknown_component_kind_is_a_field_error(cast: Cast, project: Project) -> None:
    with pytest.raises(ValidationError) as error:
        services.component_create(
            membership=cast.membership(cast.engineer), project=project, name="A", kind="robot"
        )
    assert "kind" in error.value.message_dict


def test_a_flow_between_components_of_two_projects_is_refused(cast: Cast, project: Project) -> None:
    other = ProjectFactory.create(team=cast.team)
    source = ComponentFactory.create(project=project)
    foreign = ComponentFactory.create(project=other)
    with pytest.raises(ValidationError) as error:
        services.flow_create(
            membership=cast.membership(cast.engineer),
            project=project,
            source=source,
            destination=foreign,
            name="x",
        )
    assert "destination" in error.value.message_dict
    assert not DataFlow.objects.exists()


def test_a_flow_crosses_a_boundary_when_its_ends_sit_in_different_zones(cast: Cast, project: Project) -> None:
    internet, internal = TrustZoneFactory.create(project=project), TrustZoneFactory.create(project=project)
    browser = ComponentFactory.create(project=project, zone=internet, kind=ComponentKind.ACTOR)
    api = ComponentFactory.create(project=project, zone=internal)
    db = ComponentFactory.create(project=project, zone=internal, kind=ComponentKind.DATA_STORE)
    loose = ComponentFactory.create(project=project)
    flows = {
        name: DataFlowFactory.create(project=project, source=source, destination=destination, name=name)
        for name, source, destination in [("in", browser, api), ("inside", api, db), ("loose", api, loose)]
    }
    crossing = {flow.name: flow.crosses_boundary for flow in DataFlow.objects.with_boundary()}
    assert crossing == {"in": True, "inside": False, "loose": True}
    assert flows["in"].crosses_boundary
    assert not flows["inside"].crosses_boundary


def test_a_zone_cannot_sit_inside_itself(cast: Cast, project: Project) -> None:
    outer = TrustZoneFactory.create(project=project)
    inner = TrustZoneFactory.create(project=project, parent=outer)
    with pytest.raises(ValidationError) as error:
        services.zone_update(membership=cast.membership(cast.engineer), zone=outer, version=1, parent=inner)
    assert "parent" in error.value.message_dict


def test_threats_are_numbered_per_project_and_numbers_are_not_reused(cast: Cast, project: Project) -> None:
    engineer = cast.membership(cast.engineer)
    first = services.threat_create(
        membership=engineer,
        project=project,
        threat_source="external attacker",
        threat_action="replay a token",
    )
    services.threat_delete(membership=engineer, threat=first, version=1)
    second = services.threat_create(
        membership=engineer, project=project, threat_source="insider", threat_action="read the ledger"
    )
    other_project = ProjectFactory.create(team=cast.team)
    elsewhere = services.threat_create(
        membership=engineer, project=other_project, threat_source="insider", threat_action="read the ledger"
    )
    assert (first.reference, second.reference, elsewhere.reference) == ("T-1", "T-2", "T-1")


def test_a_threat_reads_as_one_sentence(cast: Cast, project: Project) -> None:
    threat = services.threat_create(
        membership=cast.membership(cast.engineer),
        project=project,
        threat_source="external attacker",
        prerequisites="with a stolen session cookie",
        threat_action="impersonate a customer",
        threat_impact="fraudulent payments",
        impacted_goals=["confidentiality", "integrity"],
        links=services.ThreatLinks(impacted_asset_names=["card data", "customer PII"]),
    )
    assert threat.statement == (
        "An external attacker with a stolen session cookie can impersonate a customer, which leads to "
        "fraudulent payments, resulting in reduced confidentiality and integrity of card data and customer PII."
    )


def test_typed_asset_names_become_assets_once(cast: Cast, project: Project) -> None:
    AssetFactory.create(project=project, name="Card data")
    engineer = cast.membership(cast.engineer)
    for action in ("skim cards", "dump cards"):
        services.threat_create(
            membership=engineer,
            project=project,
            threat_source="attacker",
            threat_action=action,
            links=services.ThreatLinks(impacted_asset_names=["card data", "Ledger", " ledger "]),
        )
    assert sorted(Asset.objects.filter(project=project).values_list("name", flat=True)) == [
        "Card data",
        "Ledger",
    ]


def test_an_unknown_stride_letter_is_a_field_error_and_nothing_is_written(
    cast: Cast, project: Project
) -> None:
    with pytest.raises(ValidationError) as error:
        services.threat_create(
            membership=cast.membership(cast.engineer),
            project=project,
            threat_source="attacker",
            threat_action="x",
            stride=["S", "Q"],
            links=services.ThreatLinks(impacted_asset_names=["would be created"]),
        )
    assert "stride" in error.value.message_dict
    assert not Threat.objects.exists()
    assert not Asset.objects.exists()


def test_a_target_from_another_project_is_refused_before_anything_is_written(
    cast: Cast, project: Project
) -> None:
    foreign = ComponentFactory.create(project=ProjectFactory.create(team=cast.team))
    with pytest.raises(ValidationError) as error:
        services.threat_create(
            membership=cast.membership(cast.engineer),
            project=project,
            threat_source="attacker",
            threat_action="x",
            links=services.ThreatLinks(
                target_components=[foreign], impacted_asset_names=["would be created"]
            ),
        )
    assert "target_components" in error.value.message_dict
    assert not Threat.objects.exists()
    assert not Asset.objects.exists()


def test_only_security_leads_accept_or_reject_threats(cast: Cast, project: Project) -> None:
    threat = ThreatFactory.create(project=project)
    with pytest.raises(PermissionDenied):
        services.threat_update(
            membership=cast.membership(cast.engineer), threat=threat, version=1, status=ThreatStatus.ACCEPTED
        )
    services.threat_update(
        membership=cast.membership(cast.security_lead), threat=threat, version=1, status=ThreatStatus.ACCEPTED
    )
    assert Threat.objects.get(pk=threat.pk).status == ThreatStatus.ACCEPTED


def test_rejecting_needs_a_reason(cast: Cast, project: Project) -> None:
    threat = ThreatFactory.create(project=project)
    with pytest.raises(ValidationError):
        services.threat_update(
            membership=cast.membership(cast.security_lead),
            threat=threat,
            version=1,
            status=ThreatStatus.REJECTED,
        )


def test_a_bulk_status_change_is_all_or_nothing(cast: Cast, project: Project) -> None:
    threats = [ThreatFactory.create(project=project) for _ in range(3)]
    Threat.objects.filter(pk=threats[2].pk).update(version=5)  # someone saved the last one meanwhile
    with pytest.raises(services.EditConflict):
        services.threats_set_status(
            membership=cast.membership(cast.engineer), threats=threats, status=ThreatStatus.CONFIRMED
        )
    assert set(Threat.objects.values_list("status", flat=True)) == {ThreatStatus.IDENTIFIED}


def test_effectiveness_must_be_a_percentage(cast: Cast, project: Project) -> None:
    threat, control = ThreatFactory.create(project=project), ControlFactory.create(project=project)
    with pytest.raises(ValidationError) as error:
        services.control_link(
            membership=cast.membership(cast.engineer), control=control, threat=threat, effectiveness=150
        )
    assert "effectiveness" in error.value.message_dict
    assert not ThreatControl.objects.exists()


def test_a_control_links_to_many_threats(cast: Cast, project: Project) -> None:
    engineer = cast.membership(cast.engineer)
    control = ControlFactory.create(project=project)
    for effectiveness in (30, 90):
        services.control_link(
            membership=engineer,
            control=control,
            threat=ThreatFactory.create(project=project),
            effectiveness=effectiveness,
        )
    assert sorted(control.threat_links.values_list("effectiveness", flat=True)) == [30, 90]
    linked = control.threats.first()
    assert linked is not None
    with pytest.raises(ValidationError):
        services.control_link(membership=engineer, control=control, threat=linked, effectiveness=10)


def test_library_threats_are_created_once_per_target(cast: Cast, project: Project) -> None:
    component = ComponentFactory.create(project=project, kind=ComponentKind.PROCESS)
    keys = [item.key for item in applicable(Target(kind="process"))][:3]
    engineer = cast.membership(cast.engineer)
    created = services.library_threats_create(
        membership=engineer, project=project, keys=keys, component=component
    )
    again = services.library_threats_create(
        membership=engineer, project=project, keys=keys, component=component
    )
    assert len(created) == 3
    assert again == []
    assert all(list(threat.target_components.all()) == [component] for threat in created)
    assert {threat.library_key for threat in created} == set(keys)
    assert all(set(threat.stride) <= set(Stride.values) for threat in created)


def test_an_unknown_library_key_is_a_field_error(cast: Cast, project: Project) -> None:
    component = ComponentFactory.create(project=project)
    with pytest.raises(ValidationError) as error:
        services.library_threats_create(
            membership=cast.membership(cast.engineer),
            project=project,
            keys=["no-such-entry"],
            component=component,
        )
    assert "keys" in error.value.message_dict
    assert LIBRARY  # the library ships with the product


def test_history_records_who_changed_what(cast: Cast, project: Project) -> None:
    lead = cast.membership(cast.security_lead)
    services.project_update(membership=lead, project=project, version=1, description="Takes card payments")
    changes = history_of(project)
    assert changes[0].label == "updated"
    assert changes[0].who == cast.security_lead.display_name
    assert changes[0].diff["description"] == ("", "Takes card payments")


def test_bulk_updates_cannot_bypass_the_history(cast: Cast, project: Project) -> None:
    ThreatFactory.create(project=project)
    before = pghistory.models.Events.objects.count()
    Threat.objects.filter(project=project).update(threat_impact="written behind the application's back")
    assert pghistory.models.Events.objects.count() == before + 1
    latest = pghistory.models.Events.objects.order_by("-pgh_created_at").first()
    assert latest is not None
    assert latest.pgh_label == "updated"


def test_link_changes_are_in_the_threat_history(cast: Cast, project: Project) -> None:
    threat = ThreatFactory.create(project=project)
    component = ComponentFactory.create(project=project)
    services.threat_update(
        membership=cast.membership(cast.engineer),
        threat=threat,
        version=1,
        links=services.ThreatLinks(target_components=[component]),
    )
    assert "linked" in {change.label for change in history_of(threat)}


def test_only_security_leads_reopen_an_accepted_threat(cast: Cast, project: Project) -> None:
    threat = ThreatFactory.create(project=project, status=ThreatStatus.ACCEPTED)
    with pytest.raises(PermissionDenied):
        services.threat_update(
            membership=cast.membership(cast.engineer),
            threat=threat,
            version=1,
            status=ThreatStatus.IDENTIFIED,
        )
    with pytest.raises(PermissionDenied):
        services.threats_set_status(
            membership=cast.membership(cast.engineer), threats=[threat], status=ThreatStatus.CONFIRMED
        )
    services.threat_update(
        membership=cast.membership(cast.security_lead),
        threat=threat,
        version=1,
        status=ThreatStatus.CONFIRMED,
    )
    assert Threat.objects.get(pk=threat.pk).status == ThreatStatus.CONFIRMED


def test_engineers_cannot_rewrite_or_delete_a_decided_threat(cast: Cast, project: Project) -> None:
    threat = ThreatFactory.create(project=project, status=ThreatStatus.ACCEPTED)
    engineer = cast.membership(cast.engineer)
    with pytest.raises(PermissionDenied):
        services.threat_update(membership=engineer, threat=threat, version=1, threat_impact="nothing much")
    with pytest.raises(PermissionDenied):
        services.threat_delete(membership=engineer, threat=threat, version=1)
    services.threat_update(membership=engineer, threat=threat, version=1, owner=cast.engineer)
    assert Threat.objects.get(pk=threat.pk).owner == cast.engineer


def test_a_library_entry_that_does_not_apply_to_the_target_is_refused(cast: Cast, project: Project) -> None:
    actor = ComponentFactory.create(project=project, kind=ComponentKind.ACTOR)
    flow_only = next(item for item in LIBRARY if "flow" in item.conditions.targets)
    with pytest.raises(ValidationError) as error:
        services.library_threats_create(
            membership=cast.membership(cast.engineer), project=project, keys=[flow_only.key], component=actor
        )
    assert "keys" in error.value.message_dict
    assert not Threat.objects.exists()
