"""Importing a model (projects.interop.services): a new project or a replaced one, all of it or nothing."""

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pghistory.models
import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from projects.interop import document as doc
from projects.interop.document import InvalidModelFile, ModelDocument
from projects.interop.formats import READERS, WRITERS, export, parse
from projects.interop.selectors import project_document
from projects.interop.services import model_import, model_preview
from projects.models import (
    Component,
    DataFlow,
    Project,
    Threat,
    ThreatControl,
    ThreatStatus,
    TrustZone,
)
from risks.models import BusinessRisk, Scenario
from tests.conftest import Cast
from tests.data import INTEROP_DATA
from tests.factories import ProjectFactory, ThreatFactory
from tests.queries import count_queries


def shop(threats: int = 2, name: str = "Shop") -> ModelDocument:
    """A small model with a part of every kind, nested zones, links and a warning."""
    document = ModelDocument(
        format="otm",
        name=name,
        description="The web shop.",
        zones=[
            doc.Zone("internet", "Internet", trust_level=0),
            doc.Zone("dc", "Data centre", trust_level=3),
            doc.Zone("dmz", "DMZ", trust_level=2, parent="dc"),
        ],
        assets=[doc.Asset("cards", "Card data", confidentiality=4)],
        components=[
            doc.Component("browser", "Browser", "actor", zone="internet"),
            doc.Component("web", "Web app", "process", zone="dmz", technology="Django", tags=["web"]),
            doc.Component("db", "Database", "data_store", zone="dc", assets=["cards"]),
        ],
        flows=[
            doc.Flow("f1", "Orders", "browser", "web", protocol="HTTPS", is_encrypted=True),
            doc.Flow("f2", "Queries", "web", "db", assets=["cards"]),
        ],
        threats=[
            doc.Threat(
                f"t{i}",
                "attacker",
                f"steal session {i}",
                stride=["S", "I"],
                impacted_goals=["confidentiality"],
                assets=["cards"],
                targets=["web", "f1"],
                likelihood="moderate",
            )
            for i in range(threats)
        ],
        controls=[doc.Control("c1", "Rotate sessions", status="implemented")],
        links=[doc.Link(f"t{i}", "c1", effectiveness=70) for i in range(threats)],
        notes=["Reviewed by the shop team."],
    )
    document.warn("project.owner", "the owner is not kept")
    return document


def counts_of_every_model() -> dict[str, int]:
    ours = [m for m in apps.get_models() if m._meta.app_label in ("projects", "risks", "reports")]
    return {m._meta.label: m._default_manager.count() for m in ours}


# Creating ------------------------------------------------------------------------------------------------


def test_it_creates_a_project_with_every_part(cast: Cast) -> None:
    result = model_import(membership=cast.membership(cast.engineer), team=cast.team, document=shop())

    project = result.project
    assert (project.name, project.team, project.description) == ("Shop", cast.team, "The web shop.")
    assert result.counts == {
        "zones": 3,
        "assets": 1,
        "components": 3,
        "flows": 2,
        "threats": 2,
        "controls": 1,
        "links": 2,
    }
    assert project.zones.get(name="DMZ").parent == project.zones.get(name="Data centre")
    web = project.components.get(name="Web app")
    assert (web.kind, web.zone, web.technology, web.tags) == (
        "process",
        project.zones.get(name="DMZ"),
        "Django",
        ["web"],
    )
    assert list(project.components.get(name="Database").assets.values_list("name", flat=True)) == [
        "Card data"
    ]
    flow = DataFlow.objects.get(project=project, name="Orders")
    assert (flow.source.name, flow.destination.name, flow.is_encrypted) == ("Browser", "Web app", True)
    threats = list(project.threats.order_by("number"))
    assert [t.number for t in threats] == [1, 2]
    assert threats[0].statement == (
        "An attacker can steal session 0, resulting in reduced confidentiality of Card data."
    )
    assert (threats[0].stride, threats[0].likelihood, threats[0].created_by) == (
        ["S", "I"],
        "moderate",
        cast.engineer,
    )
    assert list(threats[0].target_components.all()) == [web]
    assert list(threats[0].target_flows.all()) == [flow]
    assert [
        (link.control.title, link.effectiveness) for link in ThreatControl.objects.filter(threat=threats[0])
    ] == [("Rotate sessions", 70)]
    project.refresh_from_db()
    assert project.threat_counter == 2


def test_it_keeps_warnings_and_the_files_notes_in_the_projects_notes(cast: Cast) -> None:
    result = model_import(membership=cast.membership(cast.owner), team=cast.team, document=shop())

    assert result.warnings == ["project.owner: the owner is not kept"]
    result.project.refresh_from_db()
    assert "project.owner: the owner is not kept" in result.project.notes
    assert "Reviewed by the shop team." in result.project.notes


def test_the_summary_names_the_project_and_counts_its_parts(cast: Cast) -> None:
    result = model_import(membership=cast.membership(cast.owner), team=cast.team, document=shop())

    summary = result.summary()
    assert summary["project"] == {"id": result.project.pk, "name": "Shop", "team": "payments"}
    assert (summary["zones"], summary["components"], summary["flows"], summary["threats"]) == (3, 3, 2, 2)
    assert (summary["controls"], summary["warnings"]) == (1, ["project.owner: the owner is not kept"])


def test_history_names_the_member_who_imported(cast: Cast) -> None:
    result = model_import(membership=cast.membership(cast.engineer), team=cast.team, document=shop())

    events = pghistory.models.Events.objects.filter(pgh_label="created", pgh_obj_model="projects.Threat")
    assert events.count() == 2
    assert {event.pgh_context["user"] for event in events} == {cast.engineer.pk}
    assert pghistory.models.Events.objects.filter(
        pgh_obj_model="projects.Project", pgh_obj_id=result.project.pk
    ).exists()


def test_threat_numbers_continue_the_projects_counter_on_replace(cast: Cast) -> None:
    project = ProjectFactory.create(team=cast.team, name="Shop", threat_counter=9)

    model_import(membership=cast.membership(cast.owner), team=cast.team, document=shop(), replace=project)

    assert list(project.threats.values_list("number", flat=True).order_by("number")) == [10, 11]


def test_its_queries_do_not_grow_with_the_model(cast: Cast) -> None:
    membership = cast.membership(cast.owner)
    model_import(
        membership=membership, team=cast.team, document=shop(1, "Warm-up")
    )  # loads the membership's own

    small = count_queries(lambda: model_import(membership=membership, team=cast.team, document=shop(2, "A")))
    large = count_queries(
        lambda: model_import(membership=membership, team=cast.team, document=shop(200, "B"))
    )

    assert small == large


def test_repeated_names_get_a_number_with_a_warning(cast: Cast) -> None:
    document = shop()
    document.components.append(doc.Component("web2", "Web app", "process"))

    result = model_import(membership=cast.membership(cast.owner), team=cast.team, document=document)

    assert result.project.components.filter(name="Web app (2)").exists()
    assert any("also named “Web app”" in warning for warning in result.warnings)


# Decisions ----------------------------------------------------------------------------------------------


def rejected() -> ModelDocument:
    document = shop(1)
    document.threats[0].status = ThreatStatus.REJECTED
    document.threats[0].status_reason = "Sessions are not used."
    return document


def test_a_security_lead_imports_decided_threats_as_decided(cast: Cast) -> None:
    result = model_import(membership=cast.membership(cast.security_lead), team=cast.team, document=rejected())

    threat = result.project.threats.get()
    assert (threat.status, threat.status_reason) == ("rejected", "Sessions are not used.")


def test_an_engineers_decided_threats_wait_in_review_with_a_warning(cast: Cast) -> None:
    result = model_import(membership=cast.membership(cast.engineer), team=cast.team, document=rejected())

    threat = result.project.threats.get()
    assert (threat.status, threat.status_reason) == ("in_review", "")
    assert any("Sessions are not used." in w and "only a security lead" in w for w in result.warnings)


# Replacing ----------------------------------------------------------------------------------------------


def test_replace_keeps_the_project_and_replaces_its_parts(cast: Cast) -> None:
    project = ProjectFactory.create(team=cast.team, name="Old shop", description="old")
    old = ThreatFactory.create(project=project, number=1)
    TrustZone.objects.create(project=project, name="Old zone")

    result = model_import(
        membership=cast.membership(cast.engineer), team=cast.team, document=shop(), replace=project
    )

    assert result.project.pk == project.pk
    assert result.replaced
    project.refresh_from_db()
    assert (project.name, project.description, project.version) == ("Old shop", "The web shop.", 2)
    assert not Threat.objects.filter(pk=old.pk).exists()
    assert sorted(project.zones.values_list("name", flat=True)) == ["DMZ", "Data centre", "Internet"]
    assert project.threats.count() == 2


def test_replace_takes_a_new_name_when_given(cast: Cast) -> None:
    project = ProjectFactory.create(team=cast.team, name="Old shop")

    model_import(
        membership=cast.membership(cast.owner), team=cast.team, document=shop(), replace=project, name="New"
    )

    project.refresh_from_db()
    assert project.name == "New"


def test_replace_warns_of_the_scenarios_it_drops(cast: Cast) -> None:
    project = ProjectFactory.create(team=cast.team, name="Shop")
    threat = ThreatFactory.create(project=project, number=4)
    risk = BusinessRisk.objects.create(organisation=cast.organisation, number=2, title="Fines", impact="high")
    Scenario.objects.create(risk=risk, threat=threat)
    membership = cast.membership(cast.owner)

    preview = model_preview(membership=membership, team=cast.team, document=shop(), replace=project)
    result = model_import(membership=membership, team=cast.team, document=shop(), replace=project)

    assert [(loss.threat, loss.risks) for loss in preview.scenario_losses] == [("T-4", ["R-2"])]
    assert preview.dropping["threats"] == 1
    expected = "T-4 of the replaced project leads to R-2; replacing it drops those scenarios."
    assert expected in preview.warnings
    assert expected in result.warnings
    assert not Scenario.objects.exists()


def test_an_engineer_cannot_replace_another_teams_project(cast: Cast) -> None:
    project = ProjectFactory.create(team=cast.other_team, name="Shop")

    with pytest.raises(PermissionDenied):
        model_import(
            membership=cast.membership(cast.engineer), team=cast.team, document=shop(), replace=project
        )


def test_replace_refuses_a_project_of_another_organisation(cast: Cast) -> None:
    project = ProjectFactory.create(name="Shop")  # a team of an organisation of its own

    with pytest.raises(ValidationError) as refused:
        model_import(membership=cast.membership(cast.owner), team=cast.team, document=shop(), replace=project)

    assert "replace" in refused.value.message_dict


# Refusals -----------------------------------------------------------------------------------------------


def test_a_name_already_taken_is_refused_with_the_way_out(cast: Cast) -> None:
    ProjectFactory.create(team=cast.other_team, name="Shop")

    with pytest.raises(ValidationError) as refused:
        model_import(membership=cast.membership(cast.owner), team=cast.team, document=shop())

    assert refused.value.message_dict == {
        "name": [
            "A project named “Shop” already exists. Choose it to replace, or give this import another name."
        ]
    }


def test_another_name_avoids_the_clash(cast: Cast) -> None:
    ProjectFactory.create(team=cast.team, name="Shop")

    result = model_import(
        membership=cast.membership(cast.owner), team=cast.team, document=shop(), name="Shop 2"
    )

    assert result.project.name == "Shop 2"


def test_a_viewer_cannot_import(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        model_import(membership=cast.membership(cast.viewer), team=cast.team, document=shop())


def test_an_engineer_imports_only_into_their_own_team(cast: Cast) -> None:
    with pytest.raises(ValidationError) as refused:
        model_import(membership=cast.membership(cast.engineer), team=cast.other_team, document=shop())

    assert refused.value.message_dict == {"team": ["Choose one of your own teams."]}


def test_a_team_of_another_organisation_is_refused(cast: Cast) -> None:
    other = ProjectFactory.create().team

    with pytest.raises(ValidationError) as refused:
        model_import(membership=cast.membership(cast.owner), team=other, document=shop())

    assert "team" in refused.value.message_dict


def broken(document: ModelDocument) -> ModelDocument:
    document.threats[1].threat_action = ""
    document.threats[1].threat_source = "Steal session"
    document.components[0].kind = "robot"
    document.flows[1].destination = "nowhere"
    return document


def test_invalid_parts_are_named_and_nothing_is_written(cast: Cast) -> None:
    before = counts_of_every_model()

    with pytest.raises(InvalidModelFile) as refused:
        model_import(membership=cast.membership(cast.owner), team=cast.team, document=broken(shop()))

    message = str(refused.value)
    assert message.startswith("3 parts of the file are not valid:")
    assert "- components[0] (\"Browser\"): kind: Value 'robot' is not a valid choice." in message
    assert '- flows[1] ("Queries"): names components that the file does not hold: nowhere' in message
    assert '- threats[1] ("Steal session"): threat_action: This field cannot be blank.' in message
    assert counts_of_every_model() == before


def test_one_invalid_part_is_the_whole_message(cast: Cast) -> None:
    document = shop()
    document.controls[0].ticket_url = "not a url"

    with pytest.raises(InvalidModelFile) as refused:
        model_import(membership=cast.membership(cast.owner), team=cast.team, document=document)

    assert str(refused.value) == 'controls[0] ("Rotate sessions"): ticket_url: Enter a valid URL.'


def test_a_replace_that_fails_leaves_the_project_as_it_was(cast: Cast) -> None:
    project = ProjectFactory.create(team=cast.team, name="Shop")
    ThreatFactory.create(project=project, number=1)
    before = counts_of_every_model()

    with pytest.raises(InvalidModelFile):
        model_import(
            membership=cast.membership(cast.owner), team=cast.team, document=broken(shop()), replace=project
        )

    assert counts_of_every_model() == before
    assert project.threats.count() == 1


def zones_in_a_circle(document: ModelDocument) -> None:
    document.zones[0].parent = "dmz"  # the DMZ sits in the data centre, which sits in the internet
    document.zones[1].parent = "internet"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (zones_in_a_circle, "sits inside itself"),
        (lambda d: setattr(d.zones[0], "parent", "moon"), "sits inside a zone the file does not hold: moon"),
        (lambda d: setattr(d.flows[0], "destination", "browser"), "goes from a component to itself"),
        (
            lambda d: setattr(d.threats[0], "targets", ["mars"]),
            "names targets that the file does not hold: mars",
        ),
        (lambda d: setattr(d.links[0], "control", "c9"), "names a control that the file does not hold: c9"),
        (lambda d: setattr(d.components[1], "ref", "browser"), "its id “browser” is used by another"),
        (lambda d: setattr(d.threats[0], "stride", ["X"]), "stride: Item 1 in the array did not validate"),
        (lambda d: setattr(d.threats[0], "status", "rejected"), "Say why this threat is rejected"),
        (
            lambda d: setattr(d.links[0], "effectiveness", 120),
            "effectiveness: Ensure this value is less than",
        ),
        (lambda d: setattr(d.assets[0], "description", "x" * 2_001), "Keep this to 2,000 characters"),
        (lambda d: setattr(d.components[0], "name", "a\x00b"), "Remove the NUL character"),
    ],
)
def test_each_broken_reference_or_field_is_refused(
    cast: Cast, change: Callable[[ModelDocument], object], message: str
) -> None:
    document = shop()
    change(document)
    before = counts_of_every_model()

    with pytest.raises(InvalidModelFile, match=message):
        model_import(membership=cast.membership(cast.security_lead), team=cast.team, document=document)

    assert counts_of_every_model() == before


def test_a_file_with_no_component_and_no_threat_is_refused(cast: Cast) -> None:
    document = ModelDocument(format="otm", name="Empty", zones=[doc.Zone("z", "Zone")])

    with pytest.raises(InvalidModelFile, match="no component and no threat"):
        model_import(membership=cast.membership(cast.owner), team=cast.team, document=document)

    assert not Project.objects.filter(name="Empty").exists()


def test_a_nameless_model_needs_a_name(cast: Cast) -> None:
    with pytest.raises(ValidationError) as refused:
        model_import(membership=cast.membership(cast.owner), team=cast.team, document=shop(name=" "))

    assert "name" in refused.value.message_dict
    result = model_import(
        membership=cast.membership(cast.owner), team=cast.team, document=shop(name=" "), name="Named"
    )
    assert result.project.name == "Named"


# The preview --------------------------------------------------------------------------------------------


def test_the_preview_lists_what_would_be_written_and_writes_nothing(cast: Cast) -> None:
    before = counts_of_every_model()

    preview = model_preview(membership=cast.membership(cast.engineer), team=cast.team, document=shop())

    assert counts_of_every_model() == before
    assert (preview.name, preview.team, preview.replace) == ("Shop", cast.team, None)
    assert preview.counts["threats"] == 2
    assert preview.zones == ["Internet", "Data centre", "DMZ"]
    assert preview.components == ["Browser", "Web app", "Database"]
    assert preview.flows == ["Orders (Browser → Web app)", "Queries (Web app → Database)"]
    assert (
        preview.threats[0]
        == "An attacker can steal session 0, resulting in reduced confidentiality of Card data."
    )
    assert preview.controls == ["Rotate sessions"]
    assert preview.warnings == ["project.owner: the owner is not kept"]
    assert preview.notes == ["Reviewed by the shop team."]


def test_the_preview_refuses_what_the_import_would(cast: Cast) -> None:
    with pytest.raises(InvalidModelFile):
        model_preview(membership=cast.membership(cast.owner), team=cast.team, document=broken(shop()))
    with pytest.raises(PermissionDenied):
        model_preview(membership=cast.membership(cast.viewer), team=cast.team, document=shop())


def test_the_projects_component_rows_come_back_in_order(cast: Cast) -> None:
    result = model_import(membership=cast.membership(cast.owner), team=cast.team, document=shop())

    assert list(Component.objects.filter(project=result.project).values_list("name", flat=True)) == [
        "Browser",
        "Database",
        "Web app",
    ]


# Files of other tools -----------------------------------------------------------------------------------

DATA = INTEROP_DATA

# What each real file holds, counted by hand from the file (links: control-threat pairs).
EXPECTED = {
    "otm/EXAMPLE.json": {
        "zones": 2,
        "assets": 2,
        "components": 4,
        "flows": 2,
        "threats": 1,
        "controls": 2,
        "links": 1,
    },
    "threat-dragon/v2-threat-model.json": {
        "zones": 0,  # its three trust boundaries are lines, which enclose no area
        "assets": 0,
        "components": 7,
        "flows": 9,  # of ten: "Web Request" has an end connected to nothing
        "threats": 14,
        "controls": 12,
        "links": 14,
    },
    "threat-composer/ThreatComposer.tc.json": {
        "zones": 0,
        "assets": 7,  # the distinct impacted assets of its threats
        "components": 1,  # the application described, which every threat targets
        "flows": 0,
        "threats": 20,
        "controls": 18,
        "links": 32,  # of its 36 mitigation links, those whose threat is in the file
    },
    "threagile/threagile-example.yaml": {
        "zones": 5,  # its trust boundaries
        "assets": 12,  # its data assets
        "components": 14,  # its technical assets
        "flows": 20,  # its communication links
        "threats": 2,  # the individually identified risks of its one custom category
        "controls": 1,  # the category's mitigation
        "links": 2,
    },
}
FORMAT_OF = {"otm": "otm", "threat-dragon": "threat-dragon", "threat-composer": "threat-composer"}
LANDED = [path for path in EXPECTED if FORMAT_OF.get(path.split("/")[0], path.split("/")[0]) in READERS]


@pytest.mark.parametrize("path", LANDED)
def test_every_sample_file_imports_with_its_counts(cast: Cast, path: str) -> None:
    document = parse((DATA / path).read_bytes())

    result = model_import(membership=cast.membership(cast.security_lead), team=cast.team, document=document)

    assert result.counts == EXPECTED[path]
    project = result.project
    assert project.zones.count() == EXPECTED[path]["zones"]
    assert project.components.count() == EXPECTED[path]["components"]
    assert project.threats.count() == EXPECTED[path]["threats"]
    assert ThreatControl.objects.filter(control__project=project).count() == EXPECTED[path]["links"]
    assert result.warnings == [str(warning) for warning in document.warnings]


@pytest.mark.parametrize("path", LANDED)
def test_every_sample_file_is_told_by_its_content_and_read_as_named(path: str) -> None:
    data = (DATA / path).read_bytes()
    named = FORMAT_OF.get(path.split("/")[0], path.split("/")[0])

    assert parse(data).format == named
    assert parse(data, format=named).format == named


def test_a_file_of_no_format_we_read_is_refused_with_the_formats_we_do() -> None:
    with pytest.raises(InvalidModelFile) as refused:
        parse(b'{"hello": "world"}')

    assert "not in a format we read (Open Threat Model" in str(refused.value)


def test_a_named_format_that_does_not_fit_says_so() -> None:
    data = (DATA / "otm/EXAMPLE.json").read_bytes()

    with pytest.raises(InvalidModelFile, match="is not a format we read"):
        parse(data, format="visio")
    other = next((key for key in READERS if key != "otm"), None)
    if other is not None:
        with pytest.raises(InvalidModelFile, match=f"This file is not {READERS[other].LABEL}; it looks like"):
            parse(data, format=other)


def test_broken_json_is_refused_with_its_place() -> None:
    with pytest.raises(InvalidModelFile, match="line 1, column"):
        parse(b'{"otmVersion": "0.2.0", "project": ')


# Round trips through the database -----------------------------------------------------------------------


def parts(project: Project) -> dict[str, list[dict[str, object]]]:
    """A project's model by names and values, without ids, to compare two projects."""
    document = project_document(project)
    names = {zone.ref: zone.name for zone in document.zones}
    names |= {asset.ref: asset.name for asset in document.assets}
    names |= {component.ref: component.name for component in document.components}
    names |= {flow.ref: flow.name for flow in document.flows}
    names |= {control.ref: control.title for control in document.controls}
    names |= {threat.ref: threat.threat_action for threat in document.threats}

    def named(values: dict[str, object]) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in values.items():
            if key == "ref":
                continue
            if key in {"zone", "parent", "source", "destination", "threat", "control"}:
                value = names.get(str(value), value)
            elif key in {"assets", "targets"} and isinstance(value, list):
                value = sorted(names[ref] for ref in value)
            out[key] = value
        return out

    def rows(items: list[object]) -> list[dict[str, object]]:
        return sorted((named(vars(item)) for item in items), key=repr)

    return {
        "zones": rows(list(document.zones)),
        "assets": rows(list(document.assets)),
        "components": rows(list(document.components)),
        "flows": rows(list(document.flows)),
        "threats": rows(list(document.threats)),
        "controls": rows(list(document.controls)),
        "links": rows(list(document.links)),
    }


@pytest.mark.parametrize("format", list(WRITERS))
def test_export_and_import_again_gives_the_same_parts(cast: Cast, format: str) -> None:
    membership = cast.membership(cast.security_lead)
    document = shop(3)
    document.threats[1].status, document.threats[1].status_reason = "rejected", "Not reachable."
    document.threats[2].prerequisites = "with a stolen cookie"
    document.threats[2].threat_impact = "account takeover"
    original = model_import(membership=membership, team=cast.team, document=document).project

    exported = export(project_document(original), format)
    again = model_import(membership=membership, team=cast.team, document=parse(exported.data), name="Again")

    assert parse(exported.data).format == format
    assert kept_by(format, parts(again.project)) == kept_by(format, parts(original))


@pytest.mark.parametrize("format", list(WRITERS))
def test_a_sample_file_survives_export_and_import(cast: Cast, format: str) -> None:
    membership = cast.membership(cast.security_lead)
    first = model_import(
        membership=membership, team=cast.team, document=parse((DATA / "otm/EXAMPLE.json").read_bytes())
    ).project

    exported = export(project_document(first), format)
    again = model_import(membership=membership, team=cast.team, document=parse(exported.data), name="Again")

    assert kept_by(format, parts(again.project)) == kept_by(format, parts(first))


# threat-composer has no zones, components or flows (the import makes one component of the application), so
# what goes round is the threats (with the names of the assets they impact), the controls and the links.
THREATS_ONLY = {"threat-composer"}


def kept_by(format: str, parts: dict[str, list[dict[str, object]]]) -> dict[str, list[dict[str, object]]]:
    """The parts of a project that an export to the format keeps, as `parts` gives them."""
    if format in THREATS_ONLY:
        threats = [{k: v for k, v in threat.items() if k != "targets"} for threat in parts["threats"]]
        return {"threats": threats, "controls": parts["controls"], "links": parts["links"]}
    return parts


def test_the_document_of_a_project_is_read_in_a_fixed_number_of_queries(cast: Cast) -> None:
    membership = cast.membership(cast.owner)
    one = model_import(membership=membership, team=cast.team, document=shop(1, "One")).project
    fifty = model_import(membership=membership, team=cast.team, document=shop(50, "Fifty")).project

    assert (
        count_queries(lambda: project_document(one)) == count_queries(lambda: project_document(fifty)) == 12
    )
    assert len(project_document(fifty).threats) == 50


# The import_model command -------------------------------------------------------------------------------


def import_command(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("import_model", *args, stdout=out)
    summary: dict[str, Any] = json.loads(out.getvalue())
    return summary


def test_the_command_imports_into_the_first_team_as_the_first_owner(cast: Cast) -> None:
    summary = import_command("--org", "acme", str(DATA / "otm/EXAMPLE.json"))

    project = Project.objects.get(pk=summary["project"]["id"])
    assert (project.name, project.team) == ("Test project", cast.team)  # Payments was made first
    assert {key: summary[key] for key in ("zones", "components", "flows", "threats", "controls")} == {
        "zones": 2,
        "components": 4,
        "flows": 2,
        "threats": 1,
        "controls": 2,
    }
    assert "project.owner: The project's owner “John Doe” is not kept." in summary["warnings"]
    assert project.threats.get().created_by == cast.owner


def test_the_command_takes_a_team_a_format_and_a_name(cast: Cast) -> None:
    summary = import_command(
        "--org",
        "acme",
        "--team",
        "platform",
        "--format",
        "threat-dragon",
        "--name",
        "Demo",
        str(DATA / "threat-dragon/v2-threat-model.json"),
    )

    assert summary["project"] == {"id": summary["project"]["id"], "name": "Demo", "team": "platform"}
    assert summary["threats"] == 14


def test_the_command_replaces_a_project(cast: Cast) -> None:
    project = ProjectFactory.create(team=cast.team, name="Shop")
    ThreatFactory.create(project=project, number=1)

    summary = import_command("--org", "acme", "--replace", str(project.pk), str(DATA / "otm/EXAMPLE.json"))

    assert summary["project"]["id"] == project.pk
    assert summary["replaced"] is True
    assert project.threats.get().threat_action.startswith("Threat 1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nowhere", "x.json"], "There is no organisation “nowhere”."),
        (["--org", "acme", "--team", "ops", "x.json"], "has no team “ops” (its teams: payments, platform)."),
        (["--org", "acme", "--replace", "999999", "x.json"], "Acme Payments has no project 999999."),
        (
            ["--org", "acme", "/no/such/file.json"],
            "Cannot read /no/such/file.json: No such file or directory.",
        ),
    ],
)
def test_the_command_refuses_what_it_cannot_find(cast: Cast, args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("import_model", *args, stdout=StringIO())

    assert message in str(refused.value)


def test_the_command_refuses_a_bad_file_with_the_place_and_writes_nothing(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"otmVersion": "0.2.0", "project": {"name": "X", "id": "x"}, "trustZones": [')
    before = counts_of_every_model()

    with pytest.raises(CommandError) as refused:
        call_command("import_model", "--org", "acme", str(path), stdout=StringIO())

    assert str(refused.value).startswith(f"{path}: line 1, column")
    assert counts_of_every_model() == before


def test_the_command_refuses_a_name_already_taken(cast: Cast) -> None:
    ProjectFactory.create(team=cast.team, name="Test project")

    with pytest.raises(CommandError, match="name: A project named “Test project” already exists"):
        call_command("import_model", "--org", "acme", str(DATA / "otm/EXAMPLE.json"), stdout=StringIO())


def test_the_command_refuses_a_format_that_does_not_fit(cast: Cast) -> None:
    with pytest.raises(CommandError, match="is not AWS threat-composer; it looks like Open Threat Model"):
        call_command(
            "import_model",
            "--org",
            "acme",
            "--format",
            "threat-composer",
            str(DATA / "otm/EXAMPLE.json"),
            stdout=StringIO(),
        )
