"""Write declarations for the workspace's API routes, merged into the tenant-isolation walk.

See tests/tenancy.py: every route that accepts a write is listed in one of these two dicts. Parameters come
from tenancy.PARAMS (org_slug, project_id, zone_id, asset_id, component_id, flow_id, threat_number,
control_id, link_id); a new parameter name needs a sample there.

The bodies name B's objects where a body can name objects and A's everywhere else, so only B's references
can be the reason for the refusal. PUT, PATCH and DELETE carry the ETag the walk read first (If-Match), so
the body, not the missing precondition, is what the API judges.
"""

from tests.tenancy import BodyFn, World


def _project(a: World, b: World) -> dict[str, object]:
    return {"name": "Alpha Refunds", "team": b.team.pk}


def _zone(a: World, b: World) -> dict[str, object]:
    return {"name": "Alpha DMZ", "trust_level": 1, "parent": b.zone.pk}


def _component(a: World, b: World) -> dict[str, object]:
    return {
        "name": "Alpha Queue",
        "kind": "data_store",
        "zone": b.zone.pk,
        "assets": [a.asset.pk, b.asset.pk],
    }


def _flow(a: World, b: World) -> dict[str, object]:
    return {
        "name": "Alpha Leak",
        "source": a.component.pk,
        "destination": b.component.pk,
        "assets": [b.asset.pk],
    }


def _threat(a: World, b: World) -> dict[str, object]:
    return {
        "threat_source": "Alpha insider",
        "threat_action": "copy the ledger",
        "impacted_assets": [b.asset.pk],
        "target_components": [a.component.pk, b.component.pk],
        "target_flows": [b.flow.pk],
        "owner": b.actor.pk,
    }


def _control(a: World, b: World) -> dict[str, object]:
    return {"title": "Alpha MFA", "owner": b.actor.pk}


WRITES_WITH_REFERENCES: dict[str, BodyFn] = {
    "api_project_list": _project,
    "api_project_detail": _project,
    "api_zone_list": _zone,
    "api_zone_detail": _zone,
    "api_component_list": _component,
    "api_component_detail": _component,
    "api_flow_list": _flow,
    "api_flow_detail": _flow,
    "api_threat_list": _threat,
    "api_threat_detail": _threat,
    "api_control_list": _control,
    "api_control_detail": _control,
    # B's threat number names nothing in A's project, and B's control is not A's.
    "api_link_list": lambda a, b: {"threat": b.threat.number, "control": b.control.pk, "effectiveness": 50},
    "api_threat_bulk_status": lambda a, b: {
        "items": [
            {"number": a.threat.number, "version": a.threat.version},
            {"number": b.threat.number, "version": b.threat.version},
        ],
        "status": "confirmed",
    },
    "api_control_bulk_status": lambda a, b: {
        "items": [{"id": a.control.pk, "version": a.control.version}, {"id": b.control.pk, "version": 1}],
        "status": "planned",
    },
}

WRITES_WITHOUT_REFERENCES: dict[str, str] = {
    "api_asset_list": "text and ratings only",
    "api_asset_detail": "text and ratings only",
    "api_link_detail": "an effectiveness only; the threat and control are fixed",
    "api_component_library": "library keys only; the component is in the URL",
    "api_flow_library": "library keys only; the flow is in the URL",
}
