"""A project's data-flow diagram as the pages and the PDF reports show it: drawn from its zones, components and
flows by projects.diagram, cached under a hash of the DOT source (any change to what is drawn makes a new key,
so the picture is never stale), and saying plainly when Graphviz is missing or fails."""

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from projects.diagram import (
    Diagram,
    DiagramComponent,
    DiagramFlow,
    DiagramZone,
    GraphvizFailed,
    GraphvizMissing,
    render_svg,
    to_dot,
)

logger = logging.getLogger(__name__)

DIAGRAM_CACHE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class DiagramView:
    svg: str = ""
    empty: bool = False
    graphviz_missing: bool = False
    failed: bool = False


def drawn(zones: Any, components: Any, flows: Any) -> DiagramView:
    """The project's data-flow diagram as inline SVG. The SVG is cached under a hash of its DOT source, so
    any change to what is drawn makes a new key and the picture is never stale."""
    diagram = Diagram(
        zones=[DiagramZone(z.pk, z.name, z.trust_level, z.parent_id) for z in zones],
        components=[DiagramComponent(c.pk, c.name, c.kind, c.zone_id, c.technology) for c in components],
        flows=[
            DiagramFlow(
                f.pk,
                f.source_id,
                f.destination_id,
                f.name,
                f.is_encrypted,
                f.is_authenticated,
                f.crosses_boundary,
            )
            for f in flows
        ],
    )
    if not diagram.components:
        return DiagramView(empty=True)
    key = "diagram-svg:" + hashlib.sha256(to_dot(diagram).encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        try:
            svg = render_svg(diagram)
        except GraphvizMissing:
            return DiagramView(graphviz_missing=True)
        except GraphvizFailed:
            logger.exception("The data-flow diagram could not be drawn")
            return DiagramView(failed=True)
        cache.set(key, svg, DIAGRAM_CACHE_SECONDS)
    return DiagramView(svg=svg)
