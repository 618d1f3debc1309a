"""The data-flow diagram: DOT written from plain values, rendered to SVG by the real Graphviz `dot`."""

import os
import random
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from projects.diagram import (
    Diagram,
    DiagramComponent,
    DiagramFlow,
    DiagramZone,
    GraphvizFailed,
    GraphvizMissing,
    graphviz_available,
    render_svg,
    to_dot,
)

SVG = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"
BOUNDARY_RED = "#c0392b"


@pytest.fixture
def requires_dot() -> None:
    """Skips where Graphviz is not installed, but fails on CI, where a missing `dot` is a broken image."""
    if graphviz_available():
        return
    reason = "Graphviz's `dot` is not on PATH; install the Debian package: sudo apt-get install graphviz"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def flow(
    id: int,
    source_id: int,
    destination_id: int,
    label: str = "",
    *,
    encrypted: bool = True,
    authenticated: bool = True,
    crosses_boundary: bool = False,
) -> DiagramFlow:
    return DiagramFlow(id, source_id, destination_id, label, encrypted, authenticated, crosses_boundary)


def payments_system() -> Diagram:
    return Diagram(
        zones=[
            DiagramZone(1, "Internet", 0, None),
            DiagramZone(2, "Internal", 3, None),
            DiagramZone(3, "Card data environment", 5, parent_id=2),
        ],
        components=[
            DiagramComponent(1, "Customer", "actor", zone_id=1),
            DiagramComponent(2, "Payments API", "process", zone_id=2, technology="Django"),
            DiagramComponent(3, "Card vault", "data_store", zone_id=3, technology="PostgreSQL"),
            DiagramComponent(4, "Stripe", "external_service", zone_id=None),
        ],
        flows=[
            flow(1, 1, 2, "Card details", crosses_boundary=True),
            flow(2, 2, 3, "Token lookup", encrypted=False, authenticated=False, crosses_boundary=True),
            flow(3, 2, 4, "Charge", crosses_boundary=True),
            flow(4, 2, 2, "Retry", encrypted=False),
        ],
    )


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def element_by_id(root: ET.Element, element_id: str) -> ET.Element:
    found = root.find(f".//*[@id='{element_id}']")
    assert found is not None, f"no element with id {element_id!r}"
    return found


def texts(element: ET.Element) -> list[str]:
    return [text.text or "" for text in element.iter(f"{SVG}text")]


def tooltip(element: ET.Element) -> str:
    anchor = element.find(f".//*[@{XLINK_TITLE}]")
    assert anchor is not None, "no tooltip"
    return anchor.get(XLINK_TITLE, "")


def cluster_nesting(dot: str) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """(cluster -> enclosing cluster, node -> enclosing cluster), read from the DOT's braces."""
    clusters: dict[str, str | None] = {}
    nodes: dict[str, str | None] = {}
    stack: list[str] = []
    for line in dot.splitlines()[1:-1]:
        statement = line.strip()
        if statement.startswith('subgraph "cluster_'):
            name = statement.split('"')[1]
            clusters[name] = stack[-1] if stack else None
            stack.append(name)
        elif statement == "}":
            stack.pop()
        elif statement.startswith('"component-') and " -> " not in statement:
            nodes[statement.split('"')[1]] = stack[-1] if stack else None
    return clusters, nodes


def test_zones_become_clusters_nested_by_parent() -> None:
    clusters, nodes = cluster_nesting(to_dot(payments_system()))

    assert clusters == {"cluster_zone_1": None, "cluster_zone_2": None, "cluster_zone_3": "cluster_zone_2"}
    assert nodes == {
        "component-1": "cluster_zone_1",
        "component-2": "cluster_zone_2",
        "component-3": "cluster_zone_3",
        "component-4": None,
    }


def test_zone_clusters_are_labelled_with_name_and_trust_level_inside_a_dashed_red_boundary() -> None:
    dot = to_dot(payments_system())

    zone_line = next(line for line in dot.splitlines() if 'id="zone-3"' in line)
    assert 'label="Card data environment (trust level 5)"' in zone_line
    assert 'style="dashed,rounded"' in zone_line
    assert f'color="{BOUNDARY_RED}"' in zone_line


def test_zones_with_a_missing_parent_or_on_a_parent_cycle_are_drawn_at_the_top_level() -> None:
    diagram = Diagram(
        zones=[
            DiagramZone(1, "Orphan", 1, parent_id=99),
            DiagramZone(2, "Loop A", 1, parent_id=3),
            DiagramZone(3, "Loop B", 1, parent_id=2),
            DiagramZone(4, "Below the loop", 1, parent_id=3),
        ],
        components=[DiagramComponent(id, f"Component {id}", "process", zone_id=id) for id in (1, 2, 3, 4)],
        flows=[],
    )

    clusters, _ = cluster_nesting(to_dot(diagram))

    assert clusters == {
        "cluster_zone_1": None,
        "cluster_zone_2": None,
        "cluster_zone_3": None,
        "cluster_zone_4": "cluster_zone_3",
    }


def test_zones_without_components_are_left_out_but_their_occupied_children_are_kept() -> None:
    diagram = Diagram(
        zones=[
            DiagramZone(1, "Empty", 1, None),
            DiagramZone(2, "Only a sub-zone", 2, None),
            DiagramZone(3, "Occupied", 3, parent_id=2),
        ],
        components=[DiagramComponent(1, "Worker", "process", zone_id=3)],
        flows=[],
    )

    clusters, nodes = cluster_nesting(to_dot(diagram))

    assert clusters == {"cluster_zone_2": None, "cluster_zone_3": "cluster_zone_2"}
    assert nodes == {"component-1": "cluster_zone_3"}


def test_components_with_an_unknown_zone_are_drawn_outside_every_zone() -> None:
    diagram = Diagram(zones=[], components=[DiagramComponent(1, "Worker", "process", zone_id=7)], flows=[])

    assert cluster_nesting(to_dot(diagram)) == ({}, {"component-1": None})


def test_to_dot_is_the_same_text_whatever_the_order_of_its_input() -> None:
    diagram = payments_system()
    shuffled = random.Random(4)
    reordered = Diagram(
        zones=shuffled.sample(list(diagram.zones), len(diagram.zones)),
        components=list(reversed(diagram.components)),
        flows=shuffled.sample(list(diagram.flows), len(diagram.flows)),
    )

    assert to_dot(reordered) == to_dot(diagram)
    assert to_dot(diagram).index('id="flow-1"') < to_dot(diagram).index('id="flow-4"')


def test_to_dot_lays_the_diagram_out_left_to_right() -> None:
    assert "rankdir=LR" in to_dot(payments_system())


def test_to_dot_rejects_a_flow_to_a_component_outside_the_diagram() -> None:
    diagram = Diagram(
        zones=[], components=[DiagramComponent(1, "Worker", "process", None)], flows=[flow(9, 1, 2)]
    )

    with pytest.raises(ValueError, match="flow 9 refers to component 2"):
        to_dot(diagram)


def test_to_dot_rejects_an_unknown_component_kind() -> None:
    diagram = Diagram(zones=[], components=[DiagramComponent(1, "Worker", "robot", None)], flows=[])

    with pytest.raises(ValueError, match="unknown kind 'robot'"):
        to_dot(diagram)


HOSTILE_NAMES = [
    'say "hello"',
    "C:\\Program Files\\",
    '"]; evil [shape=none',
    "<b>bold</b> & <script>alert(1)</script>",
    "\\N \\G \\n \\l",
    'a \\"quoted\\" backslash \\\\N',
    "} digraph { x",
]


@pytest.mark.usefixtures("requires_dot")
def test_hostile_names_are_escaped_so_dot_draws_them_verbatim() -> None:
    diagram = Diagram(
        zones=[DiagramZone(1, 'Zone "]; evil [ \\', 1, None)],
        components=[
            *[
                DiagramComponent(id, name, "process", zone_id=1, technology=name)
                for id, name in enumerate(HOSTILE_NAMES, start=1)
            ],
            DiagramComponent(99, "first line\nsecond line", "data_store", zone_id=None),
        ],
        flows=[flow(1, 1, 99, '"]; a -> b [label="x\\', crosses_boundary=True)],
    )

    root = parse(render_svg(diagram))

    for id, name in enumerate(HOSTILE_NAMES, start=1):
        node = element_by_id(root, f"component-{id}")
        assert texts(node) == [name, name]
        assert tooltip(node).startswith(f"{name}\nprocess, {name}\nin Zone")
    assert texts(element_by_id(root, "component-99")) == ["first line", "second line"]
    zone = element_by_id(root, "zone-1")
    assert texts(zone) == ['Zone "]; evil [ \\ (trust level 1)']
    assert tooltip(zone) == 'Trust zone: Zone "]; evil [ \\ (trust level 1)'
    hostile_flow = element_by_id(root, "flow-1")
    assert texts(hostile_flow)[0] == '"]; a -> b [label="x\\'
    assert tooltip(hostile_flow).startswith(
        f'{HOSTILE_NAMES[0]} → first line\nsecond line: "]; a -> b [label="x\\\n'
    )
    node_ids = [g.get("id", "") for g in root.iter(f"{SVG}g") if "node" in (g.get("class") or "").split()]
    assert sorted(node_ids) == sorted(f"component-{id}" for id in [*range(1, len(HOSTILE_NAMES) + 1), 99])


@pytest.mark.usefixtures("requires_dot")
def test_render_svg_returns_inline_svg_with_addressable_components_and_flows() -> None:
    svg = render_svg(payments_system())

    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    assert "<!DOCTYPE" not in svg
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    for id, kind in [(1, "actor"), (2, "process"), (3, "data-store"), (4, "external-service")]:
        node = element_by_id(root, f"component-{id}")
        assert node.get("class") == f"node component component-{kind}"
        assert node.find(f"{SVG}title") is not None
    for id in (1, 2, 3, 4):
        assert "flow" in (element_by_id(root, f"flow-{id}").get("class") or "").split()
    assert tooltip(element_by_id(root, "component-1")) == "Customer\nactor\nin Internet"


@pytest.mark.usefixtures("requires_dot")
def test_flows_crossing_a_trust_boundary_are_drawn_thick_and_red() -> None:
    root = parse(render_svg(payments_system()))

    crossing = element_by_id(root, "flow-1")
    path = crossing.find(f".//{SVG}path")
    assert path is not None
    assert path.get("stroke") == BOUNDARY_RED
    assert float(path.get("stroke-width", "1")) > 2
    assert path.get("stroke-dasharray") is None
    internal = element_by_id(root, "flow-4").find(f".//{SVG}path")
    assert internal is not None
    assert internal.get("stroke") != BOUNDARY_RED
    assert internal.get("stroke-width") is None


@pytest.mark.usefixtures("requires_dot")
def test_unencrypted_flows_crossing_a_trust_boundary_are_dashed_and_say_so() -> None:
    root = parse(render_svg(payments_system()))

    unencrypted = element_by_id(root, "flow-2")
    assert "flow-unencrypted" in (unencrypted.get("class") or "").split()
    path = unencrypted.find(f".//{SVG}path")
    assert path is not None
    assert path.get("stroke-dasharray") is not None
    assert texts(unencrypted) == ["Token lookup", "unencrypted, unauthenticated"]
    assert texts(element_by_id(root, "flow-4")) == ["Retry"]


def test_render_svg_of_a_diagram_without_components_is_empty_for_the_caller_to_show_an_empty_state(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    assert render_svg(Diagram(zones=[DiagramZone(1, "Internet", 0, None)], components=[], flows=[])) == ""


def test_render_svg_raises_graphviz_missing_when_dot_is_not_on_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    assert not graphviz_available()
    with pytest.raises(GraphvizMissing, match="sudo apt-get install graphviz"):
        render_svg(payments_system())


def test_render_svg_raises_graphviz_failed_when_dot_exits_with_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken_dot = tmp_path / "dot"
    broken_dot.write_text("#!/bin/sh\necho 'Error: out of memory' >&2\nexit 3\n")
    broken_dot.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(GraphvizFailed, match="status 3: Error: out of memory"):
        render_svg(payments_system())


@pytest.mark.usefixtures("requires_dot")
def test_a_two_hundred_component_diagram_renders() -> None:
    kinds = ["actor", "process", "data_store", "external_service"]
    zones = [DiagramZone(id, f"Zone {id}", id, parent_id=None if id <= 3 else id - 3) for id in range(1, 13)]
    components = [
        DiagramComponent(id, f"Component {id}", kinds[id % 4], zone_id=(id % 13) or None, technology="Go")
        for id in range(1, 201)
    ]
    flows = [
        flow(id, id, (id * 7) % 200 + 1, f"Flow {id}", encrypted=id % 3 > 0, crosses_boundary=id % 2 == 0)
        for id in range(1, 201)
    ]

    root = parse(render_svg(Diagram(zones=zones, components=components, flows=flows)))

    assert len([g for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("component-")]) == 200
    assert len([g for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("flow-")]) == 200


def test_the_diagram_module_needs_no_django() -> None:
    probe = "import sys, projects.diagram; print(sorted(m for m in sys.modules if m.startswith('django')))"

    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )

    assert result.stdout.strip() == "[]"
