"""`manage.py export_model PROJECT_ID --format ...`: a project's model on standard output, in each format."""

import json
from io import StringIO

import jsonschema
import pytest
from django.core.management import CommandError, call_command

from projects.interop.formats import WRITERS, parse
from projects.interop.services import model_import
from projects.models import Project
from tests.conftest import Cast
from tests.data import INTEROP_DATA

DATA = INTEROP_DATA
SCHEMAS = {
    "otm": DATA / "otm/otm_schema.json",
    "threat-dragon": DATA / "threat-dragon/threat-dragon-v2.schema.json",
    "threat-composer": DATA / "threat-composer/threat-composer-v1.schema.json",
}


@pytest.fixture
def project(cast: Cast) -> Project:
    document = parse((DATA / "otm/EXAMPLE.json").read_bytes())
    return model_import(membership=cast.membership(cast.owner), team=cast.team, document=document).project


def exported(project: Project, format: str) -> str:
    out = StringIO()
    call_command("export_model", str(project.pk), "--format", format, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("format", list(WRITERS))
def test_it_writes_the_project_in_the_format(project: Project, format: str) -> None:
    text = exported(project, format)

    schema = json.loads(SCHEMAS[format].read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(json.loads(text))
    document = parse(text.encode())
    assert document.format == format
    assert len(document.threats) == 1


def test_the_otm_export_names_the_projects_parts(project: Project) -> None:
    data = json.loads(exported(project, "otm"))

    assert data["project"]["name"] == "Test project"
    assert sorted(component["name"] for component in data["components"]) == sorted(
        project.components.values_list("name", flat=True)
    )


def test_it_refuses_a_project_that_does_not_exist(db: None) -> None:
    with pytest.raises(CommandError, match="There is no project 999999"):
        call_command("export_model", "999999", "--format", "otm", stdout=StringIO())


def test_it_refuses_a_format_it_does_not_write(project: Project) -> None:
    with pytest.raises(CommandError, match="invalid choice: 'threagile'"):
        call_command("export_model", str(project.pk), "--format", "threagile", stdout=StringIO())
