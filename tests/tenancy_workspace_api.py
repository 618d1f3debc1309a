"""Write declarations for the workspace's API routes, merged into the tenant-isolation walk.

See tests/tenancy.py: every route that accepts a write is listed in one of these two dicts. Parameters come
from tenancy.PARAMS (org_slug, project_id, zone_id, asset_id, component_id, flow_id, threat_number,
control_id, link_id); a new parameter name needs a sample there.
"""

from tests.tenancy import BodyFn

WRITES_WITH_REFERENCES: dict[str, BodyFn] = {}

WRITES_WITHOUT_REFERENCES: dict[str, str] = {}
