"""Write declarations for the workspace's UI routes, merged into the tenant-isolation walk.

See tests/tenancy.py: every route that accepts a write is listed in one of these two dicts. Parameters come
from tenancy.PARAMS (org_slug, project_id, zone_id, asset_id, component_id, flow_id, threat_number,
control_id, link_id); a new parameter name needs a sample there.
"""

from tests.tenancy import BodyFn

WRITES_WITH_REFERENCES: dict[str, BodyFn] = {}

WRITES_WITHOUT_REFERENCES: dict[str, str] = {}

# Projects and model
WRITES_WITH_REFERENCES |= {
    "project_create": lambda a, b: {
        "name": "Another project",
        "team": b.team.pk,
        "criticality": "medium",
        "data_classification": "internal",
        "status": "draft",
    },
    "project_edit": lambda a, b: {
        "version": a.project.version,
        "name": a.project.name,
        "team": b.team.pk,
        "criticality": "medium",
        "data_classification": "internal",
        "status": "draft",
    },
    "zone_create": lambda a, b: {"name": "DMZ", "trust_level": 2, "parent": b.zone.pk},
    "zone_detail": lambda a, b: {
        "version": a.zone.version,
        "name": a.zone.name,
        "trust_level": 2,
        "parent": b.zone.pk,
    },
    "component_create": lambda a, b: {"name": "Cache", "kind": "data_store", "zone": b.zone.pk},
    "component_detail": lambda a, b: {
        "version": a.component.version,
        "name": a.component.name,
        "kind": "process",
        "zone": a.zone.pk,
        "assets": [a.asset.pk, b.asset.pk],
    },
    "flow_create": lambda a, b: {"name": "Sync", "source": a.component.pk, "destination": b.component.pk},
    "flow_detail": lambda a, b: {
        "version": a.flow.version,
        "name": a.flow.name,
        "source": b.component.pk,
        "destination": a.flow.destination_id,
    },
}
WRITES_WITHOUT_REFERENCES |= {
    "project_delete": "a version only",
    "zone_delete": "a version only",
    "asset_create": "names, kinds and ratings only",
    "asset_detail": "names, kinds and ratings only",
    "asset_delete": "a version only",
    "component_delete": "a version only",
    "flow_delete": "a version only",
}

# Threats, library and controls
WRITES_WITH_REFERENCES |= {
    "threat_create": lambda a, b: {
        "threat_source": "attacker",
        "threat_action": "steal data",
        "status": "identified",
        "target_components": [b.component.pk],
        "risks": [b.risk.pk],
        "risks_shown": "on",
    },
    # Rows are posted as "<key>:<version>": B's threat number and control id name nothing in A's project.
    "threat_bulk": lambda a, b: {
        "threats": [f"{a.threat.number}:{a.threat.version}", f"{b.threat.number}:{b.threat.version}"],
        "status": "confirmed",
    },
    "threat_detail": lambda a, b: {
        "version": a.threat.version,
        "threat_source": a.threat.threat_source,
        "threat_action": a.threat.threat_action,
        "status": a.threat.status,
        "impacted_assets": [b.asset.pk],
        "target_flows": [b.flow.pk],
        "risks": [b.risk.pk],
        "risks_shown": "on",
    },
    "threat_inline": lambda a, b: {
        f"threat-{a.threat.number}-version": a.threat.version,
        f"threat-{a.threat.number}-status": a.threat.status,
        f"threat-{a.threat.number}-owner": b.actor.pk,
    },
    "threat_link_control": lambda a, b: {"control": b.control.pk, "effectiveness": 50},
    "control_create": lambda a, b: {
        "title": "Rate limit",
        "kind": "preventive",
        "status": "proposed",
        "owner": b.actor.pk,
    },
    "control_bulk": lambda a, b: {
        "controls": [f"{a.control.pk}:{a.control.version}", f"{b.control.pk}:{b.control.version}"],
        "status": "planned",
    },
    "control_detail": lambda a, b: {
        "version": a.control.version,
        "title": a.control.title,
        "kind": a.control.kind,
        "status": a.control.status,
        "owner": b.actor.pk,
    },
}
WRITES_WITHOUT_REFERENCES |= {
    "threat_preview": "writes nothing: it renders the sentence, naming only the project's own assets",
    "threat_delete": "a version only",
    "library_component": "library keys only; the component is in the URL",
    "library_flow": "library keys only; the flow is in the URL",
    "control_delete": "a version only",
    "link_update": "an effectiveness and a version",
    "link_delete": "a version only",
}
