"""`manage.py risk_calc`: a JSON scenario on standard input (or --file), the JSON result on standard output."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from risks.scoring.calculator import calculate

MATRIX = {"method": "matrix", "likelihood": "high", "impact": "moderate"}
FAIR = {
    "method": "fair",
    "frequency": {"rate": 2},
    "magnitude": {"min": 1_000, "mode": 5_000, "max": 20_000},
    "iterations": 5_000,
    "seed": 7,
}


def run(scenario: object) -> dict[str, object]:
    out = io.StringIO()
    call_command("risk_calc", stdin=io.StringIO(json.dumps(scenario)), stdout=out)
    result: dict[str, object] = json.loads(out.getvalue())
    return result


def run_manage_py(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "risk_calc", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        env=os.environ.copy(),
        check=False,
    )


def test_it_reads_a_scenario_from_stdin_and_prints_the_result() -> None:
    assert run(MATRIX) == {
        "method": "matrix",
        "likelihood": "high",
        "impact": "moderate",
        "level": "moderate",
    }


def test_it_answers_as_the_calculator_does() -> None:
    assert run(FAIR) == calculate(FAIR)


def test_it_reads_a_file(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(
        json.dumps({"method": "cvss", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"})
    )
    out = io.StringIO()
    call_command("risk_calc", "--file", str(scenario), stdout=out)
    assert json.loads(out.getvalue())["base_score"] == 9.8


def test_an_invalid_scenario_names_each_field_at_fault() -> None:
    scenario = FAIR | {"frequency": {"rate": -2}, "controls": [{"effectiveness": 2}]}
    with pytest.raises(CommandError) as raised:
        run(scenario)
    assert str(raised.value).splitlines() == [
        "The scenario is not valid:",
        "  frequency.rate: Must be at least 0.",
        "  controls[0].effectiveness: Must be at most 1.",
    ]


def test_text_that_is_not_json_is_refused() -> None:
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("risk_calc", stdin=io.StringIO("{method: matrix"), stdout=io.StringIO())


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read the scenario"):
        call_command("risk_calc", "--file", str(tmp_path / "nowhere.json"), stdout=io.StringIO())


def test_from_the_shell_it_exits_0_with_json_on_stdout() -> None:
    done = run_manage_py(json.dumps(MATRIX))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["level"] == "moderate"


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ('{"method": "owasp", "factors": {"skill_level": 12}}', "factors.motive: This field is required."),
        ('{"method": "cvss", "vector": "CVSS:3.1/AV:N"}', "vector: Not a valid CVSS vector"),
        ('{"method": "fair"', "not valid JSON"),
        ('{"method": "plan", "ale": 5, "controls": [], "speed": 1}', "speed: Unknown field"),
    ],
)
def test_from_the_shell_a_bad_scenario_exits_non_zero_with_a_message_and_no_traceback(
    stdin: str, message: str
) -> None:
    done = run_manage_py(stdin)
    assert done.returncode != 0
    assert done.stdout == ""
    assert message in done.stderr
    assert "Traceback" not in done.stderr
