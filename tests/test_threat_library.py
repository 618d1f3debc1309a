"""The shipped threat library: its content rules, and which entries `applicable` suggests for what."""

import re
from collections import Counter

import pytest

from projects.threat_library import (
    LIBRARY,
    Conditions,
    LibraryEntry,
    SuggestedControl,
    Target,
    applicable,
    entry,
)

STRIDE_LETTERS = {"S", "T", "R", "I", "D", "E"}
GOALS = {"confidentiality", "integrity", "availability", "authenticity", "non_repudiation", "authorisation"}
CONTROL_KINDS = {"preventive", "detective", "corrective"}
COMPONENT_KINDS = {"actor", "process", "data_store", "external_service"}

REQUIRED_COVERAGE: dict[str, set[str]] = {
    "actor": {"S", "R"},
    "process": {"S", "T", "R", "I", "D", "E"},
    "data_store": {"T", "I", "D"},
    "external_service": {"S", "T", "R", "I", "D", "E"},
    "flow": {"S", "T", "I", "D"},
}
REQUIRED_PAIRS = [(kind, letter) for kind, letters in REQUIRED_COVERAGE.items() for letter in sorted(letters)]

# What a plain component or flow, described without any technology, should already be warned about.
PLAIN_TARGETS = {
    "actor": Target(kind="actor"),
    "process": Target(kind="process"),
    "data_store": Target(kind="data_store"),
    "external_service": Target(kind="external_service"),
    "flow": Target(kind="flow", crosses_boundary=True),
}

FLOW_TARGETS = [
    Target(
        kind="flow", technology=protocol, crosses_boundary=crosses, encrypted=encrypted, authenticated=auth
    )
    for protocol in ("", "HTTPS", "PostgreSQL wire protocol", "SFTP", "WebSocket")
    for crosses in (False, True)
    for encrypted in (False, True)
    for auth in (False, True)
]
COMPONENT_TARGETS = [
    Target(kind=kind, technology=technology)
    for kind in sorted(COMPONENT_KINDS)
    for technology in ("", "Django on Kubernetes", "PostgreSQL", "HTTP REST API", "Stripe webhooks")
]

OPENING_WORDS = {"with", "who", "whose", "that", "on", "in", "inside", "holding", "positioned", "sending"}


def keys_of(entries: list[LibraryEntry]) -> set[str]:
    return {library_entry.key for library_entry in entries}


def test_the_library_ships_at_least_72_entries() -> None:
    assert len(LIBRARY) >= 72


def test_keys_are_unique_slugs() -> None:
    keys = [library_entry.key for library_entry in LIBRARY]
    assert [key for key, count in Counter(keys).items() if count > 1] == []
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key) for key in keys)


def test_keys_name_the_kind_of_target_they_apply_to() -> None:
    for library_entry in LIBRARY:
        (kind,) = library_entry.conditions.targets
        assert library_entry.key.startswith(kind.replace("_", "-") + "-"), library_entry.key


def test_titles_are_distinct() -> None:
    titles = [library_entry.title.casefold() for library_entry in LIBRARY]
    assert [title for title, count in Counter(titles).items() if count > 1] == []


def test_no_two_entries_share_a_threat_action() -> None:
    actions = [library_entry.threat_action.casefold() for library_entry in LIBRARY]
    assert [action for action, count in Counter(actions).items() if count > 1] == []


def test_no_two_entries_share_a_threat_impact_or_a_control() -> None:
    impacts = Counter(library_entry.threat_impact for library_entry in LIBRARY)
    controls = Counter(library_entry.control.title for library_entry in LIBRARY)
    assert [impact for impact, count in impacts.items() if count > 1] == []
    assert [control for control, count in controls.items() if count > 1] == []


def test_statements_are_distinct() -> None:
    statements = [library_entry.statement("the system") for library_entry in LIBRARY]
    assert len(set(statements)) == len(statements)


def test_every_entry_uses_valid_stride_letters() -> None:
    for library_entry in LIBRARY:
        assert library_entry.stride, library_entry.key
        assert set(library_entry.stride) <= STRIDE_LETTERS, library_entry.key
        assert len(set(library_entry.stride)) == len(library_entry.stride), library_entry.key


def test_every_entry_names_valid_impacted_goals() -> None:
    for library_entry in LIBRARY:
        assert library_entry.impacted_goals, library_entry.key
        assert set(library_entry.impacted_goals) <= GOALS, library_entry.key


def test_every_entry_suggests_a_described_control_of_a_valid_kind() -> None:
    for library_entry in LIBRARY:
        assert library_entry.control.kind in CONTROL_KINDS, library_entry.key
        assert library_entry.control.title.strip(), library_entry.key
        assert len(library_entry.control.description) > len(library_entry.control.title), library_entry.key


def test_every_entry_has_a_real_reference() -> None:
    for library_entry in LIBRARY:
        assert library_entry.references, library_entry.key
        for reference in library_entry.references:
            match = re.fullmatch(r"(CWE|CAPEC)-(\d+)", reference)
            assert match, f"{library_entry.key}: {reference}"
            # CWE ids run to about 1,430 and CAPEC ids to about 700; anything far beyond is a typo.
            assert 1 <= int(match[2]) <= (1500 if match[1] == "CWE" else 800), reference


def test_every_entry_fits_the_threat_and_control_fields_it_is_copied_into() -> None:
    for library_entry in LIBRARY:
        assert len(library_entry.key) <= 100, library_entry.key
        assert len(library_entry.threat_source) <= 200, library_entry.key
        for text in (library_entry.prerequisites, library_entry.threat_action, library_entry.threat_impact):
            assert len(text) <= 500, library_entry.key
        assert len(library_entry.control.title) <= 200, library_entry.key
        assert len(library_entry.control.description) <= 5_000, library_entry.key


@pytest.mark.parametrize("library_entry", LIBRARY, ids=lambda library_entry: library_entry.key)
def test_statement_fields_read_as_one_sentence(library_entry: LibraryEntry) -> None:
    source = library_entry.threat_source
    assert source == source.strip()
    assert source[0].islower()
    assert source.split()[0] not in {"a", "an", "the"}
    assert library_entry.prerequisites.split()[0] in OPENING_WORDS
    assert library_entry.threat_action.split()[0] not in {"to", "can", "will"}
    for text in (
        source,
        library_entry.prerequisites,
        library_entry.threat_action,
        library_entry.threat_impact,
    ):
        assert not text.endswith((".", ",", " ")), text


def test_a_statement_reads_in_the_threat_grammar() -> None:
    statement = entry("flow-cleartext-sniffing").statement("customer card data")
    assert statement == (
        "A network attacker positioned on a network segment, Wi-Fi network or provider path that the flow "
        "crosses can capture the flow's traffic and read the credentials and data in it, which leads to "
        "disclosure of the data carried and of any credentials or session tokens in it, resulting in reduced "
        "confidentiality of customer card data"
    )


def test_a_statement_joins_several_goals_and_picks_the_article() -> None:
    statement = entry("process-missing-authentication").statement("the admin API")
    assert statement.startswith("An external attacker who discovers")
    assert statement.endswith(
        "resulting in reduced authorisation, confidentiality and integrity of the admin API"
    )
    assert "non-repudiation of" in entry("actor-shared-account").statement("the ledger")


@pytest.mark.parametrize(("kind", "letter"), REQUIRED_PAIRS, ids=[f"{k}-{s}" for k, s in REQUIRED_PAIRS])
def test_the_library_covers_each_required_stride_category(kind: str, letter: str) -> None:
    covering = [e for e in LIBRARY if kind in e.conditions.targets and letter in e.stride]
    assert covering


@pytest.mark.parametrize("kind", sorted(REQUIRED_COVERAGE))
def test_a_target_described_without_technology_gets_its_required_categories(kind: str) -> None:
    suggested = {
        letter for library_entry in applicable(PLAIN_TARGETS[kind]) for letter in library_entry.stride
    }
    assert REQUIRED_COVERAGE[kind] <= suggested


def test_flow_entries_include_ones_for_boundaries_cleartext_and_missing_authentication() -> None:
    flow_conditions = [e.conditions for e in LIBRARY if "flow" in e.conditions.targets]
    assert sum(c.crosses_boundary is True for c in flow_conditions) >= 5
    assert sum(c.encrypted is False for c in flow_conditions) >= 3
    assert sum(c.authenticated is False for c in flow_conditions) >= 2


def test_entries_apply_to_flows_or_to_components_never_both() -> None:
    for library_entry in LIBRARY:
        targets = library_entry.conditions.targets
        assert targets == {"flow"} or (targets and targets <= COMPONENT_KINDS), library_entry.key


def test_flow_conditions_appear_only_on_flow_entries() -> None:
    for library_entry in LIBRARY:
        if "flow" in library_entry.conditions.targets:
            continue
        conditions = library_entry.conditions
        assert (conditions.crosses_boundary, conditions.encrypted, conditions.authenticated) == (
            None,
            None,
            None,
        )


@pytest.mark.parametrize("library_entry", LIBRARY, ids=lambda library_entry: library_entry.key)
def test_every_entry_is_suggested_for_a_target_that_meets_its_conditions(library_entry: LibraryEntry) -> None:
    conditions = library_entry.conditions
    keywords = sorted(conditions.technology_keywords)
    target = Target(
        kind=sorted(conditions.targets)[0],
        technology=f"Managed {keywords[0].upper()} service" if keywords else "",
        crosses_boundary=bool(conditions.crosses_boundary),
        encrypted=bool(conditions.encrypted),
        authenticated=bool(conditions.authenticated),
    )
    assert library_entry in applicable(target)


def test_an_unencrypted_flow_crossing_a_boundary_gets_the_sniffing_entry() -> None:
    flow = Target(kind="flow", technology="HTTP", crosses_boundary=True, encrypted=False)
    assert "flow-cleartext-sniffing" in keys_of(applicable(flow))


def test_an_encrypted_flow_crossing_a_boundary_does_not_get_the_sniffing_entry() -> None:
    flow = Target(kind="flow", technology="HTTPS", crosses_boundary=True, encrypted=True)
    suggested = keys_of(applicable(flow))
    assert "flow-cleartext-sniffing" not in suggested
    assert {"flow-certificate-not-validated", "flow-protocol-downgrade"} <= suggested


def test_an_unencrypted_flow_inside_a_zone_gets_the_internal_sniffing_entry_only() -> None:
    suggested = keys_of(applicable(Target(kind="flow", crosses_boundary=False, encrypted=False)))
    assert "flow-internal-cleartext" in suggested
    assert "flow-cleartext-sniffing" not in suggested


def test_an_unauthenticated_flow_crossing_a_boundary_gets_the_spoofed_sender_entry() -> None:
    unauthenticated = Target(kind="flow", crosses_boundary=True, encrypted=True, authenticated=False)
    authenticated = Target(kind="flow", crosses_boundary=True, encrypted=True, authenticated=True)
    assert "flow-unauthenticated-sender" in keys_of(applicable(unauthenticated))
    assert "flow-unauthenticated-sender" not in keys_of(applicable(authenticated))
    assert "flow-request-replay" in keys_of(applicable(authenticated))


def test_a_flow_inside_a_zone_gets_no_boundary_entries() -> None:
    suggested = applicable(Target(kind="flow", technology="HTTP", crosses_boundary=False))
    assert all(e.conditions.crosses_boundary is not True for e in suggested)


@pytest.mark.parametrize(
    "technology", ["PostgreSQL 16", "MySQL 8", "Azure SQL Database", "POSTGRES", "Oracle"]
)
def test_sql_injection_is_suggested_for_sql_data_stores(technology: str) -> None:
    assert "data-store-sql-injection" in keys_of(applicable(Target(kind="data_store", technology=technology)))


@pytest.mark.parametrize("technology", ["", "MongoDB Atlas", "Redis 7", "Amazon S3", "Kafka topic"])
def test_sql_injection_is_not_suggested_for_other_data_stores(technology: str) -> None:
    assert "data-store-sql-injection" not in keys_of(
        applicable(Target(kind="data_store", technology=technology))
    )


def test_technology_keywords_pick_the_entries_for_a_document_database() -> None:
    suggested = keys_of(applicable(Target(kind="data_store", technology="MongoDB Atlas")))
    assert {"data-store-nosql-injection", "data-store-exposed-without-authentication"} <= suggested
    assert "data-store-public-bucket" not in suggested


def test_sql_injection_is_not_suggested_for_a_process_even_with_sql_technology() -> None:
    assert "data-store-sql-injection" not in keys_of(
        applicable(Target(kind="process", technology="PostgreSQL"))
    )


def test_entries_with_technology_keywords_never_apply_without_technology() -> None:
    for target in PLAIN_TARGETS.values():
        assert all(not e.conditions.technology_keywords for e in applicable(target))


@pytest.mark.parametrize("flow", FLOW_TARGETS)
def test_a_flow_never_receives_component_entries(flow: Target) -> None:
    assert all(e.conditions.targets == {"flow"} for e in applicable(flow))


@pytest.mark.parametrize("component", COMPONENT_TARGETS)
def test_a_component_only_receives_entries_for_its_kind(component: Target) -> None:
    suggested = applicable(component)
    assert suggested
    assert all(
        component.kind in e.conditions.targets and "flow" not in e.conditions.targets for e in suggested
    )


def test_an_unknown_kind_receives_nothing() -> None:
    assert applicable(Target(kind="trust_zone", technology="PostgreSQL")) == []


def test_suggestions_come_in_library_order() -> None:
    suggested = applicable(Target(kind="process", technology="Django REST API with JWT on Kubernetes"))
    positions = [LIBRARY.index(library_entry) for library_entry in suggested]
    assert positions == sorted(positions)
    assert len(suggested) > 20


def test_entry_finds_an_entry_by_its_key() -> None:
    assert entry("data-store-sql-injection").references == ("CWE-89", "CAPEC-66")


def test_entry_raises_key_error_for_an_unknown_key() -> None:
    with pytest.raises(KeyError):
        entry("process-no-such-threat")


def test_conditions_refuse_to_mix_flows_and_components() -> None:
    with pytest.raises(ValueError):
        Conditions(targets=frozenset({"flow", "process"}))
    with pytest.raises(ValueError):
        Conditions(targets=frozenset({"process"}), encrypted=False)
    with pytest.raises(ValueError):
        Conditions(targets=frozenset({"trust_zone"}))


def test_an_entry_with_an_unknown_letter_goal_or_reference_is_refused() -> None:
    valid = entry("process-session-hijacking")
    fields = {name: getattr(valid, name) for name in valid.__dataclass_fields__}
    for bad in ({"stride": ("X",)}, {"impacted_goals": ("privacy",)}, {"references": ("OWASP-A01",)}):
        with pytest.raises(ValueError):
            LibraryEntry(**{**fields, **bad})
    with pytest.raises(ValueError):
        SuggestedControl(title="Pray", description="Hope nobody notices.", kind="hopeful")
