"""`python -m bench`: `make bench` runs it under the launcher, which supplies DATABASE_URL and REDIS_URL.

Figures are for reading, not asserting; bench/RESULTS.md keeps the last ones recorded.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "threatmodel.settings")
django.setup()

from bench.hot_paths import main  # noqa: E402 (its imports need Django set up)
from bench.risk import main as risk_main  # noqa: E402

main()
risk_main()
