import factory
from django.db import models
from factory.django import DjangoModelFactory

from projects.models import (
    Asset,
    Component,
    ComponentKind,
    Control,
    DataFlow,
    Invitation,
    Membership,
    Organisation,
    Project,
    Team,
    Threat,
    ThreatControl,
    TrustZone,
    User,
)
from projects.roles import Role

PASSWORD = "correct horse battery staple"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)


class OrganisationFactory(DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")


class TeamFactory(DjangoModelFactory[Team]):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.ENGINEER

    @factory.post_generation
    def teams(self, create: bool, extracted: list[Team] | None, **kwargs: object) -> None:
        if create and extracted:
            self.teams.set(extracted)


class InvitationFactory(DjangoModelFactory[Invitation]):
    class Meta:
        model = Invitation

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.ENGINEER


class ProjectFactory(DjangoModelFactory[Project]):
    class Meta:
        model = Project

    team = factory.SubFactory(TeamFactory)
    organisation = factory.SelfAttribute("team.organisation")
    name = factory.Sequence(lambda n: f"Project {n}")


class TrustZoneFactory(DjangoModelFactory[TrustZone]):
    class Meta:
        model = TrustZone

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Zone {n}")


class AssetFactory(DjangoModelFactory[Asset]):
    class Meta:
        model = Asset

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Asset {n}")


class ComponentFactory(DjangoModelFactory[Component]):
    class Meta:
        model = Component

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Component {n}")
    kind = ComponentKind.PROCESS


class DataFlowFactory(DjangoModelFactory[DataFlow]):
    class Meta:
        model = DataFlow

    project = factory.SubFactory(ProjectFactory)
    source = factory.SubFactory(ComponentFactory, project=factory.SelfAttribute("..project"))
    destination = factory.SubFactory(ComponentFactory, project=factory.SelfAttribute("..project"))
    name = factory.Sequence(lambda n: f"Flow {n}")


class ThreatFactory(DjangoModelFactory[Threat]):
    """A threat numbered as the service would number it (the project's counter moves on)."""

    class Meta:
        model = Threat

    project = factory.SubFactory(ProjectFactory)
    threat_source = "external attacker"
    threat_action = factory.Sequence(lambda n: f"replay captured request {n}")

    @classmethod
    def _create(cls, model_class: type[Threat], *args: object, **kwargs: object) -> Threat:
        project = kwargs["project"]
        assert isinstance(project, Project)
        if "number" not in kwargs:
            Project.objects.filter(pk=project.pk).update(threat_counter=models.F("threat_counter") + 1)
            kwargs["number"] = Project.objects.values_list("threat_counter", flat=True).get(pk=project.pk)
        return super()._create(model_class, *args, **kwargs)


class ControlFactory(DjangoModelFactory[Control]):
    class Meta:
        model = Control

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Control {n}")


class ThreatControlFactory(DjangoModelFactory[ThreatControl]):
    class Meta:
        model = ThreatControl

    threat = factory.SubFactory(ThreatFactory)
    control = factory.SubFactory(ControlFactory, project=factory.SelfAttribute("..threat.project"))
    effectiveness = 50
