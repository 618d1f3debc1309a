"""`python -m bench`: `make bench` runs it under the launcher, which supplies DATABASE_URL and REDIS_URL.

`python -m bench register` (or any section's name: hot_paths, risk, register, dashboard, reports) runs only the
sections named. Figures are for reading, not asserting; bench/RESULTS.md keeps the last ones recorded.
"""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "threatmodel.settings")
django.setup()

from bench.dashboard import main as dashboard_main  # noqa: E402 (its imports need Django set up)
from bench.dashboard import run as dashboard_run  # noqa: E402
from bench.hot_paths import main as hot_paths_main  # noqa: E402
from bench.reports import main as reports_main  # noqa: E402
from bench.reports import run as reports_run  # noqa: E402
from bench.risk import main as risk_main  # noqa: E402
from bench.risk_register import main as register_main  # noqa: E402
from bench.throwaway import throwaway_database  # noqa: E402

SECTIONS = {
    "hot_paths": hot_paths_main,
    "risk": risk_main,
    "register": register_main,
    "dashboard": dashboard_main,
    "reports": reports_main,
}

chosen = sys.argv[1:] or list(SECTIONS)
for name in chosen:
    if name == "reports" and "dashboard" in chosen:
        continue  # run with the dashboards, below
    if name == "dashboard" and "reports" in chosen:
        # Both time the default estate: build it once (eight minutes or more) in one throwaway database.
        with throwaway_database("bench_estate"):
            dashboard_run()
            reports_run()
        continue
    SECTIONS[name]()
