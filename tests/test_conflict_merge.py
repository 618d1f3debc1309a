"""The merge step of an edit that lost a race: the form shows theirs and yours for each field both people changed,
with a choice (keep theirs or use mine), and the next save takes the choices, over their version."""

from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from projects import merge
from projects import workspace_services as services
from projects.model_forms import VersionedForm
from projects.models import Component, Control, Project, Threat
from tests.conftest import Cast
from tests.factories import ComponentFactory, ControlFactory, ProjectFactory, ThreatFactory


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


@pytest.fixture
def threat(project: Project) -> Threat:
    return ThreatFactory.create(
        project=project,
        threat_source="an attacker",
        prerequisites="",
        threat_action="replay a payment request",
    )


def url(view: str, project: Project, *args: object) -> str:
    return reverse(view, args=[project.organisation.slug, project.pk, *args])


def threat_body(threat: Threat, version: int = 1, **changes: object) -> dict[str, object]:
    return {
        "threat_source": threat.threat_source,
        "prerequisites": threat.prerequisites,
        "threat_action": threat.threat_action,
        "status": threat.status,
        "version": version,
    } | changes


def differences(answer: Any) -> dict[str, Any]:
    return {difference.label: difference for difference in answer.context["conflict"].differences}


def merged(answer: Any, **choices: str) -> dict[str, list[str]]:
    """What the browser sends after the merge step: the rebased form, each field's choice (by label; "mine"
    unless named) and their values, as the notice's inputs carry them."""
    data: dict[str, list[str]] = dict(answer.context["form"].data.lists())
    for label, difference in differences(answer).items():
        data[difference.choice_name] = [choices.get(label, merge.MINE)]
        data[difference.theirs_name] = list(difference.theirs_values)
    return data


def lead_updates_threat(cast: Cast, threat: Threat, **fields: Any) -> None:
    threat = Threat.objects.get(pk=threat.pk)
    services.threat_update(
        membership=cast.membership(cast.security_lead), threat=threat, version=threat.version, **fields
    )


def test_a_lost_race_shows_theirs_and_yours_with_a_choice_per_field(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    lead_updates_threat(cast, threat, threat_action="forge a refund")
    answer = engineer_client.post(
        url("threat_detail", project, threat.number), threat_body(threat, threat_action="steal a card")
    )
    assert answer.status_code == 409
    action = differences(answer)["Threat action"]
    assert (action.theirs, action.yours, action.theirs_values) == (
        "forge a refund",
        "steal a card",
        ("forge a refund",),
    )


def lost_race(cast: Cast, project: Project, page: str) -> tuple[str, dict[str, object], str]:
    """Someone renames an object first; then my rename of it, as posted from its page, and that page's form."""
    lead = cast.membership(cast.security_lead)
    if page == "threat":
        threat = ThreatFactory.create(project=project, threat_source="an attacker", threat_action="replay")
        lead_updates_threat(cast, threat, threat_source="Gateway")
        return (
            url("threat_detail", project, threat.number),
            threat_body(threat, threat_source="Edge"),
            "threat-form",
        )
    if page == "control":
        control = ControlFactory.create(project=project, title="API")
        services.control_update(membership=lead, control=control, version=1, title="Gateway")
        body = {"title": "Edge", "kind": control.kind, "status": control.status, "version": 1}
        return url("control_detail", project, control.pk), body, "control-form"
    if page == "component":
        api = ComponentFactory.create(project=project, name="API")
        services.component_update(membership=lead, component=api, version=1, name="Gateway")
        body = {"name": "Edge", "kind": api.kind, "zone": "", "tags": "", "version": 1}
        return url("component_detail", project, api.pk), body, "component-form"
    services.project_update(membership=lead, project=project, version=1, name="Gateway")
    body = {
        "name": "Edge",
        "team": cast.team.pk,
        "criticality": project.criticality,
        "data_classification": project.data_classification,
        "status": project.status,
        "version": 1,
    }
    return reverse("project_edit", args=["acme", project.pk]), body, "project-form"


@pytest.mark.parametrize("page", ["threat", "control", "component", "project"])
def test_a_notice_outside_its_form_sends_the_choices_with_that_form(
    cast: Cast, engineer_client: Client, project: Project, page: str
) -> None:
    target, body, form_id = lost_race(cast, project, page)
    answer = engineer_client.post(target, body)
    assert answer.status_code == 409
    html = answer.content.decode()
    (difference,) = answer.context["conflict"].differences
    name = difference.name
    assert f'<input type="radio" name="merge-{name}" value="theirs" form="{form_id}">' in html
    assert f'<input type="radio" name="merge-{name}" value="mine" checked form="{form_id}">' in html
    assert f'<input type="hidden" name="theirs-{name}" value="Gateway" form="{form_id}">' in html
    assert f'id="{form_id}"' in html
    saved = engineer_client.post(target, merged(answer, **{difference.label: merge.THEIRS}))
    assert saved.status_code == 302


def test_keep_theirs_saves_their_value_and_the_rest_of_mine_over_their_version(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    lead_updates_threat(cast, threat, threat_action="forge a refund")
    mine = threat_body(threat, threat_action="steal a card", prerequisites="with a stolen session")
    answer = engineer_client.post(url("threat_detail", project, threat.number), mine)
    saved = engineer_client.post(
        url("threat_detail", project, threat.number), merged(answer, **{"Threat action": merge.THEIRS})
    )
    assert saved.status_code == 302
    threat = Threat.objects.get(pk=threat.pk)
    assert (threat.threat_action, threat.prerequisites, threat.version) == (
        "forge a refund",
        "with a stolen session",
        3,
    )


def test_use_mine_saves_my_value(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    lead_updates_threat(cast, threat, threat_action="forge a refund")
    answer = engineer_client.post(
        url("threat_detail", project, threat.number), threat_body(threat, threat_action="steal a card")
    )
    saved = engineer_client.post(url("threat_detail", project, threat.number), merged(answer))
    assert saved.status_code == 302
    assert Threat.objects.get(pk=threat.pk).threat_action == "steal a card"


def test_each_field_takes_its_own_choice(cast: Cast, engineer_client: Client, project: Project) -> None:
    control = ControlFactory.create(project=project, title="Signed requests", description="", ticket_url="")
    lead = cast.membership(cast.security_lead)
    services.control_update(
        membership=lead,
        control=control,
        version=1,
        title="HMAC-signed requests",
        description="Theirs",
        owner=cast.owner,
    )
    mine = {
        "title": "Request signing",
        "kind": control.kind,
        "status": control.status,
        "owner": cast.viewer.pk,
        "description": "Mine",
        "version": 1,
    }
    answer = engineer_client.post(url("control_detail", project, control.pk), mine)
    assert answer.status_code == 409
    assert set(differences(answer)) == {"Title", "Description", "Owner"}
    assert differences(answer)["Owner"].theirs_values == (str(cast.owner.pk),)
    choices = {"Title": merge.THEIRS, "Description": merge.MINE, "Owner": merge.THEIRS}
    saved = engineer_client.post(url("control_detail", project, control.pk), merged(answer, **choices))
    assert saved.status_code == 302
    control = Control.objects.get(pk=control.pk)
    assert (control.title, control.description, control.owner) == ("HMAC-signed requests", "Mine", cast.owner)


def test_keep_theirs_can_keep_an_emptied_field(cast: Cast, engineer_client: Client, project: Project) -> None:
    control = ControlFactory.create(project=project, title="Signed requests", owner=cast.engineer)
    services.control_update(
        membership=cast.membership(cast.security_lead), control=control, version=1, owner=None
    )
    mine = {
        "title": control.title,
        "kind": control.kind,
        "status": control.status,
        "owner": cast.viewer.pk,
        "version": 1,
    }
    answer = engineer_client.post(url("control_detail", project, control.pk), mine)
    assert differences(answer)["Owner"].theirs_values == ("",)
    engineer_client.post(url("control_detail", project, control.pk), merged(answer, Owner=merge.THEIRS))
    assert Control.objects.get(pk=control.pk).owner is None


def test_keep_theirs_works_for_tags(cast: Cast, engineer_client: Client, project: Project) -> None:
    api = ComponentFactory.create(project=project, name="API", tags=["pci"])
    lead = cast.membership(cast.security_lead)
    services.component_update(membership=lead, component=api, version=1, tags=["pci", "public"])
    mine = {
        "name": "API",
        "kind": api.kind,
        "zone": "",
        "technology": "",
        "description": "",
        "tags": "internal",
        "version": 1,
    }
    answer = engineer_client.post(url("component_detail", project, api.pk), mine)
    assert differences(answer)["Tags"].theirs_values == ("pci, public",)
    engineer_client.post(url("component_detail", project, api.pk), merged(answer, Tags=merge.THEIRS))
    assert Component.objects.get(pk=api.pk).tags == ["pci", "public"]


def test_keep_theirs_can_keep_links_they_all_removed(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    web, api = (ComponentFactory.create(project=project, name=name) for name in ("Web", "API"))
    threat.target_components.set([web])
    lead_updates_threat(cast, threat, links=services.ThreatLinks(target_components=[]))
    answer = engineer_client.post(
        url("threat_detail", project, threat.number), threat_body(threat, target_components=[api.pk])
    )
    targets = next(d for label, d in differences(answer).items() if "omponent" in label)
    assert targets.theirs_values == ()  # no link posts nothing
    engineer_client.post(
        url("threat_detail", project, threat.number), merged(answer, **{targets.label: merge.THEIRS})
    )
    assert not Threat.objects.get(pk=threat.pk).target_components.exists()


def test_a_threats_targets_can_be_kept_as_they_are(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    web, api, db = (ComponentFactory.create(project=project, name=name) for name in ("Web", "API", "DB"))
    threat.target_components.set([web])
    lead_updates_threat(cast, threat, links=services.ThreatLinks(target_components=[web, db]))
    answer = engineer_client.post(
        url("threat_detail", project, threat.number), threat_body(threat, target_components=[api.pk])
    )
    assert answer.status_code == 409
    targets = next(d for label, d in differences(answer).items() if "omponent" in label)
    assert set(targets.theirs_values) == {str(web.pk), str(db.pk)}
    engineer_client.post(
        url("threat_detail", project, threat.number), merged(answer, **{targets.label: merge.THEIRS})
    )
    assert {c.name for c in Threat.objects.get(pk=threat.pk).target_components.all()} == {"Web", "DB"}


def test_a_second_race_offers_a_fresh_choice_and_forgets_the_old_one(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    lead_updates_threat(cast, threat, threat_action="forge a refund")
    first = engineer_client.post(
        url("threat_detail", project, threat.number), threat_body(threat, threat_action="steal a card")
    )
    lead_updates_threat(cast, threat, threat_action="forge a chargeback")  # while I was choosing
    second = engineer_client.post(
        url("threat_detail", project, threat.number), merged(first, **{"Threat action": merge.THEIRS})
    )
    assert second.status_code == 409
    form_data = second.context["form"].data
    assert not [key for key in form_data if key.startswith(("merge-", "theirs-"))]
    # I kept theirs, so I changed nothing: the newest value is taken, nothing is left to choose.
    assert form_data["threat_action"] == "forge a chargeback"
    assert "Threat action" not in differences(second)
    assert (
        engineer_client.post(url("threat_detail", project, threat.number), merged(second)).status_code == 302
    )
    assert Threat.objects.get(pk=threat.pk).threat_action == "forge a chargeback"


def test_an_inline_form_carries_the_choices_inside_it(
    cast: Cast, engineer_client: Client, project: Project, threat: Threat
) -> None:
    lead_updates_threat(cast, threat, owner=cast.security_lead)
    row = f"threat-{threat.number}"
    answer = engineer_client.post(
        url("threat_inline", project, threat.number),
        {f"{row}-status": threat.status, f"{row}-owner": cast.engineer.pk, f"{row}-version": 1},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 422
    page = answer.content.decode()
    form = page[page.index("<form") : page.index("</form>")]
    assert f'name="merge-{row}-owner" value="theirs">' in form
    assert f'name="theirs-{row}-owner" value="{cast.security_lead.pk}">' in form
    saved = engineer_client.post(
        url("threat_inline", project, threat.number), merged(answer, Owner=merge.THEIRS)
    )
    assert saved.status_code == 302
    assert Threat.objects.get(pk=threat.pk).owner == cast.security_lead


class NameForm(VersionedForm):
    name = forms.CharField()


def test_a_form_takes_no_choice_for_its_version_nor_for_fields_it_lacks() -> None:
    data = MultiValueDict(
        {
            "name": ["Mine"],
            "merge-name": ["theirs"],
            "theirs-name": ["Theirs"],
            "version": ["3"],
            "merge-version": ["theirs"],
            "theirs-version": ["1"],
            "merge-other": ["theirs"],
            "theirs-other": ["x"],
        }
    )
    form = NameForm(data, editing=True)
    assert (form.data["name"], form.data["version"], form.data.get("other")) == ("Theirs", "3", None)


def test_a_plain_dict_of_data_takes_choices_too() -> None:
    form = NameForm({"name": "Mine", "merge-name": "theirs", "theirs-name": "Theirs"}, editing=True)
    assert form.data["name"] == "Theirs"


def test_a_form_with_a_prefix_takes_its_own_choices() -> None:
    form = NameForm(
        {"row-name": "Mine", "merge-row-name": "theirs", "theirs-row-name": "Theirs"}, prefix="row"
    )
    assert form.data["row-name"] == "Theirs"
