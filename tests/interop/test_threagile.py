"""Threagile models read into a model document: architecture, data assets, identified risks and their tracking."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from projects.interop import threagile
from projects.interop.document import InvalidModelFile, ModelDocument
from projects.interop.loading import load_any, load_yaml
from tests.data import INTEROP_DATA

DATA = INTEROP_DATA
EXAMPLE = DATA / "threagile" / "threagile-example.yaml"
TRACKED = Path(__file__).parent / "files" / "threagile" / "tracked-risks.yaml"


def read(path: Path) -> ModelDocument:
    return threagile.read(load_yaml(path.read_bytes()))


def by_ref(parts: list[Any]) -> dict[str, Any]:
    return {part.ref: part for part in parts}


def messages(document: ModelDocument) -> list[str]:
    return [str(warning) for warning in document.warnings]


def refused(data: Any) -> InvalidModelFile:
    with pytest.raises(InvalidModelFile) as caught:
        threagile.read(data)
    return caught.value


def minimal(**sections: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "threagile_version": "1.0.0",
        "title": "Small",
        "data_assets": {"Orders": {"id": "orders", "confidentiality": "internal"}},
        "technical_assets": {
            "Web": {"id": "web", "type": "process", "communication_links": {}},
            "Db": {"id": "db", "type": "datastore"},
        },
    }
    data.update(sections)
    return data


# The example model Threagile ships ----------------------------------------------------------------------------------


def test_the_example_imports_with_the_counts_of_the_file() -> None:
    raw = yaml.safe_load(EXAMPLE.read_text())  # counted with a plain YAML reader, not ours
    document = read(EXAMPLE)

    # By hand: 5 trust boundaries, 12 data assets, 14 technical assets holding 20 communication links, and one
    # risk category with a mitigation and two identified risks.
    links = sum(len(asset.get("communication_links") or {}) for asset in raw["technical_assets"].values())
    risks = sum(len(category["risks_identified"]) for category in raw["individual_risk_categories"].values())
    assert len(document.zones) == len(raw["trust_boundaries"]) == 5
    assert len(document.assets) == len(raw["data_assets"]) == 12
    assert len(document.components) == len(raw["technical_assets"]) == 14
    assert len(document.flows) == links == 20
    assert len(document.threats) == risks == 2
    assert len(document.controls) == len(raw["individual_risk_categories"]) == 1
    assert len(document.links) == 2


def test_the_example_maps_its_architecture() -> None:
    document = read(EXAMPLE)

    components = by_ref(document.components)
    assert components["customer-client"].kind == "actor"  # external-entity used by a human
    assert components["sql-database"].kind == "data_store"
    assert components["erp-system"].kind == "process"
    assert components["apache-webserver"].technology == "web-server"
    assert components["apache-webserver"].tags == ["linux", "apache", "aws:ec2"]
    assert components["apache-webserver"].zone == "web-dmz"
    assert components["customer-client"].zone == ""  # in no boundary
    zones = by_ref(document.zones)
    assert {ref for ref, zone in zones.items() if zone.parent == "application-network"} == {
        "web-dmz",
        "erp-dmz",
        "auth-env",
    }
    assert {zone.trust_level for zone in document.zones} == {2}
    flows = by_ref(document.flows)
    traffic = flows["customer-client>customer-traffic"]
    assert (traffic.source, traffic.destination, traffic.protocol) == (
        "customer-client",
        "load-balancer",
        "https",
    )
    assert (traffic.is_encrypted, traffic.is_authenticated) == (True, True)
    cms = flows["load-balancer>cms-content-traffic"]
    assert (cms.protocol, cms.is_encrypted, cms.is_authenticated) == ("http", False, False)
    assert flows["marketing-cms>auth-traffic"].is_encrypted is False  # ldap
    assert flows["identity-provider>ldap-credential-check-traffic"].is_encrypted is True  # ldaps
    assert cms.data_carried == "Receives: Marketing Material."
    assets = by_ref(document.assets)
    accounts = assets["customer-accounts"]  # merged from the customer-contracts anchor
    assert (accounts.classification, accounts.confidentiality) == ("restricted", 4)
    assert (accounts.integrity, accounts.availability) == (4, 4)
    summaries = assets["contract-summaries"]
    assert (summaries.classification, summaries.integrity, summaries.availability) == ("confidential", 2, 2)
    assert assets["erp-logs"].integrity == 1  # archive


def test_the_example_keeps_out_of_scope_assets_tagged_and_warned_about() -> None:
    document = read(EXAMPLE)

    out = [component.ref for component in document.components if "out of scope" in component.tags]
    assert out == ["customer-client", "backoffice-client", "backend-admin-client", "external-dev-client"]
    assert (
        'technical_assets["Customer Web Client"].out_of_scope: “Customer Web Client” is out of scope (Owned and '
        "managed by end-user customer); it is imported tagged “out of scope”."
    ) in messages(document)


def test_the_example_risks_become_threats_linked_to_the_category_control() -> None:
    document = read(EXAMPLE)

    threats = by_ref(document.threats)
    database = threats["something-strange@sql-database"]
    assert (
        database.threat_action
        == "Example Individual Risk at Database: Some text describing the risk category..."
    )
    assert database.threat_impact == "Some text describing the impact..."
    assert database.stride == ["R"]
    assert database.likelihood == "moderate"  # likely
    assert database.targets == ["sql-database"]
    assert database.status == "identified"  # no tracking names it
    assert threats["something-strange@contract-file-server"].likelihood == "very_high"  # frequent
    (control,) = document.controls
    assert control.title == "Some text describing the action..."
    assert control.description.startswith("Some text describing the mitigation...")
    assert {(link.threat, link.control) for link in document.links} == {
        ("something-strange@sql-database", "something-strange"),
        ("something-strange@contract-file-server", "something-strange"),
    }


def test_the_example_says_what_it_does_not_keep() -> None:
    document = read(EXAMPLE)

    said = messages(document)
    assert any(m.startswith("risk_tracking: 6 risk-tracking entries") for m in said)
    assert any(m.startswith("shared_runtimes:") for m in said)
    assert "abuse_cases: The model's 11 abuse cases are kept in the notes." in said
    assert any(m.startswith("communication_links: Not kept: authorization") for m in said)
    notes = "\n".join(document.notes)
    assert "Abuse case “Ransomware”: As a hacker I want to encrypt the storage" in notes
    assert "Question “How are the admin clients managed/protected against compromise?”: (unanswered)" in notes
    assert (
        "Risk tracking “untrusted-deserialization@erp-system”: accepted, Risk accepted as tolerable" in notes
    )
    assert "Shared runtime “WebApp and Backoffice Virtualization”" in notes


# Risk tracking, controls and the rest ----------------------------------------------------------------------------------


def test_risk_tracking_sets_each_risks_status_exact_ids_before_patterns() -> None:
    threats = by_ref(read(TRACKED).threats)

    exact = threats["sqli@web@orders"]
    assert exact.status == "mitigated"
    assert (
        exact.status_reason
        == "All queries go through the ORM (ticket ORD-12, checked by Jane Roe, on 2024-02-01)"
    )
    assert threats["sqli@web>database-access"].status == "confirmed"  # sqli@* says in-progress
    assert threats["sqli@web>database-access"].status_reason == "Moving the last queries over"
    assert threats["weak-tls@user>browse"].status == "mitigated"
    partner = threats["partner-abuse@partner@network"]
    assert (partner.status, partner.status_reason) == ("rejected", "Marked a false positive in Threagile.")


def test_risks_target_assets_links_and_data() -> None:
    threats = by_ref(read(TRACKED).threats)

    assert threats["sqli@web@orders"].targets == ["web", "db"]  # most relevant, then the data-breach assets
    assert threats["sqli@web@orders"].assets == ["orders"]
    assert threats["sqli@web>database-access"].targets == ["web>database-access"]
    assert threats["weak-tls@user>browse"].stride == ["I"]
    assert threats["partner-abuse@partner@network"].stride == ["E"]
    assert [threat.likelihood for threat in threats.values()] == ["moderate", "low", "very_high", "high"]


def test_a_category_control_follows_the_tracking_of_its_risks() -> None:
    document = read(TRACKED)

    controls = by_ref(document.controls)
    assert controls["sqli"].status == "in_progress"  # one mitigated, one in progress
    assert controls["sqli"].title == "Parameterised queries"
    assert "Cheat sheet: https://cheatsheetseries.owasp.org" in controls["sqli"].description
    assert controls["weak-tls"].status == "implemented"  # every risk mitigated
    assert controls["weak-tls"].title == "Mitigation of Weak TLS"
    assert "partner-abuse" not in controls  # no mitigation written for it


def test_tracking_of_risks_the_file_does_not_hold_goes_to_the_notes() -> None:
    document = read(TRACKED)

    assert (
        "risk_tracking: The risk tracking missing-hardening@* is for risks that Threagile's rules find, which the file does not hold; kept in the notes."
        in messages(document)
    )
    assert (
        "Risk tracking “missing-hardening@*”: accepted, Hardening is the hosting provider's" in document.notes
    )


def test_types_and_boundaries_of_the_small_model() -> None:
    document = read(TRACKED)

    components = by_ref(document.components)
    assert components["user"].kind == "actor"
    assert components["partner"].kind == "external_service"  # an external entity no person uses as a client
    assert components["partner"].zone == "network"
    assert components["db"].zone == "dmz"
    assert by_ref(document.zones)["dmz"].parent == "network"
    assert components["db"].assets == ["orders", "order-archive"]
    assert document.description == (
        "Business overview: Takes orders from customers & partners.\n\n"
        "Technical overview: A web server in front of a database."
    )
    assert by_ref(document.assets)["order-archive"].availability == 1  # the merge key, then its own archive


def test_it_recognises_threagile_models() -> None:
    assert threagile.recognises(load_any(EXAMPLE.read_bytes()))
    assert threagile.recognises({"technical_assets": {}})
    assert not threagile.recognises(load_any((DATA / "otm" / "EXAMPLE.json").read_bytes()))
    assert not threagile.recognises(load_any((DATA / "threat-dragon" / "v2-threat-model.json").read_bytes()))


def test_a_link_to_itself_is_left_out_with_a_warning() -> None:
    data = minimal()
    data["technical_assets"]["Web"]["communication_links"] = {"Loop": {"target": "web", "protocol": "http"}}
    document = threagile.read(data)
    assert document.flows == []
    assert (
        "technical_assets.Web.communication_links.Loop: The link “Loop” goes from a technical asset to itself; it is not imported."
        in messages(document)
    )


# Refusals --------------------------------------------------------------------------------------------------------------


def test_it_refuses_a_model_with_no_technical_assets_and_no_risks() -> None:
    error = refused(minimal(technical_assets={}))
    assert (
        error.message
        == "The model has no technical assets and no identified risks, so there is nothing to import."
    )


def test_it_refuses_a_link_to_an_unknown_asset() -> None:
    data = minimal()
    data["technical_assets"]["Web"]["communication_links"] = {
        "Query": {"target": "ghost", "protocol": "jdbc"}
    }
    error = refused(data)
    assert error.where == "technical_assets.Web.communication_links.Query.target"
    assert error.message == "The target “ghost” is not one of the technical assets."


def test_it_names_a_place_whose_key_has_spaces_in_brackets() -> None:
    data = minimal()
    data["technical_assets"]["Web"]["communication_links"] = {"Order queries": {"protocol": "jdbc"}}
    error = refused(data)
    assert error.where == 'technical_assets.Web.communication_links["Order queries"].target'
    assert error.message == "The link's target is required here."


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        ({"technical_assets": [{"id": "web"}]}, "technical_assets", "Expected an object here, found a list."),
        ({"title": None}, "title", "The model's title is required here."),
        ({"title": {"en": "Small"}}, "title", "Expected text here, found an object."),
        (
            {"data_assets": {"Orders": {"confidentiality": "internal"}}},
            "data_assets.Orders.id",
            "The data asset's id is required here.",
        ),
        (
            {"trust_boundaries": {"DMZ": {"id": "dmz", "technical_assets_inside": ["ghost"]}}},
            "trust_boundaries.DMZ.technical_assets_inside[0]",
            "“ghost” is not one of the technical assets.",
        ),
        (
            {"trust_boundaries": {"DMZ": {"id": "dmz", "trust_boundaries_nested": "inner"}}},
            "trust_boundaries.DMZ.trust_boundaries_nested",
            "Expected a list here, found text.",
        ),
    ],
)
def test_it_refuses_wrong_types_and_missing_structure_naming_the_place(
    change: dict[str, Any], where: str, message: str
) -> None:
    error = refused(minimal(**change))
    assert (error.where, error.message) == (where, message)


def test_it_refuses_an_unknown_data_asset_on_a_technical_asset() -> None:
    data = minimal()
    data["technical_assets"]["Db"]["data_assets_stored"] = ["orders", "ghost"]
    error = refused(data)
    assert (error.where, error.message) == (
        "technical_assets.Db.data_assets_stored[1]",
        "“ghost” is not one of the data assets.",
    )


def test_it_refuses_a_risk_on_an_unknown_technical_asset() -> None:
    data = minimal(
        individual_risk_categories={
            "Odd": {
                "id": "odd",
                "stride": "spoofing",
                "risks_identified": {"Odd at X": {"most_relevant_technical_asset": "x"}},
            }
        }
    )
    error = refused(data)
    assert (
        error.where
        == 'individual_risk_categories.Odd.risks_identified["Odd at X"].most_relevant_technical_asset'
    )
    assert error.message == "“x” is not one of the technical assets."


def test_it_refuses_boundaries_nested_in_a_circle() -> None:
    data = minimal(
        trust_boundaries={
            "A": {"id": "a", "trust_boundaries_nested": ["b"]},
            "B": {"id": "b", "trust_boundaries_nested": ["a"]},
        }
    )
    error = refused(data)
    assert "nested in a circle" in error.message


def test_a_truncated_or_tagged_file_is_refused_with_its_place() -> None:
    text = EXAMPLE.read_bytes()
    with pytest.raises(InvalidModelFile) as caught:
        load_yaml(text[:2000] + b"\n  - [unclosed")
    assert caught.value.where.startswith("line ")
    with pytest.raises(InvalidModelFile) as caught:
        load_yaml(b"title: !!python/object:os.system x\n")
    assert caught.value.message == "The YAML tag tag:yaml.org,2002:python/object:os.system is not accepted."
