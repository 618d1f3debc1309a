from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(action: Callable[[], object]) -> int:
    """How many SQL queries the action runs; query budgets compare this for few rows and for many."""
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)
