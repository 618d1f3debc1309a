"""OWASP Threat Dragon files in and out (projects.interop.threat_dragon).

Every 2.x shape and v1 read with what each field became, broken files refused with the place named, and our own
export valid against Threat Dragon's schema and read back the same.
"""

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from projects.interop import threat_dragon
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
from projects.interop.loading import load_json
from tests.data import INTEROP_DATA

DATA = INTEROP_DATA
FILES = Path(__file__).resolve().parent / "files" / "threat-dragon"
NODE_TYPES = {"tm.Process", "tm.Store", "tm.Actor"}


def demo() -> dict[str, Any]:
    return json.loads((DATA / "threat-dragon" / "v2-threat-model.json").read_text())


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FILES / name).read_text())


def schema_errors(data: dict[str, Any]) -> list[str]:
    schema = json.loads((DATA / "threat-dragon" / "threat-dragon-v2.schema.json").read_text())
    return [
        f"{list(error.path)}: {error.message}"
        for error in jsonschema.Draft7Validator(schema).iter_errors(data)
    ]


def refusal(data: Any) -> InvalidModelFile:
    with pytest.raises(InvalidModelFile) as caught:
        threat_dragon.read(data)
    return caught.value


def by_name(document: ModelDocument) -> dict[str, Component]:
    return {component.name: component for component in document.components}


def warnings_at(document: ModelDocument, where: str) -> list[str]:
    return [warning.message for warning in document.warnings if warning.where == where]


# The demo model Threat Dragon ships ---------------------------------------------------------------------------


def test_the_demo_model_imports_every_element_flow_and_threat_its_cells_hold() -> None:
    cells = demo()["detail"]["diagrams"][0]["cells"]
    elements = [cell for cell in cells if cell["data"]["type"] in NODE_TYPES]
    flows = [cell for cell in cells if cell["data"]["type"] == "tm.Flow"]
    joined = [flow for flow in flows if "cell" in flow["source"] and "cell" in flow["target"]]
    threats = [threat for cell in cells for threat in cell["data"].get("threats", [])]
    # A mitigation text becomes one control per control status (implemented when its threat is mitigated).
    controls = {(t["mitigation"], t["status"] == "Mitigated") for t in threats if t["mitigation"]}

    document = threat_dragon.read(demo())

    assert document.name == "Demo Threat Model"
    assert document.counts() == {
        "zones": 0,
        "assets": 0,
        "components": len(elements),
        "flows": len(joined),
        "threats": len(threats),
        "controls": len(controls),
    }
    assert (len(elements), len(joined), len(threats), len(controls)) == (7, 9, 14, 12)
    assert len(document.links) == sum(1 for threat in threats if threat["mitigation"])


def test_the_demo_models_elements_keep_their_kind_flags_and_scope() -> None:
    document = threat_dragon.read(demo())
    components = by_name(document)

    assert {name: c.kind for name, c in components.items()} == {
        "Worker Config": "data_store",
        "Database": "data_store",
        "Web Application Config": "data_store",
        "Message Queue": "data_store",
        "Background Worker Process": "process",  # drawn on two lines in the file
        "Web Application": "process",
        "Browser": "actor",
    }
    assert components["Worker Config"].tags == ["stores-credentials"]
    assert components["Database"].tags == ["log"]
    assert components["Web Application Config"].tags == ["stores-credentials", "out-of-scope"]
    assert "out of scope" in warnings_at(document, "detail.diagrams[0].cells[2]")[0]


def test_the_demo_models_threats_keep_type_status_severity_and_mitigation() -> None:
    document = threat_dragon.read(demo())
    threat = next(t for t in document.threats if t.threat_action == "Unauthorised access")

    assert threat.threat_source == "threat actor"
    assert threat.threat_impact == "An attacker could make an query call on the DB,"
    assert threat.stride == ["I"]
    assert threat.status == "mitigated"
    assert threat.likelihood == "high"
    assert threat.targets == [by_name(document)["Database"].ref]
    [link] = [link for link in document.links if link.threat == threat.ref]
    control = next(c for c in document.controls if c.ref == link.control)
    assert (control.title, control.status, link.effectiveness) == (
        "Require all queries to be authenticated.",
        "implemented",
        50,
    )
    statuses = sorted(t.status for t in document.threats)
    assert statuses.count("mitigated") == 4
    assert statuses.count("identified") == 10
    assert {t.likelihood for t in document.threats} == {"high", "moderate", "low"}


def test_a_mitigation_of_several_paragraphs_is_a_control_titled_by_its_first() -> None:
    document = threat_dragon.read(demo())

    control = next(c for c in document.controls if c.title.startswith("Encrypt the DB credentials"))

    assert control.title == "Encrypt the DB credentials in the configuration file."
    assert control.description == "Expire and replace the DB credentials regularly."


def test_threats_with_the_same_mitigation_and_control_status_share_one_control() -> None:
    document = threat_dragon.read(demo())
    https = [c for c in document.controls if c.title.startswith("The requests should require HTTP/S")]

    assert sorted(c.status for c in https) == ["implemented", "proposed"]
    for control in https:
        assert len([link for link in document.links if link.control == control.ref]) == 2


def test_a_flow_with_a_loose_end_is_dropped_and_its_threat_kept_on_the_element_it_touches() -> None:
    data = demo()
    where = "detail.diagrams[0].cells[19]"
    assert data["detail"]["diagrams"][0]["cells"][19]["source"] == {"x": 180, "y": 70}

    document = threat_dragon.read(data)

    assert "Web Request" not in {flow.name for flow in document.flows}
    [message] = warnings_at(document, where)
    assert "not connected to any element" in message
    assert "“Web Application”" in message
    kept = [t for t in document.threats if t.targets == [by_name(document)["Web Application"].ref]]
    assert [t.threat_action for t in kept] == ["Data flow should use HTTP/S"]


def test_boundary_curves_make_no_zone_and_say_so() -> None:
    document = threat_dragon.read(demo())

    assert document.zones == []
    for index in (16, 17, 18):
        assert "encloses no area" in warnings_at(document, f"detail.diagrams[0].cells[{index}]")[0]


def test_what_the_demo_model_holds_without_a_field_here_is_warned_and_noted() -> None:
    document = threat_dragon.read(demo())

    assert "Owner: Mike Goodwin" in document.notes
    assert "Contributors: Tom Brown, Albert Moneypenny" in document.notes
    assert "The flow “Web Response” crosses a public network." in document.notes
    assert (
        "The flow “Read web app config” is out of scope: This data flow represents a read from the file system"
        in document.notes
    )
    assert any(note.startswith("Text on the diagram: A Demo Threat Model") for note in document.notes)
    assert warnings_at(document, "detail.diagrams[0].cells[2].data.threats[0]") == [
        "The threat “Credentials should be encrypted” is on “Web Application Config”, which is out of scope; "
        "it is kept as it is."
    ]


def test_the_demo_model_is_recognised_by_its_keys() -> None:
    data = demo()
    del data["version"]

    assert threat_dragon.recognises(data)
    assert not threat_dragon.recognises({"otmVersion": "0.2.0", "project": {}, "components": []})
    assert not threat_dragon.recognises([data])


# v1 and the 2.x shapes ------------------------------------------------------------------------------------


def test_a_v1_file_reads_its_elements_flows_and_threats_from_diagram_json() -> None:
    data = fixture("v1-checkout.json")
    assert "version" not in data
    cells = data["detail"]["diagrams"][0]["diagramJson"]["cells"]
    threats = [threat for cell in cells for threat in cell.get("threats", [])]

    document = threat_dragon.read(data)

    assert document.counts() == {
        "zones": 0,
        "assets": 0,
        "components": sum(cell["type"] in NODE_TYPES for cell in cells),
        "flows": sum(cell["type"] == "tm.Flow" for cell in cells),
        "threats": len(threats),
        "controls": len({t["mitigation"] for t in threats if t["mitigation"]}),
    }
    assert document.counts()["threats"] == 5
    components = by_name(document)
    assert components["Payment Service"].tags == ["privilege level: Limited"]
    assert components["Orders DB"].tags == ["stores-credentials", "encrypted"]
    assert components["Bank ledger"].description == "Out of scope: Run by the bank under its own controls."
    card = next(flow for flow in document.flows if flow.name == "Card details")
    assert (card.source, card.destination, card.protocol, card.is_encrypted) == (
        components["Customer"].ref,
        components["Payment Service"].ref,
        "HTTPS",
        True,
    )
    replayed = next(t for t in document.threats if t.threat_action == "Replayed payment requests")
    assert (replayed.status, replayed.status_reason, replayed.stride) == (
        "rejected",
        "Marked not applicable in Threat Dragon.",
        ["R"],
    )
    intercepted = next(t for t in document.threats if t.threat_action == "Card details intercepted")
    assert intercepted.targets == [card.ref]
    assert "encloses no area" in warnings_at(document, "detail.diagrams[0].diagramJson.cells[4]")[0]


def test_a_2_0_file_makes_zones_of_its_boundary_boxes_by_geometry() -> None:
    document = threat_dragon.read(fixture("v2.0-shop-with-boxes.json"))
    zones = {zone.name: zone for zone in document.zones}
    components = by_name(document)

    assert set(zones) == {"Internet", "Data centre", "DMZ", "Partner"}
    assert zones["DMZ"].parent == zones["Data centre"].ref
    assert zones["Internet"].parent == zones["Data centre"].parent == ""
    assert {z.trust_level for z in zones.values()} == {2}
    assert zones["Internet"].description == "Anyone."
    assert components["Shopper"].zone == zones["Internet"].ref
    assert components["Web shop"].zone == zones["DMZ"].ref  # the innermost box holding it
    assert components["Catalogue"].zone == zones["Data centre"].ref
    assert components["Payment provider"].zone == ""
    assert components["Payment provider"].kind == "actor"  # told by its shape alone
    assert "no position and size" in warnings_at(document, "detail.diagrams[0].cells[3]")[0]


def test_a_2_0_files_threat_types_statuses_and_severities_map_as_documented() -> None:
    document = threat_dragon.read(fixture("v2.0-shop-with-boxes.json"))
    threats = {t.threat_action: t for t in document.threats}

    scraping = threats["Catalogue scraping"]  # CIA type, avoided, low
    assert (scraping.stride, scraping.impacted_goals, scraping.status, scraping.likelihood) == (
        [],
        ["availability"],
        "rejected",
        "low",
    )
    assert scraping.status_reason == "Marked avoided in Threat Dragon: the risk is avoided."
    assert (threats["Admin takeover"].status, threats["Admin takeover"].likelihood) == ("mitigated", "")
    assert (
        threats["Price tampering"].status == "rejected"
    )  # threats held on the cell, where the schema puts them
    assert threats["Price tampering"].targets == [by_name(document)["Catalogue"].ref]
    callback = threats["Payment callback spoofed"]
    assert (callback.status, callback.likelihood, callback.stride) == ("accepted", "very_high", ["S"])
    linked = threats["Shoppers linked across visits"]
    assert linked.stride == []
    assert linked.impacted_goals == []
    assert "Type of “Shoppers linked across visits”: Linkability (LINDDUN)" in document.notes
    assert "Score of “Catalogue scraping”: 3.2" in document.notes
    assert "transferred" in warnings_at(document, "detail.diagrams[0].cells[10].data.threats[0].status")[0]
    assert {(c.title, c.status) for c in document.controls} == {
        ("Rate-limit anonymous requests.", "proposed"),
        ("Remove the admin panel from the public site.", "implemented"),
    }


def test_a_2_x_file_is_told_by_its_keys_not_its_version() -> None:
    data = fixture("v2.0-shop-with-boxes.json")
    data["version"] = "1.6.1"
    for diagram in data["detail"]["diagrams"]:
        diagram.pop("version")

    assert (
        threat_dragon.read(data).counts() == threat_dragon.read(fixture("v2.0-shop-with-boxes.json")).counts()
    )


def test_a_bidirectional_public_flow_is_kept_one_way_and_its_flags_noted() -> None:
    document = threat_dragon.read(fixture("v2.0-shop-with-boxes.json"))

    browse = next(flow for flow in document.flows if flow.name == "Browse")
    assert browse.is_encrypted
    assert "goes both ways" in warnings_at(document, "detail.diagrams[0].cells[8].data.isBidirectional")[0]
    assert "The flow “Browse” crosses a public network." in document.notes


def test_several_diagrams_merge_into_one_model_and_repeated_names_are_told_apart() -> None:
    data = fixture("v1-checkout.json")
    second = copy.deepcopy(data["detail"]["diagrams"][0])
    second["title"] = "Checkout again"
    data["detail"]["diagrams"].append(second)

    document = threat_dragon.read(data)

    assert document.counts()["components"] == 8
    assert "Customer (2)" in by_name(document)
    assert len({component.ref for component in document.components}) == 8
    assert any(note.startswith("Diagram “Checkout again”") for note in document.notes)


def test_a_name_repeated_many_times_is_numbered_and_stays_within_the_limit() -> None:
    long_name = "Worker " * 40
    cells = [
        {"shape": "process", "id": f"p{i}", "data": {"type": "tm.Process", "name": "Worker"}}
        for i in range(500)
    ]
    cells += [
        {"shape": "store", "id": f"s{i}", "data": {"type": "tm.Store", "name": long_name}} for i in range(2)
    ]

    document = threat_dragon.read(
        {"summary": {"title": "Workers"}, "detail": {"diagrams": [{"cells": cells}]}}
    )

    names = [component.name for component in document.components]
    assert names[:3] == ["Worker", "Worker (2)", "Worker (3)"]
    assert names[499] == "Worker (500)"
    assert len(set(names)) == 502
    assert len(names[501]) == 200
    assert names[501].endswith("… (2)")


def test_empty_names_and_long_titles_are_fitted_with_the_whole_text_noted() -> None:
    data = fixture("v1-checkout.json")
    cells = data["detail"]["diagrams"][0]["diagramJson"]["cells"]
    cells[0]["attrs"]["text"]["text"] = ""
    long_title = "steal " + "card data " * 80
    cells[1]["threats"][0]["title"] = long_title

    document = threat_dragon.read(data)

    assert "Unnamed actor" in by_name(document)
    threat = document.threats[0]
    assert len(threat.threat_action) <= 500
    assert threat.threat_action.endswith("…")
    assert any(long_title.strip() in note for note in document.notes)


# Bad files -------------------------------------------------------------------------------------------------


def test_a_model_without_diagrams_is_refused() -> None:
    data = demo()
    del data["detail"]["diagrams"]
    error = refusal(data)
    assert (error.message, error.where) == ("The model has no diagrams.", "detail.diagrams")

    data["detail"]["diagrams"] = []
    assert refusal(data).where == "detail.diagrams"


def test_a_diagram_without_cells_is_refused_with_its_place() -> None:
    data = demo()
    del data["detail"]["diagrams"][0]["cells"]

    error = refusal(data)

    assert error.where == "detail.diagrams[0]"
    assert "no cells" in error.message


def test_a_flow_to_a_cell_not_on_the_diagram_is_refused() -> None:
    data = demo()
    data["detail"]["diagrams"][0]["cells"][7]["target"]["cell"] = "no-such-cell"

    error = refusal(data)

    assert error.where == "detail.diagrams[0].cells[7].target.cell"
    assert error.message == "The flow's target names the cell “no-such-cell”, which is not on this diagram."


def test_a_v1_flow_to_a_boundary_is_refused() -> None:
    data = fixture("v1-checkout.json")
    cells = data["detail"]["diagrams"][0]["diagramJson"]["cells"]
    cells[5]["source"]["id"] = cells[4]["id"]

    error = refusal(data)

    assert error.where == "detail.diagrams[0].diagramJson.cells[5].source.id"
    assert "a trust boundary, not a process, store or actor" in error.message


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.update(detail=[]), "detail"),
        (lambda d: d["detail"].update(diagrams="all of them"), "detail.diagrams"),
        (lambda d: d["detail"]["diagrams"][0].update(cells={"a": 1}), "detail.diagrams[0].cells"),
        (
            lambda d: d["detail"]["diagrams"][0]["cells"].__setitem__(3, "store"),
            "detail.diagrams[0].cells[3]",
        ),
        (
            lambda d: d["detail"]["diagrams"][0]["cells"][3].update(data=[1]),
            "detail.diagrams[0].cells[3].data",
        ),
        (
            lambda d: d["detail"]["diagrams"][0]["cells"][0]["data"]["threats"][0].update(title={"en": "x"}),
            "detail.diagrams[0].cells[0].data.threats[0].title",
        ),
        (
            lambda d: d["detail"]["diagrams"][0]["cells"][0]["data"].update(threats="none"),
            "detail.diagrams[0].cells[0].data.threats",
        ),
        (
            lambda d: d["detail"]["diagrams"][0]["cells"][7].update(source=None),
            "detail.diagrams[0].cells[7].source",
        ),
    ],
)
def test_a_wrongly_typed_part_is_refused_with_its_place(change: Any, where: str) -> None:
    data = demo()
    change(data)

    assert refusal(data).where == where


def test_a_threat_with_neither_title_nor_description_is_refused() -> None:
    data = demo()
    threat = data["detail"]["diagrams"][0]["cells"][1]["data"]["threats"][1]
    threat["title"] = threat["description"] = " "

    error = refusal(data)

    assert (error.message, error.where) == (
        "The threat has neither a title nor a description.",
        "detail.diagrams[0].cells[1].data.threats[1]",
    )


def test_a_truncated_file_is_refused_where_it_stops() -> None:
    text = (DATA / "threat-dragon" / "v2-threat-model.json").read_bytes()[:5000]

    with pytest.raises(InvalidModelFile) as caught:
        threat_dragon.read(load_json(text))

    assert caught.value.message.startswith("This is not valid JSON")
    assert caught.value.where.startswith("line ")


def test_a_model_with_no_element_and_no_threat_is_refused() -> None:
    data = demo()
    cells = data["detail"]["diagrams"][0]["cells"]
    data["detail"]["diagrams"][0]["cells"] = [
        c for c in cells if c["data"]["type"] in ("tm.Boundary", "tm.Text")
    ]

    error = refusal(data)

    assert error.where == "detail.diagrams"
    assert "nothing to import" in error.message


def test_a_model_with_more_parts_than_an_import_takes_is_refused() -> None:
    data = demo()
    data["detail"]["diagrams"][0]["cells"] = [
        {"shape": "td-text-block", "id": str(i)} for i in range(MAX_PARTS + 1)
    ]

    error = refusal(data)

    assert f"{MAX_PARTS:,}" in error.message


def test_a_diagram_with_more_boundary_boxes_than_an_import_places_is_refused() -> None:
    data = demo()
    boxes = threat_dragon.MAX_BOXES + 1
    box = {"shape": "trust-boundary-box", "data": {"type": "tm.BoundaryBox"}}
    data["detail"]["diagrams"][0]["cells"] += [{**box, "id": f"box-{i}"} for i in range(boxes)]

    error = refusal(data)

    assert error.where == "detail.diagrams[0].cells"
    assert error.message == (
        f"The diagram has {boxes} trust boundary boxes; an import takes at most {threat_dragon.MAX_BOXES}."
    )


def test_cells_of_unknown_kinds_are_left_out_with_a_warning() -> None:
    data = demo()
    data["detail"]["diagrams"][0]["cells"].append({"shape": "hexagon", "id": "x1", "zIndex": 3, "data": {}})

    document = threat_dragon.read(data)

    assert document.counts()["components"] == 7
    assert "not known here (hexagon)" in warnings_at(document, "detail.diagrams[0].cells[21]")[0]


# Writing and reading back ----------------------------------------------------------------------------------


def model() -> ModelDocument:
    """A model with a part of every kind and every value Threat Dragon has no field for."""
    return ModelDocument(
        format="otm",
        name="Payments",
        description="Card payments.",
        zones=[
            Zone("internet", "Internet", trust_level=0),
            Zone("dc", "Data centre", trust_level=3, description="Our racks."),
            Zone("dmz", "DMZ", trust_level=1, parent="dc"),
            Zone("vault", "Vault", trust_level=4, parent="dmz"),
            Zone("empty", "Empty zone"),
        ],
        assets=[
            Asset(
                "cards", "Card data", kind="data", classification="restricted", confidentiality=4, integrity=3
            ),
            Asset("keys", "Signing keys", kind="credential", availability=1, description="HSM keys."),
        ],
        components=[
            Component("shopper", "Shopper", "actor", zone="internet", tags=["provides-authentication"]),
            Component(
                "api",
                "Payments API",
                "process",
                zone="dmz",
                technology="Django",
                tags=["web-application", "privilege level: root", "pci"],
                assets=["cards"],
                description="Takes payments.",
            ),
            Component(
                "db",
                "Ledger",
                "data_store",
                zone="vault",
                tags=["log", "encrypted", "out-of-scope"],
                description="The ledger.\n\nOut of scope: Run by finance.",
                assets=["cards", "keys"],
            ),
            Component("psp", "Card network", "external_service", description="Visa and friends."),
            Component("batch", "Batch", "process", zone="dc", tags=["stores-credentials"]),
        ],
        flows=[
            Flow("f1", "Pay", "shopper", "api", protocol="HTTPS", is_encrypted=True, is_authenticated=True),
            Flow("f2", "Record", "api", "db", data_carried="amounts", assets=["cards"]),
            Flow("f3", "Settle", "batch", "psp", protocol="ISO 8583"),
        ],
        threats=[
            Threat(
                "t1",
                "fraudster",
                "replay a payment",
                prerequisites="with a captured request",
                threat_impact="double charges",
                impacted_goals=["integrity", "non_repudiation"],
                assets=["cards"],
                stride=["T", "R"],
                status="confirmed",
                likelihood="very_low",
                targets=["api", "f1"],
            ),
            Threat(
                "t2",
                "insider",
                "read card numbers",
                stride=["I"],
                status="rejected",
                status_reason="Cards are tokenised.",
                likelihood="very_high",
                targets=["db"],
            ),
            Threat("t3", "attacker", "flood the API", stride=["D"], status="in_review", targets=["f3"]),
            Threat("t4", "auditor", "find no audit trail", status="accepted", likelihood="moderate"),
            Threat(
                "t5", "attacker", "steal signing keys", status="mitigated", assets=["keys"], targets=["db"]
            ),
        ],
        controls=[
            Control("c1", "Idempotency keys", description="Reject repeated keys.", status="implemented"),
            Control(
                "c2",
                "Rate limiting",
                kind="detective",
                status="planned",
                ticket_url="https://tracker.example/PAY-1",
            ),
            Control("c3", "Audit log", status="verified"),
            Control("c4", "Unlinked control"),
        ],
        links=[
            Link("t1", "c1", effectiveness=80),
            Link("t1", "c2", effectiveness=20),
            Link("t3", "c2"),
            Link("t4", "c3", effectiveness=100),
            Link("t5", "c1", effectiveness=0),
        ],
    )


def comparable(document: ModelDocument) -> dict[str, Any]:
    """The document by names instead of refs, so two reads of the same model compare equal."""
    zones = {zone.ref: zone.name for zone in document.zones}
    components = {component.ref: component.name for component in document.components}
    flows = {flow.ref: flow.name for flow in document.flows}
    assets = {asset.ref: asset.name for asset in document.assets}
    threats = {threat.ref: threat.threat_action for threat in document.threats}
    controls = {control.ref: control.title for control in document.controls}
    return {
        "zones": sorted(
            (z.name, z.trust_level, zones.get(z.parent, ""), z.description) for z in document.zones
        ),
        "assets": sorted(
            (a.name, a.kind, a.description, a.classification, a.confidentiality, a.integrity, a.availability)
            for a in document.assets
        ),
        "components": sorted(
            (
                c.name,
                c.kind,
                zones.get(c.zone, ""),
                c.description,
                c.technology,
                sorted(c.tags),
                sorted(assets[a] for a in c.assets),
            )
            for c in document.components
        ),
        "flows": sorted(
            (
                f.name,
                components[f.source],
                components[f.destination],
                f.protocol,
                f.data_carried,
                f.is_encrypted,
                f.is_authenticated,
                sorted(assets[a] for a in f.assets),
            )
            for f in document.flows
        ),
        "threats": sorted(
            (
                t.threat_source,
                t.prerequisites,
                t.threat_action,
                t.threat_impact,
                t.impacted_goals,
                sorted(assets[a] for a in t.assets),
                t.stride,
                t.status,
                t.status_reason,
                t.likelihood,
                sorted(components.get(r) or flows[r] for r in t.targets),
            )
            for t in document.threats
        ),
        "controls": sorted(
            (c.title, c.description, c.kind, c.status, c.ticket_url) for c in document.controls
        ),
        "links": sorted((threats[k.threat], controls[k.control], k.effectiveness) for k in document.links),
    }


def test_an_export_validates_against_threat_dragons_schema() -> None:
    exported = threat_dragon.write(model())

    assert schema_errors(exported) == []
    assert schema_errors(threat_dragon.write(threat_dragon.read(demo()))) == []
    assert threat_dragon.recognises(exported)


def test_an_export_reads_back_as_the_same_model() -> None:
    document = model()

    again = threat_dragon.read(json.loads(json.dumps(threat_dragon.write(document))))

    assert comparable(again) == comparable(document)
    # Only the out-of-scope element and its two threats are told about.
    assert len(again.warnings) == 3
    assert all("out of scope" in warning.message for warning in again.warnings)


def test_an_export_draws_each_zone_as_a_box_around_its_components() -> None:
    exported = threat_dragon.write(model())
    cells = {
        cell["data"]["name"]: cell for cell in exported["detail"]["diagrams"][0]["cells"] if "data" in cell
    }

    def inside(inner: str, outer: str) -> bool:
        a, b = cells[inner], cells[outer]
        return (
            b["position"]["x"] <= a["position"]["x"]
            and b["position"]["y"] <= a["position"]["y"]
            and a["position"]["x"] + a["size"]["width"] <= b["position"]["x"] + b["size"]["width"]
            and a["position"]["y"] + a["size"]["height"] <= b["position"]["y"] + b["size"]["height"]
        )

    assert cells["DMZ"]["shape"] == "trust-boundary-box"
    assert inside("Vault", "DMZ")
    assert inside("DMZ", "Data centre")
    assert inside("Ledger", "Vault")
    assert not inside("Shopper", "Data centre")
    assert inside("Shopper", "Internet")
    assert cells["Card network"]["shape"] == "actor"
    assert cells["Payments API"]["data"]["isWebApplication"] is True
    assert cells["Payments API"]["data"]["privilegeLevel"] == "root"
    assert cells["Ledger"]["data"]["outOfScope"] is True
    assert cells["Ledger"]["data"]["reasonOutOfScope"] == "Run by finance."
    assert cells["Pay"]["data"]["isPublicNetwork"] is True  # it leaves the untrusted zone


def test_an_exported_threat_reads_as_threat_dragon_shows_it() -> None:
    exported = threat_dragon.write(model())
    cells = exported["detail"]["diagrams"][0]["cells"]
    [replay, *_] = [
        t for c in cells for t in c["data"].get("threats", []) if t["title"] == "replay a payment"
    ]

    assert replay["description"] == (
        "A fraudster with a captured request can replay a payment, which leads to double charges, resulting in "
        "reduced integrity and non-repudiation of Card data."
    )
    assert (replay["type"], replay["status"], replay["severity"]) == ("Tampering", "Open", "Low")
    assert replay["mitigation"] == "Idempotency keys\n\nReject repeated keys.\n\nRate limiting"
    carriers = [c["data"]["name"] for c in cells if replay in c["data"].get("threats", [])]
    assert sorted(carriers) == ["Pay", "Payments API"]
    unplaced = next(c for c in cells if c["shape"] == "td-text-block")
    assert [t["title"] for t in unplaced["data"]["threats"]] == ["find no audit trail"]


def test_a_threat_edited_in_threat_dragon_is_read_from_its_fields() -> None:
    exported = threat_dragon.write(model())
    cells = exported["detail"]["diagrams"][0]["cells"]
    for cell in cells:
        for threat in cell["data"].get("threats", []):
            if threat["title"] == "flood the API":
                threat["title"] = "flood the settlement link"
                threat["status"] = "Mitigated"

    document = threat_dragon.read(exported)

    flood = next(t for t in document.threats if t.threat_action == "flood the settlement link")
    assert (flood.threat_source, flood.status, flood.stride) == ("threat actor", "mitigated", ["D"])
    assert any("changed in Threat Dragon" in w.message for w in document.warnings)


def test_the_demo_model_reads_back_the_same_after_an_export() -> None:
    document = threat_dragon.read(demo())

    again = threat_dragon.read(threat_dragon.write(document))

    assert comparable(again) == comparable(document)


def test_zones_nested_deeper_than_python_recurses_and_zones_in_a_circle_are_written() -> None:
    deep = [Zone(f"z{i}", f"Zone {i}", parent=f"z{i - 1}" if i else "") for i in range(1500)]
    circle = [Zone("a", "A", parent="b"), Zone("b", "B", parent="a")]
    document = ModelDocument(
        format="otm",
        name="Deep",
        zones=deep + circle,
        components=[
            Component("core", "Core", "process", zone="z1499"),
            Component("edge", "Edge", "actor", zone="a"),
        ],
    )

    exported = threat_dragon.write(document)

    assert schema_errors(exported) == []
    cells = {cell["data"]["name"]: cell for cell in exported["detail"]["diagrams"][0]["cells"]}
    assert (
        cells["Core"]["position"]["x"]
        > cells["Zone 1499"]["position"]["x"]
        > cells["Zone 0"]["position"]["x"]
    )
    assert {"A", "B", "Edge"} <= set(cells)
