"""AWS threat-composer workspaces in and out (projects.interop.threat_composer).

The threat grammar read one to one, the application as the one component its threats target, what has no
field here noted, broken files refused with the place named, and our own export valid against threat-composer's
schema and read back the same.
"""

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from projects.interop import otm, threat_composer, threat_dragon
from projects.interop.document import (
    MAX_PARTS,
    Asset,
    Component,
    Control,
    InvalidModelFile,
    Link,
    ModelDocument,
    Threat,
    Zone,
)
from projects.interop.loading import load_json
from tests.data import INTEROP_DATA

DATA = INTEROP_DATA
FILES = Path(__file__).resolve().parent / "files" / "threat-composer"


def example() -> dict[str, Any]:
    return json.loads((DATA / "threat-composer" / "ThreatComposer.tc.json").read_text())


def booth() -> dict[str, Any]:
    return json.loads((FILES / "ticket-booth.tc.json").read_text())


def schema_errors(data: dict[str, Any]) -> list[str]:
    schema = json.loads((DATA / "threat-composer" / "threat-composer-v1.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{list(error.path)}: {error.message[:200]}" for error in validator.iter_errors(data)]


def refusal(data: Any) -> InvalidModelFile:
    with pytest.raises(InvalidModelFile) as caught:
        threat_composer.read(data)
    return caught.value


def metadata(item: dict[str, Any], key: str) -> Any:
    return next((entry["value"] for entry in item.get("metadata", []) if entry["key"] == key), None)


# The example threat-composer ships ----------------------------------------------------------------------------


def test_the_example_imports_every_threat_mitigation_and_link_it_holds() -> None:
    data = example()
    threat_ids = {threat["id"] for threat in data["threats"]}
    mitigation_ids = {mitigation["id"] for mitigation in data["mitigations"]}
    links = {
        (link["linkedId"], link["mitigationId"])
        for link in data["mitigationLinks"]
        if link["linkedId"] in threat_ids and link["mitigationId"] in mitigation_ids
    }
    asset_names = {name.casefold() for threat in data["threats"] for name in threat.get("impactedAssets", [])}

    document = threat_composer.read(data)

    assert document.name == data["applicationInfo"]["name"] == "Threat composer"
    assert document.counts() == {
        "zones": 0,
        "assets": len(asset_names),
        "components": 1,
        "flows": 0,
        "threats": len(data["threats"]),
        "controls": len(data["mitigations"]),
    }
    assert (len(data["threats"]), len(data["mitigations"]), len(links)) == (20, 18, 32)
    assert {(link.threat, link.control) for link in document.links} == links
    assert {link.effectiveness for link in document.links} == {50}


def test_the_application_is_the_one_component_every_threat_targets() -> None:
    document = threat_composer.read(example())

    [application] = document.components
    assert (application.name, application.kind) == ("Threat composer", "process")
    assert all(threat.targets == [application.ref] for threat in document.threats)
    assert document.description == example()["applicationInfo"]["description"]


def test_the_examples_threats_keep_their_statement_priority_stride_and_status() -> None:
    data = example()
    source = next(t for t in data["threats"] if t["numericId"] == 22)
    document = threat_composer.read(data)

    threat = next(t for t in document.threats if t.ref == source["id"])

    assert threat.threat_source == source["threatSource"] == "threat actor"
    assert threat.prerequisites == source["prerequisites"]
    assert threat.threat_action == source["threatAction"]
    assert threat.threat_impact == source["threatImpact"]
    assert threat.impacted_goals == ["confidentiality"]
    assert sorted(asset.name for asset in document.assets if asset.ref in threat.assets) == sorted(
        source["impactedAssets"]
    )
    assert (threat.stride, threat.likelihood, threat.status) == (["I"], "moderate", "mitigated")
    priorities = [metadata(t, "Priority") for t in data["threats"]]
    expected = {"High": "high", "Medium": "moderate", "Low": "low"}
    assert sorted(t.likelihood for t in document.threats) == sorted(expected[p] for p in priorities)
    two_letters = next(t for t in document.threats if t.ref == "fb2ff978-1311-4061-a299-0a7f3421e037")
    assert two_letters.stride == ["T", "I"]


def test_the_examples_threats_are_numbered_in_threat_composers_order() -> None:
    data = example()

    document = threat_composer.read(data)

    by_number = sorted(data["threats"], key=lambda threat: threat["numericId"])
    assert [threat.ref for threat in document.threats] == [threat["id"] for threat in by_number]


def test_the_examples_mitigations_are_controls_with_their_comments_as_description() -> None:
    data = example()
    source = data["mitigations"][0]

    document = threat_composer.read(data)

    control = next(c for c in document.controls if c.ref == source["id"])
    assert control.title == source["content"] == "Schema validation on data import"
    assert control.description == metadata(source, "Comments")
    assert {c.status for c in document.controls} == {"implemented"}  # all mitigationResolved


def test_what_the_example_holds_without_a_field_here_is_warned_and_noted() -> None:
    data = example()
    document = threat_composer.read(data)

    for assumption in data["assumptions"]:
        assert any(note.startswith(f"Assumption: {assumption['content']}") for note in document.notes)
    assert any(
        note.startswith("Architecture (from threat-composer):\nThere are two ways") for note in document.notes
    )
    assert "Impacted goal of the threat “submit a large number of resource intensive requests”: economy" in (
        document.notes
    )
    dangling = [w for w in document.warnings if w.where.startswith("mitigationLinks")]
    assert len(dangling) == 4
    assert all("a threat not in the file" in w.message for w in dangling)
    assert any(w.where == "architecture.image" for w in document.warnings)


def test_threat_composer_files_are_told_from_the_other_formats_by_their_keys() -> None:
    otm_example = json.loads((DATA / "otm" / "EXAMPLE.json").read_text())

    assert threat_composer.recognises(example())
    assert threat_composer.recognises({"threats": [{"id": "x", "numericId": 1, "threatAction": "do harm"}]})
    assert not threat_composer.recognises(otm_example)
    assert not otm.recognises(example())
    assert not threat_dragon.recognises(example())
    assert not threat_composer.recognises(
        json.loads((DATA / "threat-dragon" / "v2-threat-model.json").read_text())
    )


# A smaller workspace with the less common fields -----------------------------------------------------------


def test_a_workspaces_statuses_goals_and_assets_map_as_documented() -> None:
    document = threat_composer.read(booth())
    threats = {threat.ref[-1]: threat for threat in document.threats}

    assert [threat.ref[-1] for threat in document.threats] == ["1", "2", "3"]
    denial = threats["1"]
    assert (denial.status, denial.status_reason) == ("rejected", "Marked not useful in threat-composer.")
    assert denial.impacted_goals == ["non_repudiation"]
    assert threats["2"].impacted_goals == ["availability"]
    assert threats["2"].stride == ["D", "S"]
    assert [asset.name for asset in document.assets] == ["booking records", "Ticket inventory"]
    assert threats["2"].assets == [document.assets[1].ref]  # "ticket inventory" is the same asset
    statuses = {control.title: control.status for control in document.controls}
    assert statuses == {
        "Rate-limit bookings per account": "in_progress",
        "Require a CAPTCHA before checkout": "proposed",
        "Sign booking confirmations": "proposed",
    }
    assert "will not action" in next(
        w.message for w in document.warnings if w.where == "mitigations[1].status"
    )


def test_a_threat_written_as_a_free_statement_is_read_from_its_grammar() -> None:
    document = threat_composer.read(booth())

    insider = document.threats[2]

    assert (insider.threat_source, insider.threat_action) == ("insider", "refund tickets to their own card")
    assert "taken from its statement" in next(w.message for w in document.warnings if w.where == "threats[2]")


def test_a_statement_not_in_the_grammar_is_all_action() -> None:
    data = booth()
    data["threats"][2]["statement"] = "Refunds to an insider's own card"

    threat = threat_composer.read(data).threats[2]

    assert (threat.threat_source, threat.threat_action) == (
        "threat actor",
        "Refunds to an insider's own card",
    )


def test_comments_tags_packs_assumptions_and_brainstorm_go_to_the_notes() -> None:
    document = threat_composer.read(booth())
    notes = "\n".join(document.notes)

    assert (
        "Comments on the threat “book every ticket of a popular concert”: Seen during the last big sale."
        in notes
    )
    assert "Tags of the threat “book every ticket of a popular concert”: scalping" in notes
    assert "custom:team of the threat “book every ticket of a popular concert”: Booking" in notes
    assert "Impacted goal of the threat “book every ticket of a popular concert”: revenue" in notes
    assert (
        "Assumption: The booking API sits behind the company gateway.\nComments: Agreed with the platform team.\n"
        "Applies to the mitigation “Rate-limit bookings per account”, the threat "
        "“book every ticket of a popular concert”."
    ) in document.notes
    assert "The mitigation “Sign booking confirmations” rests on an assumption" in notes
    assert "Brainstormed threat sources: ticket reseller" in document.notes
    assert "(source, threatPackId)" in next(w.message for w in document.warnings if "came from" in w.message)


# Bad files -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.update(threats={"t": 1}), "threats"),
        (lambda d: d["threats"].__setitem__(1, "a threat"), "threats[1]"),
        (lambda d: d["threats"][0].update(threatAction=["book", "all"]), "threats[0].threatAction"),
        (lambda d: d["threats"][0].update(metadata={"Priority": "High"}), "threats[0].metadata"),
        (
            lambda d: d["threats"][0]["metadata"].__setitem__(1, {"key": "STRIDE", "value": 4}),
            "threats[0].metadata",
        ),
        (lambda d: d["threats"][0].update(impactedGoal="availability"), "threats[0].impactedGoal"),
        (lambda d: d.update(mitigations=[{"id": "m", "numericId": 1}]), "mitigations[0].content"),
        (lambda d: d["mitigationLinks"][0].update(mitigationId=None), "mitigationLinks[0].mitigationId"),
        (lambda d: d.update(applicationInfo="Ticket booth"), "applicationInfo"),
    ],
)
def test_a_wrongly_typed_or_missing_part_is_refused_with_its_place(change: Any, where: str) -> None:
    data = booth()
    change(data)

    assert refusal(data).where == where


def test_a_threat_with_neither_action_nor_statement_is_refused() -> None:
    data = booth()
    del data["threats"][2]["statement"]

    error = refusal(data)

    assert (error.message, error.where) == (
        "The threat has neither a threatAction nor a statement.",
        "threats[2]",
    )


def test_a_file_without_threats_is_refused() -> None:
    data = booth()
    data["threats"] = []

    error = refusal(data)

    assert error.where == "threats"
    assert "nothing to import" in error.message


def test_a_truncated_file_is_refused_where_it_stops() -> None:
    text = (DATA / "threat-composer" / "ThreatComposer.tc.json").read_bytes()[:20_000]

    with pytest.raises(InvalidModelFile) as caught:
        threat_composer.read(load_json(text))

    assert caught.value.message.startswith("This is not valid JSON")
    assert caught.value.where.startswith("line ")


def test_a_file_with_more_parts_than_an_import_takes_is_refused() -> None:
    threats = [
        {"id": f"t{i}", "numericId": i, "threatSource": "actor", "threatAction": "act"}
        for i in range(MAX_PARTS)
    ]

    error = refusal({"schema": 1, "threats": threats})

    assert f"{MAX_PARTS:,}" in error.message


def test_two_threats_with_one_id_are_refused() -> None:
    data = booth()
    data["threats"][1]["id"] = data["threats"][0]["id"]

    error = refusal(data)

    assert error.where == "threats[0].id"  # the second in numericId order
    assert "Another threat has the id" in error.message


# Writing and reading back ----------------------------------------------------------------------------------


def model() -> ModelDocument:
    long_impact = "the loss of " + "every customer's saved card and address " * 8
    return ModelDocument(
        format="otm",
        name="Payments",
        description="Card payments.",
        zones=[Zone("dc", "Data centre", trust_level=3)],
        assets=[Asset("cards", "Card data"), Asset("keys", "Signing keys")],
        components=[
            Component("api", "Payments API", "process", zone="dc", technology="Django"),
            Component("db", "Ledger", "data_store", zone="dc"),
        ],
        threats=[
            Threat(
                "t1",
                "fraudster",
                "replay a payment",
                prerequisites="with a captured request",
                threat_impact=long_impact.strip(),
                impacted_goals=["integrity", "non_repudiation", "authorisation"],
                assets=["cards"],
                stride=["T", "R"],
                status="confirmed",
                likelihood="very_low",
                targets=["api"],
            ),
            Threat(
                "t2",
                "insider",
                "read card numbers",
                stride=["I"],
                status="rejected",
                status_reason="Cards are tokenised.",
                likelihood="very_high",
                assets=["cards", "keys"],
            ),
            Threat(
                "t3", "attacker", "flood the API", stride=["D"], status="in_review", likelihood="moderate"
            ),
            Threat("t4", "auditor", "find no audit trail", status="accepted"),
            Threat("t5", "attacker", "steal signing keys", status="mitigated", assets=["keys"]),
            Threat("t6", "bot", "scrape prices", status="identified", likelihood="low"),
        ],
        controls=[
            Control(
                "c1", "Idempotency keys", description="Reject repeated keys. " * 60, status="implemented"
            ),
            Control(
                "c2",
                "Rate limiting",
                kind="detective",
                status="planned",
                ticket_url="https://tracker.example/P-1",
            ),
            Control("c3", "Audit log", status="verified"),
            Control("c4", "Tokenise cards", status="in_progress", kind="corrective"),
            Control("c5", "Unlinked control"),
        ],
        links=[
            Link("t1", "c1", effectiveness=80),
            Link("t1", "c2", effectiveness=20),
            Link("t3", "c2"),
            Link("t4", "c3", effectiveness=100),
            Link("t5", "c1", effectiveness=0),
            Link("t2", "c4"),
        ],
    )


def comparable(document: ModelDocument) -> dict[str, Any]:
    """Threats, controls and links by what they say rather than their refs."""
    assets = {asset.ref: asset.name for asset in document.assets}
    threats = {threat.ref: threat.threat_action for threat in document.threats}
    controls = {control.ref: control.title for control in document.controls}
    return {
        "threats": [
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
            )
            for t in document.threats
        ],
        "controls": [(c.title, c.description, c.kind, c.status, c.ticket_url) for c in document.controls],
        "links": sorted((threats[k.threat], controls[k.control], k.effectiveness) for k in document.links),
        "assets": sorted(assets.values()),
    }


def test_an_export_validates_against_threat_composers_schema() -> None:
    exported = threat_composer.write(model())

    assert schema_errors(exported) == []
    assert schema_errors(threat_composer.write(threat_composer.read(example()))) == []
    assert (
        schema_errors(
            threat_composer.write(
                threat_dragon.read(json.loads((DATA / "threat-dragon" / "v2-threat-model.json").read_text()))
            )
        )
        == []
    )
    assert threat_composer.recognises(exported)


def test_an_export_reads_back_with_the_same_threats_controls_and_links() -> None:
    document = model()

    again = threat_composer.read(json.loads(json.dumps(threat_composer.write(document))))

    assert comparable(again) == comparable(document)
    # The format has no components: the model comes back as the one application, which every threat targets.
    assert [(c.name, c.kind) for c in again.components] == [("Payments", "process")]


def test_an_exported_threat_reads_as_threat_composer_shows_it() -> None:
    exported = threat_composer.write(model())
    replay = exported["threats"][0]

    assert (replay["threatSource"], replay["threatAction"], replay["status"]) == (
        "fraudster",
        "replay a payment",
        "threatIdentified",
    )
    assert len(replay["threatImpact"]) <= 200
    assert replay["threatImpact"].endswith("…")
    assert replay["impactedGoal"] == ["integrity", "non-repudiation", "authorisation"]
    assert metadata(replay, "Priority") == "Low"
    assert metadata(replay, "STRIDE") == ["T", "R"]
    assert replay["statement"].startswith(
        "A fraudster with a captured request can replay a payment, which leads to"
    )
    assert exported["mitigations"][1]["status"] == "mitigationIdentified"  # planned
    assert "**Payments API** (process, in Data centre, Django)" in exported["architecture"]["description"]


def test_a_value_edited_in_threat_composer_wins_over_the_one_it_replaced() -> None:
    exported = threat_composer.write(model())
    replay = exported["threats"][0]
    replay["threatImpact"] = "double charges"
    replay["status"] = "threatResolved"
    for entry in replay["metadata"]:
        if entry["key"] == "Priority":
            entry["value"] = "High"

    threat = threat_composer.read(exported).threats[0]

    assert (threat.threat_impact, threat.status, threat.likelihood) == ("double charges", "mitigated", "high")


def test_the_example_reads_back_the_same_after_an_export() -> None:
    document = threat_composer.read(example())

    again = threat_composer.read(threat_composer.write(document))

    assert comparable(again) == comparable(document)
