"""A database of the benchmark's own, beside the one DATABASE_URL names (never touching that one), dropped
afterwards; and the default estate built in it once per run, for every section that times it."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.test.utils import setup_test_environment


@contextmanager
def throwaway_database(prefix: str) -> Iterator[None]:
    setup_test_environment(debug=False)
    connection.settings_dict["TEST"]["NAME"] = f"{prefix}_{os.getpid()}"
    original_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
