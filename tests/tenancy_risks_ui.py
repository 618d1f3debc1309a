"""Write routes of the business-risk register (pages) for the tenant-isolation walk; see tests/tenancy.py.

WRITES_WITH_REFERENCES: route name -> the body to send, naming B's objects where a body can name objects, so the
walk sees them refused. WRITES_WITHOUT_REFERENCES: route name -> why its body names no other object.
"""

from tests.tenancy import BodyFn

WRITES_WITH_REFERENCES: dict[str, BodyFn] = {}

WRITES_WITHOUT_REFERENCES: dict[str, str] = {}
