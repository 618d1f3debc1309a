"""The `data` of each webhook event, as docs/webhooks.md describes it: plain JSON, links absolute (SITE_URL),
people as their e-mail address and name. The register's events build theirs in risks.webhook_events."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.urls import reverse

from projects.models import Control, Project, Threat, User


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def person(user: User | None) -> dict[str, str] | None:
    return None if user is None else {"email": user.email, "name": user.name}


def project_data(project: Project) -> dict[str, Any]:
    return {
        "id": project.pk,
        "name": project.name,
        "url": absolute(reverse("project_detail", args=[project.organisation.slug, project.pk])),
    }


def threat_data(
    threat: Threat, *, actor: User | None, changed: Iterable[str] | None = None
) -> dict[str, Any]:
    """threat.created and threat.changed (with the names of the fields that changed)."""
    organisation, number = threat.project.organisation.slug, threat.number
    data: dict[str, Any] = {
        "project": project_data(threat.project),
        "threat": {
            "id": threat.pk,
            "reference": threat.reference,
            "statement": threat.statement,
            "status": threat.status,
            "status_reason": threat.status_reason,
            "stride": list(threat.stride),
            "likelihood": threat.likelihood or None,
            "owner": person(threat.owner),
            "version": threat.version,
            "url": absolute(reverse("threat_detail", args=[organisation, threat.project_id, number])),
        },
        "actor": person(actor),
    }
    if changed is not None:
        data["changed"] = sorted(changed)
    return data


def changed_fields(instance: Any, fields: dict[str, Any], links: object = None) -> list[str]:
    """The fields of an update whose values differ from the instance's (read before they are assigned; a
    relation by its key, so nothing is fetched), and the link parts it sets (ThreatLinks: any not None)."""
    names = []
    for name, value in fields.items():
        field = instance._meta.get_field(name)
        if field.is_relation:
            current, value = getattr(instance, field.attname), getattr(value, "pk", value)
        else:
            current = getattr(instance, name)
        if current != value:
            names.append(name)
    if links is not None:
        names += [name for name, value in vars(links).items() if value is not None]
    return names


def control_status_data(control: Control, *, previous: str, actor: User | None) -> dict[str, Any]:
    """control.status_changed."""
    return {
        "project": project_data(control.project),
        "control": {
            "id": control.pk,
            "title": control.title,
            "status": control.status,
            "owner": person(control.owner),
            "due_on": control.due_on,
            "ticket_url": control.ticket_url or None,
            "url": absolute(
                reverse(
                    "control_detail", args=[control.project.organisation.slug, control.project_id, control.pk]
                )
            ),
        },
        "previous_status": previous,
        "status": control.status,
        "actor": person(actor),
    }


def report_data(report: Any) -> dict[str, Any]:
    """report.ready, for a reports.models.Report that is done (reports sit above this app, hence Any)."""
    organisation = report.organisation.slug
    return {
        "report": {
            "id": report.pk,
            "kind": report.kind,
            "title": report.title,
            "project": project_data(report.project) if report.project_id else None,
            "pages": report.page_count,
            "bytes": report.file_size,
            "as_of": report.as_of,
            "requested_by": person(report.requested_by),
            "url": absolute(reverse("report_detail", args=[organisation, report.pk])),
            "download_url": absolute(reverse("report_download", args=[organisation, report.pk])),
        }
    }
