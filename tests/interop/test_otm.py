"""Open Threat Model files in both shapes read into a model document; the export validates and reads back the same."""

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from projects.interop import otm
from projects.interop.document import (
    MAX_PARTS,
    Asset,
    Component,
    Control,
    Flow,
    InvalidModelFile,
    Link,
    ModelDocument,
    Threat,
    Zone,
)
from projects.interop.loading import load_any, load_json, load_yaml
from tests.data import INTEROP_DATA

DATA = INTEROP_DATA
FILES = Path(__file__).parent / "files" / "otm"
EXAMPLE = DATA / "otm" / "EXAMPLE.json"
SCHEMA = json.loads((DATA / "otm" / "otm_schema.json").read_text())


def loaded(path: Path) -> Any:
    return load_any(path.read_bytes())


def by_ref(parts: list[Any]) -> dict[str, Any]:
    return {part.ref: part for part in parts}


def messages(document: ModelDocument) -> list[str]:
    return [str(warning) for warning in document.warnings]


def refused(data: Any) -> InvalidModelFile:
    with pytest.raises(InvalidModelFile) as caught:
        otm.read(data)
    return caught.value


def minimal(**sections: Any) -> dict[str, Any]:
    """A valid 0.2 file with one zone and two components, with ``sections`` replacing or adding keys."""
    data: dict[str, Any] = {
        "otmVersion": "0.2.0",
        "project": {"name": "Small", "id": "small"},
        "trustZones": [{"id": "z", "name": "Zone", "risk": {"trustRating": 50}}],
        "components": [
            {"id": "a", "name": "A", "type": "web-service", "parent": {"trustZone": "z"}},
            {"id": "b", "name": "B", "type": "database", "parent": {"trustZone": "z"}},
        ],
        "dataflows": [],
        "threats": [],
        "mitigations": [],
    }
    data.update(sections)
    return data


# The specification's example ---------------------------------------------------------------------------------------


def test_the_specification_example_imports_every_part_it_holds() -> None:
    data = json.loads(EXAMPLE.read_text())
    document = otm.read(data)

    # Counted from the file itself, and as read by hand: 2 zones, 2 assets, 4 components, 2 flows, 1 threat,
    # 2 mitigations, and one threat-mitigation pair (listed twice, on a component and on a flow).
    assert len(document.zones) == len(data["trustZones"]) == 2
    assert len(document.assets) == len(data["assets"]) == 2
    assert len(document.components) == len(data["components"]) == 4
    assert len(document.flows) == len(data["dataflows"]) == 2
    assert len(document.threats) == len(data["threats"]) == 1
    assert len(document.controls) == len(data["mitigations"]) == 2
    pairs = {
        (instance["threat"], mitigation["mitigation"])
        for part in data["components"] + data["dataflows"]
        for instance in part.get("threats") or []
        for mitigation in instance.get("mitigations") or []
    }
    assert {(link.threat, link.control) for link in document.links} == pairs
    assert len(pairs) == 1


def test_the_specification_example_maps_each_field() -> None:
    document = otm.read(loaded(EXAMPLE))

    zones = {zone.name: zone for zone in document.zones}
    assert zones["Internet"].trust_level == 1  # trustRating 20
    assert zones["Private"].trust_level == 4  # trustRating 100
    components = {component.name: component for component in document.components}
    assert components["Web Client"].kind == "actor"
    assert components["Web Service"].kind == "process"
    assert components["Customer Database"].kind == "data_store"
    assert components["Class CustomerDatabase"].kind == "process"
    assert components["Web Service"].technology == "web-service"
    assert components["Web Service"].tags == ["tomcat"]
    assert components["Web Service"].assets == ["cc-data", "public-info"]
    assert components["Web Client"].zone == "f0ba7722-39b6-4c81-8290-a30a248bb8d9"
    assets = {asset.name: asset for asset in document.assets}
    card, public = assets["Credit Card Data"], assets["Public Info"]
    assert (card.confidentiality, card.integrity, card.availability) == (4, 4, 4)
    assert (public.confidentiality, public.integrity, public.availability) == (1, 4, 2)
    assert (card.classification, public.classification) == ("restricted", "public")
    flow = by_ref(document.flows)["cc-store-in-db"]
    assert (flow.source, flow.destination, flow.assets) == ("web-service", "customer-database", ["cc-data"])

    (threat,) = document.threats
    assert threat.threat_source == "attacker"
    assert threat.threat_action == "Threat 1: Description fo the threat number 1"
    assert threat.threat_impact.startswith("If this threat becomes a rallity")
    assert threat.stride == ["S", "T"]
    assert threat.likelihood == "moderate"  # 50
    assert threat.status == "identified"  # exposed everywhere
    assert threat.targets == ["web-service", "cc-store-in-db"]
    controls = {control.title: control for control in document.controls}
    # Implemented on the web service, required on the flow: the least advanced of the two.
    assert controls["This is the name of mitigation 1"].status == "planned"
    assert controls["Mitigation 2"].status == "proposed"
    (link,) = document.links
    assert link.effectiveness == 50  # its riskReduction


def test_the_specification_example_says_what_it_does_not_keep() -> None:
    document = otm.read(loaded(EXAMPLE))

    said = messages(document)
    assert "project.owner: The project's owner “John Doe” is not kept." in said
    assert any(m.startswith("representations: The file's 2 representations") for m in said)
    assert any(m.startswith("dataflows[0].bidirectional:") for m in said)
    assert any("CWE-79, CWE-787" in m for m in said)
    assert any(m.startswith("mitigations[1]:") and "not applied to any threat" in m for m in said)
    assert any("“implemented” and “required”" in m for m in said)
    # The texts a person wrote with no field of ours stay in the notes.
    assert any("We have decided that the values are a 100" in note for note in document.notes)
    assert any("deep cyprografy knowledge" in note for note in document.notes)


# Other shapes --------------------------------------------------------------------------------------------------------


def test_the_older_shape_reads_by_its_keys() -> None:
    document = otm.read(loaded(FILES / "old-shape.json"))

    assert [zone.name for zone in document.zones] == ["Internet", "Private network"]
    assert [zone.trust_level for zone in document.zones] == [0, 4]  # ratings 10 and 90
    components = by_ref(document.components)
    assert components["shopper"].zone == "internet"  # a plain-string parent naming a zone
    assert components["ledger"].kind == "data_store"  # postgresql
    assert components["api"].assets == ["card"]  # assets as a plain list of ids
    flows = by_ref(document.flows)
    assert (flows["pay"].source, flows["pay"].destination) == ("shopper", "api")  # from/to
    assert (flows["store"].source, flows["store"].destination) == ("pool", "ledger")
    threats = by_ref(document.threats)
    assert threats["spoof"].targets == ["pay"]
    assert (threats["spoof"].likelihood, threats["spoof"].status) == ("high", "identified")
    assert threats["tamper"].stride == ["T", "I"]
    assert (threats["tamper"].likelihood, threats["tamper"].status) == ("low", "mitigated")
    assert document.controls[0].status == "implemented"
    assert [asdict(link) for link in document.links] == [
        {"threat": "tamper", "control": "sign", "effectiveness": 80}
    ]


def test_a_component_inside_a_component_is_kept_in_its_parents_zone_and_tagged() -> None:
    document = otm.read(loaded(FILES / "old-shape.json"))

    pool = by_ref(document.components)["pool"]
    assert pool.zone == "private"
    assert pool.tags == ["part of Payments API"]
    assert any(
        m.startswith("components[2].parent:") and "sits inside “Payments API”" in m
        for m in messages(document)
    )


def test_a_file_declaring_0_2_with_the_older_keys_reads_by_its_keys() -> None:
    data = loaded(FILES / "declares-0.2-with-old-keys.json")
    assert data["otmVersion"] == "0.2.0"

    document = otm.read(data)

    assert document.counts() == {
        "zones": 1,
        "assets": 0,
        "components": 3,
        "flows": 2,
        "threats": 1,
        "controls": 0,
    }
    assert {component.zone for component in document.components} == {"cloud"}
    assert by_ref(document.components)["smtp"].kind == "external_service"
    assert document.threats[0].stride == ["D"]
    assert document.threats[0].targets == []


def test_yaml_in_the_specifications_own_example_shapes_reads() -> None:
    document = otm.read(load_yaml((FILES / "spec-example-shape.yaml").read_bytes()))

    zones = by_ref(document.zones)
    assert zones["app"].parent == "dc"
    assert [zone.trust_level for zone in document.zones] == [0, 3, 2]
    components = by_ref(document.components)
    assert components["browser"].zone == "internet"  # parent {id, type: trustZone}
    assert components["browser"].kind == "actor"
    assert components["session-store"].zone == "app"  # inside the portal, which is in the application tier
    assert components["session-store"].kind == "data_store"
    assert components["session-store"].tags == ["part of Portal"]
    assert by_ref(document.flows)["browse"].destination == "portal"  # the flow's "target"
    (threat,) = document.threats
    assert threat.stride == ["T", "E"]
    assert threat.likelihood == "high"  # 80
    # Partly mitigated on the portal, not applicable on the flow: the more open of the two.
    assert threat.status == "confirmed"
    assert [asdict(link) for link in document.links] == [
        {"threat": "xss", "control": "encode", "effectiveness": 70}
    ]
    said = messages(document)
    assert "components[1].attributes: The attributes owner, department are not kept." in said
    assert any(m.startswith("components[1].threats[0].mitigations[1].state:") for m in said)
    assert any("Input validation" in m for m in said)


def test_json_and_yaml_of_the_same_model_read_alike() -> None:
    data = json.loads((FILES / "old-shape.json").read_text())
    as_yaml = json.dumps(data, indent=2).encode()  # YAML reads JSON, but through the YAML loader
    assert asdict(otm.read(load_yaml(as_yaml))) == asdict(otm.read(data))


@pytest.mark.parametrize(
    "path",
    [
        DATA / "otm" / "EXAMPLE.json",
        FILES / "old-shape.json",
        FILES / "declares-0.2-with-old-keys.json",
        FILES / "spec-example-shape.yaml",
    ],
)
def test_it_recognises_otm_files(path: Path) -> None:
    assert otm.recognises(loaded(path))


@pytest.mark.parametrize(
    "path",
    [
        DATA / "threagile" / "threagile-example.yaml",
        DATA / "threat-dragon" / "v2-threat-model.json",
        DATA / "threat-composer" / "ThreatComposer.tc.json",
        DATA / "otm" / "otm_schema.json",
    ],
)
def test_it_does_not_recognise_other_files(path: Path) -> None:
    assert not otm.recognises(loaded(path))


# Mappings --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("likelihood", "level"),
    [
        (0, "very_low"),
        (4, "very_low"),
        (5, "low"),
        (20, "low"),
        (21, "moderate"),
        (79, "moderate"),
        (80, "high"),
        (95, "high"),
        (96, "very_high"),
        (100, "very_high"),
    ],
)
def test_likelihood_follows_nist_bands(likelihood: int, level: str) -> None:
    data = minimal(threats=[{"id": "t", "name": "T", "risk": {"likelihood": likelihood, "impact": 0}}])
    assert otm.read(data).threats[0].likelihood == level


@pytest.mark.parametrize(
    ("rating", "level"), [(0, 0), (12, 0), (13, 1), (37, 1), (38, 2), (62, 2), (63, 3), (88, 4)]
)
def test_trust_rating_goes_to_the_nearest_level(rating: int, level: int) -> None:
    data = minimal(trustZones=[{"id": "z", "name": "Zone", "risk": {"trustRating": rating}}])
    assert otm.read(data).zones[0].trust_level == level


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("exposed", "identified"),
        ("Partly Mitigated", "confirmed"),
        ("mitigated", "mitigated"),
        ("accepted", "accepted"),
        ("NOT_APPLICABLE", "rejected"),
        ("in-review", "in_review"),
    ],
)
def test_a_threat_state_maps_to_a_status(state: str, status: str) -> None:
    data = minimal(threats=[{"id": "t", "name": "T", "risk": {"likelihood": 1, "impact": 1}}])
    data["components"][0]["threats"] = [{"threat": "t", "state": state}]
    threat = otm.read(data).threats[0]
    assert threat.status == status
    assert bool(threat.status_reason) == (status == "rejected")


def test_an_unknown_state_counts_as_identified_and_is_warned_about() -> None:
    data = minimal(threats=[{"id": "t", "name": "T", "risk": {"likelihood": 1, "impact": 1}}])
    data["components"][0]["threats"] = [{"threat": "t", "state": "wobbly"}]
    document = otm.read(data)
    assert document.threats[0].status == "identified"
    assert any(m.startswith("components[0].threats[0].state:") and "wobbly" in m for m in messages(document))


def test_long_text_is_cut_to_its_field_and_kept_whole_in_the_notes() -> None:
    description = "word " * 300
    data = minimal(
        threats=[
            {"id": "t", "name": "Steal", "description": description, "risk": {"likelihood": 1, "impact": 1}}
        ]
    )
    document = otm.read(data)
    action = document.threats[0].threat_action
    assert len(action) <= 500
    assert action.startswith("Steal: word word")
    assert action.endswith("…")
    assert any(description.strip() in note for note in document.notes)
    assert any(m.startswith("threats[0]:") and "characters long" in m for m in messages(document))


def test_two_components_of_one_name_are_told_apart() -> None:
    data = minimal()
    data["components"][1]["name"] = "a"
    document = otm.read(data)
    assert [component.name for component in document.components] == ["A", "a (2)"]
    assert any(m.startswith("components[1].name:") for m in messages(document))


def test_a_flow_id_equal_to_a_component_id_gets_a_ref_of_its_own() -> None:
    data = minimal(
        threats=[{"id": "t", "name": "T", "risk": {"likelihood": 1, "impact": 1}}],
        dataflows=[
            {
                "id": "a",
                "name": "A to B",
                "source": "a",
                "destination": "b",
                "threats": [{"threat": "t", "state": "exposed"}],
            }
        ],
    )
    document = otm.read(data)
    assert document.flows[0].ref == "flow:a"
    assert document.threats[0].targets == ["flow:a"]


# Refusals --------------------------------------------------------------------------------------------------------------


def test_it_refuses_a_file_with_no_components_and_no_threats() -> None:
    error = refused(minimal(components=[], trustZones=[]))
    assert error.message == "The file has no components and no threats, so there is nothing to import."


def test_it_refuses_a_flow_to_an_unknown_component() -> None:
    error = refused(minimal(dataflows=[{"id": "f", "name": "F", "source": "a", "destination": "ghost"}]))
    assert error.where == "dataflows[0].destination"
    assert error.message == "The flow's destination “ghost” is not one of the file's components."


def test_it_refuses_an_older_flow_without_its_end() -> None:
    error = refused(minimal(dataflows=[{"id": "f", "name": "F", "from": "a"}]))
    assert (error.where, error.message) == (
        "dataflows[0].destination",
        "The flow's destination is required here.",
    )


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        ({"components": {"a": {}}}, "components", "Expected a list here, found an object."),
        ({"project": "Small"}, "project", "Expected an object here, found text."),
        ({"project": {"id": "small"}}, "project.name", "The project's name is required here."),
        (
            {"threats": [{"id": "t", "name": ["Steal"], "risk": {"likelihood": 1, "impact": 1}}]},
            "threats[0].name",
            "Expected text here, found a list.",
        ),
        (
            {"threats": [{"id": "t", "risk": {"likelihood": 1, "impact": 1}}]},
            "threats[0].name",
            "The threat's name is required here.",
        ),
        (
            {"threats": [{"id": "t", "name": "T", "risk": {"likelihood": 150, "impact": 1}}]},
            "threats[0].risk.likelihood",
            "Expected a number from 0 to 100, found 150.",
        ),
        (
            {"threats": [{"id": "t", "name": "T", "risk": {"likelihood": "often", "impact": 1}}]},
            "threats[0].risk.likelihood",
            "Expected a number here, found 'often'.",
        ),
        (
            {"mitigations": [{"id": "m", "name": "M", "riskReduction": True}]},
            "mitigations[0].riskReduction",
            "Expected a number here, found true/false.",
        ),
        (
            {"trustZones": [{"id": "z", "name": "Z", "risk": {"trustRating": 1}}, {"id": "z", "name": "Y"}]},
            "trustZones[1].id",
            "Another trust zone has the id “z”.",
        ),
    ],
)
def test_it_refuses_wrong_types_and_missing_structure_naming_the_place(
    change: dict[str, Any], where: str, message: str
) -> None:
    error = refused(minimal(**change))
    assert (error.where, error.message) == (where, message)


def test_it_refuses_a_threat_instance_of_an_unknown_threat() -> None:
    data = minimal()
    data["components"][0]["threats"] = [{"threat": "ghost", "state": "exposed"}]
    error = refused(data)
    assert (error.where, error.message) == (
        "components[0].threats[0].threat",
        "“ghost” is not one of the file's threats.",
    )


def test_it_refuses_a_mitigation_that_the_file_does_not_define() -> None:
    data = minimal(threats=[{"id": "t", "name": "T", "risk": {"likelihood": 1, "impact": 1}}])
    data["components"][1]["threats"] = [
        {"threat": "t", "state": "exposed", "mitigations": [{"mitigation": "ghost", "state": "required"}]}
    ]
    error = refused(data)
    assert error.where == "components[1].threats[0].mitigations[0].mitigation"


def test_it_refuses_a_parent_that_is_neither_zone_nor_component() -> None:
    data = minimal()
    data["components"][0]["parent"] = "nowhere"
    error = refused(data)
    assert (error.where, error.message) == (
        "components[0].parent",
        "The parent “nowhere” is not one of the file's trust zones.",
    )


def test_it_refuses_components_inside_each_other_in_a_circle() -> None:
    data = minimal()
    data["components"][0]["parent"] = {"component": "b"}
    data["components"][1]["parent"] = {"component": "a"}
    error = refused(data)
    assert "sits inside itself" in error.message
    assert error.where == "components[1].parent.component"


def test_it_refuses_an_asset_reference_to_nothing() -> None:
    data = minimal()
    data["components"][0]["assets"] = {"processed": ["ghost"]}
    error = refused(data)
    assert (error.where, error.message) == (
        "components[0].assets.processed[0]",
        "“ghost” is not one of the file's assets.",
    )


def test_it_refuses_a_file_that_is_not_an_object() -> None:
    error = refused([minimal()])
    assert error.message == "An OTM file holds an object; this one holds a list."


def test_it_refuses_more_parts_than_an_import_holds() -> None:
    components = [
        {"id": f"c{n}", "name": f"C{n}", "type": "x", "parent": {"trustZone": "z"}} for n in range(MAX_PARTS)
    ]
    error = refused(minimal(components=components))
    assert error.message == f"The file holds {MAX_PARTS + 1:,} parts; one import takes at most {MAX_PARTS:,}."


def test_a_truncated_file_is_refused_with_its_line_and_column() -> None:
    text = EXAMPLE.read_bytes()
    with pytest.raises(InvalidModelFile) as caught:
        load_json(text[: len(text) // 2])
    assert caught.value.message.startswith("This is not valid JSON")
    assert caught.value.where.startswith("line ")


# Export ------------------------------------------------------------------------------------------------------------------


def full_document() -> ModelDocument:
    """A model with every field of ours in use, and the cases OTM has no direct place for."""
    return ModelDocument(
        format="otm",
        name="Shop",
        description="The web shop.",
        zones=[
            Zone("internet", "Internet", trust_level=0),
            Zone("dc", "Data centre", trust_level=3, description="Our racks."),
            Zone("dmz", "DMZ", trust_level=2, parent="dc"),
        ],
        assets=[
            Asset(
                "cards",
                "Card numbers",
                kind="data",
                classification="restricted",
                confidentiality=4,
                integrity=3,
            ),
            Asset("keys", "Signing keys", kind="credential", classification="confidential", availability=1),
        ],
        components=[
            Component("shopper", "Shopper", "actor", zone="internet"),
            Component(
                "web",
                "Web shop",
                "process",
                zone="dmz",
                technology="Django",
                tags=["python", "web"],
                assets=["cards"],
            ),
            Component(
                "db", "Orders database", "data_store", zone="dc", technology="", assets=["cards", "keys"]
            ),
            Component("psp", "Payment provider", "external_service", description="Takes the card payment."),
        ],
        flows=[
            Flow(
                "f1",
                "Checkout",
                "shopper",
                "web",
                protocol="HTTPS",
                data_carried="card numbers",
                is_encrypted=True,
                is_authenticated=True,
                assets=["cards"],
            ),
            Flow("f2", "Store order", "web", "db", protocol="PostgreSQL"),
            Flow("f3", "Charge", "web", "psp", protocol="HTTPS", is_encrypted=True),
        ],
        threats=[
            Threat(
                "t1",
                threat_source="external attacker",
                prerequisites="with a stolen session",
                threat_action="replay a checkout",
                threat_impact="a second charge",
                impacted_goals=["integrity", "authenticity"],
                assets=["cards"],
                stride=["S", "T"],
                status="confirmed",
                likelihood="high",
                targets=["web", "f1"],
            ),
            Threat(
                "t2",
                threat_source="insider",
                threat_action="read card numbers from the database",
                stride=["I"],
                status="rejected",
                status_reason="Cards are tokenised; the database holds none.",
                likelihood="very_low",
                targets=["db"],
            ),
            Threat(
                "t3",
                threat_source="attacker",
                threat_action="flood the shop",
                stride=["D"],
                status="in_review",
            ),
            Threat(
                "t4",
                threat_source="attacker",
                threat_action="tamper with a charge",
                status="mitigated",
                likelihood="moderate",
                targets=["f3"],
            ),
        ],
        controls=[
            Control("c1", "Bind sessions to the device", kind="preventive", status="implemented"),
            Control(
                "c2",
                "Alert on repeated checkouts",
                kind="detective",
                status="in_progress",
                ticket_url="https://tracker.example/SEC-1",
            ),
            Control("c3", "Rate limiting", status="proposed"),
            Control("c4", "Sign charges", status="verified"),
            Control("c5", "Pen test", status="planned"),
        ],
        links=[
            Link("t1", "c1", 80),
            Link("t1", "c2", 30),
            Link("t3", "c3", 60),  # t3 has no target: OTM has no instance to hold this link
            Link("t4", "c4", 90),
            Link("t4", "c2", 10),  # c2 links at two effectivenesses
        ],
    )


def comparable(document: ModelDocument) -> dict[str, Any]:
    parts = asdict(document)
    return {
        key: parts[key]
        for key in (
            "name",
            "description",
            "zones",
            "assets",
            "components",
            "flows",
            "threats",
            "controls",
            "links",
        )
    }


def test_the_export_validates_against_the_otm_schema() -> None:
    jsonschema.Draft7Validator(SCHEMA).validate(otm.write(full_document()))
    jsonschema.Draft7Validator(SCHEMA).validate(otm.write(otm.read(loaded(EXAMPLE))))


def test_writing_then_reading_gives_the_same_model() -> None:
    document = full_document()
    exported = json.loads(json.dumps(otm.write(document)))

    again = otm.read(exported)

    assert comparable(again) == comparable(document)
    # Only what has no OTM home at all is warned about: the control with no threat.
    assert messages(again) == [
        "mitigations[4]: The mitigation “Pen test” is not applied to any threat; it is imported as a control without links."
    ]


def test_reading_the_example_then_writing_and_reading_again_gives_the_same_model() -> None:
    document = otm.read(loaded(EXAMPLE))
    assert comparable(otm.read(json.loads(json.dumps(otm.write(document))))) == comparable(document)


def test_the_export_speaks_otm_to_other_tools() -> None:
    exported = otm.write(full_document())

    threats = {threat["id"]: threat for threat in exported["threats"]}
    assert threats["t1"]["name"] == "replay a checkout"
    assert threats["t1"]["description"] == (
        "An external attacker with a stolen session can replay a checkout, which leads to a second charge, "
        "resulting in reduced integrity and authenticity of Card numbers."
    )
    assert threats["t1"]["categories"] == ["Spoofing", "Tampering"]
    assert threats["t1"]["risk"]["likelihood"] == 80
    assert threats["t3"]["risk"]["likelihood"] is None  # not rated
    web = next(component for component in exported["components"] if component["id"] == "web")
    assert web["parent"] == {"trustZone": "dmz"}
    assert web["threats"] == [
        {
            "threat": "t1",
            "state": "confirmed",
            "mitigations": [
                {"mitigation": "c1", "state": "implemented"},
                {"mitigation": "c2", "state": "in-progress"},
            ],
        }
    ]
    mitigations = {mitigation["id"]: mitigation for mitigation in exported["mitigations"]}
    assert mitigations["c1"]["riskReduction"] == 80
    assert mitigations["c5"]["riskReduction"] == 50  # no link: our default effectiveness


def test_components_outside_any_zone_go_to_a_placeholder_that_the_import_drops() -> None:
    exported = otm.write(full_document())

    placeholder = exported["trustZones"][-1]
    assert placeholder["attributes"] == {"threatmodel.placeholder": "true"}
    psp = next(component for component in exported["components"] if component["id"] == "psp")
    assert psp["parent"] == {"trustZone": placeholder["id"]}
    again = otm.read(exported)
    assert [zone.ref for zone in again.zones] == ["internet", "dc", "dmz"]
    assert by_ref(again.components)["psp"].zone == ""


def test_the_export_of_a_model_without_unzoned_components_has_no_placeholder() -> None:
    document = full_document()
    document.components[3].zone = "dc"
    assert [zone["id"] for zone in otm.write(document)["trustZones"]] == ["internet", "dc", "dmz"]


def test_an_attribute_of_ours_that_is_not_what_we_write_is_refused_with_its_place() -> None:
    exported = otm.write(full_document())
    exported["threats"][0]["attributes"]["threatmodel.impactedGoals"] = "integrity"

    error = refused(exported)

    assert error.where == 'threats[0].attributes["threatmodel.impactedGoals"]'
    assert error.message == "Expected a JSON list in this attribute, found 'integrity'."


def test_a_rejection_of_ours_that_lost_its_reason_gets_one() -> None:
    exported = otm.write(full_document())
    exported["threats"][1]["attributes"]["threatmodel.statusReason"] = ""

    threat = otm.read(exported).threats[1]

    assert (threat.status, threat.status_reason) == ("rejected", "Marked not applicable in the OTM file.")
