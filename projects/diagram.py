"""A project's data-flow diagram, written as Graphviz DOT and rendered to inline SVG by the `dot` binary.

The module takes plain dataclasses, not models, so views build the values they want drawn and tests need
no database. Everything a user typed reaches DOT through `_quoted` (a DOT string), `_tooltip` (a DOT
string Graphviz unescapes twice) or `_html` (the text of an HTML-like label); nothing else is interpolated
but integers and fixed strings.
"""

import shutil
import subprocess
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

DOT_TIMEOUT_SECONDS = 30
INSTALL_HINT = "install the Debian package: sudo apt-get install graphviz"

FONT = "Inter, DejaVu Sans, sans-serif"
BOUNDARY_COLOUR = "#c0392b"
FLOW_COLOUR = "#475569"
MUTED_TEXT_COLOUR = "#64748b"
TRUST_BOUNDARY_STYLE = f'style="dashed,rounded", color="{BOUNDARY_COLOUR}", fontcolor="{BOUNDARY_COLOUR}", penwidth=1.4, labeljust=l'

# Actors and external services are external entities (boxes); an external service is dashed and grey so
# it reads as "someone else's system". Processes are rounded, data stores the classic cylinder.
COMPONENT_STYLES: Mapping[str, str] = {
    "actor": 'shape=box, style="filled", fillcolor="#e0e7ff"',
    "external_service": 'shape=box, style="filled,dashed", fillcolor="#f1f5f9"',
    "process": 'shape=box, style="rounded,filled", fillcolor="#dcfce7"',
    "data_store": 'shape=cylinder, style="filled", fillcolor="#fef3c7"',
}
COMPONENT_KIND_NAMES: Mapping[str, str] = {
    "actor": "actor",
    "external_service": "external service",
    "process": "process",
    "data_store": "data store",
}


@dataclass(frozen=True)
class DiagramZone:
    id: int
    name: str
    trust_level: int
    parent_id: int | None


@dataclass(frozen=True)
class DiagramComponent:
    id: int
    name: str
    kind: str  # actor | process | data_store | external_service
    zone_id: int | None
    technology: str = ""


@dataclass(frozen=True)
class DiagramFlow:
    id: int
    source_id: int
    destination_id: int
    label: str
    encrypted: bool
    authenticated: bool
    crosses_boundary: bool


@dataclass(frozen=True)
class Diagram:
    zones: Sequence[DiagramZone]
    components: Sequence[DiagramComponent]
    flows: Sequence[DiagramFlow]


class GraphvizMissing(Exception):
    """The `dot` binary is not on PATH."""


class GraphvizFailed(Exception):
    """`dot` ran but did not produce an SVG (bad input, crash or timeout)."""


def graphviz_available() -> bool:
    return shutil.which("dot") is not None


def render_svg(diagram: Diagram) -> str:
    """The diagram as an `<svg>` element to inline in HTML, without XML prolog or doctype.

    A diagram without components renders as "": callers show an empty state instead of a blank picture.
    """
    if not diagram.components:
        return ""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissing(f"Graphviz's `dot` is not on PATH; {INSTALL_HINT}")
    try:
        completed = subprocess.run(
            [dot, "-Tsvg"],
            input=to_dot(diagram).encode(),
            capture_output=True,
            timeout=DOT_TIMEOUT_SECONDS,
            check=True,
        )
    except FileNotFoundError as error:
        raise GraphvizMissing(f"Graphviz's `dot` disappeared from {dot}; {INSTALL_HINT}") from error
    except subprocess.CalledProcessError as error:
        stderr = error.stderr.decode(errors="replace").strip()
        raise GraphvizFailed(f"dot exited with status {error.returncode}: {stderr}") from error
    except subprocess.TimeoutExpired as error:
        raise GraphvizFailed(f"dot did not finish within {DOT_TIMEOUT_SECONDS} seconds") from error
    except OSError as error:
        raise GraphvizFailed(f"dot could not be run: {error}") from error
    svg = completed.stdout.decode(errors="replace")
    start = svg.find("<svg")
    if start == -1:
        raise GraphvizFailed("dot's output holds no <svg> element")
    return svg[start:].strip() + "\n"


def to_dot(diagram: Diagram) -> str:
    """The diagram in DOT, the same text for the same diagram whatever the order of its sequences.

    Zones are nested clusters; a zone whose parent is not in the diagram, or that sits on a parent cycle,
    is drawn at the top level, and a zone with no component inside it (or inside its sub-zones) is left
    out, because Graphviz does not draw empty clusters. A component whose zone is not in the diagram is
    drawn outside every zone. A flow whose endpoints are not in the diagram is a caller's mistake and
    raises ValueError, as does an unknown component kind.
    """
    zones = {zone.id: zone for zone in sorted(diagram.zones, key=lambda zone: zone.id)}
    components = sorted(diagram.components, key=lambda component: component.id)
    component_ids = {component.id for component in components}
    for component in components:
        if component.kind not in COMPONENT_STYLES:
            raise ValueError(f"component {component.id} has unknown kind {component.kind!r}")
    flows = sorted(diagram.flows, key=lambda flow: flow.id)
    for flow in flows:
        for endpoint in (flow.source_id, flow.destination_id):
            if endpoint not in component_ids:
                raise ValueError(
                    f"flow {flow.id} refers to component {endpoint}, which is not in the diagram"
                )

    parents = _effective_parents(zones)
    child_zones: dict[int | None, list[int]] = defaultdict(list)
    for zone_id, parent_id in parents.items():
        child_zones[parent_id].append(zone_id)
    zone_components: dict[int | None, list[DiagramComponent]] = defaultdict(list)
    for component in components:
        zone_components[component.zone_id if component.zone_id in zones else None].append(component)
    names = {component.id: component.name for component in components}

    occupied: set[int] = set()
    for component in components:
        current = component.zone_id if component.zone_id in zones else None
        while current is not None and current not in occupied:
            occupied.add(current)
            current = parents[current]

    def zone_lines(zone_id: int, depth: int) -> Iterator[str]:
        zone = zones[zone_id]
        indent = "  " * depth
        label = f"{_clean(zone.name) or '(unnamed zone)'} (trust level {zone.trust_level})"
        yield f'{indent}subgraph "cluster_zone_{zone.id}" {{'
        yield (
            f'{indent}  graph [id="zone-{zone.id}", class="zone", label={_quoted(label)}, '
            f"tooltip={_tooltip('Trust zone: ' + label)}, {TRUST_BOUNDARY_STYLE}];"
        )
        for component in zone_components[zone_id]:
            yield indent + "  " + _component_line(component, zone_name=zone.name)
        for child in child_zones[zone_id]:
            if child in occupied:
                yield from zone_lines(child, depth + 1)
        yield f"{indent}}}"

    # newrank: the classic ranking of Graphviz 2.43 (Debian's) fails with "trouble in init_rank" on
    # flows between nested clusters; the global ranker lays out the same diagrams without error.
    lines = [
        'digraph "Data-flow diagram" {',
        f'  graph [rankdir=LR, fontname="{FONT}", fontsize=11, newrank=true, '
        "nodesep=0.35, ranksep=0.55, pad=0.2];",
        f'  node [fontname="{FONT}", fontsize=11, margin="0.14,0.06", color="#334155", penwidth=1];',
        f'  edge [fontname="{FONT}", fontsize=9, color="{FLOW_COLOUR}", fontcolor="#334155", arrowsize=0.7];',
    ]
    for zone_id in child_zones[None]:
        if zone_id in occupied:
            lines.extend(zone_lines(zone_id, depth=1))
    lines.extend("  " + _component_line(component, zone_name=None) for component in zone_components[None])
    lines.extend("  " + _flow_line(flow, names) for flow in flows)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _effective_parents(zones: Mapping[int, DiagramZone]) -> dict[int, int | None]:
    """Each zone's parent as drawn: None for a zone whose parent is missing or that lies on a cycle."""

    def on_cycle(zone_id: int) -> bool:
        seen: set[int] = set()
        current: int | None = zones[zone_id].parent_id
        while current is not None and current in zones and current not in seen:
            if current == zone_id:
                return True
            seen.add(current)
            current = zones[current].parent_id
        return False

    return {
        zone.id: zone.parent_id if zone.parent_id in zones and not on_cycle(zone.id) else None
        for zone in zones.values()
    }


def _component_line(component: DiagramComponent, *, zone_name: str | None) -> str:
    name = _clean(component.name) or "(unnamed)"
    technology = _clean(component.technology)
    kind = COMPONENT_KIND_NAMES[component.kind]
    label = _html(name)
    if technology:
        label += f'<BR/><FONT POINT-SIZE="9" COLOR="{MUTED_TEXT_COLOUR}">{_html(technology)}</FONT>'
    tooltip = f"{name}\n{kind}" + (f", {technology}" if technology else "")
    if zone_name is not None:
        tooltip += f"\nin {_clean(zone_name) or '(unnamed zone)'}"
    return (
        f'"component-{component.id}" [id="component-{component.id}", '
        f'class="component component-{component.kind.replace("_", "-")}", '
        f"{COMPONENT_STYLES[component.kind]}, label=<{label}>, tooltip={_tooltip(tooltip)}];"
    )


def _flow_line(flow: DiagramFlow, names: Mapping[int, str]) -> str:
    classes = ["flow"]
    attributes = [f'id="flow-{flow.id}"']
    warnings = []
    if flow.crosses_boundary:
        classes.append("flow-crosses-boundary")
        attributes += [f'color="{BOUNDARY_COLOUR}"', "penwidth=2.2"]
        if not flow.encrypted:
            classes.append("flow-unencrypted")
            attributes.append('style="dashed"')
            warnings.append("unencrypted")
        if not flow.authenticated:
            classes.append("flow-unauthenticated")
            warnings.append("unauthenticated")
    label_text = _clean(flow.label)
    label_parts = [_html(label_text)] if label_text else []
    if warnings:
        label_parts.append(f'<FONT COLOR="{BOUNDARY_COLOUR}">{", ".join(warnings)}</FONT>')
    if label_parts:
        attributes.append(f"label=<{'<BR/>'.join(label_parts)}>")
    protections = [
        "encrypted" if flow.encrypted else "unencrypted",
        "authenticated" if flow.authenticated else "unauthenticated",
    ]
    if flow.crosses_boundary:
        protections.append("crosses a trust boundary")
    source = _clean(names[flow.source_id]) or "(unnamed)"
    destination = _clean(names[flow.destination_id]) or "(unnamed)"
    tooltip = f"{source} → {destination}" + (f": {label_text}" if label_text else "")
    tooltip += "\n" + ", ".join(protections)
    attributes += [f'class="{" ".join(classes)}"', f"tooltip={_tooltip(tooltip)}"]
    return f'"component-{flow.source_id}" -> "component-{flow.destination_id}" [{", ".join(attributes)}];'


def _clean(text: str) -> str:
    """Text with one kind of line break, and without the control characters and lone surrogates that
    XML (the SVG) cannot hold and UTF-8 cannot encode."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(
        character
        for character in text
        if character == "\n" or unicodedata.category(character) not in {"Cc", "Cs"}
    ).strip()


def _quoted(text: str) -> str:
    """A DOT string for an escString attribute (label, tooltip): backslash escapes are Graphviz's, so a
    user's backslash is doubled, and a line break is Graphviz's centred `\\n`."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _tooltip(text: str) -> str:
    """A DOT string for a tooltip, which Graphviz unescapes twice (as an escString, then once more when it
    writes the SVG title), so a user's backslash is doubled twice."""
    return _quoted(text.replace("\\", "\\\\"))


def _html(text: str) -> str:
    """Text inside an HTML-like label: XML-escaped, line breaks as <BR/>, and a user's backslash doubled,
    because Graphviz still expands `\\N` (node name) and `\\G` (graph name) in HTML text."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )
    return escaped.replace("\n", "<BR/>")
