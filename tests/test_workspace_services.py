"""The services every workspace write goes through: permissions, validation, versions and history."""

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects import workspace_services as services
from projects.models import (
    Asset,
    ComponentKind,
    Control,
    ControlStatus,
    DataFlow,
    Project,
    Stride,
    Threat,
    ThreatControl,
    ThreatStatus,
)
from projects.threat_library import LIBRARY, Target, applicable
from projects.workspace_selectors import Seen, history_of
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
from tests.queries import count_queries


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


def test_long_text_is_held_to_its_length_by_the_service_too(cast: Cast, project: Project) -> None:
    """Django's TextField checks max_length only in forms; the services check it for every caller."""
    threat = ThreatFactory.create(project=project)
    lead = cast.membership(cast.security_lead)
    with pytest.raises(ValidationError) as error:
        services.threat_update(
            membership=lead, threat=threat, version=1, status="rejected", status_reason="x" * 2_001
        )
    assert error.value.message_dict["status_reason"] == [
        "Keep this to 2,000 characters or fewer (it has 2,001)."
    ]
    with pytest.raises(ValidationError) as error:
        services.component_create(
            membership=lead, project=project, name="API", kind=ComponentKind.PROCESS, description="x" * 5_001
        )
    assert list(error.value.message_dict) == ["description"]
    threat.refresh_from_db()
    assert (threat.status, threat.version, project.components.count()) == ("identified", 1, 0)


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


def statuses(project: Project) -> dict[int, str]:
    return dict(project.threats.values_list("number", "status"))


def test_a_bulk_status_change_saves_each_threat_with_the_version_seen(cast: Cast, project: Project) -> None:
    threats = ThreatFactory.create_batch(3, project=project)
    changed = services.threats_set_status(
        membership=cast.membership(cast.engineer),
        project=project,
        seen=[Seen(threat, 1) for threat in threats[:2]],
        status=ThreatStatus.CONFIRMED,
    )
    assert [threat.version for threat in changed] == [2, 2]
    assert statuses(project) == {1: "confirmed", 2: "confirmed", 3: "identified"}
    assert dict(project.threats.values_list("number", "version")) == {1: 2, 2: 2, 3: 1}
    events = pghistory.models.Events.objects.filter(pgh_label="updated", pgh_obj_model="projects.Threat")
    assert {event.pgh_context["user"] for event in events} == {cast.engineer.pk}


def test_a_bulk_status_change_is_all_or_nothing_and_names_every_changed_threat(
    cast: Cast, project: Project
) -> None:
    threats = ThreatFactory.create_batch(4, project=project)
    for threat in (threats[1], threats[3]):  # someone saved these since the list was shown
        Threat.objects.filter(pk=threat.pk).update(version=5)
    with pytest.raises(services.StaleObjects) as error:
        services.threats_set_status(
            membership=cast.membership(cast.engineer),
            project=project,
            seen=[Seen(threat, 1) for threat in Threat.objects.filter(project=project)],
            status=ThreatStatus.CONFIRMED,
        )
    assert str(error.value).startswith("T-2 and T-4 were changed or deleted by someone else")
    assert [(threat.number, threat.version) for threat in error.value.stale] == [(2, 5), (4, 5)]
    assert set(Threat.objects.values_list("status", flat=True)) == {ThreatStatus.IDENTIFIED}


def test_a_threat_changed_while_the_bulk_change_writes_undoes_it_all(cast: Cast, project: Project) -> None:
    """The versions are checked as read, and again by the write itself: a save in between is caught too."""
    threats = ThreatFactory.create_batch(3, project=project)
    seen = [Seen(threat, 1) for threat in threats]
    Threat.objects.filter(pk=threats[2].pk).update(version=2)  # after the read, before the write
    threats[2].version = 1  # as read
    with pytest.raises(services.StaleObjects) as error:
        services.threats_set_status(
            membership=cast.membership(cast.engineer), project=project, seen=seen, status="confirmed"
        )
    assert [threat.reference for threat in error.value.stale] == ["T-3"]
    assert error.value.stale[0].version == 2
    assert set(Threat.objects.values_list("status", flat=True)) == {ThreatStatus.IDENTIFIED}
    assert dict(project.threats.values_list("number", "version")) == {1: 1, 2: 1, 3: 2}


def test_a_deleted_threat_is_named_as_gone(cast: Cast, project: Project) -> None:
    threats = ThreatFactory.create_batch(2, project=project)
    seen = [Seen(threat, 1) for threat in threats]
    Threat.objects.filter(pk=threats[0].pk).delete()
    with pytest.raises(services.StaleObjects) as error:
        services.threats_set_status(
            membership=cast.membership(cast.engineer), project=project, seen=seen, status="confirmed"
        )
    assert [(threat.reference, threat.version) for threat in error.value.stale] == [("T-1", None)]
    assert statuses(project) == {2: "identified"}


def test_an_engineer_is_told_which_decided_threats_they_cannot_change(cast: Cast, project: Project) -> None:
    ThreatFactory.create(project=project)
    ThreatFactory.create(project=project, status=ThreatStatus.ACCEPTED)
    ThreatFactory.create(project=project, status=ThreatStatus.REJECTED, status_reason="Out of scope")
    with pytest.raises(services.DecidedThreats) as error:
        services.threats_set_status(
            membership=cast.membership(cast.engineer),
            project=project,
            seen=[Seen(threat, 1) for threat in project.threats.all()],
            status=ThreatStatus.CONFIRMED,
        )
    assert str(error.value) == "T-2 and T-3 are accepted or rejected; only a security lead can change them."
    assert statuses(project) == {1: "identified", 2: "accepted", 3: "rejected"}


@pytest.mark.parametrize(
    ("status", "reason", "field"),
    [
        ("closed", "", "status"),
        (ThreatStatus.REJECTED, "  ", "status_reason"),
        (ThreatStatus.ACCEPTED, "a\x00b", "status_reason"),
    ],
)
def test_a_bulk_change_runs_the_checks_of_a_single_save(
    cast: Cast, project: Project, status: str, reason: str, field: str
) -> None:
    threats = ThreatFactory.create_batch(2, project=project)
    with pytest.raises(ValidationError) as error:
        services.threats_set_status(
            membership=cast.membership(cast.security_lead),
            project=project,
            seen=[Seen(threat, 1) for threat in threats],
            status=status,
            reason=reason,
        )
    assert field in error.value.message_dict
    assert statuses(project) == {1: "identified", 2: "identified"}


def test_a_bulk_change_takes_only_threats_of_its_project(cast: Cast, project: Project) -> None:
    other = ThreatFactory.create(project=ProjectFactory.create(team=cast.team))
    with pytest.raises(ValidationError) as error:
        services.threats_set_status(
            membership=cast.membership(cast.engineer),
            project=project,
            seen=[Seen(other, 1)],
            status="confirmed",
        )
    assert "threats" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.threats_set_status(
            membership=cast.membership(cast.engineer), project=project, seen=[], status="confirmed"
        )
    assert Threat.objects.get(pk=other.pk).status == ThreatStatus.IDENTIFIED


def test_a_reopened_threat_loses_its_rejection_reason_in_bulk_and_alone(cast: Cast, project: Project) -> None:
    lead = cast.membership(cast.security_lead)
    first, second = (
        ThreatFactory.create(project=project, status=ThreatStatus.REJECTED, status_reason="Out of scope")
        for _ in range(2)
    )
    services.threats_set_status(
        membership=lead, project=project, seen=[Seen(first, 1)], status=ThreatStatus.CONFIRMED
    )
    services.threat_update(membership=lead, threat=second, version=1, status=ThreatStatus.IN_REVIEW)
    assert list(project.threats.values_list("status_reason", flat=True)) == ["", ""]


def test_a_reason_stays_while_its_decision_does_and_a_new_one_replaces_it(
    cast: Cast, project: Project
) -> None:
    lead = cast.membership(cast.security_lead)
    kept = ThreatFactory.create(project=project, status=ThreatStatus.ACCEPTED, status_reason="Low impact")
    moved = ThreatFactory.create(project=project, status=ThreatStatus.REJECTED, status_reason="Duplicate")
    services.threats_set_status(
        membership=lead, project=project, seen=[Seen(kept, 1), Seen(moved, 1)], status=ThreatStatus.ACCEPTED
    )
    assert dict(project.threats.values_list("number", "status_reason")) == {1: "Low impact", 2: ""}
    assert dict(project.threats.values_list("number", "version")) == {1: 1, 2: 2}  # T-1 did not change
    services.threat_update(membership=lead, threat=kept, version=1, threat_impact="less than feared")
    assert Threat.objects.get(pk=kept.pk).status_reason == "Low impact"
    services.threats_set_status(
        membership=lead,
        project=project,
        seen=[Seen(kept, 2), Seen(moved, 2)],
        status=ThreatStatus.ACCEPTED,
        reason=" Signed off by the CISO ",
    )
    assert set(project.threats.values_list("status_reason", flat=True)) == {"Signed off by the CISO"}


def test_a_reason_without_a_decision_is_not_kept(cast: Cast, project: Project) -> None:
    threat = services.threat_create(
        membership=cast.membership(cast.security_lead),
        project=project,
        threat_source="attacker",
        threat_action="guess a password",
        status_reason="left over",
    )
    assert threat.status_reason == ""


def test_a_bulk_change_costs_the_same_queries_for_one_threat_as_for_many(
    cast: Cast, project: Project
) -> None:
    lead = cast.membership(cast.security_lead)

    def change(count: int, status: str) -> int:
        seen = [Seen(threat, threat.version) for threat in project.threats.all()[:count]]
        return count_queries(
            lambda: services.threats_set_status(
                membership=lead, project=project, seen=seen, status=status, reason="Out of scope"
            )
        )

    ThreatFactory.create_batch(50, project=project)
    one = change(1, ThreatStatus.REJECTED)
    assert change(50, ThreatStatus.CONFIRMED) == one


def test_the_status_of_several_controls_changes_at_once(cast: Cast, project: Project) -> None:
    controls = ControlFactory.create_batch(3, project=project)
    Control.objects.filter(pk=controls[2].pk).update(version=3)
    engineer = cast.membership(cast.engineer)
    with pytest.raises(services.StaleObjects) as error:
        services.controls_set_status(
            membership=engineer, project=project, seen=[Seen(c, 1) for c in controls], status="planned"
        )
    assert str(error.value).startswith(f"“{controls[2].title}” was changed or deleted by someone else")
    assert set(Control.objects.values_list("status", flat=True)) == {"proposed"}
    services.controls_set_status(
        membership=engineer, project=project, seen=[Seen(c, 1) for c in controls[:2]], status="planned"
    )
    assert list(Control.objects.order_by("pk").values_list("status", "version")) == [
        ("planned", 2),
        ("planned", 2),
        ("proposed", 3),
    ]


def test_a_bulk_control_change_is_for_the_owning_team_and_checks_its_status(
    cast: Cast, project: Project
) -> None:
    control = ControlFactory.create(project=project)
    for member in (cast.viewer, cast.other_engineer):
        with pytest.raises(PermissionDenied):
            services.controls_set_status(
                membership=cast.membership(member), project=project, seen=[Seen(control, 1)], status="planned"
            )
    with pytest.raises(ValidationError) as error:
        services.controls_set_status(
            membership=cast.membership(cast.engineer), project=project, seen=[Seen(control, 1)], status="done"
        )
    assert "status" in error.value.message_dict
    assert Control.objects.get(pk=control.pk).status == "proposed"


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


def test_suggested_controls_are_linked_reusing_a_control_of_the_same_title(
    cast: Cast, project: Project
) -> None:
    component = ComponentFactory.create(project=project, kind=ComponentKind.PROCESS)
    entries = applicable(Target(kind="process"))[:3]
    existing = ControlFactory.create(
        project=project, title=entries[0].control.title.upper(), status=ControlStatus.IMPLEMENTED
    )
    review = services.library_suggestions_apply(
        membership=cast.membership(cast.engineer),
        project=project,
        keys=[entry.key for entry in entries],
        component=component,
        with_controls=True,
    )
    assert existing in review.controls
    for threat, entry in zip(review.created, entries, strict=True):
        link = threat.control_links.select_related("control").get()
        assert link.control.title.casefold() == entry.control.title.casefold()
        assert link.effectiveness == services.SUGGESTED_EFFECTIVENESS
    titles = {entry.control.title.casefold() for entry in entries}
    assert project.controls.count() == len(titles)  # one control per title, the existing one reused
    new = project.controls.exclude(pk=existing.pk)
    assert all(
        c.status == ControlStatus.PROPOSED and c.kind in {"preventive", "detective", "corrective"}
        for c in new
    )


def test_without_asking_no_controls_are_added(cast: Cast, project: Project) -> None:
    component = ComponentFactory.create(project=project, kind=ComponentKind.PROCESS)
    review = services.library_suggestions_apply(
        membership=cast.membership(cast.engineer),
        project=project,
        keys=[entry.key for entry in applicable(Target(kind="process"))[:2]],
        component=component,
    )
    assert (len(review.created), review.controls, project.controls.count()) == (2, [], 0)


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
            membership=cast.membership(cast.engineer),
            project=project,
            seen=[Seen(threat, 1)],
            status=ThreatStatus.CONFIRMED,
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
