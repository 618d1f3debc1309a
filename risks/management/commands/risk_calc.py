"""`manage.py risk_calc`: one risk scenario as JSON on standard input (or --file), its result as JSON out.

The same calculator as POST /api/v1/risk-calculator/ (risks.scoring.calculator). An invalid scenario exits
non-zero with one line per problem, naming its field, on standard error.
"""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from risks.scoring.calculator import calculate
from risks.scoring.scenario import ScenarioError

EXAMPLE = '{"method": "matrix", "likelihood": "high", "impact": "moderate"}'


class Command(BaseCommand):
    help = (
        "Score one risk scenario, read as JSON from standard input (or --file), and print the result as "
        f"JSON. Methods: matrix, owasp, cvss, fair, plan. Example: echo '{EXAMPLE}' | manage.py risk_calc"
    )
    requires_system_checks: list[str] = []  # it reads no models: no database needed
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, help="Read the scenario from this file instead of stdin.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = (
                options["file"].read_text() if options["file"] else (options.get("stdin") or sys.stdin).read()
            )
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read the scenario: {error}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(f"The scenario is not valid JSON: {error}") from None
        try:
            result = calculate(data)
        except ScenarioError as error:
            lines = [f"  {problem}" for problem in error.problems]
            raise CommandError("\n".join(["The scenario is not valid:", *lines])) from None
        self.stdout.write(json.dumps(result, indent=2, allow_nan=False))
