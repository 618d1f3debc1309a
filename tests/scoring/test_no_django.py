"""risks/scoring is below everything: pure Python and numpy, importable and testable without Django."""

import ast
import subprocess
import sys
from pathlib import Path

import risks.scoring

PACKAGE = Path(risks.scoring.__file__).parent

IMPORT_EVERY_MODULE = """
import pkgutil, sys
import risks.scoring
for module in pkgutil.walk_packages(risks.scoring.__path__, "risks.scoring."):
    __import__(module.name)
from risks.scoring.calculator import calculate
calculate({"method": "matrix", "likelihood": "low", "impact": "high"})
leaked = sorted(name for name in sys.modules if name == "django" or name.startswith("django."))
print(len(list(pkgutil.walk_packages(risks.scoring.__path__))), leaked)
"""


def test_importing_every_engine_module_loads_no_django() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERY_MODULE],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent.parent,
        env={"PATH": "/usr/bin:/bin"},  # no DJANGO_SETTINGS_MODULE, nothing inherited
    )
    count, leaked = done.stdout.split(" ", 1)
    assert int(count) >= 10
    assert leaked.strip() == "[]"


def test_no_engine_module_names_django() -> None:
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(
                name.split(".")[0] in {"django", "rest_framework", "projects"} for name in names
            ), path
